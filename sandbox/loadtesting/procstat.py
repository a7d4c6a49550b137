"""CPU and memory of process trees, read from ``/proc`` (Linux), for `make bench`.

The figure that stays stable on a shared, noisy box is not the request rate but
the CPU the server spends per unit of work: ``utime + stime`` of the gunicorn
master and its workers, read before and after a run and divided by the requests
(or flows) the run completed.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def children_map() -> dict[int, list[int]]:
    """{parent pid: [child pids]} of every process, read once from ``/proc``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields_ = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields_[1]), []).append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return children


def process_tree(pid: int | None, children: dict[int, list[int]] | None = None) -> set[int]:
    """``pid`` and every live descendant (gunicorn master and workers, say).

    ``children`` (from ``children_map()``) saves a scan of ``/proc`` per tree when
    several trees are read at once."""
    if pid is None:
        return set()
    pids, frontier = {pid}, [pid]
    children = children if children is not None else children_map()
    while frontier:
        for child in children.get(frontier.pop(), []):
            if child not in pids:
                pids.add(child)
                frontier.append(child)
    return pids


def server_rss_mib(pid: int | None) -> float:
    """Resident memory of the gunicorn master and its workers (MiB)."""
    total_kib = 0
    for item in process_tree(pid):
        try:
            for line in Path(f"/proc/{item}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
        except OSError:
            continue
    return total_kib / 1024


def tree_cpu_seconds(pid: int | None, children: dict[int, list[int]] | None = None) -> float:
    """CPU seconds (user + system) spent by ``pid`` and its descendants so far.

    Live processes' ``utime + stime`` from ``/proc/<pid>/stat``, plus the root's
    ``cutime + cstime`` (descendants already reaped, e.g. a restarted worker).
    """
    total = 0
    for item in process_tree(pid, children):
        try:
            fields_ = Path(f"/proc/{item}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields_[11]) + int(fields_[12])  # utime, stime (fields 14, 15)
        if item == pid:
            total += int(fields_[13]) + int(fields_[14])  # cutime, cstime (16, 17)
    return total / _TICK


def children_cpu_seconds() -> float:
    """CPU seconds of this process's reaped children (Locust, once it has exited)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class CpuMeter:
    """CPU spent by the server, Mailpit and Locust between ``start()`` and ``stop()``."""

    server_pid: int | None
    mailpit_pid: int | None
    _start: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def _now(self) -> tuple[float, float, float]:
        return (tree_cpu_seconds(self.server_pid), tree_cpu_seconds(self.mailpit_pid),
                children_cpu_seconds())

    def start(self) -> CpuMeter:
        self._start = self._now()
        return self

    def idle_ms_per_s(self, seconds: float = 2.0) -> float:
        """The server's CPU-ms per second with no load (dispatcher polls, heartbeats): at
        a few flows per second it is a visible part of the CPU per flow."""
        before = tree_cpu_seconds(self.server_pid)
        time.sleep(seconds)  # a measuring window, not a synchronisation
        return 1000.0 * (tree_cpu_seconds(self.server_pid) - before) / seconds

    def stop(self) -> dict:
        end = self._now()
        server, mailpit, locust = (b - a for a, b in zip(self._start, end, strict=True))
        return {"server_s": server, "mailpit_s": mailpit, "locust_s": locust}


def per_unit_ms(cpu: dict, units: int | float, who: str = "server") -> float | None:
    """CPU-ms of ``who`` (server, mailpit, locust) per unit of work; None without any."""
    return 1000.0 * cpu[f"{who}_s"] / units if units else None
