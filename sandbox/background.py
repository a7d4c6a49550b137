"""One background loop per process: the outbox dispatcher and the factures worker.

Each runs ``body`` in a daemon thread, again after ``interval`` seconds or at once when
woken (a new mail, a new flux), until stopped. A pass that fails (the database or the
SMTP server away) must not kill the loop, nor flood the log: the first failure is
logged with its traceback, the following ones as one line a minute with their count,
and the recovery as one line; while passes fail, the wait between them doubles up to
``MAX_BACKOFF`` seconds (a wake still starts a pass at once).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable

MAX_BACKOFF = 10.0
REPEAT_LOG_SECONDS = 60.0


def holder_name() -> str:
    """A lease holder's name: unique per loop, and says which host and process hold it."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class BackgroundLoop:
    """A named loop thread of this process (started once per process, fork-safe)."""

    def __init__(self, name: str, log: logging.Logger) -> None:
        self.name = name
        self.log = log
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    def wake(self) -> None:
        """Start a pass now rather than at the end of the wait."""
        self._wake.set()

    def start(self, body: Callable[[], object], interval: float) -> None:
        """Start this process's thread running ``body`` every ``interval`` seconds."""
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(body, interval), name=self.name, daemon=True
        )
        self._pid = os.getpid()
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop this process's thread (the pass under way finishes first)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._pid == os.getpid():
            self._thread.join(timeout=timeout)

    def _run(self, body: Callable[[], object], interval: float) -> None:
        failures = 0
        last_logged = 0.0
        while not self._stop.is_set():
            self._wake.clear()
            try:
                body()
            except Exception as error:  # the loop must survive a database or SMTP outage
                failures += 1
                now = time.monotonic()
                if failures == 1:
                    self.log.exception("%s pass failed (retrying with backoff)", self.name)
                    last_logged = now
                elif now - last_logged >= REPEAT_LOG_SECONDS:
                    self.log.error("%s: %d passes failed in a row, the last with %s: %s",
                                   self.name, failures, type(error).__name__,
                                   str(error).splitlines()[0][:200] if str(error) else "")
                    last_logged = now
            else:
                if failures:
                    self.log.warning("%s recovered after %d failed passes", self.name, failures)
                failures = 0
            wait = interval if not failures else min(MAX_BACKOFF, interval * 2 ** failures)
            self._wake.wait(wait)
