"""pytest plugin (entry point ``chorus_sandbox``): a real sandbox for your tests.

Fixtures:
- ``chorus_sandbox``: session-scoped running stack (Mailpit + sandbox on free ports,
  one per xdist worker); ``.url``, ``.mailpit_url``.
- ``chorus_mailpit``: a pytest-mailpit ``MailpitClient`` on that Mailpit.
- ``chorus_credentials``: the seeded default accounts (gestionnaire, technical
  account, OAuth client), as ``GET /_sandbox/credentials`` gives them.
- ``chorus``: a ``SandboxClient`` (control plane, ``signup``, ``technical_client``,
  ``set_clock``, ``inject_fault``); clock and faults are put back after the test.
- ``chorus_reset``: the same, after a reset to the seeded baseline (function scope).

See docs/pytest-plugin.md.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.testing.client import SandboxClient
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
def chorus_sandbox(pytestconfig: pytest.Config, tmp_path_factory) -> Iterator[RunningStack]:
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
def chorus_mailpit(chorus_sandbox: RunningStack):
    """A MailpitClient (pytest-mailpit) reading the sandbox's Mailpit."""
    from pytest_mailpit.client import MailpitClient

    client = MailpitClient(chorus_sandbox.mailpit_url + "/", wait_timeout=30)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def chorus_credentials(chorus_sandbox: RunningStack) -> dict:
    """The seeded default accounts: gestionnaire, technical account, OAuth client."""
    return SandboxClient(chorus_sandbox.url, chorus_sandbox.mailpit_url).credentials()


@pytest.fixture
def chorus(chorus_sandbox: RunningStack) -> Iterator[SandboxClient]:
    """Drive the session's sandbox; faults and clock are put back after the test."""
    client = SandboxClient(chorus_sandbox.url, chorus_sandbox.mailpit_url)
    try:
        yield client
    finally:
        client.clear_faults()
        client.set_clock(0)


@pytest.fixture
def chorus_reset(chorus: SandboxClient) -> SandboxClient:
    """The sandbox back to its seeded baseline before the test (data, mail, clock, faults)."""
    chorus.reset()
    return chorus
