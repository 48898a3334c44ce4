"""The run's headline figures as text, the same in summary.md and report.html."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from chaoskit.checks import DnsWindow, format_measure

Tone = Literal["good", "bad", "neutral"]


@dataclass(frozen=True)
class Figure:
    """One headline: a label, its value as text, an optional line under it, and a tone."""

    label: str
    value: str
    sub: str = ""
    tone: Tone = "neutral"


def seconds(value: float | None, missing: str = "—") -> str:
    return missing if value is None else format_measure(value, "s")


def percent(fraction: float | None) -> str:
    return "—" if fraction is None else format_measure(round(100 * fraction, 2), "%")


def headline_figures(summary: dict[str, Any]) -> list[Figure]:
    """Figures from `chaoskit.checks.summary` output, in reading order."""
    ops = summary["ops"]
    latency = summary["latency"]
    return [
        Figure(
            "Operations",
            f"{ops['total']:,}",
            f"ok {ops['ok']:,} · fail {ops['fail']:,} · unknown {ops['unknown']:,}",
        ),
        Figure("Success rate", percent(summary["success_rate"]), "of all operations"),
        _worst_rto(summary["faults"]),
        Figure(
            "Latency p99",
            seconds(latency["p99"]),
            f"p50 {seconds(latency['p50'])} · p95 {seconds(latency['p95'])} (ok ops)",
        ),
        _lost_writes(summary),
        Figure(
            "RPO",
            seconds(summary["rpo"], "cannot judge"),
            "span of lost acknowledged writes",
            "neutral" if summary["rpo"] is None else ("good" if summary["rpo"] == 0 else "bad"),
        ),
        Figure(
            "Stale reads",
            f"{summary['stale_reads']:,}",
            f"of {summary['reads']:,} successful reads",
            "good" if summary["stale_reads"] == 0 else "bad",
        ),
    ]


def _worst_rto(faults: list[dict[str, Any]]) -> Figure:
    if not faults:
        return Figure("RTO", "—", "no fault injected")
    if any(not f["ops"] for f in faults):
        # RTO 0 s over 0 operations would read as a perfect failover.
        return Figure("RTO", "cannot judge", "no operations in a fault window", "bad")
    rtos = [f["rto"] for f in faults]
    if any(r is None for r in rtos):
        return Figure("RTO", "never recovered", "before the end of the run", "bad")
    worst = max(rtos)
    sub = (
        "worst of " + str(len(faults)) + " faults" if len(faults) > 1 else f"fault {faults[0]['fault']['id']}"
    )
    return Figure("RTO", seconds(worst), sub, "good" if worst == 0 else "neutral")


def _lost_writes(summary: dict[str, Any]) -> Figure:
    lost = summary["lost_writes"]
    if lost is None:
        reasons = [s["reason"] for s in summary["sets"] if s["reason"]]
        return Figure("Lost writes", "cannot judge", reasons[0] if reasons else "no writes")
    return Figure(
        "Lost writes",
        f"{lost:,}",
        f"of {summary['acknowledged_writes']:,} acknowledged",
        "good" if lost == 0 else "bad",
    )


def fault_rows(summary: dict[str, Any]) -> list[dict[str, str]]:
    """One row of text per fault window, for the fault tables."""
    rows = []
    for f in summary["faults"]:
        fault = f["fault"]
        rows.append(
            {
                "id": fault["id"],
                "name": fault["name"] or "—",
                "applied": f"{fault['start']:.2f} s",
                "reverted": "not reverted" if fault["end"] is None else f"{fault['end']:.2f} s",
                "detect": seconds(f["time_to_detect"], "no errors"),
                "rto": seconds(f["rto"], "never recovered") if f["ops"] else "cannot judge: no operations",
                "recover": "—" if fault["end"] is None else seconds(f["time_to_recover"], "never recovered"),
                "ops": f"{f['ops']:,}",
                "error_rate": percent(f["error_rate"]),
                "p99": seconds(f["latency"]["p99"]),
            }
        )
    return rows


def recovery_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Each reverted fault's recovery curve as text rows: one per bucket after the revert."""
    out = []
    for curve in summary.get("recovery_curves", []):
        rows = []
        for w in curve["windows"]:
            total = w["ok"] + w["fail"] + w["unknown"]
            rate = w["success_rate"]
            rows.append({
                "after": f"+{w['after_revert']:g}–{w['after_revert'] + curve['bucket']:g} s",
                "success": percent(rate),
                "share": 0 if rate is None else round(100 * rate),
                "ops": f"{w['ok']:,} / {total:,}",
                "p50": seconds(w["p50"]),
                "p99": seconds(w["p99"]),
            })
        ttr = curve["time_to_recover"]
        out.append({
            "fault": curve["fault"],
            "since": f"{curve['since']:.2f} s",
            "bucket": seconds(curve["bucket"]),
            "recovered": ("never recovered" if ttr is None else
                          "never degraded" if not curve["degraded"] else f"after {seconds(ttr)}"),
            "rows": rows,
        })
    return out


