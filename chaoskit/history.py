"""A history: every operation a workload made and every event of a run, as plain data.

In the manner of Jepsen, the workload records operations with an outcome of
`ok`, `fail` or `unknown` (the outcome cannot be known, e.g. a timeout after the
request was sent); faults and steps are recorded as events. Checks read a
history and nothing else, so a verdict can be recomputed without a world.

DNS questions the world's resolvers logged during the run (`Query`, collected by
the runner at the end through `chaoskit.discovery`) ride along, so the checks
that ask "did the fault reach the client?" read the history too.

Readings of a measured series (a replica's replication lag, sampled through
the run) are recorded as samples. Serialised as JSON lines: one object a line,
``{"type": "op", ...}``, ``{"type": "event", ...}``, ``{"type": "query", ...}`` or
``{"type": "sample", ...}``. Times are seconds since the run's start.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

Outcome = Literal["ok", "fail", "unknown"]
OUTCOMES: tuple[Outcome, ...] = ("ok", "fail", "unknown")


@dataclass(frozen=True)
class Op:
    """One client operation.

    `kind` is ``write``, ``read`` or ``final-read`` (a read of the whole set at
    the end, whose `value` is the list of values present). `target` names what
    was driven (``orders``, ``kv``); `region` which region served it, when known.
    """

    index: int
    process: str
    kind: str
    target: str
    start: float
    end: float
    outcome: Outcome
    key: str | None = None
    value: Any = None
    region: str | None = None
    error: str | None = None

    @property
    def latency(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Event:
    """Something that happened during a run: a fault applied or reverted, a step, a note.

    `kind` is one of ``fault-applied``, ``fault-reverted``, ``step``, ``note``,
    ``probe``, ``abort``, ``decision``. Fault events carry the fault's `id` so
    checks can pair an application with its revert.
    """

    time: float
    kind: str
    name: str = ""
    id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Query:
    """One DNS question a region's CoreDNS logged, and how it answered.

    `time`: seconds (since the epoch from `chaoskit.discovery.queries`, since the run's
    start in a history). `region`: the region whose CoreDNS logged it (a client asks its
    own region's). `client`: the service that asked (``orders``), the world's own part
    (``agent-us-east-1``, ``coredns-us-west-2`` relaying a forwarded question), ``host``
    (through a published port), or ``?<address>`` when no container of the world has that
    address; `role` says which (``service``, ``agent``, ``coredns``, ``toxiproxy``, ``kv``,
    ``reaper``, ``host``, ``unknown``). `name` is lower case without the final dot.
    `rcode` is the answer's code (``NOERROR``, ``NXDOMAIN``, ``SERVFAIL``...), or
    ``NOANSWER`` when the resolver sent nothing back (a dropped query).
    """

    time: float
    region: str
    client: str
    client_ip: str
    name: str
    qtype: str
    rcode: str
    role: str = "service"
    proto: str = "udp"


@dataclass(frozen=True)
class Sample:
    """One reading of a series measured through a run, e.g. a replica's replication lag.

    `series` names what was measured (``replication``), `subject` what it was
    measured on (the replica's region), `values` the figures read (plain JSON;
    None for a figure that could not be read). docs/checks.md defines each
    series' values.
    """

    time: float
    series: str
    subject: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class History:
    """Operations, events and samples of one run, in the order they were recorded."""

    ops: list[Op] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    queries: list[Query] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record(self, op: Op) -> None:
        with self._lock:
            self.ops.append(op)

    def event(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)

    def sample(self, sample: Sample) -> None:
        with self._lock:
            self.samples.append(sample)

    def samples_of(self, series: str) -> list[Sample]:
        """The samples of one series, in time order."""
        return sorted((s for s in self.samples if s.series == series), key=lambda s: s.time)

    def fault_windows(self) -> list[tuple[str, float, float | None]]:
        """(fault id, applied at, reverted at or None) for every fault in the history."""
        applied: dict[str, float] = {}
        order: list[str] = []
        reverted: dict[str, float] = {}
        for e in self.events:
            if e.kind == "fault-applied" and e.id:
                applied[e.id] = e.time
                order.append(e.id)
            elif e.kind == "fault-reverted" and e.id:
                reverted[e.id] = e.time
        return [(i, applied[i], reverted.get(i)) for i in order]

    # --- JSON lines -------------------------------------------------------
    def lines(self) -> Iterator[str]:
        for e in self.events:
            yield json.dumps({"type": "event", **asdict(e)}, default=str)
        for o in sorted(self.ops, key=lambda o: (o.start, o.index)):
            yield json.dumps({"type": "op", **asdict(o)}, default=str)
        for q in self.queries:
            yield json.dumps({"type": "query", **asdict(q)}, default=str)
        for s in sorted(self.samples, key=lambda s: s.time):
            yield json.dumps({"type": "sample", **asdict(s)}, default=str)

    def dump(self, path: str | Path) -> None:
        Path(path).write_text("".join(line + "\n" for line in self.lines()), encoding="utf-8")

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> History:
        h = cls()
        for raw in lines:
            raw = raw.strip()
            if not raw:
                continue
            obj = json.loads(raw)
            typ = obj.pop("type")
            if typ == "op":
                h.ops.append(Op(**obj))
            elif typ == "event":
                h.events.append(Event(**obj))
            elif typ == "query":
                h.queries.append(Query(**obj))
            elif typ == "sample":
                h.samples.append(Sample(**obj))
            else:
                raise ValueError(f"unknown history line type {typ!r}")
        return h

    @classmethod
    def load(cls, path: str | Path) -> History:
        with open(path, encoding="utf-8") as fh:
            return cls.from_lines(fh)
