"""The pytest plugin, used as an integrator would: the example suite of docs/examples,
run in a subprocess with two xdist workers, each with its own sandbox and Mailpit."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# Needs the portal, the seeding and the PISTE areas (they land on main progressively).
for _area in ("sandbox.accounts", "sandbox.testing.portal", "sandbox.seeding", "sandbox.piste"):
    pytest.importorskip(_area)

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / (
    "test_chorus_sandbox_example.py"
)

# Each test moves its own sandbox's clock to its own offset, works (a whole signup),
# then checks the offset is still its own and records which sandbox served it.
ISOLATION = '''
import json, os, uuid

import pytest



@pytest.mark.parametrize("hours", [11, 12, 13, 14])
def test_each_worker_has_its_own_sandbox(chorus_reset, chorus_sandbox, hours):
    chorus = chorus_reset
    assert chorus.clock()["offsetSeconds"] == 0
    chorus.set_clock(f"{hours}h")
    chorus.signup()
    assert chorus.clock()["offsetSeconds"] == hours * 3600
    record = {"worker": os.environ.get("PYTEST_XDIST_WORKER"), "url": chorus_sandbox.url}
    path = os.path.join(os.environ["ISOLATION_DIR"], uuid.uuid4().hex + ".json")
    with open(path, "w") as handle:
        json.dump(record, handle)
'''


def test_example_suite_passes_on_two_xdist_workers(tmp_path):
    suite = tmp_path / "suite"
    suite.mkdir()
    shutil.copy(EXAMPLE, suite / EXAMPLE.name)
    # Collected first, so xdist's first round-robin batch spreads them on both workers.
    (suite / "test_a_isolation.py").write_text(ISOLATION)
    records = tmp_path / "records"
    records.mkdir()
    env = dict(os.environ, ISOLATION_DIR=str(records))
    env.setdefault("SANDBOX_MAILPIT_BIN", str(Path(__file__).resolve().parent.parent
                                               / ".tools" / "bin" / "mailpit"))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "xdist", "-n", "2", "-q",
         "-p", "no:cacheprovider", "--rootdir", str(suite),
         "--chorus-sandbox-setting", "seed_structures=20",
         "--chorus-sandbox-setting", "password_hash_method=scrypt:1024:8:1",
         str(suite)],
        cwd=suite, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "9 passed" in result.stdout
    seen = [json.loads(p.read_text()) for p in records.iterdir()]
    assert len(seen) == 4
    workers = {r["worker"] for r in seen}
    assert workers == {"gw0", "gw1"}
    urls_by_worker = {w: {r["url"] for r in seen if r["worker"] == w} for w in workers}
    # One sandbox per worker, never shared.
    assert all(len(urls) == 1 for urls in urls_by_worker.values())
    assert len({next(iter(u)) for u in urls_by_worker.values()}) == len(workers)
