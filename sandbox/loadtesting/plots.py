"""``plots.html``: a load run over time, one self-contained page beside Locust's report.

Five plots, drawn by matplotlib as inline SVG (no script, no external URL; the page
opens from disk anywhere): throughput, HTTP latency percentiles per endpoint, the
end-to-end metrics (signup → activation mail readable, deposit → integrated), the CPU
of the server, Mailpit, Locust and the whole machine, and the outbox and flux queue
depths. The numbers behind them are embedded as JSON (``<script type="application/json"
id="series">``) for whoever wants to redraw or compare them.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
import re
from datetime import UTC, datetime
from pathlib import Path

from sandbox.loadtesting.timeseries import NOT_HTTP, read_timeline

TARGET_POINTS = 60  # about this many intervals per plot, whatever the run's length
MAX_ENDPOINTS = 14  # endpoint lines drawn (the slowest by p95); all are in the JSON
LABEL_CHARS = 54  # what the legend's column holds at its font size
PLOTS = ("throughput", "latency", "async", "cpu", "queues")


def nearest_rank(sorted_values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of an already sorted list."""
    index = max(0, math.ceil(fraction * len(sorted_values)) - 1)
    return sorted_values[min(index, len(sorted_values) - 1)]


def interval_seconds(run_seconds: float) -> int:
    """The width of one interval: 1 s for short runs, about TARGET_POINTS points for long ones."""
    return max(1, round(run_seconds / TARGET_POINTS))


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"p50": nearest_rank(ordered, 0.50), "p95": nearest_rank(ordered, 0.95),
            "p99": nearest_rank(ordered, 0.99), "max": ordered[-1]}


