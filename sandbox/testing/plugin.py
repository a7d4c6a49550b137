"""pytest plugin (entry point ``chorus_sandbox``): a real sandbox for your tests.

Fixtures:
- ``chorus_sandbox``: session-scoped running stack (Mailpit + sandbox on free ports,
  one per xdist worker); ``.url``, ``.mailpit_url``. With ``--chorus-url URL`` (or the
  ini option ``chorus_url``) nothing is started: the tests use the sandbox already
  running there, and its own Mailpit.
- ``chorus_mailpit``: a pytest-mailpit ``MailpitClient`` on that Mailpit (needs the
  ``pytest-mailpit`` package; the other fixtures do not).
- ``chorus_credentials``: the seeded default accounts (gestionnaire, technical
  account, OAuth client), as ``GET /_sandbox/credentials`` gives them.
- ``chorus``: a ``SandboxClient`` (control plane, ``signup``, ``technical_client``,
  ``set_clock``, ``inject_fault``, ``override``, ``verify``, ``assert_received``);
  clock (offset and rate), faults and overrides are put back after the test.
- ``chorus_reset``: the same, after a reset to the seeded baseline (function scope).

A stack that cannot start (no Mailpit, a misspelt setting, a port taken) is reported
once, as one line naming the cause and the ways out, and the run stops there: not one
identical traceback per test. See docs/pytest-plugin.md.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import requests

from sandbox.testing.client import SandboxClient
from sandbox.testing.harness import RunningStack, check_setting_names, start_stack


@dataclass
class ExternalSandbox:
    """A sandbox someone else started (``--chorus-url``): only how to reach it."""

    url: str
    mailpit_url: str

    def stop(self) -> None:
        """Nothing to stop: the sandbox is not ours."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chorus-sandbox", "Chorus Pro Sandbox")
    group.addoption(
        "--chorus-sandbox-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="A SANDBOX_* setting for the sandbox the fixtures start (repeatable).",
    )
    group.addoption(
        "--chorus-url",
        default=None,
        metavar="URL",
        help="Use the sandbox already running at URL instead of starting one.",
    )
    group.addoption(
        "--chorus-mailpit-url",
        default=None,
        metavar="URL",
        help="With --chorus-url: that sandbox's Mailpit HTTP API (default: from its /health).",
    )
    parser.addini("chorus_url", "Use the sandbox already running at this URL.", default="")


def _settings(pytestconfig: pytest.Config) -> dict[str, str]:
    settings: dict[str, str] = {}
    for item in pytestconfig.getoption("chorus_sandbox_setting"):
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--chorus-sandbox-setting expects NAME=VALUE, got {item!r}")
        settings[name.strip()] = value
    check_setting_names(settings)
    return settings


def _external(url: str, mailpit_url: str | None = None) -> ExternalSandbox:
    url = url.rstrip("/")
    try:
        health = requests.get(f"{url}/health", timeout=10)
        health.raise_for_status()
        mailpit_url = mailpit_url or health.json().get("smtp", {}).get("mailpitUrl")
    except (requests.RequestException, ValueError) as exc:
        raise RuntimeError(f"no sandbox answers at {url} ({exc}): start one "
                           "(chorus-sandbox run) or correct --chorus-url / the chorus_url "
                           "ini option") from None
    return ExternalSandbox(url=url, mailpit_url=(mailpit_url or "").rstrip("/"))


def _terminal(pytestconfig: pytest.Config) -> Callable[[str], None]:
    """Write a line on the terminal now, past pytest's capture (the Mailpit build's
    progress: a first run may build it for minutes)."""
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")

    def echo(line: str) -> None:
        if capture is None:
            print(line, file=sys.stderr, flush=True)
            return
        with capture.global_and_fixture_disabled():
            print(line, file=sys.stderr, flush=True)

    return echo


@pytest.fixture(scope="session")
def chorus_sandbox(pytestconfig: pytest.Config, tmp_path_factory) -> Iterator[RunningStack]:
    """Start Mailpit and the sandbox once for the session (per xdist worker)."""
    url = pytestconfig.getoption("chorus_url") or pytestconfig.getini("chorus_url")
    try:
        stack = (
            _external(url, pytestconfig.getoption("chorus_mailpit_url"))
            if url
            else start_stack(
                tmp_path_factory.mktemp("chorus-sandbox"), settings=_settings(pytestconfig),
                echo=_terminal(pytestconfig),
            )
        )
    except (OSError, RuntimeError, ValueError) as exc:
        pytest.exit(
            f"Chorus Pro Sandbox could not start: {exc}", returncode=pytest.ExitCode.TESTS_FAILED
        )
    try:
        yield stack  # type: ignore[misc]
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def chorus_mailpit(chorus_sandbox: RunningStack):
    """A MailpitClient (pytest-mailpit) reading the sandbox's Mailpit."""
    try:
        from pytest_mailpit.client import MailpitClient
    except ImportError:
        pytest.fail(
            "chorus_mailpit needs the pytest-mailpit package: pip install pytest-mailpit "
            "(or read mails with chorus.mails(address) / chorus.wait_for_mail(address))",
            pytrace=False,
        )
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
        client.set_clock(0, rate=1)


@pytest.fixture
def chorus_reset(chorus: SandboxClient) -> SandboxClient:
    """The sandbox back to its seeded baseline before the test (data, mail, clock, faults)."""
    chorus.reset()
    return chorus
