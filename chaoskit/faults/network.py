"""Network faults on an endpoint's proxies: the shared base, and `net.down`.

Every endpoint (``kv``, each service) is reached through its region's
Toxiproxy, on a proxy named after it. A network fault is a toxic on that proxy
(`chaoskit.faults.toxics`), the proxy taken down (`net.down`, here), or the
cross-region replication link cut (`net.partition`, in
`chaoskit.faults.replication`). Each is confirmed as an independent client
would see it (`chaoskit.faults.wire`) and through the Toxiproxy API (the
toxic listed, the proxy disabled).
"""

from __future__ import annotations

from typing import ClassVar

from chaoskit.errors import ConfirmTimeout
from chaoskit.faults.base import Change, Fault
from chaoskit.faults.context import Context, eventually
from chaoskit.faults.registry import register
from chaoskit.faults.spec import FaultSpec
from chaoskit.faults.wire import Wire
from chaoskit.topology import Topology

MAX_MS = 60_000
REPLICATION = "replication"
NET_OPTIONS = frozenset({"region"})


class Unclear(Exception):
    """An observation that neither shows a toxic's effect nor its absence."""


def ms_text(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"

class NetFault(Fault):
    """A fault on the proxies of one endpoint, in one region or every region."""

    family: ClassVar[str] = "net"
    options: ClassVar[frozenset[str]] = NET_OPTIONS

    @classmethod
    def check(cls, spec: FaultSpec, topology: Topology) -> list[str]:
        known = topology.endpoint_names
        if spec.target in known:
            return []
        hint = "; the replication link is cut with net.partition" if spec.target == REPLICATION else ""
        return [f"{cls.name}: unknown endpoint {spec.target!r}; known: {', '.join(known)}{hint}"]

    def fault_id(self) -> str:
        return self.spec.id or "fault"

    def regions(self) -> list[str]:
        return [self.spec.region] if self.spec.region else list(self.topology.regions)

    def proxy(self) -> str:
        return self.spec.target

    def detail(self) -> str:
        return ""

    def describe(self) -> str:
        where = f" in {self.spec.region}" if self.spec.region else " in every region"
        detail = self.detail()
        return f"{self.name} {self.spec.target}{where}" + (f" ({detail})" if detail else "")

    def held_elsewhere(self, ctx: Context, region: str, ours: set[str],
                       toxics: bool = True) -> str | None:
        """What other faults do to the proxy of `region` that hides the baseline, if anything.

        After a revert, a proxy still disabled was left so for another fault
        (the controller enables it only when no other fault holds it down).
        """
        proxy = ctx.toxiproxy(region).get_proxy(self.proxy())
        if not proxy.enabled:
            return f"proxy {proxy.name} of {region} is down for another fault"
        others = sorted(t.name for t in proxy.toxics if t.name not in ours)
        if toxics and others:
            return f"proxy {proxy.name} of {region} still has other faults' toxics {', '.join(others)}"
        return None

@register
class Down(NetFault):
    name = "net.down"
    summary = "down: the proxy stops listening; connections are refused and open ones cut"

    def prepare(self, ctx: Context) -> Change:
        return Change(disabled=[{"region": r, "proxy": self.proxy()} for r in self.regions()])

    def confirm(self, ctx: Context, change: Change) -> str:
        evidence = []
        for region in self.regions():
            if ctx.toxiproxy(region).get_proxy(self.proxy()).enabled:
                raise ConfirmTimeout(f"{self.describe()}: proxy {self.proxy()} of {region} "
                                     "is still enabled")
            wire = Wire(ctx, self.spec.target, region)

            def look(wire: Wire = wire) -> str | None:
                trip = wire.round_trip(1.0)
                return None if trip.ok or trip.timed_out else f"connection failed: {trip}"

            seen = eventually(look, f"{self.describe()} seen by a client in {region}", timeout=5)
            evidence.append(f"{region}: proxy disabled; {seen}")
        return "; ".join(evidence)

    def confirm_reverted(self, ctx: Context, change: Change) -> str:
        evidence = []
        for region in self.regions():
            hidden = self.held_elsewhere(ctx, region, set())
            if hidden:
                evidence.append(f"{region}: {hidden}")
                continue
            wire = Wire(ctx, self.spec.target, region)

            def look(wire: Wire = wire) -> str | None:
                trip = wire.round_trip(2.0)
                return str(trip) if trip.ok else None

            seen = eventually(look, f"{self.spec.target} answering again in {region}", timeout=5)
            evidence.append(f"{region}: proxy enabled; {seen}")
        return "; ".join(evidence)