def _bucketed(per_second: dict[int, tuple[list[float], int]], start: float,
              width: int, into: dict[int, list] | None = None) -> dict[int, list]:
    """{interval index: [response times, failures]}, added to ``into`` when given."""
    buckets: dict[int, list] = into if into is not None else {}
    for second, (times, failures) in per_second.items():
        bucket = buckets.setdefault(max(0, int((second - start) // width)), [[], 0])
        bucket[0].extend(times)
        bucket[1] += failures
    return buckets


def _request_series(buckets: dict[int, list], width: int) -> dict:
    series: dict[str, list] = {"x": [], "count": [], "failures": [], "p50": [], "p95": [],
                               "p99": [], "max": []}
    for index in sorted(buckets):
        times, failures = buckets[index]
        if not times:
            continue
        series["x"].append((index + 0.5) * width)
        series["count"].append(len(times))
        series["failures"].append(failures)
        for key, value in _percentiles(times).items():
            series[key].append(round(value, 1))
    return series


def _sampled_series(sampled: dict) -> tuple[dict, dict]:
    """CPU as % of one core per sampling interval; queue depths as sampled."""
    samples = sampled.get("samples") or []
    cpu: dict[str, list] = {"x": [], "server": [], "mailpit": [], "locust": [], "machine": []}
    for before, after in zip(samples, samples[1:], strict=False):
        elapsed = after["t"] - before["t"]
        if elapsed <= 0:
            continue
        cpu["x"].append(round((before["t"] + after["t"]) / 2, 2))
        for key in ("server", "mailpit", "locust", "machine"):
            a, b = before.get(key), after.get(key)
            # A process that appeared, went or was replaced (Locust starts after the sampler,
            # the chaos run restarts Mailpit) is a gap.
            same = (before.get("pids") or {}).get(key) == (after.get("pids") or {}).get(key)
            usable = same and a is not None and b is not None and a > 0 and b >= a
            cpu[key].append(round(100.0 * (b - a) / elapsed, 1) if usable else None)
    queues = {"x": [s["t"] for s in samples], "queued": [s.get("queued") for s in samples],
              "retrying": [s.get("retrying") for s in samples],
              "flux": [s.get("flux") for s in samples]}
    return cpu, queues


def user_counts(history: Path | None, start: float) -> dict:
    """Locust's running users per second, from its ``locust_stats_history.csv``."""
    users: dict[str, list] = {"x": [], "count": []}
    if history is None or not history.exists():
        return users
    with history.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row.get("Name") == "Aggregated" and row.get("User Count", "").isdigit():
                users["x"].append(round(int(row["Timestamp"]) - start, 1))
                users["count"].append(int(row["User Count"]))
    return users


def build_series(timeline_dir: Path, sampled: dict, meta: dict,
                 history: Path | None = None) -> dict:
    """Every series of the page, from the Locust timeline, Locust's stats history (user
    counts) and the sampler's samples."""
    timeline = read_timeline(timeline_dir)
    start = float(sampled.get("startedAt") or min(
        (second for rows in timeline.values() for second in rows), default=0))
    last_sample = (sampled.get("samples") or [{"t": 0.0}])[-1]["t"]
    last_request = max((second + 1 - start for rows in timeline.values() for second in rows),
                       default=0.0)
    run_seconds = max(last_sample, last_request, 1.0)
    width = interval_seconds(run_seconds)
    http: dict[int, list] = {}
    endpoints, other = {}, {}
    for (kind, name), per_second in sorted(timeline.items()):
        series = _request_series(_bucketed(per_second, start, width), width)
        if kind in NOT_HTTP:
            other[name] = series
            continue
        endpoints[f"{kind} {name}"] = series
        _bucketed(per_second, start, width, into=http)
    overall = _request_series(http, width)
    overall["rps"] = [round(count / width, 2) for count in overall["count"]]
    overall["failPerS"] = [round(failures / width, 2) for failures in overall["failures"]]
    cpu, queues = _sampled_series(sampled)
    marks = [{"x": round(mark["at"] - start, 2), "label": mark["label"],
              "seconds": mark.get("seconds") or 0.0} for mark in meta.get("marks") or []]
    return {"meta": meta, "interval": width, "runSeconds": round(run_seconds, 1),
            "marks": marks,
            "startedAt": datetime.fromtimestamp(start, UTC).isoformat(timespec="seconds"),
            "sampler": {k: sampled.get(k) for k in ("interval", "dropped", "errors",
                                                     "ownCpuMsPerS")},
            "http": overall, "users": user_counts(history, start), "endpoints": endpoints,
            "async": other, "cpu": cpu, "queues": queues}


# --------------------------------------------------------------------------- drawing


WIDTH_IN = 11.5
LEGEND_FROM = 0.70  # the plots end here and their legends begin: every x-axis lines up


def _figure(height: float = 3.4):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_IN, height))
    figure.subplots_adjust(left=0.07, right=LEGEND_FROM, bottom=0.55 / height,
                           top=1 - 0.12 / height)
    axes = figure.add_subplot()
    axes.grid(True, color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return figure, axes


def _finish(figure, axes, series: dict, ylabel: str, empty: str = "",
            from_zero: bool = True, legend_at: float = 1.01) -> str:
    """Axes, labels and legend (``legend_at`` past a right axis); ``empty`` is written
    across a plot with no data."""
    if empty:
        axes.text(0.5, 0.5, empty, transform=axes.transAxes, ha="center", va="center",
                  color="#777777")
    if from_zero:
        axes.set_ylim(bottom=0)
    for mark in series.get("marks") or []:  # the chaos run's faults, on every plot
        axes.axvline(mark["x"], color="#555555", linewidth=0.8, linestyle=":")
        if mark.get("seconds"):  # how long Mailpit was down or paused
            axes.axvspan(mark["x"], mark["x"] + mark["seconds"], color="#000000", alpha=0.06,
                         linewidth=0)
    axes.set_xlim(0, max(series["runSeconds"], 1.0))
    axes.set_xlabel("seconds since the start of the run")
    axes.set_ylabel(ylabel)
    if axes.get_legend_handles_labels()[0]:
        axes.legend(loc="upper left", bbox_to_anchor=(legend_at, 1.0), fontsize=7.5, frameon=False,
                    borderaxespad=0)
    return _svg(figure)


def _svg(figure) -> str:
    from matplotlib import rc_context

    buffer = io.StringIO()
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "plots"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None,
                                                        "Format": None, "Type": None})
    text = buffer.getvalue()
    # Inline in HTML: no XML prologue, no DOCTYPE, no namespace URLs (the HTML parser
    # puts <svg> and xlink:href in their namespaces by itself).
    text = text[text.index("<svg"):]
    text = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", text)
    return re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.DOTALL)


def plot_throughput(series: dict) -> str:
    figure, axes = _figure(2.8)
    http = series["http"]
    axes.plot(http["x"], http["rps"], color="#1f77b4", label="HTTP requests/s")
    axes.plot(http["x"], http["failPerS"], color="#d62728", label="failures/s")
    users = series.get("users") or {}
    if users.get("x"):
        right = axes.twinx()
        right.step(users["x"], users["count"], where="post", color="#9467bd", linewidth=1.2,
                   linestyle="--")
        right.set_ylabel("users", color="#9467bd")
        right.set_ylim(bottom=0)
        right.spines["top"].set_visible(False)
        axes.plot([], [], color="#9467bd", linestyle="--", label="Locust users (right axis)")
    for mark in series.get("marks") or []:
        axes.text(mark["x"], 1.0, f" {mark['label']}", transform=axes.get_xaxis_transform(),
                  rotation=90, va="top", ha="right", fontsize=7, color="#555555")
    return _finish(figure, axes, series, "per second", legend_at=1.09 if users.get("x") else 1.01,
                   empty="" if http["x"] else "no HTTP request in this run")


