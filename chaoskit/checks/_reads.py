"""Stale reads: a read that did not find an order whose write had already been acknowledged.

After a failover a region that missed replication answers "no such order" for
orders the client was told exist; that is the anomaly counted here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chaoskit.history import History, Op

READ = "read"
WRITE = "write"
# What a read's `value` is when the key was not found (besides None).
NOT_FOUND = "not-found"


@dataclass(frozen=True)
class StaleRead:
    """A read that missed `write`, acknowledged `lag` seconds before the read started."""

    read: Op
    write: Op

    @property
    def lag(self) -> float:
        return self.read.start - self.write.end

    def to_dict(self) -> dict[str, Any]:
        return {
            "read": self.read.index,
            "write": self.write.index,
            "target": self.read.target,
            "key": self.read.key,
            "read_start": self.read.start,
            "write_end": self.write.end,
            "lag": self.lag,
        }


@dataclass(frozen=True)
class StaleReads:
    """How many ok reads were checked and which of them were stale."""

    reads: int
    stale: tuple[StaleRead, ...]

    @property
    def count(self) -> int:
        return len(self.stale)

    def to_dict(self) -> dict[str, Any]:
        return {
            "reads": self.reads,
            "count": self.count,
            "stale": [s.to_dict() for s in self.stale],
        }


def stale_reads(history: History, target: str | None = None) -> StaleReads:
    """Every `ok` read of a key that found nothing although a write of that key
    (same target) was acknowledged before the read started.

    "Before" is real time: the write's end strictly before the read's start.
    Reads whose outcome is `fail` or `unknown` say nothing about the data and
    are not counted.
    """
    first_ack: dict[tuple[str, str], Op] = {}
    for o in history.ops:
        if o.kind == WRITE and o.outcome == "ok" and o.key is not None:
            k = (o.target, o.key)
            if k not in first_ack or o.end < first_ack[k].end:
                first_ack[k] = o
    reads = sorted(
        (
            o
            for o in history.ops
            if o.kind == READ and o.outcome == "ok" and (target is None or o.target == target)
        ),
        key=lambda o: (o.start, o.index),
    )
    stale = []
    for r in reads:
        write = first_ack.get((r.target, r.key)) if r.key is not None else None
        if write is not None and write.end < r.start and _not_found(r.value):
            stale.append(StaleRead(r, write))
    return StaleReads(len(reads), tuple(stale))


def _not_found(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value == NOT_FOUND)
