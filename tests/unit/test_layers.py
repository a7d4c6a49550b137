"""The import rules of docs/architecture.md hold on the source (tests/unit/layers.py reads
it with ``ast``, function-local imports included; nothing of the sandbox is imported).

The second half runs the same checks on small made-up trees: each rule must catch the
defect it is there for, so a checker that quietly stopped seeing imports would fail here.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import layers
import pytest


@pytest.fixture(scope="module")
def house() -> layers.House:
    return layers.read_house()


def test_the_reader_sees_the_house(house: layers.House) -> None:
    # A reader that saw nothing would pass every rule below.
    assert len(house.modules) > 100
    assert any(i.target == "sandbox.factures.models" for i in house.imports)
    assert any(i.local for i in house.imports)  # create_app's area imports


def test_every_room_has_a_level(house: layers.House) -> None:
    assert layers.unclassified_rooms(house) == [], "add the new room to layers.LEVELS"


def test_no_circle_between_files(house: layers.House) -> None:
    assert layers.file_circles(house) == []


def test_no_loop_between_folders(house: layers.House) -> None:
    assert layers.folder_loops(house) == []


def test_no_import_against_the_levels(house: layers.House) -> None:
    assert layers.level_violations(house) == []


def test_no_area_imports_the_control_plane(house: layers.House) -> None:
    assert layers.control_importers(house) == []


def test_the_product_does_not_import_the_tools(house: layers.House) -> None:
    assert layers.tools_importers(house) == []


def test_rules_modules_know_no_http(house: layers.House) -> None:
    assert layers.http_in_rules(house) == []


def test_every_function_local_import_says_why(house: layers.House) -> None:
    assert layers.unexplained_local_imports(house) == []


def test_nothing_is_loaded_by_string(house: layers.House) -> None:
    assert layers.loads_by_string(house) == []


# --- the checker on made-up trees ----------------------------------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> layers.House:
    src = tmp_path / "sandbox"
    for name, text in files.items():
        path = src / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    for folder in [src, *[p for p in src.rglob("*") if p.is_dir()]]:
        (folder / "__init__.py").touch()
    return layers.read_house(src)


def test_a_circle_hidden_in_a_function_is_found(tmp_path: Path) -> None:
    house = _tree(tmp_path, {
        "factures/a.py": "from sandbox.factures import b\n",
        "factures/b.py": """\
            def f():
                # why: to hide the circle
                from sandbox.factures import a
            """,
    })
    assert layers.file_circles(house) == [["sandbox.factures.a", "sandbox.factures.b"]]


def test_a_loop_between_folders_is_found(tmp_path: Path) -> None:
    house = _tree(tmp_path, {
        "db.py": "import sandbox.factures.models\n",
        "factures/models.py": "from sandbox import db\n",
    })
    assert layers.folder_loops(house) == [["db", "factures"]]
    assert any("level 3 above 1" in v for v in layers.level_violations(house))


def test_a_peer_surface_s_own_module_is_refused(tmp_path: Path) -> None:
    house = _tree(tmp_path, {
        "factures/pages.py": "from sandbox.portal import views\nfrom sandbox.portal import pages\n",
        "portal/views.py": "",
        "portal/pages.py": "",
    })
    assert [v.split(" (")[0] for v in layers.level_violations(house)] == [
        "sandbox.factures.pages:1 imports sandbox.portal.views"]


def test_the_control_plane_and_the_tools_are_not_imported_by_areas(tmp_path: Path) -> None:
    house = _tree(tmp_path, {
        "factures/api.py": "from sandbox.control import api\nfrom sandbox.testing import client\n",
        "control/api.py": "",
        "testing/client.py": "",
        "cli/main.py": "from sandbox.control import api\n",
    })
    assert layers.control_importers(house) == ["sandbox.factures.api:1"]
    assert layers.tools_importers(house) == [
        "sandbox.factures.api:2 imports sandbox.testing.client"]


def test_http_in_a_rules_module_is_found(tmp_path: Path) -> None:
    house = _tree(tmp_path, {
        "factures/rules/lifecycle.py": "from flask import request\n",
        "accounts/signup.py": "from sandbox.cpro.api import Context\n",
        "cpro/api.py": "",
    })
    assert sorted(layers.http_in_rules(house)) == [
        "sandbox.accounts.signup:1 imports sandbox.cpro.api",
        "sandbox.factures.rules.lifecycle:1 imports flask",
    ]


def test_a_local_import_needs_its_why(tmp_path: Path) -> None:
    house = _tree(tmp_path, {
        "factures/worker.py": """\
            def a():
                from sandbox import db
            def b():
                # why: a reason
                from sandbox import db
            def c():
                from sandbox import db  # why: a reason on the line
            """,
        "db.py": "",
        "__init__.py": "def create_app():\n    from sandbox import db\n",
    })
    assert layers.unexplained_local_imports(house) == [
        "sandbox.factures.worker:2 (in a) imports sandbox.db"]


def test_loading_by_string_and_unknown_rooms_are_found(tmp_path: Path) -> None:
    house = _tree(tmp_path, {
        "cli/main.py": "import importlib\nimportlib.import_module('sandbox.control')\n",
        "newarea/api.py": "",
    })
    assert layers.loads_by_string(house) == ["sandbox.cli.main:2"]
    assert layers.unclassified_rooms(house) == ["newarea"]
