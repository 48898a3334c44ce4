"""Verdicts: a playbook's expectations ("rto: 10s") held against what a history measured.

Every expectation is an upper bound. A figure that cannot be measured (no
recovery, no final read, no ops during the fault) fails its expectation: a
check that cannot judge must not pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from chaoskit.checks._dns import DnsWindow, dns_windows, requeried
from chaoskit.checks._failover import (
    DEFAULT_MIN_OPS,
    DEFAULT_SUSTAIN,
    FaultImpact,
    FaultWindow,
    fault_windows,
    find_fault,
    impact,
)
from chaoskit.checks._latency import latency_of
from chaoskit.checks._reads import StaleReads, stale_reads
from chaoskit.checks._replication import ReplicationLag, replication_lag
from chaoskit.checks._sets import SetCheck, check_set, rpo
from chaoskit.checks._traffic import traffic
from chaoskit.durations import parse_offset
from chaoskit.errors import PlaybookError, Problem
from chaoskit.history import History

Limit = Literal["duration", "rate", "count"]
Measure = tuple[float | None, str]


@dataclass(frozen=True)
class Verdict:
    """One expectation judged: what was expected, what was measured, and whether it held.

    `measured` is in `unit`: seconds (``s``), percent (``%``) or a count
    (``writes``, ``reads``); None when it could not be measured, which fails.
    """

    name: str
    expected: str
    measured: float | None
    unit: str
    passed: bool
    detail: str = ""

    @property
    def measured_text(self) -> str:
        return format_measure(self.measured, self.unit)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "expected": self.expected,
            "measured": self.measured,
            "unit": self.unit,
            "measured_text": self.measured_text,
            "passed": self.passed,
            "detail": self.detail,
        }


def format_measure(value: float | None, unit: str) -> str:
    """A figure as people read it: ``3.20 s``, ``2.5 %``, ``3 writes``, ``—`` for None."""
    if value is None:
        return "—"
    if unit == "s":
        if 0 < value < 0.01:
            return f"{_trim(value * 1000, 1)} ms"
        if 0 < value < 1:
            return f"{value * 1000:.0f} ms"
        return f"{_trim(value, 2)} s"
    if unit == "%":
        return f"{_trim(value, 2)} %"
    # Counts: "1 write", "3 writes".
    return f"{value:g} {unit[:-1] if value == 1 and unit.endswith('s') else unit}"


def _trim(value: float, decimals: int) -> str:
    # 10 s rather than 10.00 s; 1.5 s rather than 1.50 s.
    return f"{value:.{decimals}f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class _Expectation:
    unit: str
    limit: Limit
    measure: Callable[[_Run], Measure]


class _Run:
    """What the measures need from one history, each part computed at most once."""

    def __init__(
        self,
        history: History,
        fault: str | FaultWindow | None,
        sustain: float,
        min_ops: int,
        target: str | None,
    ) -> None:
        self.history = history
        self.fault = fault
        self.sustain = sustain
        self.min_ops = min_ops
        self.target = target

    @cached_property
    def impacts(self) -> list[FaultImpact]:
        if isinstance(self.fault, FaultWindow):
            windows = [self.fault]
        elif isinstance(self.fault, str):
            try:
                windows = [find_fault(self.history, self.fault)]
            except KeyError as e:
                raise PlaybookError(str(e.args[0]), where="expectations") from None
        else:
            windows = fault_windows(self.history)
        return [
            impact(self.history, w, sustain=self.sustain, min_ops=self.min_ops, target=self.target)
            for w in windows
        ]

    @cached_property
    def dns(self) -> list[DnsWindow]:
        windows = dns_windows(self.history)
        if isinstance(self.fault, FaultWindow):
            return [w for w in windows if w.fault == self.fault.id]
        if isinstance(self.fault, str):
            return [w for w in windows if w.fault == self.fault]
        return windows

    @cached_property
    def sets(self) -> list[SetCheck]:
        return check_set(self.history, self.target)

    @cached_property
    def reads(self) -> StaleReads:
        return stale_reads(self.history, self.target)

    @cached_property
    def replication(self) -> ReplicationLag:
        return replication_lag(self.history, self.target)


NO_OPS_IN_WINDOW = "cannot judge: no operations in the fault window"
NO_OPS_AFTER_REVERT = "cannot judge: no operations after the revert"


def _in_window(i: FaultImpact) -> str | None:
    return None if i.ops else NO_OPS_IN_WINDOW


def _after_revert(i: FaultImpact) -> str | None:
    if i.fault.end is None or i.ops_after_revert:
        return None
    return NO_OPS_AFTER_REVERT


def _worst(
    run: _Run,
    figure: Callable[[FaultImpact], float | None],
    missing: Callable[[FaultImpact], str],
    unjudgeable: Callable[[FaultImpact], str | None] = _in_window,
) -> Measure:
    # Several faults: the expectation must hold for each, so report the worst.
    # An unmeasurable figure is the worst of all, and so is a window nobody
    # drove traffic through: "RTO 0 s" over 0 operations is no evidence.
    if not run.impacts:
        return None, "no fault in the history to measure from"
    for i in run.impacts:
        reason = unjudgeable(i)
        if reason:
            return None, f"fault {i.fault.id}: {reason}"
    scored = [(figure(i), i) for i in run.impacts]
    for value, i in scored:
        if value is None:
            return None, f"fault {i.fault.id}: {missing(i)}"
    value, worst = max(scored, key=lambda s: s[0] or 0.0)
    suffix = f" (worst of {len(scored)} faults)" if len(scored) > 1 else ""
    return value, f"fault {worst.fault.id}{suffix}"


def _rto(run: _Run) -> Measure:
    return _worst(run, lambda i: i.rto, lambda i: "service never recovered before the end of the history")


def _time_to_recover(run: _Run) -> Measure:
    return _worst(
        run,
        lambda i: i.time_to_recover,
        lambda i: "never reverted" if i.fault.end is None else "service never recovered after the revert",
        _after_revert,
    )


def _time_to_detect(run: _Run) -> Measure:
    return _worst(
        run,
        lambda i: i.time_to_detect,
        lambda i: "no op went wrong after the fault: nothing to detect",
    )


def _error_rate(run: _Run) -> Measure:
    if not run.impacts:
        ops = traffic(run.history, run.target)
        if not ops:
            return None, "cannot judge: no operations in the history"
        errors = sum(o.outcome != "ok" for o in ops)
        return 100 * errors / len(ops), f"whole run (no fault): {errors} of {len(ops)} ops"
    value, detail = _worst(run, lambda i: i.error_rate, lambda i: "no operation started during the fault")
    return (None if value is None else 100 * value), detail


def _latency(p: Literal["p50", "p95", "p99"]) -> Callable[[_Run], Measure]:
    def measure(run: _Run) -> Measure:
        if not run.impacts:
            value = getattr(latency_of(traffic(run.history, run.target)), p)
            return value, "whole run (no fault)" if value is not None else "no successful operation"
        return _worst(
            run,
            lambda i: getattr(i.latency, p),
            lambda i: "no successful operation during the fault",
        )

    return measure


def _unjudged(run: _Run) -> str | None:
    if not run.sets:
        return "no writes in the history"
    reasons = [c.reason for c in run.sets if not c.judged]
    return "; ".join(reasons) if reasons else None


def _lost_writes(run: _Run) -> Measure:
    reason = _unjudged(run)
    if reason:
        return None, reason
    acknowledged = sum(len(c.acknowledged) for c in run.sets)
    lost = [o for c in run.sets for o in c.lost]
    detail = f"{len(lost)} of {acknowledged} acknowledged writes missing from the final read"
    if lost:
        detail += ": " + ", ".join(str(o.key if o.key is not None else o.value) for o in lost[:10])
        detail += " …" if len(lost) > 10 else ""
    return float(len(lost)), detail


def _unexpected_writes(run: _Run) -> Measure:
    reason = _unjudged(run)
    if reason:
        return None, reason
    failed = sum(len(c.failed_landed) for c in run.sets)
    never = sum(len(c.unexpected) for c in run.sets)
    return float(failed + never), (
        f"{failed} writes reported failed were applied; {never} values were never written"
    )


def _stale_reads(run: _Run) -> Measure:
    if not run.reads.reads:
        return None, "no successful reads to check"
    return float(run.reads.count), f"{run.reads.count} of {run.reads.reads} successful reads"


def _requeried_within(run: _Run) -> Measure:
    if not run.dns and isinstance(run.fault, (str, FaultWindow)):
        run.impacts  # noqa: B018  an unknown fault id is the playbook's error, as for rto
        fid = run.fault if isinstance(run.fault, str) else run.fault.id
        return None, f"fault {fid} broke no DNS name: nothing to ask again"
    return requeried(run.dns)


def _rpo(run: _Run) -> Measure:
    result = rpo(run.history, run.target)
    if result.seconds is None:
        return None, result.reason
    lost = len(result.lost)
    return result.seconds, f"{lost} acknowledged write{'' if lost == 1 else 's'} lost"


def _replication_lag(figure: str) -> Callable[[_Run], Measure]:
    def measure(run: _Run) -> Measure:
        return run.replication.worst(figure)

    return measure


_EXPECTATIONS: dict[str, _Expectation] = {
    "rto": _Expectation("s", "duration", _rto),
    "time_to_recover": _Expectation("s", "duration", _time_to_recover),
    "time_to_detect": _Expectation("s", "duration", _time_to_detect),
    "error_rate": _Expectation("%", "rate", _error_rate),
    "p50_latency": _Expectation("s", "duration", _latency("p50")),
    "p95_latency": _Expectation("s", "duration", _latency("p95")),
    "p99_latency": _Expectation("s", "duration", _latency("p99")),
    "lost_writes": _Expectation("writes", "count", _lost_writes),
    "unexpected_writes": _Expectation("writes", "count", _unexpected_writes),
    "stale_reads": _Expectation("reads", "count", _stale_reads),
    "rpo": _Expectation("s", "duration", _rpo),
    "requeried_within": _Expectation("s", "duration", _requeried_within),
    "replication_lag_p99": _Expectation("s", "duration", _replication_lag("p99_seconds")),
    "replication_lag_max": _Expectation("s", "duration", _replication_lag("max_seconds")),
    "replication_lag_bytes_p99": _Expectation("bytes", "count", _replication_lag("p99_bytes")),
    "replication_lag_bytes_max": _Expectation("bytes", "count", _replication_lag("max_bytes")),
}


def known_expectations() -> list[str]:
    """The names an `expectations` mapping may use, sorted."""
    return sorted(_EXPECTATIONS)


_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


def parse_expectations(expectations: Mapping[str, Any]) -> dict[str, float]:
    """Check names and bounds; return each bound in base units (seconds, fraction, count).

    Raises `PlaybookError` listing every problem at once.

    >>> parse_expectations({"rto": "10s", "error_rate": "5%", "lost_writes": 0})
    {'rto': 10.0, 'error_rate': 0.05, 'lost_writes': 0.0}
    """
    problems: list[Problem] = []
    limits: dict[str, float] = {}
    for name, raw in expectations.items():
        where = f"expectations.{name}"
        spec = _EXPECTATIONS.get(name)
        if spec is None:
            problems.append(
                Problem(
                    f"unknown expectation {name!r}",
                    where,
                    "known expectations: " + ", ".join(known_expectations()),
                )
            )
            continue
        try:
            limits[name] = _parse_limit(spec.limit, raw)
        except ValueError as e:
            problems.append(Problem(str(e), where))
        except OverflowError:  # an integer too large for a float
            problems.append(Problem(f"{raw!r} is out of range"[:200], where))
    if problems:
        raise PlaybookError(problems)
    return limits


def _parse_limit(limit: Limit, raw: Any) -> float:
    if limit == "duration":
        return parse_offset(raw)
    if limit == "rate":
        if isinstance(raw, str):
            m = _PERCENT.match(raw)
            if m:
                value = float(m.group(1)) / 100
            else:
                try:
                    value = float(raw)
                except ValueError:
                    raise ValueError(f"not a rate: {raw!r} (use e.g. 5% or 0.05)") from None
        elif isinstance(raw, (int, float)) and not isinstance(raw, bool):
            value = float(raw)
        else:
            raise ValueError(f"not a rate: {raw!r} (use e.g. 5% or 0.05)")
        if not 0 <= value <= 1:
            raise ValueError(f"rate {raw!r} is not between 0% and 100% (use e.g. 5% or 0.05)")
        return value
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise ValueError(f"not a count: {raw!r} (use a whole number, e.g. 0)")
    return float(raw)


def evaluate(
    history: History,
    expectations: Mapping[str, Any],
    *,
    fault: str | FaultWindow | None = None,
    sustain: float = DEFAULT_SUSTAIN,
    min_ops: int = DEFAULT_MIN_OPS,
    target: str | None = None,
) -> list[Verdict]:
    """Judge every expectation (an upper bound each) against `history`, in the mapping's order.

    `fault` picks the fault window that RTO, recovery, detection, error rate
    and latency are measured in: a fault id, an explicit `FaultWindow`, or
    None for every fault of the history (each must meet the bound; the worst
    is reported). With no fault at all, error rate and latency cover the whole
    run and the fault timings cannot be measured. Lost writes, stale reads and
    RPO always cover the whole run, and so does replication lag (the worst replica's).

    >>> evaluate(history, {"rto": "10s", "lost_writes": 0}, fault="dns-1")
    [Verdict(name='rto', expected='≤ 10 s', measured=4.2, unit='s', passed=True, ...), ...]
    """
    limits = parse_expectations(expectations)
    run = _Run(history, fault, sustain, min_ops, target)
    verdicts = []
    for name, limit in limits.items():
        spec = _EXPECTATIONS[name]
        measured, detail = spec.measure(run)
        shown_limit = 100 * limit if spec.unit == "%" else limit
        if measured is not None:
            # Rounded to a microsecond (or a millionth of a percent) so that
            # floating-point noise such as 10.000000000000002 s does not fail a 10 s bound.
            measured = round(measured, 6)
        verdicts.append(
            Verdict(
                name=name,
                expected=f"≤ {format_measure(shown_limit, spec.unit)}",
                measured=measured,
                unit=spec.unit,
                passed=measured is not None and measured <= round(shown_limit, 6),
                detail=detail,
            )
        )
    return verdicts