def run_time(seconds_since_start: Any) -> str:
    """A journal or note time as text, whatever the caller put there."""
    if isinstance(seconds_since_start, (int, float)) and not isinstance(seconds_since_start, bool):
        return f"{seconds_since_start:.2f} s"
    return str(seconds_since_start)


def dns_rows(windows: list[DnsWindow]) -> list[dict[str, Any]]:
    """One row per DNS fault window and client: did the fault reach it (did it ask again)?"""
    rows: list[dict[str, Any]] = []
    for w in windows:
        base = {"id": w.fault, "name": w.kind or "—",
                "names": ", ".join(w.names or w.targets)}
        if w.reason:
            rows.append({**base, "client": "—", "before": "—", "during": "—", "first": "—",
                         "rcodes": "—", "flag": f"cannot judge: {w.reason}", "bad": True})
            continue
        for c in w.clients:
            rows.append({
                **base, "client": c.label, "before": f"{c.before:,}", "during": f"{c.during:,}",
                "first": seconds(c.first, "never"),
                "rcodes": ", ".join(f"{k} {v}" for k, v in c.rcodes.items()) or "—",
                "flag": ("asked again" if c.asked_again else
                         "never asked again: it answers from its own DNS cache, the fault never "
                         "reached it"),
                "bad": not c.asked_again})
    return rows


def byte_count(value: float | None) -> str:
    return "—" if value is None else format_measure(value, "bytes")


def replication_rows(summary: dict[str, Any]) -> list[dict[str, str]]:
    """One row of text per replica whose lag was sampled."""
    rows = []
    for r in summary.get("replication", {}).get("replicas", []):
        rows.append(
            {
                "region": r["region"],
                "samples": f"{r['measured']:,} measured · {r['unmeasured']:,} not",
                "p99": seconds(r["p99_seconds"]),
                "max": seconds(r["max_seconds"]),
                "p99_bytes": byte_count(r["p99_bytes"]),
                "max_bytes": byte_count(r["max_bytes"]),
                "why": "; ".join(r["reasons"][:2]),
            }
        )
    return rows


def promotion_rows(summary: dict[str, Any]) -> list[dict[str, str]]:
    """One row of text per promotion: the lag its new primary carried, and what was lost."""
    rows = []
    for p in summary.get("replication", {}).get("promotions", []):
        if p["measured_at"] is None:
            lag = "not measured"
        else:
            before = p["time"] - p["measured_at"]
            lag = (
                f"{seconds(p['seconds'])} · {byte_count(p['bytes'])} "
                f"(measured {before:.2f} s before)"
            )
        lost = "cannot judge" if p["lost_writes"] is None else f"{p['lost_writes']:,}"
        rows.append(
            {
                "id": p["fault_id"] or "—",
                "promoted": p["promoted"] or "—",
                "at": f"{p['time']:.2f} s",
                "lag": lag,
                "lost": lost,
                "rpo": seconds(p["rpo"], "cannot judge"),
                "why": p["reason"],
            }
        )
    return rows
