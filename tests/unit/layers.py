"""The import rules of docs/architecture.md, read from the source (nothing is imported).

Every ``import`` and ``from ... import`` of the ``sandbox`` package is read with ``ast``,
module-level and function-local alike, and checked against the levels below. The same
reader prints the house's figures (``python tests/unit/layers.py [SRC]``): circles, folder
loops, function-local imports, the largest modules.

A *room* is a top-level module of ``sandbox/`` (``config``, ``db``...) or a top-level
package (``factures``, ``cpro``...); ``__init__`` is the package's own ``__init__.py``,
the assembler (``create_app``).
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "sandbox"

# The levels (docs/architecture.md, "What each room may import"): a room imports rooms of
# its own level or lower, never higher.
LEVELS: dict[int, tuple[str, ...]] = {
    0: ("config", "clock", "vocabulary", "security", "formatting", "surfaces", "registry",
        "background", "version"),
    1: ("models", "db", "state", "builders"),
    2: ("mail", "accounts"),
    3: ("web", "resilience", "health", "portal", "piste", "cpro", "factures", "engagements",
        "organisations"),
    4: ("schema", "seeding", "control"),
    5: ("cli", "testing", "loadtesting", "stack", "wsgi", "__init__"),
}
LEVEL = {room: level for level, rooms in LEVELS.items() for room in rooms}
TOOLS = frozenset(LEVELS[5])

# Between the surfaces (level 3), only these modules are shared (the API's dispatcher,
# paging and errors, the portal's page helpers and country names, the gateway, the
# Factures tables); anything else of a surface belongs to it.
PEERS_LEVEL = 3
SHARED_PEER_MODULES = frozenset({
    "sandbox.portal.pages", "sandbox.portal.auth", "sandbox.portal.forms",
    "sandbox.portal.countries", "sandbox.factures.models",
    "sandbox.cpro.api", "sandbox.cpro.paging",
    "sandbox.cpro.common", "sandbox.cpro.errors", "sandbox.cpro.schemas", "sandbox.cpro.zero",
    "sandbox.piste.gateway", "sandbox.piste.oauth",
})

# The control plane drives areas; only the assembler and the CLI import it.
CONTROL_IMPORTERS = frozenset({"__init__", "cli", "control"})

# Rules modules know no HTTP: no Flask, no registry, no request context.
RULES_MODULES = ("sandbox.accounts", "sandbox.factures.rules", "sandbox.factures.formats",
                 "sandbox.control.operations", "sandbox.piste.subscriptions",
                 "sandbox.organisations.rules", "sandbox.organisations.search",
                 "sandbox.organisations.objects", "sandbox.organisations.uuids",
                 "sandbox.organisations.errors", "sandbox.engagements.rules",
                 "sandbox.engagements.errors")
HTTP_MODULES = ("flask", "werkzeug", "flask_wtf", "sandbox.registry", "sandbox.cpro.api",
                "sandbox.control.api")

# Function-local imports are allowed without a comment only in the assembler's factory.
FACTORIES = frozenset({("sandbox", "create_app")})
WHY = "# why:"


@dataclass(frozen=True)
class Import:
    """One imported name: who imports what, where, and whether inside a function."""

    module: str  # the importing module, e.g. sandbox.factures.rules.lifecycle
    target: str  # the imported module, e.g. sandbox.factures.models
    line: int
    function: str | None  # the enclosing function, None at module level
    why: bool  # a "# why:" comment on the line or the comment block just above

    @property
    def local(self) -> bool:
        return self.function is not None


@dataclass
class House:
    """Every module of the source tree and every import between them."""

    src: Path
    modules: dict[str, Path] = field(default_factory=dict)
    imports: list[Import] = field(default_factory=list)
    third_party: list[Import] = field(default_factory=list)


def module_name(src: Path, path: Path) -> str:
    parts = path.relative_to(src.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _why(lines: list[str], lineno: int) -> bool:
    """A ``# why:`` on the import's line or in the comment block right above it."""
    if WHY in lines[lineno - 1]:
        return True
    index = lineno - 2
    while index >= 0 and lines[index].strip().startswith("#"):
        if WHY in lines[index]:
            return True
        index -= 1
    return False


def _resolve(modules: dict[str, Path], package: str, node: ast.ImportFrom) -> list[str]:
    if node.level:
        base = package.split(".")[: len(package.split(".")) - node.level + 1]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    targets = []
    for alias in node.names:
        candidate = f"{source}.{alias.name}"
        targets.append(candidate if candidate in modules else source)
    return targets


