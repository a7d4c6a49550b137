"""The background loop of the outbox dispatcher and the factures worker (in process)."""

from __future__ import annotations

import logging
import threading

import pytest

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
