"""The background loops of a server process (the outbox dispatcher, the factures worker),
and the one heartbeat that wakes them when the database changed.

Each loop runs ``body`` in a daemon thread. A pass starts:

* **at once when woken** in process (``wake``: this process committed a mail or a flux);
* **at the loop's interval after a change of the database** seen by the process's
  heartbeat: one thread per process asks the database the cheap question of
  ``state.ChangeWatch`` (SQLite's ``PRAGMA data_version``, PostgreSQL's snapshot) every
  interval and nudges every loop when anything was committed — by another process too
  (docs/reliability.md: several processes are one sandbox);
* **when its next known work is due**: ``body`` returns the seconds until then (a mail's
  retry, a flux's integration, a lifecycle policy's move), None when nothing is scheduled;
* and at the latest ``IDLE_MAX`` seconds after the last pass (a safety net).

So an idle process runs no pass at all between the heartbeat's looks (docs/performance.md:
13–23 CPU-ms/s before, with a full pass of each loop every 0.5–1 s). Where the database
cannot be watched (an in-memory SQLite, the watch failing) the heartbeat nudges at every
look: passes at the interval, as before.

A pass that fails (the database or the SMTP server away) must not kill the loop, nor flood
the log: the first failure is logged with its traceback, the following ones as one line a
minute with their count, and the recovery as one line; while passes fail, the wait between
them doubles up to ``MAX_BACKOFF`` seconds (a wake still starts a pass at once).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import Protocol

MAX_BACKOFF = 10.0
REPEAT_LOG_SECONDS = 60.0
IDLE_MAX = 10.0  # the longest wait between two passes of an idle loop
MIN_LOOK = 0.01  # the heartbeat's shortest interval between two looks


class Watch(Protocol):
    """Whether anything was committed since the calling thread last asked (None: cannot
    tell); ``state.ChangeWatch``."""

    def changed(self) -> bool | None: ...

    def close(self) -> None: ...


def holder_name() -> str:
    """A lease holder's name: unique per loop, and says which host and process hold it."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class BackgroundLoop:
    """A named loop thread of this process (started once per process, fork-safe)."""

    def __init__(self, name: str, log: logging.Logger) -> None:
        self.name = name
        self.log = log
        self.interval = 1.0
        self._wake = threading.Event()
        self._now = False  # woken in process: pass at once
        self._dirty = False  # the database changed: pass at the interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    def wake(self) -> None:
        """Start a pass now rather than at the end of the wait."""
        self._now = True
        self._wake.set()

    def nudge(self) -> None:
        """The database changed: a pass within the interval (the heartbeat's call)."""
        self._dirty = True
        self._wake.set()

    def start(self, body: Callable[[], float | None], interval: float,
              watch: Callable[[], Watch] | None = None) -> None:
        """Start this process's thread running ``body`` (which returns the seconds until its
        next known work, or None), woken by changes at most every ``interval`` seconds;
        ``watch`` makes the heartbeat's watch (``state.ChangeWatch``; without one, the
        heartbeat nudges at every look)."""
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        self._stop.clear()
        self.interval = interval
        self._thread = threading.Thread(
            target=self._run, args=(body, interval), name=self.name, daemon=True
        )
        self._pid = os.getpid()
        self._thread.start()
        HEARTBEAT.add(self, watch)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop this process's thread (the pass under way finishes first)."""
        HEARTBEAT.remove(self)
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._pid == os.getpid():
            self._thread.join(timeout=timeout)

    def _run(self, body: Callable[[], float | None], interval: float) -> None:
        failures = 0
        last_logged = 0.0
        while not self._stop.is_set():
            started = time.monotonic()
            self._now = self._dirty = False
            self._wake.clear()
            due: float | None = None
            try:
                due = body()
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
            if failures:
                deadline = started + min(MAX_BACKOFF, interval * 2 ** failures)
            else:
                deadline = started + max(interval, min(IDLE_MAX, IDLE_MAX if due is None
                                                       else due))
            self._wait(started, deadline, interval, bool(failures))

    def _wait(self, started: float, deadline: float, interval: float, failing: bool) -> None:
        """Until ``deadline``, a wake, or (not while failing) ``interval`` after ``started``
        once the heartbeat saw a change."""
        while not self._stop.is_set() and not self._now:
            target = deadline
            if self._dirty and not failing:
                target = min(target, started + interval)
            timeout = target - time.monotonic()
            if timeout <= 0:
                return
            self._wake.wait(timeout)
            self._wake.clear()


class Heartbeat:
    """One thread per process that looks whether the database changed and nudges the loops.

    A look is ``state.ChangeWatch.changed()`` on a connection of its own (a few µs on
    SQLite), every interval of the most frequent loop."""

    def __init__(self) -> None:
        self._loops: list[BackgroundLoop] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._stop = threading.Event()
        self._watch: Callable[[], Watch] | None = None

    def add(self, loop: BackgroundLoop, watch: Callable[[], Watch] | None = None) -> None:
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's thread is not ours
                self._loops, self._thread, self._pid = [], None, os.getpid()
            self._watch = watch or self._watch
            if loop not in self._loops:
                self._loops.append(loop)
            if self._thread is None or not self._thread.is_alive():
                self._stop = threading.Event()
                self._thread = threading.Thread(target=self._run, args=(self._stop,),
                                                name="heartbeat", daemon=True)
                self._thread.start()

    def remove(self, loop: BackgroundLoop) -> None:
        with self._lock:
            if self._pid != os.getpid():
                return
            if loop in self._loops:
                self._loops.remove(loop)
            if not self._loops and self._thread is not None:
                self._stop.set()
                self._thread = None

    def _run(self, stop: threading.Event) -> None:
        watch: Watch | None = None
        while True:
            with self._lock:
                loops, factory = list(self._loops), self._watch
            if stop.is_set() or not loops:
                if watch is not None:
                    watch.close()
                return
            if watch is None and factory is not None:
                watch = factory()
            if stop.wait(max(MIN_LOOK, min(loop.interval for loop in loops))):
                continue
            changed = watch.changed() if watch is not None else None
            if changed is not False:  # a commit, or cannot tell: nudge every loop
                for loop in loops:
                    loop.nudge()


HEARTBEAT = Heartbeat()