def _positive(values: list[float]) -> list[float]:
    """A log scale has no 0: a response under 0.1 ms is drawn at 0.1 ms."""
    return [max(value, 0.1) for value in values]


def plot_latency(series: dict) -> str:
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    figure, axes = _figure(4.6)
    slowest = sorted(series["endpoints"].items(),
                     key=lambda item: -max(item[1]["p95"], default=0))[:MAX_ENDPOINTS]
    colours = _colours(len(slowest))
    for (name, points), colour in zip(slowest, colours, strict=True):
        label = name if len(name) <= LABEL_CHARS else name[:LABEL_CHARS - 1] + "…"
        axes.plot(points["x"], _positive(points["p95"]), color=colour, linewidth=1.0, marker=".",
                  markersize=3, label=f"p95 {label}")
    http = series["http"]
    axes.plot(http["x"], _positive(http["p95"]), color="black", linewidth=2.2,
              label="p95 all HTTP")
    axes.plot(http["x"], _positive(http["p50"]), color="black", linewidth=1.6, linestyle="--",
              label="p50 all HTTP")
    if http["x"]:
        axes.set_yscale("log")
        axes.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}"))
        axes.yaxis.set_minor_formatter(NullFormatter())
    return _finish(figure, axes, series, "response time (ms, log scale)", from_zero=False,
                   empty="" if http["x"] else "no HTTP request in this run")


def plot_async(series: dict) -> str:
    figure, axes = _figure(3.4)
    palette = ["#2ca02c", "#9467bd", "#8c564b"]
    for (name, points), colour in zip(sorted(series["async"].items()), palette, strict=False):
        axes.plot(points["x"], points["p95"], color=colour, linewidth=2.0, label=f"p95 {name}")
        axes.plot(points["x"], points["p50"], color=colour, linewidth=1.2, linestyle="--",
                  label=f"p50 {name}")
        axes.plot(points["x"], points["max"], color=colour, linestyle="none", marker="^",
                  markersize=3.5, label=f"max {name}")
    return _finish(figure, axes, series, "ms", empty="" if series["async"] else
                   "no signup, deposit or other end-to-end metric in this mix")


def plot_cpu(series: dict) -> str:
    figure, axes = _figure(3.2)
    cpu = series["cpu"]
    for key, colour, label, width in (
        ("server", "#1f77b4", "server (gunicorn master + workers)", 2.0),
        ("mailpit", "#ff7f0e", "Mailpit", 1.2),
        ("locust", "#7f7f7f", "Locust", 1.2),
        ("machine", "#bbbbbb", "whole machine (every process)", 1.0),
    ):
        if any(value is not None for value in cpu[key]):
            values = [math.nan if value is None else value for value in cpu[key]]
            axes.plot(cpu["x"], values, color=colour, linewidth=width, label=label)
    cores = series["meta"].get("cores")
    if cores:
        axes.axhline(100 * cores, color="#d62728", linewidth=0.8, linestyle=":",
                     label=f"all {cores} cores")
    return _finish(figure, axes, series, "% of one core",
                   empty="" if cpu["x"] else "no CPU sample")


def plot_queues(series: dict) -> str:
    figure, axes = _figure(2.8)
    queues = series["queues"]
    for key, colour, label in (("queued", "#1f77b4", "outbox: queued mails"),
                               ("retrying", "#d62728", "outbox: mails waiting for a retry"),
                               ("flux", "#2ca02c", "flux waiting for integration")):
        values = [math.nan if value is None else value for value in queues[key]]
        axes.step(queues["x"], values, where="post", color=colour, linewidth=1.5, label=label)
    deepest = max((v for key in ("queued", "retrying", "flux") for v in queues[key]
                    if v is not None), default=0)
    axes.set_ylim(0, max(deepest, 1) * 1.15)  # whole items: at least 0..1 when all are 0
    axes.yaxis.get_major_locator().set_params(integer=True)
    return _finish(figure, axes, series, "items waiting",
                   empty="" if queues["x"] else "no sample")


def _colours(count: int) -> list:
    from matplotlib import colormaps

    palette = colormaps["tab20"]
    return [palette(i % 20) for i in range(count)]


# --------------------------------------------------------------------------- page

