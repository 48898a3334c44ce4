"""Did a DNS fault reach the clients? Who asked the broken names again while it was in force.

A client that resolved a name once and serves it from its own cache never asks again:
the fault never reached it, and a "pass" during the fault says nothing about how it
copes with DNS. For every fault window whose fault breaks DNS names (the fault-applied
event's ``detail["dns"]``: a target name or ``*.`` pattern and the clients it breaks it
for), these read the history's DNS questions (`History.queries`, times since the run's
start) and count, for each client service that asked a broken name during the run, its
questions before the window and during it, and how long after the window's start it
first asked. Only the world's services count as clients: chaoskit's own agent and the
host ask during a fault's confirmation.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from chaoskit.history import History, Query

SERVICE = "service"
HOST_VIEW = "host"

NO_QUERY_LOG = ("the history holds no DNS questions: the run collected no query log (a "
                "world created before chaoskit logged DNS questions: take it down and up again)")


def matches(name: str, target: str) -> bool:
    """Whether DNS name `name` is `target` (a name, or a ``*.`` pattern of one or more labels).

    >>> matches("kv.us-east-1.chaoskit.internal", "*.us-east-1.chaoskit.internal")
    True
    """
    name = name.lower().rstrip(".")
    target = target.lower().rstrip(".")
    if target.startswith("*."):
        return name.endswith(target[1:]) and len(name) > len(target) - 1
    return name == target


@dataclass(frozen=True)
class ClientAsks:
    """One client service (in one region) and the broken names: how often it asked.

    `first`: seconds from the window's start to its first question in the window; None
    when it never asked during the window (it answers from its own cache, or stopped).
    `rcodes`: the answers it got during the window.
    """

    client: str
    region: str
    before: int
    during: int
    first: float | None
    rcodes: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.client}@{self.region}"

    @property
    def asked_again(self) -> bool:
        return self.during > 0

    def to_dict(self) -> dict[str, Any]:
        return {"client": self.client, "region": self.region, "before": self.before,
                "during": self.during, "first": self.first, "rcodes": dict(self.rcodes),
                "asked_again": self.asked_again}


@dataclass(frozen=True)
class DnsWindow:
    """One fault window that broke DNS names, and what its clients asked.

    `reason` says why nothing can be judged (no query log, no client asked the names);
    empty when `clients` holds the evidence.
    """

    fault: str
    kind: str
    start: float
    end: float | None
    targets: tuple[str, ...]
    names: tuple[str, ...]
    clients: tuple[ClientAsks, ...]
    reason: str = ""

    @property
    def never_asked(self) -> list[ClientAsks]:
        """The clients that never asked a broken name during the window."""
        return [c for c in self.clients if not c.asked_again]

    def to_dict(self) -> dict[str, Any]:
        return {"fault": self.fault, "kind": self.kind, "start": self.start, "end": self.end,
                "targets": list(self.targets), "names": list(self.names),
                "clients": [c.to_dict() for c in self.clients],
                "never_asked": [c.label for c in self.never_asked], "reason": self.reason}


def _targets(detail: dict[str, Any]) -> list[tuple[str, str | None]]:
    out = []
    for t in detail.get("dns") or []:
        if isinstance(t, dict) and isinstance(t.get("target"), str):
            clients_of = t.get("clients_of")
            out.append((t["target"], clients_of if isinstance(clients_of, str) else None))
    return out


def broken_names(history: History) -> list[str]:
    """Every DNS name or pattern a fault of `history` broke (from its fault-applied events)."""
    return sorted({t for e in history.events if e.kind == "fault-applied"
                   for t, _ in _targets(e.detail)})


def _for_clients(q: Query, targets: list[tuple[str, str | None]]) -> bool:
    """Whether `q` asks a broken name from where the fault breaks it (a client's region)."""
    return any(matches(q.name, t) and (c is None or c == q.region) for t, c in targets)


def dns_windows(history: History) -> list[DnsWindow]:
    """Every fault window of `history` that broke DNS names, in order of application."""
    applied = {e.id: e for e in history.events if e.kind == "fault-applied" and e.id}
    out = []
    for fid, start, end in history.fault_windows():
        event = applied[fid]
        targets = _targets(event.detail)
        if not targets:
            continue
        shown = tuple(t for t, _ in targets)
        if all(c == HOST_VIEW for _, c in targets):
            out.append(DnsWindow(fid, event.name, start, end, shown, (), (),
                                 "the fault breaks the names for the host's questions only: "
                                 "no service is a client of it"))
            continue
        if not history.queries:
            out.append(DnsWindow(fid, event.name, start, end, shown, (), (), NO_QUERY_LOG))
            continue
        asked = [q for q in history.queries if q.role == SERVICE and _for_clients(q, targets)]
        names = tuple(sorted({q.name for q in asked}))
        by_client: dict[tuple[str, str], list[Query]] = {}
        for q in asked:
            by_client.setdefault((q.client, q.region), []).append(q)
        clients = []
        for (client, region), qs in sorted(by_client.items()):
            before = [q for q in qs if q.time < start]
            during = [q for q in qs if q.time >= start and (end is None or q.time < end)]
            first = min(q.time for q in during) - start if during else None
            clients.append(ClientAsks(client, region, len(before), len(during), first,
                                      dict(sorted(Counter(q.rcode for q in during).items()))))
        reason = "" if clients else (
            f"no service asked for {', '.join(shown)} during the run: nothing shows the fault "
            "reached a client")
        out.append(DnsWindow(fid, event.name, start, end, shown, names, tuple(clients), reason))
    return out


def requeried(windows: list[DnsWindow]) -> tuple[float | None, str]:
    """The longest any client took to ask a broken name again after its window started
    (seconds), and why: None when a window cannot be judged or a client never asked again.
    """
    if not windows:
        return None, "no fault in the history broke a DNS name"
    worst: tuple[float, DnsWindow, ClientAsks] | None = None
    for w in windows:
        if w.reason:
            return None, f"fault {w.fault}: cannot judge: {w.reason}"
        never = w.never_asked
        if never:
            who = "; ".join(f"{c.label} never asked {', '.join(w.names)} again ({c.before} "
                            f"questions before the fault)" for c in never)
            return None, (f"fault {w.fault}: {who}: it answers from its own DNS cache, "
                          "the fault never reached it")
        for c in w.clients:
            assert c.first is not None
            if worst is None or c.first > worst[0]:
                worst = (c.first, w, c)
    assert worst is not None
    value, w, c = worst
    total = sum(x.during for x in w.clients)
    suffix = f" (worst of {len(windows)} DNS faults)" if len(windows) > 1 else ""
    return value, (f"fault {w.fault}: slowest client {c.label}; {total} questions for the broken "
                   f"names during the fault from {len(w.clients)} clients{suffix}")
