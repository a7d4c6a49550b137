"""``pip install`` of the built wheel, no extras, then the commands a new user types
(issue #19.3): each answers, from outside the checkout; a command that needs an extra
names it in one line, never a traceback."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from wheel_support import clean_env, installed_wheel

from sandbox.testing.harness import suite_database_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if suite_database_server():
        pytest.skip("database-independent; run by the SQLite pass")
    return installed_wheel(tmp_path_factory.mktemp("wheel"))


def _run(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(bin_dir / "chorus-sandbox"), *args], capture_output=True,
                          text=True, timeout=300, env=clean_env(), cwd=cwd)


def test_no_extra_is_installed(bin_dir: Path) -> None:
    # The commands below must work without them: check that they really are absent.
    done = subprocess.run(
        [str(bin_dir / "python"), "-c",
         "import importlib.util as u; print([m for m in ('locust', 'psutil', 'pytest', "
         "'matplotlib', 'psycopg') if u.find_spec(m)])"],
        capture_output=True, text=True, timeout=60, env=clean_env())
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


@pytest.mark.parametrize("args, expected", [
    (("--help",), "install-mailpit"),
    (("--version",), "chorus-sandbox, version 0.1.0"),
    (("settings",), "SANDBOX_DATABASE_URL"),
    (("credentials",), "TECH_1_"),
    (("install-mailpit", "--help"), "Build Mailpit"),
    (("load", "--help"), "--users"),
])
def test_a_command_of_a_plain_install_answers(bin_dir: Path, tmp_path: Path,
                                              args: tuple[str, ...], expected: str) -> None:
    done = _run(bin_dir, *args, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert expected in done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("command", ["load", "bench"])
def test_a_command_that_needs_the_load_extra_says_so_in_one_line(
        bin_dir: Path, tmp_path: Path, command: str) -> None:
    done = _run(bin_dir, command, cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == [f"Error: `chorus-sandbox {command}` needs the 'load' extra "
                     "(locust, psutil, matplotlib not installed): "
                     "pip install 'chorus-pro-sandbox[load]'"]