_HOW_TO_READ = {
    "throughput": ("Throughput",
                   "HTTP requests completed per second in each interval, and those that failed "
                   "(any failure Locust counted: status, content, connection); dashed, the "
                   "users Locust was running (the load shape). A dip with a "
                   "latency rise below is the server saturating; a dip alone is fewer users "
                   "(a load shape) or Locust short of CPU (see the CPU plot)."),
    "latency": ("HTTP latency per endpoint",
                "The p95 of each endpoint's response times in each interval (log scale; the "
                "slowest endpoints by p95 are drawn, every one is in the embedded data), and "
                "the p50 and p95 of all HTTP requests together in black. A line that climbs "
                "while the throughput is flat is that endpoint queueing; all lines climbing "
                "together is the whole server out of CPU or threads."),
    "async": ("Signup → activation mail readable (end-to-end metrics)",
              "Time from the signup form's acknowledgement to the activation mail being "
              "readable in Mailpit (and, with invoice users, from deposit to IN_INTEGRE), "
              "plotted at the interval the mail was seen: p95 (solid), p50 (dashed), max "
              "(triangles). It grows when the outbox falls behind (see the queue plot) or "
              "when Mailpit is slow."),
    "cpu": ("CPU",
            "CPU used in each sampling interval, in % of one core (100 % = one core busy): "
            "the server's process tree, Mailpit's, Locust's, and the whole machine "
            "(everything on the box, other work included). Server near the red line: "
            "the run measured the machine, not the sandbox."),
    "queues": ("Outbox and flux queue depth",
               "Mails waiting in the sandbox's outbox (queued, or waiting for a retry after an "
               "SMTP failure) and deposited flux not integrated yet, sampled every second "
               "from the database. A depth that keeps growing means delivery or integration "
               "is slower than the arrivals; it must return to 0 after the run."),
}


def render_page(series: dict) -> str:
    """The whole page: a header, then each plot with how to read it, then the data."""
    drawings = {"throughput": plot_throughput(series), "latency": plot_latency(series),
                "async": plot_async(series), "cpu": plot_cpu(series),
                "queues": plot_queues(series)}
    meta, sampler = series["meta"], series["sampler"]
    facts = [
        ("Run", meta.get("label", "")),
        ("Started", series["startedAt"].replace("+00:00", " UTC")),
        ("Length", f"{series['runSeconds']:.0f} s; one point per {series['interval']} s"),
        ("Load", meta.get("load", "")),
        ("Server", meta.get("server", "")),
        ("Machine", meta.get("machine", "")),
        ("Sampler", f"every {sampler.get('interval') or 1:g} s from the runner, "
                    f"{sampler.get('ownCpuMsPerS') or 0:.1f} CPU-ms/s of its own, outside "
                    "the server's CPU (it reads the database and /proc, it sends the server "
                    "no request)"
                    + (f"; {sampler['dropped']} samples dropped past the limit"
                       if sampler.get("dropped") else "")
                    + (f"; queue reads failed: {'; '.join(sampler['errors'])}"
                       if sampler.get("errors") else "")),
    ]
    rows = "\n".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
                     for k, v in facts if v)
    sections = "\n".join(
        f'<section id="{key}"><h2>{html.escape(_HOW_TO_READ[key][0])}</h2>'
        f'<p class="how">{html.escape(_HOW_TO_READ[key][1])}</p>'
        f'<div class="plot">{drawings[key]}</div></section>'
        for key in PLOTS)
    data = json.dumps(series, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Load run {html.escape(meta.get("label", ""))} over time</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5rem auto; max-width: 1180px;
       color: #222; padding: 0 1rem; }}
h1 {{ font-size: 1.4rem; margin-bottom: .4rem; }}
h2 {{ font-size: 1.1rem; margin: 1.6rem 0 .2rem; border-bottom: 1px solid #ddd; }}
table {{ border-collapse: collapse; font-size: .85rem; }}
th {{ text-align: left; padding: .1rem 1rem .1rem 0; color: #555; font-weight: 600;
      vertical-align: top; }}
td {{ padding: .1rem 0; }}
p.how {{ font-size: .85rem; color: #444; margin: .2rem 0 .4rem; max-width: 75em; }}
.plot svg {{ width: 100%; height: auto; }}
</style></head>
<body>
<h1>Load run over time</h1>
<table>{rows}</table>
<p class="how">Locust's own report (totals, per-endpoint table, failures):
<a href="report.html">report.html</a>; the figures and checks: summary.json.</p>
{sections}
<script type="application/json" id="series">{data}</script>
</body></html>
"""


def write_plots(out: Path, timeline_dir: Path, sampled: dict, meta: dict) -> Path:
    """Write ``out/plots.html`` and return its path."""
    page = render_page(build_series(timeline_dir, sampled, meta,
                                    history=out / "locust_stats_history.csv"))
    target = out / "plots.html"
    target.write_text(page, encoding="utf-8")
    return target
