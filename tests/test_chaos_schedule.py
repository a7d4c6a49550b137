"""The chaos run's schedule (sandbox/loadtesting/chaos.py): seeded, complete, bounded.

The run itself takes minutes (`make chaos`, figures in docs/reliability.md); here only
what decides which faults it injects, and that it refuses an unbounded duration.
"""

from __future__ import annotations

import pytest

from sandbox.loadtesting.chaos import ACTIONS, ChaosOptions, make_schedule, run_chaos


def test_the_same_seed_gives_the_same_faults_and_another_seed_others():
    assert make_schedule(14, 180) == make_schedule(14, 180)
    assert make_schedule(14, 180) != make_schedule(15, 180)


def test_three_minutes_hold_every_kind_of_fault_and_end_healthy():
    for seed in range(20):
        faults = make_schedule(seed, 180)
        assert {fault.action for fault in faults} == set(ACTIONS)
        times = [fault.at for fault in faults]
        assert times == sorted(times) and times[0] > 0
        for fault, following in zip(faults, faults[1:], strict=False):
            assert fault.at + fault.seconds < following.at  # one fault at a time
        last = faults[-1]
        assert last.at + last.seconds <= 180 - 20  # time to recover before the end
        assert all(0 < f.seconds <= 15 for f in faults if f.action.startswith("mailpit-")
                   and f.action != "mailpit-restart")


@pytest.mark.parametrize("duration", ["10s", "16m", "2h"])
def test_a_chaos_run_is_bounded(duration, tmp_path):
    with pytest.raises(ValueError, match="between 30 s and 15 min"):
        run_chaos(ChaosOptions(duration=duration, reports_dir=str(tmp_path)))
