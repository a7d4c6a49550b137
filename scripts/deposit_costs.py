"""What one hostile deposit costs, in CPU time and memory: the figures of
docs/reliability.md, "Bounded cost per deposit" (issue #23).

Each case runs in a child process of its own (``ru_maxrss`` of that child is the peak
memory of the case alone) and reads what the factures worker reads:
``read_flux`` for flux, ``read_pdf`` for ``deposer/pdf``. Run it on a quiet machine:

    .venv/bin/python scripts/deposit_costs.py            # a Markdown table on stdout

A measurement, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import gc
import multiprocessing
import re
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sandbox.factures.formats import read_flux  # noqa: E402
from sandbox.factures.rules import pdf_reading  # noqa: E402
from sandbox.testing.hostile import many_elements, tar_gz_with_ignored, zip_of  # noqa: E402

# The patterns of before the fix (issue #23 §1), for the comparison only.
OLD_NUMERO = re.compile(
    r"factur\w*\s*(?:n°|no|num[ée]ro|#)?\s*[:°]?\s*([A-Z0-9][A-Z0-9_/+\-]{1,19})", re.I)
OLD_EJ = re.compile(
    r"(?:engagement|bon de commande|EJ)\s*(?:n°|no)?\s*[:°]?\s*([A-Z0-9\-]{3,50})", re.I)


def _old_scan(text: str) -> None:
    OLD_NUMERO.search(text)
    OLD_EJ.search(text)


def _new_scan(text: str) -> None:
    scanned = pdf_reading.scan_text(text)
    for pattern in (pdf_reading._NUMERO, pdf_reading._EJ, *pdf_reading._AMOUNTS.values()):
        pattern.search(scanned)


def _case(name: str) -> tuple[str, Callable[[], object], int]:
    """(what, the work, input bytes) for ``name``; built in the child."""
    if name.startswith("scan-old-") or name.startswith("scan-new-"):
        n = int(name.rsplit("-", 1)[1])
        text = "facture" + " " * n + "! engagement" + " " * n + "."
        work = _old_scan if name.startswith("scan-old-") else _new_scan
        return f"PDF text scan, 2 runs of {n:,} spaces ({'before' if 'old' in name else 'now'})", \
            lambda: work(text), len(text)
    if name.startswith("elements-"):
        n = int(name.split("-")[1])
        content = zip_of("f.xml", many_elements(n))
        return f"zip of {n:,} elements ({n * 4 / 1e6:.1f} MB of XML)", \
            lambda: read_flux("IN_DP_E1_UBL_INVOICE", "f.zip", content), len(content)
    if name.startswith("ignored-"):
        size = int(name.split("-")[1])
        content = tar_gz_with_ignored(size, compresslevel=1)
        return f"tar.gz, an ignored member of {size / 1e9:.1f} GB of zeros", \
            lambda: read_flux("IN_DP_E1_UBL_INVOICE", "f.tar.gz", content), len(content)
    raise ValueError(name)


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _child(name: str, queue: multiprocessing.Queue) -> None:
    what, work, size = _case(name)
    gc.collect()
    try:  # Linux: reset the peak (VmHWM) so that it measures the work alone
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    before = _status_kb("VmRSS")
    started_cpu, started = time.process_time(), time.perf_counter()
    result = work()
    cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started
    peak = _status_kb("VmHWM")
    outcome = ""
    if result is not None and hasattr(result, "errors"):
        outcome = result.errors[0].libelle[:90] if result.errors else "read"
    queue.put((what, size, cpu, wall, (peak - before) / 1024, outcome))


def measure(name: str) -> tuple:
    queue: multiprocessing.Queue = multiprocessing.Queue()
    child = multiprocessing.get_context("fork").Process(target=_child, args=(name, queue))
    child.start()
    found = queue.get(timeout=600)
    child.join()
    return found


CASES = [
    "scan-old-200", "scan-old-400", "scan-old-800",
    "scan-new-800", "scan-new-100000", "scan-new-1000000",
    "elements-100000", "elements-250001", "elements-10000000",
    "ignored-150000000", "ignored-1000000000",
]


def main(names: list[str]) -> None:
    print("| Case | Input bytes | CPU s | Wall s | Peak RSS above the start (MB) | Outcome |")
    print("|---|---|---|---|---|---|")
    for name in names or CASES:
        what, size, cpu, wall, mb, outcome = measure(name)
        print(f"| {what} | {size:,} | {cpu:.3f} | {wall:.3f} | {mb:.0f} | {outcome} |",
              flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
