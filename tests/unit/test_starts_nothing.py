"""tests/unit starts nothing: no stack, no Mailpit, no server subprocess (issue 19.6).

The root conftest's autouse ``stack_db`` starts the session's stack for every test under
tests/; tests/unit/conftest.py overrides it (and ``chorus_sandbox``) so that the unit
level runs in the test process alone. Two checks: no unit test asks for a fixture that
reaches the stack (whatever else the run holds), and, when the run is tests/unit alone,
this process has no child process (gunicorn and Mailpit are children of the process that
starts them: ``sandbox.testing.harness.start_stack``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parent
# The fixtures that reach the stack: the plugin's ``chorus_sandbox`` (which the plugin's
# other fixtures, pytest-mailpit's and the root conftest's ``base_url`` and
# ``mailpit_config`` ask for) and the root conftest's built on its ``stack_db``.
STACK_FIXTURES = frozenset({"chorus_sandbox", "base_url", "mailpit_config", "world",
                            "db_session", "clock_restored"})


def _unit_items(session: pytest.Session) -> list[pytest.Item]:
    return [i for i in session.items if UNIT in Path(str(i.path)).resolve().parents]


def _children(pid: int) -> list[str]:
    """The processes whose parent is ``pid``, as ``pid (name)`` (read from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # ended while we read
            continue
        name_end = text.rindex(")")
        if int(text[name_end + 2:].split()[1]) == pid:
            found.append(text[: name_end + 1])
    return found


def test_no_unit_test_asks_for_the_stack(request):
    asking = {
        item.nodeid: sorted(STACK_FIXTURES & set(item.fixturenames))
        for item in _unit_items(request.session)
    }
    assert request.node in _unit_items(request.session)  # the filter sees this very test
    assert {k: v for k, v in asking.items() if v} == {}


def test_the_stack_fixtures_are_the_ones_defined_above_this_level(request):
    """``STACK_FIXTURES`` names fixtures that exist: a renamed one would slip past it."""
    root = (UNIT.parent / "conftest.py").read_text()
    plugin = (UNIT.parents[1] / "sandbox" / "testing" / "plugin.py").read_text()
    for name in STACK_FIXTURES:
        assert f"def {name}(" in root + plugin, name
    assert "def stack_db(" in root
    assert "stack_db" in request.fixturenames  # the autouse one is still resolved...
    assert "chorus_sandbox" not in request.fixturenames  # ...to this level's, which needs none


def test_a_unit_run_has_no_child_process(request):
    items = request.session.items
    if len(_unit_items(request.session)) != len(items):
        pytest.skip("the run holds other levels, which start the stack on purpose")
    assert _children(os.getpid()) == []
