"""Hand-written histories for the checks' tests: a recorder that numbers ops itself."""

from __future__ import annotations

from typing import Any

from chaoskit.history import Event, History, Op, Outcome


class Recorder:
    """Builds a `History` one op or event at a time, as a workload would record it."""

    def __init__(self) -> None:
        self.history = History()

    def op(
        self,
        kind: str,
        start: float,
        outcome: Outcome = "ok",
        *,
        latency: float = 0.25,
        target: str = "orders",
        key: str | None = None,
        value: Any = None,
        process: str = "p0",
    ) -> Op:
        op = Op(
            index=len(self.history.ops),
            process=process,
            kind=kind,
            target=target,
            start=start,
            end=start + latency,
            outcome=outcome,
            key=key,
            value=value,
            error=None if outcome == "ok" else "boom",
        )
        self.history.record(op)
        return op

    def write(self, start: float, key: str, outcome: Outcome = "ok", **kw: Any) -> Op:
        return self.op("write", start, outcome, key=key, value=key, **kw)

    def read(self, start: float, key: str, value: Any, outcome: Outcome = "ok", **kw: Any) -> Op:
        return self.op("read", start, outcome, key=key, value=value, **kw)

    def final_read(self, start: float, values: list[Any], outcome: Outcome = "ok", **kw: Any) -> Op:
        return self.op("final-read", start, outcome, value=values, **kw)

    def fault(self, fault_id: str, start: float, end: float | None = None) -> None:
        self.history.event(Event(start, "fault-applied", "dns.nxdomain", fault_id))
        if end is not None:
            self.history.event(Event(end, "fault-reverted", "dns.nxdomain", fault_id))

    def traffic(self, start: float, stop: float, step: float, outcome: Outcome = "ok") -> None:
        """Reads every `step` seconds in [start, stop), all with the same outcome."""
        t = start
        while t < stop - 1e-9:
            self.read(t, "o0", {"id": "o0"}, outcome)
            t += step
