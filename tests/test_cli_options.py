"""The CLI refuses bad options before it starts anything, and tells its version (#15.4/#15.6)."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

CLI = [sys.executable, "-c", "from sandbox.cli import main; main()"]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_version_names_the_installed_distribution(tmp_path: Path) -> None:
    done = _cli("--version", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.strip() == f"chorus-sandbox, version {metadata.version('chorus-pro-sandbox')}"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--mix", "foo=1"], "unknown user 'foo' (known: signup, rattachement, api, invoice)"),
        (["--mix", "signup=x"], "weight of 'signup' is not a whole number"),
        (["--mix", "signup=0,api=0"], "no user class with a weight above 0"),
        (["--mix", "api=-2"], "negative"),
        (["-t", "banana"], "bad duration 'banana'"),
        (["-t", "0s"], "no time at all"),
    ],
)
def test_load_refuses_bad_options_before_starting_anything(
    tmp_path: Path, args: list[str], words: str
) -> None:
    done = _cli("load", "--reports-dir", str(tmp_path / "reports"), *args, cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and words in errors[0], done.stderr
    assert "Load run" not in done.stdout  # nothing was started
    assert not (tmp_path / "reports").exists() and not (tmp_path / "var").exists()
