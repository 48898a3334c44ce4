"""A judged run to report on: a region outage with failover, failback and one lost write."""

from __future__ import annotations

import random

from chaoskit.checks import evaluate
from chaoskit.history import Event, History, Op, Outcome
from chaoskit.reports import RunOutcome, RunReport

EXPECTATIONS = {
    "rto": "10s",
    "error_rate": "5%",
    "lost_writes": 0,
    "p99_latency": "500ms",
    "stale_reads": 0,
    "rpo": "0s",
}


def outage_history(seed: int = 7) -> History:
    """60 s of orders traffic; region a is cut off from 15 s to 40 s."""
    rng = random.Random(seed)
    h = History()
    h.event(Event(0.0, "step", "start workload"))
    h.event(Event(15.0, "fault-applied", "region.outage", "outage-a", {"region": "a"}))
    h.event(Event(40.0, "fault-reverted", "region.outage", "outage-a"))
    written: list[str] = []
    landed: list[str] = []
    t = 0.0
    index = 0
    while t < 60.0:
        failing = 15.0 <= t < 19.3 or 40.0 <= t < 40.6
        slow = 19.3 <= t < 25.0
        latency = rng.uniform(0.008, 0.03) + (rng.uniform(0.05, 0.2) if slow else 0.0)
        outcome: Outcome = "ok"
        if failing:
            outcome = "unknown" if rng.random() < 0.4 else "fail"
            latency = 2.0 if outcome == "unknown" else rng.uniform(0.001, 0.004)
        if index % 3 == 0:
            key = f"o{index}"
            h.record(
                Op(
                    index,
                    "w",
                    "write",
                    "orders",
                    t,
                    t + latency,
                    outcome,
                    key,
                    key,
                    "a" if t < 15 or t >= 40 else "b",
                )
            )
            written.append(key)
            # Two acknowledged writes just before the outage never reached region b.
            if outcome != "fail" and key not in ("o291", "o297"):
                landed.append(key)
        else:
            key = written[-1] if written else "o0"
            value = None if key not in landed else {"id": key}
            h.record(
                Op(
                    index,
                    "r",
                    "read",
                    "orders",
                    t,
                    t + latency,
                    outcome,
                    key,
                    value if outcome == "ok" else None,
                )
            )
        index += 1
        t = round(t + 0.05, 6)
    h.record(Op(index, "checker", "final-read", "orders", 61.0, 61.2, "ok", None, landed))
    return h


def outage_report(outcome: RunOutcome = "failed") -> RunReport:
    history = outage_history()
    verdicts = evaluate(history, EXPECTATIONS)
    journal = [
        {"time": 0.0, "kind": "step", "name": "start workload"},
        {
            "time": 15.0,
            "kind": "fault",
            "name": "region.outage",
            "id": "outage-a",
            "action": "apply",
        },
        {"time": 16.0, "kind": "probe", "name": "dns answer", "value": "10.0.1.5"},
        {
            "time": 40.0,
            "kind": "fault",
            "name": "region.outage",
            "id": "outage-a",
            "action": "revert",
        },
        *({"time": 61.5, "kind": "verdict", **v.to_dict()} for v in verdicts),
    ]
    return RunReport(
        playbook="region-outage",
        title="Region A goes dark",
        story="Region A loses its network for 25 seconds.\n\n"
        "Clients should fail over to region B within 10 s and lose no acknowledged order.",
        started_at="2024-05-01T12:00:00+02:00",
        duration=61.5,
        history=history,
        outcome=outcome,
        journal=journal,
        verdicts=verdicts,
        notes=[
            (16.2, "pager fired for region a"),
            (21.0, "<b>region b</b> took over"),
            (41.0, "failback"),
        ],
    )
