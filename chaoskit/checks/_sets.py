"""Lost writes, in the manner of Jepsen's set checker, and the RPO they add up to.

Each `write` op adds one element (its `value`) to a set per target; a
`final-read` op, made once the workload has stopped, reads the whole set back.
Comparing the two says which acknowledged writes the failover lost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from chaoskit.checks._traffic import FINAL_READ
from chaoskit.history import History, Op

WRITE = "write"


def element_key(value: Any) -> str:
    """A hashable identity for an element, the same before and after a JSON round trip."""
    return json.dumps(value, sort_keys=True, default=str)


@dataclass(frozen=True)
class SetCheck:
    """The set check of one target.

    Each element is judged by its best outcome: ok if any write of it was
    acknowledged, else unknown if any write's outcome is unknown, else fail.
    The ops listed are one write per element (the earliest of that outcome).
    """

    target: str
    final_read: Op | None
    acknowledged: tuple[Op, ...] = ()
    lost: tuple[Op, ...] = ()
    unknown_landed: tuple[Op, ...] = ()
    unknown_missing: tuple[Op, ...] = ()
    failed_landed: tuple[Op, ...] = ()
    unexpected: tuple[Any, ...] = ()
    late: tuple[Op, ...] = field(default=())
    reason: str = ""

    @property
    def judged(self) -> bool:
        """False when there is no successful final read: nothing can be said about losses."""
        return self.final_read is not None

    @property
    def valid(self) -> bool | None:
        """Nothing acknowledged was lost, nothing stored that should not be; None if not judged."""
        if not self.judged:
            return None
        return not (self.lost or self.failed_landed or self.unexpected)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "judged": self.judged,
            "reason": self.reason,
            "valid": self.valid,
            "acknowledged": len(self.acknowledged),
            "lost": [_write_dict(o) for o in self.lost],
            "unknown_landed": len(self.unknown_landed),
            "unknown_missing": len(self.unknown_missing),
            "failed_landed": [_write_dict(o) for o in self.failed_landed],
            "unexpected": list(self.unexpected),
            "late": len(self.late),
        }


def _write_dict(o: Op) -> dict[str, Any]:
    return {"index": o.index, "key": o.key, "value": o.value, "start": o.start, "end": o.end}


def check_set(history: History, target: str | None = None) -> list[SetCheck]:
    """One `SetCheck` per target that has writes or a final read, sorted by target.

    The final read of a target is its last `ok` final-read op. Writes that
    started after it started are not judged (listed as `late`): the read could
    not have seen them.
    """
    writes: dict[str, list[Op]] = {}
    finals: dict[str, Op] = {}
    for o in history.ops:
        if target is not None and o.target != target:
            continue
        if o.kind == WRITE:
            writes.setdefault(o.target, []).append(o)
        elif o.kind == FINAL_READ:
            writes.setdefault(o.target, [])
            if o.outcome == "ok" and (
                o.target not in finals
                or (o.start, o.index) > (finals[o.target].start, finals[o.target].index)
            ):
                finals[o.target] = o
    return [_check_target(t, writes[t], finals.get(t)) for t in sorted(writes)]


def _check_target(target: str, writes: list[Op], final: Op | None) -> SetCheck:
    if final is None:
        return SetCheck(
            target,
            None,
            reason=f"no successful final read of {target!r}: cannot tell which writes were lost",
        )
    if not isinstance(final.value, list):
        return SetCheck(
            target,
            None,
            reason=f"the final read of {target!r} (op {final.index}) did not return a list",
        )
    present = {element_key(v): v for v in final.value}
    late = tuple(o for o in sorted(writes, key=_order) if o.start > final.start)
    judged = [o for o in writes if o.start <= final.start]
    best: dict[str, Op] = {}
    for o in sorted(judged, key=_order):
        k = element_key(o.value)
        if k not in best or _rank(o) < _rank(best[k]):
            best[k] = o
    acknowledged: list[Op] = []
    lost: list[Op] = []
    unknown_landed: list[Op] = []
    unknown_missing: list[Op] = []
    failed_landed: list[Op] = []
    for k, o in sorted(best.items(), key=lambda kv: _order(kv[1])):
        landed = k in present
        if o.outcome == "ok":
            acknowledged.append(o)
            if not landed:
                lost.append(o)
        elif o.outcome == "unknown":
            (unknown_landed if landed else unknown_missing).append(o)
        elif landed:
            failed_landed.append(o)
    written = {element_key(o.value) for o in writes}
    return SetCheck(
        target,
        final,
        acknowledged=tuple(acknowledged),
        lost=tuple(lost),
        unknown_landed=tuple(unknown_landed),
        unknown_missing=tuple(unknown_missing),
        failed_landed=tuple(failed_landed),
        unexpected=tuple(v for k, v in present.items() if k not in written),
        late=late,
    )


def _order(o: Op) -> tuple[float, int]:
    return (o.start, o.index)


def _rank(o: Op) -> int:
    return {"ok": 0, "unknown": 1, "fail": 2}[o.outcome]


@dataclass(frozen=True)
class Rpo:
    """The window of acknowledged writes lost: earliest to latest start of a lost write.

    `seconds` is 0 when nothing was lost and None when some target could not
    be judged (no final read); `reason` then says why.
    """

    seconds: float | None
    lost: tuple[Op, ...] = ()
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "seconds": self.seconds,
            "lost": [_write_dict(o) for o in self.lost],
            "reason": self.reason,
        }


def rpo(history: History, target: str | None = None) -> Rpo:
    """The recovery point objective actually achieved, over every target (or one)."""
    checks = check_set(history, target)
    unjudged = [c.reason for c in checks if not c.judged]
    lost = tuple(sorted((o for c in checks for o in c.lost), key=_order))
    if unjudged:
        return Rpo(None, lost, "; ".join(unjudged))
    if not checks:
        return Rpo(None, (), "no writes in the history")
    if not lost:
        return Rpo(0.0, ())
    return Rpo(lost[-1].start - lost[0].start, lost)
