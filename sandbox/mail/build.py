"""Build Mailpit from its Go module source, with its web UI when npm can build it.

``go install github.com/axllent/mailpit@VERSION`` gives a Mailpit without its web UI:
the UI bundle (``server/ui/dist``) is built by npm and esbuild and is not in the Go
module. The module does carry everything needed to build it (``package.json``,
``package-lock.json``, ``esbuild.config.mjs``, ``server/ui-src``), so the build here:

1. copies the module source (``go mod download``) into a temporary folder;
2. adjusts the copy's ``package.json`` (``PACKAGE_JSON_CHANGES``: what the npm
   registry reachable here does not serve, and the lint/test tools the bundle does not
   need), then ``npm install`` (the upstream lock file pins every other package;
   ``~/.npm`` caches them) and upstream's own ``npm run build`` (esbuild);
3. ``go build`` of the copy, which embeds ``server/ui`` with the bundle.

When any part of the UI step fails (no npm, the registry, esbuild), the bundle is
removed and the same ``go build`` gives the Mailpit without UI that ``go install``
gives. Which one was built is written beside the binary, ``mailpit.build`` (JSON:
``ui``, ``version``, ``note``, timings); the full npm/esbuild/go output goes to
``mailpit.build.log``. ``chorus-sandbox run`` shows it in its banner and ``/health``.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from sandbox.mail.binary import MAILPIT_MODULE, MAILPIT_VERSION, build_record_path

# What the build changes in the copy of Mailpit's package.json, and why (docs/decisions.md).
# None removes the entry.
PACKAGE_JSON_CHANGES: dict[str, dict[str, str | None]] = {
    "dependencies": {
        # rapidoc ^12 is not on the npm registry reachable here (it serves up to 9.3.8);
        # rapidoc renders only the API docs page (/api/v1/), not the inbox.
        "rapidoc": "9.3.8",
    },
    "devDependencies": {
        # esbuild-sass-plugin compiles with `sass` (dart-sass in JS) unless told
        # `embedded: true`, which Mailpit's esbuild.config.mjs does not; its peer
        # sass-embedded@1.108.1 (the lock's) is not served here and is not installed
        # (--legacy-peer-deps). `sass` is pinned to the lock's own version.
        "sass": "1.108.1",
        # Lint and test tools: not used by `npm run build`.
        "@eslint/compat": None,
        "@eslint/js": None,
        "@playwright/test": None,
        "@types/bootstrap": None,
        "eslint": None,
        "eslint-config-prettier": None,
        "eslint-plugin-vue": None,
        "globals": None,
        "jsdom": None,
        "prettier": None,
    },
}
# --ignore-scripts: no install script of ~230 packages runs (esbuild's binary comes as an
# optional dependency package; nothing else needs one); --prefer-offline: a warm ~/.npm
# answers without asking the registry again (the lock pins the versions).
NPM_INSTALL_ARGS = ["install", "--no-audit", "--no-fund", "--ignore-scripts",
                    "--legacy-peer-deps", "--prefer-offline", "--loglevel=error"]
NPM_TIMEOUT = 600.0
UI_BUILD_TIMEOUT = 300.0
GO_TIMEOUT = 1800.0
BUNDLE_FILES = ("app.js", "app.css", "docs.js")


class UIBuildFailed(RuntimeError):
    """The web UI bundle could not be built (the reason is the message)."""


@dataclass
class BuildRecord:
    """What was built: written as ``mailpit.build`` beside the binary."""

    version: str
    ui: bool
    note: str
    built_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    seconds: dict[str, float] = field(default_factory=dict)
    package_json_changes: dict[str, dict[str, str | None]] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"version": self.version, "ui": self.ui, "note": self.note,
                "builtAt": self.built_at, "seconds": self.seconds,
                "packageJsonChanges": self.package_json_changes}


def module_source(version: str = MAILPIT_VERSION, go: str = "go") -> Path:
    """The module's source folder in the Go module cache (downloaded if needed)."""
    out = subprocess.run(
        [go, "mod", "download", "-json", f"{MAILPIT_MODULE}@{version}"],
        capture_output=True, text=True, timeout=GO_TIMEOUT, cwd=tempfile.gettempdir(),
    )
    try:
        info = json.loads(out.stdout)
    except ValueError:
        info = {}
    if out.returncode != 0 or not info.get("Dir"):
        raise RuntimeError(f"go mod download {MAILPIT_MODULE}@{version} failed: "
                           f"{(info.get('Error') or out.stderr).strip()[:300]}")
    return Path(info["Dir"])


def patch_package_json(path: Path) -> dict[str, dict[str, str | None]]:
    """Apply PACKAGE_JSON_CHANGES to ``path``; return the changes made (old -> new)."""
    package = json.loads(path.read_text())
    made: dict[str, dict[str, str | None]] = {}
    for section, changes in PACKAGE_JSON_CHANGES.items():
        entries = package.setdefault(section, {})
        for name, value in changes.items():
            old = entries.get(name)
            if value is None:
                if entries.pop(name, None) is not None:
                    made.setdefault(section, {})[name] = None
            elif old != value:
                entries[name] = value
                made.setdefault(section, {})[name] = f"{old or '(absent)'} -> {value}"
    path.write_text(json.dumps(package, indent=2) + "\n")
    return made


