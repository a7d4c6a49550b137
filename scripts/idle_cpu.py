"""Idle CPU of a server: what its background work costs when nobody calls it.

Starts the stack of the load profile (granian or gunicorn, 2 workers × 4 threads, a real
Mailpit, a fresh database; ``--processes`` and ``--database-url`` to change it), makes a
few requests so that every worker has started its background loops, then reads the CPU
time of the server's whole process tree from ``/proc`` over ``--seconds`` of no traffic:
the CPU-ms per second of the tree and of each process (the main process, each worker),
and with ``--profile FILE`` a py-spy ``--gil`` profile of the window (collapsed stacks:
which loop spends it). ``/proc`` counts 10 ms ticks: take windows of 20 s or more.

Usage: ``python scripts/idle_cpu.py [--seconds 30] [--server granian|gunicorn]``. It
stops its server and Mailpit. Compare two checkouts by running it from each, alternately
(the server imports ``sandbox`` from its working directory).
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from sandbox.loadtesting.procstat import process_tree, tree_cpu_seconds
from sandbox.loadtesting.runner import LoadOptions, start_load_stack


def cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--server", choices=("granian", "gunicorn"), default="")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--profile", default="", help="py-spy --gil collapsed stacks file")
    args = parser.parse_args()
    settings = {"server": args.server} if args.server else {}
    if args.database_url:
        settings["database_url"] = args.database_url
    stack = start_load_stack(Path(tempfile.mkdtemp(prefix="idle-cpu-")),
                             LoadOptions(settings=settings, server_workers=args.processes))
    try:
        assert stack.server.process is not None
        root = stack.server.process.pid
        for _ in range(20):  # every worker up, its loops started
            requests.get(f"{stack.url}/connexion", timeout=10)
        time.sleep(3.0)  # let the start-up work settle: a window, not a synchronisation
        pids = sorted(process_tree(root))
        spy = None
        if args.profile:
            spy = subprocess.Popen(
                [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(root),
                 "--subprocesses", "--gil", "--rate", "200", "--format", "raw",
                 "--output", args.profile, "--duration", "3600"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        each = {pid: cpu_of(pid) for pid in pids}
        before, started = tree_cpu_seconds(root), time.monotonic()
        time.sleep(args.seconds)  # the measuring window of the idle server
        wall = time.monotonic() - started
        total = tree_cpu_seconds(root) - before
        after = {pid: cpu_of(pid) for pid in pids}
        if spy is not None:
            spy.send_signal(signal.SIGINT)  # py-spy writes its samples and exits
            spy.wait(timeout=60)
        print(f"{sys.modules['sandbox'].__file__}: idle server tree "
              f"{1000 * total / wall:.1f} CPU-ms/s over {wall:.0f} s "
              f"({len(pids)} processes)")
        for pid in pids:
            print(f"  pid {pid}{' (main)' if pid == root else ''}: "
                  f"{1000 * (after[pid] - each[pid]) / wall:.1f} CPU-ms/s")
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
