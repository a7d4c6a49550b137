"""pytest plugin (entry point ``chorus_sandbox``): a real sandbox for your tests.

Fixtures:
- ``chorus_sandbox``: session-scoped running stack (Mailpit + sandbox on free ports,
  one per xdist worker); ``.url``, ``.mailpit_url``.
- ``chorus_mailpit``: a pytest-mailpit ``MailpitClient`` on that Mailpit.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.testing.harness import RunningStack, start_stack


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chorus-sandbox", "Chorus Pro Sandbox")
    group.addoption(
        "--chorus-sandbox-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="A SANDBOX_* setting for the sandbox the fixtures start (repeatable).",
    )


@pytest.fixture(scope="session")
def chorus_sandbox(pytestconfig: pytest.Config, tmp_path_factory) -> Iterator[RunningStack]:  # noqa: ANN001
    """Start Mailpit and the sandbox once for the session (per xdist worker)."""
    settings = dict(
        item.split("=", 1) for item in pytestconfig.getoption("chorus_sandbox_setting")
    )
    stack = start_stack(tmp_path_factory.mktemp("chorus-sandbox"), settings=settings)
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def chorus_mailpit(chorus_sandbox: RunningStack):  # noqa: ANN201
    """A MailpitClient (pytest-mailpit) reading the sandbox's Mailpit."""
    from pytest_mailpit.client import MailpitClient

    client = MailpitClient(chorus_sandbox.mailpit_url + "/", wait_timeout=30)
    try:
        yield client
    finally:
        client.close()
