"""Time series of a load run: what the runner samples every second, and Locust's timeline.

The sampler is a thread of the runner (not of the server): every ``interval`` it reads
the CPU seconds of the server's, Mailpit's and Locust's process trees and of the whole
machine from ``/proc`` (procstat, psutil), and the outbox and flux queue depths straight
from the database with its own engine: a ``COUNT`` on an indexed column, so the server
answers no request for it and its measured CPU holds none of the sampling. The thread's
own CPU is measured (``time.thread_time``) and reported beside the figures.

Locust's side comes from the ``timeline-*.jsonl`` files the locustfiles write
(``loadtests/common.py: Timeline``): each request's response time, grouped by second.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from sqlalchemy import func, select

from sandbox.db import build_engine
from sandbox.factures.models import Flux
from sandbox.loadtesting.procstat import children_map, tree_cpu_seconds
from sandbox.models import OutboxMail
from sandbox.vocabulary import ETATS_FLUX_TERMINAUX, EtatFlux, MailState

MAX_SAMPLES = 4 * 3600  # four hours at one per second; later samples are dropped (and said)
# Rows of the Locust report that are no HTTP request (mail delivery, flux, checks).
NOT_HTTP = ("EMAIL", "FLUX", "CHECK")
FLUX_WAITING = tuple(sorted(set(EtatFlux) - ETATS_FLUX_TERMINAUX))


def machine_busy_seconds() -> float:
    """CPU seconds all cores of the machine spent on anything but idle and I/O wait."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


@dataclass
class Sampler:
    """Samples CPU and queue depths every ``interval`` seconds in a thread of its own."""

    database_url: str
    # "server", "mailpit", "locust" (added when Locust starts): the current pid of each, asked
    # at every sample (the chaos run restarts Mailpit: a new pid, a gap in its CPU line); a
    # list of pids is several trees summed (a Locust master and its worker processes).
    pids: dict[str, Callable[[], int | list[int] | None]]
    interval: float = 1.0
    limit: int = MAX_SAMPLES
    samples: list[dict] = field(default_factory=list)
    dropped: int = 0
    own_cpu_s: float = 0.0
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _started: float = 0.0

    def start(self) -> Sampler:
        self._started = time.time()
        self._thread = threading.Thread(target=self._run, name="load-sampler", daemon=True)
        self._thread.start()
        return self

    def watch(self, name: str, pid: int | list[int] | None) -> None:
        """Sample one more process tree (or several, summed) from now on (Locust, once it
        has started)."""
        self.pids = {**self.pids, name: lambda: pid}

    def stop(self, timeout: float = 10.0) -> dict:
        """Stop the thread; return the samples and the sampler's own cost."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        seconds = max(time.time() - self._started, 1e-9)
        return {"startedAt": self._started, "interval": self.interval, "samples": self.samples,
                "dropped": self.dropped, "errors": self.errors[:5],
                "ownCpuMsPerS": round(1000.0 * self.own_cpu_s / seconds, 2)}

    def _run(self) -> None:
        engine = build_engine(self.database_url)
        started_cpu = time.thread_time()
        try:
            # Event.wait is the sampling period, not a synchronisation.
            while True:
                self._sample(engine)
                self.own_cpu_s = time.thread_time() - started_cpu
                if self._stop.wait(self.interval):
                    break
            self._sample(engine)  # the last point, at the end of the run
        finally:
            engine.dispose()
            self.own_cpu_s = time.thread_time() - started_cpu

    def _sample(self, engine) -> None:
        if len(self.samples) >= self.limit:
            self.dropped += 1
            return
        sample: dict = {"t": round(time.time() - self._started, 3),
                        "machine": round(machine_busy_seconds(), 3)}
        children = children_map()  # one scan of /proc for the three trees
        sample["pids"] = {}
        for name, current in self.pids.items():
            pid = sample["pids"][name] = current()
            trees = pid if isinstance(pid, list) else [pid] if pid else []
            sample[name] = round(sum(tree_cpu_seconds(item, children) for item in trees), 3) \
                if trees else None
        sample.update(self._queues(engine))
        self.samples.append(sample)

    def _queues(self, engine) -> dict:
        try:
            with engine.connect() as conn:
                states = dict(conn.execute(
                    select(OutboxMail.state, func.count())
                    .where(OutboxMail.state.in_((MailState.QUEUED, MailState.RETRYING)))
                    .group_by(OutboxMail.state)).all())
                flux = conn.execute(select(func.count()).select_from(Flux)
                                    .where(Flux.etat.in_(FLUX_WAITING))).scalar_one()
        except Exception as error:  # a locked or missing table: a gap, not a failed run
            if len(self.errors) < 20:
                self.errors.append(str(error).splitlines()[0][:200])
            return {"queued": None, "retrying": None, "flux": None}
        return {"queued": states.get(MailState.QUEUED, 0),
                "retrying": states.get(MailState.RETRYING, 0), "flux": flux}


def read_timeline(folder: Path) -> dict[tuple[str, str], dict[int, tuple[list[float], int]]]:
    """{(type, name): {second: (response times in ms, failures)}} from timeline-*.jsonl."""
    found: dict[tuple[str, str], dict[int, tuple[list[float], int]]] = defaultdict(dict)
    for path in sorted(Path(folder).glob("timeline-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:  # a process killed mid-line
                continue
            times, failures = found[(row["type"], row["name"])].setdefault(row["t"], ([], 0))
            times.extend(row["ms"])
            found[(row["type"], row["name"])][row["t"]] = (times, failures + row["fail"])
    return dict(found)
