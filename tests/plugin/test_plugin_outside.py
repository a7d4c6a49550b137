"""The pytest plugin as a user meets it: a pytest run of its own, in a subprocess (#15.1).

Each test writes a small suite as docs/pytest-plugin.md shows it and runs it with
``python -m pytest`` in a fresh folder, so it sees the plugin through its entry point,
as an installed package is seen.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.testing.client import SandboxClient, SandboxError


def _run_pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANDBOX_", "PYTEST_"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=folder, env=env, capture_output=True, text=True, timeout=300,
    )


def test_a_misspelt_setting_is_one_clear_error_not_a_traceback_per_test(tmp_path: Path) -> None:
    (tmp_path / "test_user_suite.py").write_text(
        "".join(f"def test_{i}(chorus):\n    assert chorus.clock()\n\n" for i in range(5))
    )
    done = _run_pytest(tmp_path, "--chorus-sandbox-setting", "activaton_link_hours=1")
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert out.count("unknown sandbox setting 'activaton_link_hours'") == 1, out
    assert "did you mean activation_link_hours" in out
    assert "Traceback" not in out and "passed" not in out


def test_chorus_url_runs_the_suite_against_a_sandbox_already_running(
    tmp_path: Path, base_url: str
) -> None:
    (tmp_path / "test_user_suite.py").write_text(
        "def test_uses_the_running_sandbox(chorus_sandbox, chorus, chorus_credentials):\n"
        f"    assert chorus_sandbox.url == {base_url!r}\n"
        "    assert chorus_sandbox.mailpit_url.startswith('http://127.0.0.1:')\n"
        "    assert chorus_credentials['oauth_client']['client_id']\n"
        "    chorus.set_clock(advance='1h')\n"
        "    assert chorus.clock()['offsetSeconds'] == 3600\n"
    )
    SandboxClient(base_url, "").set_clock(0)  # a known start, whatever ran before
    done = _run_pytest(tmp_path, "--chorus-url", base_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
    # the user's fixture put the clock back after its test
    assert SandboxClient(base_url, "").clock()["offsetSeconds"] == 0


def test_chorus_url_nobody_answers_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "test_user_suite.py").write_text("def test_x(chorus):\n    pass\n")
    done = _run_pytest(tmp_path, "--chorus-url", "http://127.0.0.1:9")
    out = done.stdout + done.stderr
    assert done.returncode == 1
    assert "Chorus Pro Sandbox could not start: no sandbox answers at http://127.0.0.1:9" in out


def test_a_refused_signup_quotes_the_field_errors(chorus) -> None:
    with pytest.raises(SandboxError) as refused:
        chorus.signup(identifiant="12345678901234", code_postal="ABC")
    message = str(refused.value)
    assert "identifiant:" in message and "code_postal:" in message, message
    assert "Le formulaire contient" not in message
