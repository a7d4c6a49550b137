"""The first use after ``pip install`` (issue #22.1): the built wheel, no extras, in a fresh
venv, run from outside the checkout, where no Mailpit is to be found.

* The pytest plugin starts a sandbox for an example suite of ``docs/examples/`` and it
  passes: with no Mailpit anywhere, one is "built" into the user cache once. Building it
  with Go takes minutes, so ``CHORUS_SANDBOX_MAILPIT_BUILD_FROM`` makes that build step copy
  the binary the checkout already built; everything around it is the user's path.
* The lock: processes that start together while another holds the build lock wait, and
  exactly one of them builds; the others find its binary.
* Without Go (and nothing to copy), the failure is one line saying what to install.
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
from pathlib import Path

import pytest
from wheel_support import ROOT, built_wheel, clean_env, installed_into_venv

from sandbox.mail.binary import find_mailpit
from sandbox.stack import wait_until
from sandbox.testing.harness import suite_database_server

pytestmark = pytest.mark.slow
BUILD_FROM = "CHORUS_SANDBOX_MAILPIT_BUILD_FROM"
ENSURE = "from sandbox.mail.provision import ensure_mailpit; print('PATH=' + ensure_mailpit())"


@pytest.fixture(scope="module")
def venvs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the plain install's bin/, the install with pytest's bin/)."""
    if suite_database_server():
        pytest.skip("database-independent; run by the SQLite pass")
    folder = tmp_path_factory.mktemp("first-use")
    wheel = built_wheel(folder)
    plain = installed_into_venv(folder / "plain", wheel)
    with_pytest = installed_into_venv(folder / "pytest", wheel, "pytest>=8,<10")
    return plain, with_pytest


def _env(cache: Path, *, go: bool = True, build_from: bool = True) -> dict[str, str]:
    """A user's shell: a fresh user cache, no Mailpit on PATH (and no Go if not ``go``)."""
    env = clean_env()
    env["XDG_CACHE_HOME"] = str(cache)
    keep = [p for p in env.get("PATH", "").split(":")
            if p and not (Path(p) / "mailpit").exists()
            and (go or not (Path(p) / "go").exists())]
    env["PATH"] = ":".join(keep)
    if build_from:
        env[BUILD_FROM] = find_mailpit()
    return env


def test_an_example_suite_passes_with_nothing_else_done(venvs, tmp_path: Path) -> None:
    _plain, bin_dir = venvs
    suite = tmp_path / "suite"
    suite.mkdir()
    shutil.copy(ROOT / "docs" / "examples" / "test_chorus_sandbox_example.py", suite)
    cache = tmp_path / "cache"
    done = subprocess.run(
        [str(bin_dir / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(suite)],
        capture_output=True, text=True, timeout=600, env=_env(cache), cwd=suite)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert " passed" in done.stdout and "failed" not in done.stdout, out
    assert out.count("no Mailpit found") == 1, out  # built once, said once
    assert (cache / "chorus-pro-sandbox" / "bin" / "mailpit").is_file()
    again = subprocess.run(
        [str(bin_dir / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(suite),
         "-k", "search"], capture_output=True, text=True, timeout=600, env=_env(cache),
        cwd=suite)
    assert again.returncode == 0 and "no Mailpit found" not in again.stdout + again.stderr


def test_processes_starting_together_build_mailpit_once(venvs, tmp_path: Path) -> None:
    plain, _ = venvs
    cache = tmp_path / "cache"
    lock_path = cache / "chorus-pro-sandbox" / "bin" / ".mailpit.lock"
    lock_path.parent.mkdir(parents=True)
    outputs = [tmp_path / f"worker-{n}.txt" for n in range(3)]
    with open(lock_path, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as if another worker were building
        workers = []
        for output in outputs:
            with open(output, "w") as sink:
                workers.append(subprocess.Popen(
                    [str(plain / "python"), "-u", "-c", ENSURE], stdout=sink,
                    stderr=subprocess.STDOUT, env=_env(cache), cwd=tmp_path))
        wait_until(lambda: all("waiting for another process building Mailpit" in o.read_text()
                               for o in outputs), 120, "every worker waiting on the lock")
        assert not (cache / "chorus-pro-sandbox" / "bin" / "mailpit").exists()
    for worker in workers:  # the lock is released: one builds, the others find its binary
        assert worker.wait(timeout=120) == 0
    texts = [o.read_text() for o in outputs]
    built = [t for t in texts if "no Mailpit found" in t]
    assert len(built) == 1, texts
    binary = cache / "chorus-pro-sandbox" / "bin" / "mailpit"
    assert all(f"PATH={binary}" in t for t in texts), texts
    usage = subprocess.run([str(binary), "--help"], capture_output=True, text=True, timeout=60)
    assert usage.returncode == 0 and "--smtp" in usage.stdout + usage.stderr  # a Mailpit


def test_without_go_the_failure_is_one_line_saying_what_to_install(venvs, tmp_path: Path):
    _plain, bin_dir = venvs
    if shutil.which("go", path=_env(tmp_path, go=False)["PATH"]):
        pytest.skip("go is in a folder this test cannot leave out of PATH")
    (tmp_path / "test_one.py").write_text("def test_one(chorus):\n    chorus.clock()\n")
    done = subprocess.run(
        [str(bin_dir / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
         str(tmp_path)], capture_output=True, text=True, timeout=300,
        env=_env(tmp_path / "cache", go=False, build_from=False), cwd=tmp_path)
    out = done.stdout + done.stderr
    assert done.returncode != 0 and "Traceback" not in out, out
    lines = [line for line in out.splitlines() if "Go is not installed" in line]
    assert len(lines) == 1 and "install Go" in lines[0], out
    assert not (tmp_path / "cache" / "chorus-pro-sandbox" / "bin" / "mailpit").exists()
