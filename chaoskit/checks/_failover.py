"""Fault-relative timings: how fast clients saw a fault, and how long until service came back.

The definitions are written out in docs/checks.md; in short, recovery is the
start of the first *sustained* run of success after the service degraded: at
least `min_ops` ops starting within `sustain` seconds, every one of them ok.
Times are read off the op timestamps themselves, not off windows.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import Any

from chaoskit.checks._latency import Latency, latency_of
from chaoskit.checks._traffic import traffic
from chaoskit.history import History, Op

DEFAULT_SUSTAIN = 3.0
DEFAULT_MIN_OPS = 3


@dataclass(frozen=True)
class FaultWindow:
    """When a fault was in force: from `start` until `end` (None: never reverted)."""

    id: str
    start: float
    end: float | None = None
    name: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "start": self.start, "end": self.end}


def fault_windows(history: History) -> list[FaultWindow]:
    """Every fault of the history, in order of application, with the fault's name."""
    names = {e.id: e.name for e in history.events if e.kind == "fault-applied" and e.id}
    return [
        FaultWindow(id=i, start=start, end=end, name=names.get(i, ""))
        for i, start, end in history.fault_windows()
    ]


def find_fault(history: History, fault_id: str) -> FaultWindow:
    """The window of the fault with id `fault_id`; KeyError naming the ids there are."""
    windows = fault_windows(history)
    for w in windows:
        if w.id == fault_id:
            return w
    known = ", ".join(w.id for w in windows) or "none"
    raise KeyError(f"no fault {fault_id!r} in the history (faults: {known})")


@dataclass(frozen=True)
class Recovery:
    """What happened to the service after an instant `since`.

    `degraded_at` is the start of the first op that went wrong, `detected_at`
    the first instant a client saw an op go wrong (the earliest end of such an
    op), `recovered_at` the start of the first sustained run of success from
    the degradation on. An op belongs to the instant it started: one in flight
    at `since` is not counted, as it was sent before.
    """

    since: float
    degraded_at: float | None
    detected_at: float | None
    recovered_at: float | None

    @property
    def degraded(self) -> bool:
        return self.degraded_at is not None

    @property
    def time_to_detect(self) -> float | None:
        return None if self.detected_at is None else self.detected_at - self.since

    @property
    def duration(self) -> float | None:
        """Seconds from `since` until recovery: 0 if never degraded, None if never recovered."""
        if not self.degraded:
            return 0.0
        return None if self.recovered_at is None else self.recovered_at - self.since


def recovery(
    history: History,
    since: float,
    until: float | None = None,
    *,
    sustain: float = DEFAULT_SUSTAIN,
    min_ops: int = DEFAULT_MIN_OPS,
    target: str | None = None,
) -> Recovery:
    """How the service fared from `since`; degradations count only if they began before `until`.

    The service *degraded* if an op that started in ``[since, until)`` was
    `fail` or `unknown`. It *recovered* at the start `t` of
    the first op starting at or after the degradation such that every op
    starting in ``[t, t + sustain)`` is ok, there are at least `min_ops` of
    them, and the history goes on until at least ``t + sustain``.
    """
    if not sustain > 0:
        raise ValueError(f"sustain must be positive, got {sustain}")
    if min_ops < 1:
        raise ValueError(f"min_ops must be at least 1, got {min_ops}")
    ops = traffic(history, target)
    bound = math.inf if until is None else until
    degrading = [o for o in ops if o.outcome != "ok" and since <= o.start < bound]
    if not degrading:
        return Recovery(since, None, None, None)
    degraded_at = min(o.start for o in degrading)
    detected_at = min(o.end for o in degrading)
    return Recovery(
        since,
        degraded_at,
        detected_at,
        _first_sustained_success(ops, degraded_at, sustain, min_ops),
    )


def _first_sustained_success(ops: list[Op], after: float, sustain: float, min_ops: int) -> float | None:
    candidates = [o for o in ops if o.start >= after]
    if not candidates:
        return None
    # Without this an ok run cut short by the end of the workload would count as
    # sustained; a run is only sustained if we watched it for the whole period.
    horizon = max(o.end for o in ops)
    starts = [o.start for o in candidates]
    failures_before = [0]
    for o in candidates:
        failures_before.append(failures_before[-1] + (o.outcome != "ok"))
    for o in candidates:
        if o.outcome != "ok":
            continue
        if o.start + sustain > horizon:
            return None
        # Ops sharing this start belong to the run, whichever order they were recorded in.
        lo = bisect.bisect_left(starts, o.start)
        hi = bisect.bisect_left(starts, o.start + sustain)
        if hi - lo >= min_ops and failures_before[hi] == failures_before[lo]:
            return o.start
    return None


@dataclass(frozen=True)
class FaultImpact:
    """Every fault-relative figure for one fault window.

    `ops`..`unknown`, `error_rate` and `latency` cover ops that started while
    the fault was in force (until the end of the history if never reverted).
    `rto` is measured from the fault's start, `time_to_recover` from its revert.
    """

    fault: FaultWindow
    ops: int
    ok: int
    fail: int
    unknown: int
    latency: Latency
    during: Recovery
    after_revert: Recovery | None
    # Ops started at or after the revert: the window `time_to_recover` is judged in.
    ops_after_revert: int = 0

    @property
    def error_rate(self) -> float | None:
        """(fail + unknown) / ops started during the fault; None if there were none."""
        return (self.fail + self.unknown) / self.ops if self.ops else None

    @property
    def time_to_detect(self) -> float | None:
        return self.during.time_to_detect

    @property
    def rto(self) -> float | None:
        return self.during.duration

    @property
    def time_to_recover(self) -> float | None:
        """From revert to sustained success; None if never reverted or never recovered."""
        return None if self.after_revert is None else self.after_revert.duration

    def to_dict(self) -> dict[str, Any]:
        return {
            "fault": self.fault.to_dict(),
            "ops": self.ops,
            "ops_after_revert": self.ops_after_revert,
            "ok": self.ok,
            "fail": self.fail,
            "unknown": self.unknown,
            "error_rate": self.error_rate,
            "latency": self.latency.to_dict(),
            "time_to_detect": self.time_to_detect,
            "rto": self.rto,
            "recovered_at": self.during.recovered_at,
            "time_to_recover": self.time_to_recover,
        }


def impact(
    history: History,
    fault: FaultWindow | str,
    *,
    sustain: float = DEFAULT_SUSTAIN,
    min_ops: int = DEFAULT_MIN_OPS,
    target: str | None = None,
) -> FaultImpact:
    """Fault-relative figures for `fault` (a window, or the id of a fault in the history).

    >>> impact(history, "dns-1").rto   # seconds, 0.0 if never degraded, None if never recovered
    """
    window = find_fault(history, fault) if isinstance(fault, str) else fault
    end = math.inf if window.end is None else window.end
    during = [o for o in traffic(history, target) if window.start <= o.start < end]
    return FaultImpact(
        fault=window,
        ops=len(during),
        ok=sum(o.outcome == "ok" for o in during),
        fail=sum(o.outcome == "fail" for o in during),
        unknown=sum(o.outcome == "unknown" for o in during),
        latency=latency_of(during),
        during=recovery(history, window.start, window.end, sustain=sustain, min_ops=min_ops, target=target),
        after_revert=None
        if window.end is None
        else recovery(history, window.end, sustain=sustain, min_ops=min_ops, target=target),
        ops_after_revert=0 if window.end is None else sum(o.start >= end for o in traffic(history, target)),
    )
