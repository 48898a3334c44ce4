"""The release gate's own verdicts: a run never passes on no evidence.

Besides the playbook's expectations (judged by `chaoskit.checks`), a run is
judged on what it saw itself: every method and rollback probe step must end
as its `expect` says, a declared workload must have recorded operations, and
a run must have something to judge by at all. Pure functions of what the run
recorded, so they are tested without a world.
"""

from __future__ import annotations

from dataclasses import dataclass

from chaoskit.checks import Verdict, traffic
from chaoskit.history import History
from chaoskit.playbook import Playbook, ProbeStep

_EXPECTED = {"pass": "passes", "fail": "fails", "any": "passes or fails (tolerated)"}


@dataclass(frozen=True)
class ProbeOutcome:
    """One probe step as it ran: where (method or rollback), which step, what it saw."""

    phase: str  # "method" or "rollback"
    index: int  # the step's index in its list
    label: str
    expect: str  # pass, fail, any
    ok: bool
    detail: str


def probe_outcome(phase: str, index: int, step: ProbeStep, label: str, ok: bool, detail: str) -> ProbeOutcome:
    return ProbeOutcome(phase, index, label, step.expect, ok, detail)


def probe_verdict(outcome: ProbeOutcome) -> Verdict:
    """A probe step judged: it held if it passed (or failed) as `expect` says."""
    held = outcome.expect == "any" or outcome.ok == (outcome.expect == "pass")
    seen = "passed" if outcome.ok else "failed"
    detail = f"{seen}: {outcome.detail}"
    if not held:
        detail = f"{seen}, expected it to {outcome.expect}: {outcome.detail}"
    return Verdict(
        name=f"{outcome.phase} probe {outcome.index + 1}: {outcome.label}",
        expected=_EXPECTED[outcome.expect],
        measured=0.0 if outcome.ok else 1.0,
        unit="failed probes",
        passed=held,
        detail=detail[:500],
    )


def workload_verdict(history: History, target: str | None = None) -> Verdict:
    """A declared workload must have recorded operations: none means nothing was measured."""
    ops = len(traffic(history, target))
    return Verdict(
        name="workload",
        expected="≥ 1 operation recorded",
        measured=float(ops),
        unit="operations",
        passed=ops > 0,
        detail=(
            f"{ops} operations recorded"
            if ops
            else "cannot judge: the workload recorded no operations (is the target reachable?)"
        ),
    )


def evidence_verdict(playbook: Playbook) -> Verdict | None:
    """A failing verdict when the playbook gives the run nothing to judge by, else None.

    Evidence is a workload, or a probe (steady state, method or rollback).
    """
    probes = [s for s in [*playbook.method, *playbook.rollbacks] if isinstance(s, ProbeStep)]
    if playbook.workload is not None or playbook.steady_state or probes:
        return None
    return Verdict(
        name="evidence",
        expected="a workload or a probe to judge by",
        measured=None,
        unit="probes",
        passed=False,
        detail="cannot judge: the playbook has no workload and no probe, so nothing was observed",
    )


def gate_verdicts(
    playbook: Playbook, history: History, probes: list[ProbeOutcome], *, workload_ran: bool = True
) -> list[Verdict]:
    """Every verdict the gate adds to the expectations', in a stable order.

    `workload_ran` is False when the run ended before its workload started
    (a failed steady state): the run failed for that reason already.
    """
    verdicts = [probe_verdict(o) for o in probes]
    if playbook.workload is not None and workload_ran:
        verdicts.append(workload_verdict(history))
    nothing = evidence_verdict(playbook)
    if nothing is not None:
        verdicts.append(nothing)
    return verdicts
