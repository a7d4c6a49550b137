"""The background loop of the outbox dispatcher and the factures worker (in process)."""

from __future__ import annotations

import logging
import threading

import pytest

from sandbox import background
from sandbox.background import BackgroundLoop


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logger():
    log = logging.getLogger("tests.background")
    handler = Records()
    log.addHandler(handler)
    log.propagate = False
    yield log, handler.records
    log.removeHandler(handler)


def test_a_failing_pass_is_logged_once_with_its_traceback_then_its_recovery(logger):
    log, records = logger
    calls, recovered = [], threading.Event()

    def body() -> None:
        calls.append(1)
        if len(calls) <= 4:
            raise ConnectionError("database away")
        recovered.set()

    loop = BackgroundLoop("probe", log)
    loop.start(body, interval=0.001)  # backoff: 2, 4, 8, 16 ms
    try:
        assert recovered.wait(10)
    finally:
        loop.stop()
    tracebacks = [r for r in records if r.exc_info]
    assert len(tracebacks) == 1 and "probe pass failed" in tracebacks[0].getMessage()
    assert any(r.getMessage() == "probe recovered after 4 failed passes" for r in records)
    assert len(records) == 2  # nothing else: no traceback per failed pass


def test_a_wake_starts_a_pass_at_once_and_stop_ends_the_thread(logger):
    log, _ = logger
    passes = threading.Semaphore(0)
    loop = BackgroundLoop("probe-wake", log)
    loop.start(passes.release, interval=3600)  # without a wake, a pass an hour
    try:
        assert passes.acquire(timeout=10)  # the first pass runs at start
        loop.wake()
        assert passes.acquire(timeout=10)
        loop.start(passes.release, interval=3600)  # once per process: no second thread
        assert [t.name for t in threading.enumerate()].count("probe-wake") == 1
    finally:
        loop.stop()
    assert "probe-wake" not in [t.name for t in threading.enumerate()]


class FakeWatch:
    """A change watch whose answers the test gives: True once after ``commit()``."""

    def __init__(self) -> None:
        self.looks = 0
        self.pending = False
        self.asked = threading.Condition()

    def commit(self) -> None:
        self.pending = True

    def changed(self) -> bool | None:
        with self.asked:
            self.looks += 1
            self.asked.notify_all()
        answer, self.pending = self.pending, False
        return answer

    def close(self) -> None:
        pass

    def wait_looks(self, count: int) -> bool:
        with self.asked:
            return self.asked.wait_for(lambda: self.looks >= count, timeout=10)


def test_an_idle_loop_passes_only_when_the_heartbeat_sees_a_change(logger, monkeypatch):
    log, _ = logger
    monkeypatch.setattr(background, "IDLE_MAX", 3600.0)  # no safety-net pass in the test
    watch, passes = FakeWatch(), threading.Semaphore(0)
    count = []

    def body() -> None:
        count.append(1)
        passes.release()

    loop = BackgroundLoop("probe-idle", log)
    loop.start(body, interval=0.01, watch=lambda: watch)
    try:
        assert passes.acquire(timeout=10)  # the first pass at start
        looks = watch.looks
        assert watch.wait_looks(looks + 20)  # twenty looks, nothing committed
        assert len(count) == 1  # ... and no pass
        watch.commit()  # another process commits
        assert passes.acquire(timeout=10)
    finally:
        loop.stop()


def test_a_loop_passes_again_when_its_next_work_is_due(logger, monkeypatch):
    log, _ = logger
    monkeypatch.setattr(background, "IDLE_MAX", 3600.0)
    passes = threading.Semaphore(0)

    def body() -> float:
        passes.release()
        return 0.05  # a mail's retry in 50 ms, say

    loop = BackgroundLoop("probe-due", log)
    loop.start(body, interval=0.01, watch=FakeWatch)  # nothing ever committed
    try:
        for _ in range(3):  # without a wake nor a change
            assert passes.acquire(timeout=10)
    finally:
        loop.stop()
    assert "probe-due" not in [t.name for t in threading.enumerate()]
