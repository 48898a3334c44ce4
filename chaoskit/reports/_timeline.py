"""The timeline chart's data, and the script that draws it, shared by reports and live pages.

A report embeds `chart_data` as JSON next to `timeline_script`; a live
game-day page can serve the same script and hand it fresh data as the run goes
on, so both draw the same chart.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from importlib import resources
from typing import Any

from chaoskit.checks import fault_windows, recovery_curve, replication_lag, series
from chaoskit.history import History

# Windows a chart may be cut into, smallest first: round numbers people read at a glance.
_NICE_WINDOWS = (0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600)
# About as many bars as fit a page's width and still show a short outage.
_TARGET_WINDOWS = 120


def window_for(span: float) -> float:
    """A round window size that cuts `span` seconds into at most about 120 windows."""
    for size in _NICE_WINDOWS:
        if span / size <= _TARGET_WINDOWS:
            return float(size)
    return float(_NICE_WINDOWS[-1])


def chart_data(
    history: History,
    *,
    notes: Iterable[tuple[float, str]] | None = None,
    window: float | None = None,
    end: float | None = None,
    recoveries: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The timeline of `history` as JSON-ready data.

    ``series`` holds one entry per window (start ``t``, counts by outcome,
    success rate, latency percentiles of ok ops in seconds), ``faults`` the
    fault windows (``end`` null while a fault is in force), ``notes`` the
    markers, ``recoveries`` where each reverted fault's recovery curve says the
    service was back (`recoveries`: the summary's ``recovery_curves``, computed
    with the default sustain when not given), ``replication`` each replica's lag
    (``points``: ``t``, ``region``, ``seconds``, ``bytes``) and the lag each
    promotion inherited (``promotions``), drawn as a fourth panel when there are
    points. `notes` defaults to the history's ``note`` events. `end` stretches the
    time axis, e.g. to the run's full duration.

    >>> data = chart_data(history, notes=[(12.5, "region b took over")])
    >>> sorted(data)
    ['end', 'faults', 'notes', 'recoveries', 'replication', 'series', 'start', 'version', 'window']
    """
    lag = replication_lag(history)
    instants = [o.end for o in history.ops] + [e.time for e in history.events]
    instants += [p["t"] for p in lag.points]
    if notes is None:
        notes = [
            (e.time, e.name or str(e.detail.get("text", ""))) for e in history.events if e.kind == "note"
        ]
    marks = sorted(notes, key=lambda n: n[0])
    instants += [t for t, _ in marks]
    span_end = max([*instants, end or 0.0, 0.0])
    size = window if window is not None else window_for(span_end)
    windows = series(history, size, end=span_end)
    if recoveries is None:
        curves = (recovery_curve(history, w, bucket=size) for w in fault_windows(history))
        recoveries = [c.to_dict() for c in curves if c is not None]
    return {
        "version": 1,
        "start": 0.0,
        "end": span_end,
        "window": size,
        "series": [
            {
                "t": _finite(w.start),
                "ok": w.ok,
                "fail": w.fail,
                "unknown": w.unknown,
                "success_rate": _finite(w.success_rate),
                "p50": _finite(w.p50),
                "p95": _finite(w.p95),
                "p99": _finite(w.p99),
            }
            for w in windows
        ],
        "faults": [f.to_dict() for f in fault_windows(history)],
        "notes": [{"time": t, "text": text} for t, text in marks],
        "replication": {
            "points": [
                {"t": _finite(p["t"]), "region": p["region"], "seconds": _finite(p["seconds"]),
                 "bytes": _finite(p["bytes"])}
                for p in lag.points
            ],
            "promotions": [
                {"time": _finite(p.time), "promoted": p.promoted, "seconds": _finite(p.seconds),
                 "bytes": _finite(p.bytes), "measured_at": _finite(p.measured_at),
                 "lost_writes": p.lost_writes, "rpo": _finite(p.rpo)}
                for p in lag.promotions
            ],
        },
        "recoveries": [{"fault": c["fault"], "since": c["since"], "recovered_at": c["recovered_at"]}
                       for c in recoveries],
    }


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, 6)


def chart_json(data: dict[str, Any]) -> str:
    """`data` as JSON safe to put inside a ``<script>`` element (no ``</script>`` can close it)."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def timeline_script() -> str:
    """The JavaScript that draws the chart from `chart_data`.

    ``ChaoskitTimeline.mount(element, data)`` draws once and redraws on resize;
    ``ChaoskitTimeline.render(element, data)`` redraws with fresh data.

    It has no dependencies and fetches nothing, so it can be inlined in a
    page that must open offline.
    """
    return resources.files("chaoskit.reports").joinpath("templates/timeline.js").read_text("utf-8")