def _read_module(house: House, module: str, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            inner = (child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
                     else function)
            if isinstance(child, ast.Import | ast.ImportFrom):
                if isinstance(child, ast.ImportFrom):
                    targets = _resolve(house.modules, package, child)
                else:
                    targets = [alias.name for alias in child.names]
                for target in targets:
                    found = Import(module, target, child.lineno, function,
                                   _why(lines, child.lineno))
                    if target.split(".")[0] == house.src.name:
                        house.imports.append(found)
                    else:
                        house.third_party.append(found)
            visit(child, inner)

    visit(ast.parse(text, filename=str(path)), None)


def read_house(src: Path = SRC) -> House:
    """Read every module under ``src`` (a ``sandbox`` package directory)."""
    house = House(src)
    for path in sorted(src.rglob("*.py")):
        house.modules[module_name(src, path)] = path
    for module, path in house.modules.items():
        _read_module(house, module, path)
    return house


def known_target(house: House, target: str) -> str | None:
    """The module ``target`` names (a name imported from a package resolves to it)."""
    while target and target not in house.modules:
        target = target.rpartition(".")[0]
    return target or None


def module_edges(house: House) -> dict[str, set[str]]:
    """Module -> modules it imports (an import of one's own ancestor package is implicit
    in Python and makes no edge)."""
    edges: dict[str, set[str]] = defaultdict(set)
    for imp in house.imports:
        target = known_target(house, imp.target)
        if target and target != imp.module and not imp.module.startswith(target + "."):
            edges[imp.module].add(target)
    return edges


def strongly_connected(nodes: Iterable[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """The components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(nodes):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def file_circles(house: House) -> list[list[str]]:
    return strongly_connected(house.modules, module_edges(house))


def room_edges(house: House) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for module, targets in module_edges(house).items():
        for target in targets:
            if room(module) != room(target):
                edges[room(module)].add(room(target))
    return edges


def folder_loops(house: House) -> list[list[str]]:
    return strongly_connected({room(m) for m in house.modules}, room_edges(house))


def unclassified_rooms(house: House) -> list[str]:
    return sorted({room(m) for m in house.modules} - set(LEVEL))


def level_violations(house: House) -> list[str]:
    """Imports of a higher level, and imports of a same-level peer's private module."""
    bad = []
    for imp in house.imports:
        target = known_target(house, imp.target)
        if target is None:
            continue
        here, there = room(imp.module), room(target)
        if here == there or here not in LEVEL or there not in LEVEL:
            continue
        where = f"{imp.module}:{imp.line} imports {target}"
        if LEVEL[there] > LEVEL[here]:
            bad.append(f"{where} (level {LEVEL[there]} above {LEVEL[here]})")
        elif (LEVEL[there] == LEVEL[here] == PEERS_LEVEL
              and target not in SHARED_PEER_MODULES):
            bad.append(f"{where} (a peer's own module; shared: {sorted(SHARED_PEER_MODULES)})")
    return bad


def control_importers(house: House) -> list[str]:
    return [f"{i.module}:{i.line}" for i in house.imports
            if room(known_target(house, i.target) or "") == "control"
            and room(i.module) not in CONTROL_IMPORTERS]


def tools_importers(house: House) -> list[str]:
    """Product modules importing the tools (CLI, testing, load, stack)."""
    return [f"{i.module}:{i.line} imports {i.target}" for i in house.imports
            if room(known_target(house, i.target) or "") in TOOLS - {"__init__"}
            and room(i.module) not in TOOLS]


def http_in_rules(house: House) -> list[str]:
    bad = []
    for imp in house.imports + house.third_party:
        if any(imp.module == r or imp.module.startswith(r + ".") for r in RULES_MODULES):
            target = known_target(house, imp.target) or imp.target
            if any(target == h or target.startswith(h + ".") for h in HTTP_MODULES):
                bad.append(f"{imp.module}:{imp.line} imports {target}")
    return bad


def unexplained_local_imports(house: House) -> list[str]:
    return [f"{i.module}:{i.line} (in {i.function}) imports {i.target}"
            for i in house.imports
            if i.local and not i.why and (i.module, i.function) not in FACTORIES]


def loads_by_string(house: House) -> list[str]:
    """``importlib.import_module``/``__import__`` anywhere in the product."""
    bad = []
    for module, path in house.modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = (func.attr if isinstance(func, ast.Attribute)
                        else func.id if isinstance(func, ast.Name) else "")
                if name in ("import_module", "__import__"):
                    bad.append(f"{module}:{node.lineno}")
    return bad


def figures(house: House) -> dict[str, object]:
    sizes = sorted(((len(p.read_text(encoding="utf-8").splitlines()), m)
                    for m, p in house.modules.items()), reverse=True)
    return {
        "modules": len(house.modules),
        "lines": sum(n for n, _ in sizes),
        "file circles": file_circles(house),
        "folder loops": folder_loops(house),
        "function-local import statements of our own code": len(
            {(i.module, i.line) for i in house.imports if i.local}),
        "of which without '# why:' outside create_app": len(unexplained_local_imports(house)),
        "largest modules": [f"{m} {n}" for n, m in sizes[:12]],
    }


if __name__ == "__main__":
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else SRC
    for name, value in figures(read_house(source)).items():
        print(f"{name}: {value}")