def _run(command: list[str], cwd: Path, log: IO[str], timeout: float,
         env: dict[str, str] | None = None) -> None:
    log.write(f"\n$ {' '.join(command)}\n")
    log.flush()
    try:
        done = subprocess.run(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                              timeout=timeout, env={**os.environ, **(env or {})})
    except subprocess.TimeoutExpired:
        raise UIBuildFailed(f"`{' '.join(command[:2])}` took more than {timeout:.0f} s") from None
    except OSError as error:
        raise UIBuildFailed(f"`{command[0]}` could not run: {error}") from None
    if done.returncode != 0:
        raise UIBuildFailed(f"`{' '.join(command[:2])}` failed (exit {done.returncode})")


def build_ui(source: Path, log: IO[str], npm: str = "npm",
             seconds: dict[str, float] | None = None,
             changes: dict[str, dict[str, str | None]] | None = None) -> None:
    """Build ``server/ui/dist`` in a writable copy of the module; UIBuildFailed if not.

    ``seconds`` and ``changes`` (the package.json changes made) are filled as it goes.
    """
    seconds = {} if seconds is None else seconds
    changes = {} if changes is None else changes
    if shutil.which(npm) is None:
        raise UIBuildFailed(f"`{npm}` is not installed")
    changes.update(patch_package_json(source / "package.json"))
    log.write(f"package.json changes: {json.dumps(changes)}\n")
    started = time.monotonic()
    _run([npm, *NPM_INSTALL_ARGS], source, log, NPM_TIMEOUT)
    seconds["npmInstall"] = round(time.monotonic() - started, 1)
    started = time.monotonic()
    _run([npm, "run", "build"], source, log, UI_BUILD_TIMEOUT)
    seconds["uiBundle"] = round(time.monotonic() - started, 1)
    dist = source / "server" / "ui" / "dist"
    missing = [name for name in BUNDLE_FILES if not (dist / name).is_file()]
    if missing:
        raise UIBuildFailed(f"the UI build made no {', '.join(missing)}")


def _make_writable(root: Path) -> None:
    """The module cache is read-only; npm writes package.json, the lock and node_modules."""
    for folder, _dirs, files in os.walk(root):
        os.chmod(folder, 0o755)
        for name in files:
            path = os.path.join(folder, name)
            os.chmod(path, os.stat(path).st_mode | stat.S_IWUSR)


def go_build(source: Path, output: Path, version: str, log: IO[str], go: str = "go") -> None:
    """``go build`` the module copy into ``output`` (Mailpit's version in its ldflags).

    -trimpath makes the compiled packages independent of the temporary folder, so the
    Go build cache serves them to the next build.
    """
    command = [go, "build", "-trimpath", "-buildvcs=false",
               "-ldflags", f"-X {MAILPIT_MODULE}/config.Version={version}", "-o", str(output), "."]
    log.write(f"\n$ {' '.join(command)}\n")
    log.flush()
    done = subprocess.run(command, cwd=source, stdout=log, stderr=subprocess.STDOUT,
                          timeout=GO_TIMEOUT)
    if done.returncode != 0:
        raise RuntimeError(f"go build of Mailpit failed (exit {done.returncode}); "
                           f"see {getattr(log, 'name', 'the build log')}")


def build_mailpit(target: Path, version: str = MAILPIT_VERSION, ui: bool = True,
                  npm: str = "npm", echo=print) -> BuildRecord:
    """Build ``target/mailpit`` (with its web UI if it can be built) and its record."""
    go = shutil.which("go")
    if go is None:
        raise RuntimeError(
            "Go is needed to build Mailpit; install Go, or put a mailpit binary "
            "on PATH, or set SANDBOX_MAILPIT_BIN"
        )
    began = time.monotonic()
    target.mkdir(parents=True, exist_ok=True)
    binary = target / "mailpit"
    log_path = target / "mailpit.build.log"
    seconds: dict[str, float] = {}
    changes: dict[str, dict[str, str | None]] = {}
    with open(log_path, "w") as log, tempfile.TemporaryDirectory(prefix="mailpit-build-") as tmp:
        source = Path(tmp) / "mailpit"
        shutil.copytree(module_source(version, go), source)
        _make_writable(source)
        if ui:
            echo(f"Building Mailpit {version}'s web UI with npm (log: {log_path}) ...")
            try:
                build_ui(source, log, npm, seconds, changes)
                note = "web UI built from the module's sources with npm and esbuild"
            except UIBuildFailed as failure:
                ui = False
                note = f"no web UI: {failure}; see {log_path}"
                shutil.rmtree(source / "server" / "ui" / "dist", ignore_errors=True)
                echo(f"The web UI could not be built ({failure}); building Mailpit without it.")
        else:
            note = "no web UI: built without it on request"
        echo(f"Building Mailpit {version} with Go ...")
        started = time.monotonic()
        partial = target / f".mailpit.{os.getpid()}.tmp"
        try:
            go_build(source, partial, version, log, go)
            # No record while the binary changes: an interrupted build is built again by make.
            build_record_path(binary).unlink(missing_ok=True)
            partial.replace(binary)
        finally:
            partial.unlink(missing_ok=True)
        seconds["goBuild"] = round(time.monotonic() - started, 1)
    seconds["total"] = round(time.monotonic() - began, 1)  # with the copy and its clean-up
    record = BuildRecord(version=version, ui=ui, note=note, seconds=seconds,
                         package_json_changes=changes)
    build_record_path(binary).write_text(json.dumps(record.as_json(), indent=2) + "\n")
    return record
