"""Composite faults: one named fault made of several, applied and reverted as one.

A composite's parts are ordinary DNS and network faults, built from derived
specs whose ids extend the composite's (``<id>-dns``, ``<id>-down-kv``...), so
their CoreDNS blocks and toxics never collide with another fault's. `prepare`
merges the parts' changes into the one journal entry (the reaper undoes it like
any other); confirming and confirming the revert observe every part.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chaoskit.faults import registry
from chaoskit.faults.base import Change, Fault
from chaoskit.faults.context import Context
from chaoskit.faults.network import MAX_MS, REPLICATION
from chaoskit.faults.registry import register
from chaoskit.faults.spec import FaultSpec, derived_id
from chaoskit.topology import Topology


def part(parent: FaultSpec, suffix: str, fault: str, target: str, *, region: str | None = None,
         params: dict[str, Any] | None = None) -> FaultSpec:
    """A part's spec: its id derived from the composite's, its limits the composite's."""
    return FaultSpec(fault=fault, target=target, region=region, params=params or {},
                     id=derived_id(parent.id or "fault", suffix), max_duration=parent.max_duration)


class Composite(Fault):
    """A fault made of other faults."""

    family: ClassVar[str] = "composite"

    @classmethod
    def check_target(cls, spec: FaultSpec, topology: Topology) -> list[str]:
        return []

    @classmethod
    def part_specs(cls, spec: FaultSpec, topology: Topology, params: Any) -> list[FaultSpec]:
        """The parts of `spec`, given its validated `params`."""
        raise NotImplementedError

    @classmethod
    def check(cls, spec: FaultSpec, topology: Topology) -> list[str]:
        problems = cls.check_target(spec, topology)
        if problems:
            return problems
        try:
            params = cls.Params.model_validate(spec.params)
        except ValidationError:
            return []  # the registry reports parameter problems
        return [f"{spec.fault}: part {p.fault} {p.target}: {problem.message}"
                for p in cls.part_specs(spec, topology, params)
                for problem in registry.check_spec(p, topology)]

    def parts(self) -> list[Fault]:
        return [registry.build(s, self.topology)
                for s in self.part_specs(self.spec, self.topology, self.params)]

    def prepare(self, ctx: Context) -> Change:
        change = Change()
        entry = self.spec.id or "fault"
        for p in self.parts():
            part = p.prepare(ctx)
            # One journal entry holds every part, and a DNS block must open with its
            # entry's id (the undo path refuses others); the part's id stays in its view names.
            part.dns_blocks = {r: [_owned(b, p.spec.id or "fault", entry) for b in blocks]
                               for r, blocks in part.dns_blocks.items()}
            change = change.merge(part)
        return change

    def dns_targets(self) -> list[dict[str, str | None]]:
        return [t for p in self.parts() for t in p.dns_targets()]

    def confirm(self, ctx: Context, change: Change) -> str:
        return "; ".join(f"[{p.describe()}] {p.confirm(ctx, p.prepare(ctx))}"
                         for p in self.parts())

    def confirm_reverted(self, ctx: Context, change: Change) -> str:
        return "; ".join(f"[{p.describe()}] {p.confirm_reverted(ctx, p.prepare(ctx))}"
                         for p in self.parts())


def _owned(block: str, part_id: str, entry_id: str) -> str:
    """`block` of part `part_id`, its comment line naming the composite's entry."""
    head = f"# fault {part_id}: "
    if not block.startswith(head):
        raise ValueError(f"a DNS block of part {part_id} does not open with {head!r}")
    return f"# fault {entry_id}: part {part_id}, {block[len(head):]}"


def _endpoint_problems(spec: FaultSpec, topology: Topology) -> list[str]:
    known = topology.endpoint_names
    if spec.target in known:
        return []
    return [f"{spec.fault}: unknown endpoint {spec.target!r}; known: {', '.join(known)}"]


@register
class RegionOutage(Composite):
    name = "region.outage"
    summary = ("a whole region fails: its names SERVFAIL everywhere, its endpoints' proxies "
               "are down and its replication links are cut")

    @classmethod
    def check_target(cls, spec: FaultSpec, topology: Topology) -> list[str]:
        if spec.target in topology.regions:
            return []
        return [f"region.outage: unknown region {spec.target!r}; regions: "
                f"{', '.join(topology.regions)}"]

    @classmethod
    def part_specs(cls, spec: FaultSpec, topology: Topology, params: Any) -> list[FaultSpec]:
        region = spec.target
        parts = [part(spec, "dns", "dns.servfail", f"*.{topology.zone(region)}")]
        parts += [part(spec, f"down-{e}", "net.down", e, region=region)
                  for e in topology.endpoint_names]
        # The cross-region replication link crosses the region's edge: cut it from
        # every replica when the primary's region fails, or the failed replica's own.
        replicas = topology.regions[1:] if region == topology.primary else [region]
        parts += [part(spec, f"cut-{r}", "net.partition", REPLICATION, region=r,
                       params={"direction": "both"}) for r in replicas]
        return parts


class DependencyParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dns: bool = Field(default=False, description="its names answer NXDOMAIN too")


@register
class DependencyOutage(Composite):
    name = "dependency.outage"
    Params = DependencyParams
    summary = ("one endpoint fails in every region at once: its proxies are down "
               "(with dns: true, its names answer NXDOMAIN too)")

    @classmethod
    def check_target(cls, spec: FaultSpec, topology: Topology) -> list[str]:
        return _endpoint_problems(spec, topology)

    @classmethod
    def part_specs(cls, spec: FaultSpec, topology: Topology, params: Any) -> list[FaultSpec]:
        parts = [part(spec, "down", "net.down", spec.target)]
        if params.dns:
            parts += [part(spec, f"dns-{r}", "dns.nxdomain", topology.endpoint(spec.target, r).dns_name)
                      for r in topology.regions]
        return parts

    def describe(self) -> str:
        return f"{super().describe()}{' (and NXDOMAIN)' if self.params.dns else ''}"


class BrownoutParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ms: int = Field(default=300, ge=1, le=MAX_MS, description="added latency, milliseconds")
    error_fraction: float = Field(default=0.2, ge=0, le=1,
                                  description="share of new connections reset, 0..1")


@register
class Brownout(Composite):
    name = "brownout"
    Params = BrownoutParams
    options: ClassVar[frozenset[str]] = frozenset({"region"})
    summary = "slow and flaky, not down: added latency plus a share of connections reset"

    @classmethod
    def check_target(cls, spec: FaultSpec, topology: Topology) -> list[str]:
        return _endpoint_problems(spec, topology)

    @classmethod
    def part_specs(cls, spec: FaultSpec, topology: Topology, params: Any) -> list[FaultSpec]:
        return [
            part(spec, "slow", "net.latency", spec.target, region=spec.region,
                 params={"ms": params.ms, "stream": "downstream"}),
            # Reset as the request arrives: the request never reaches the endpoint.
            part(spec, "errors", "net.reset-peer", spec.target, region=spec.region,
                 params={"timeout": 0, "stream": "upstream", "toxicity": params.error_fraction}),
        ]

    def describe(self) -> str:
        return (f"{super().describe()} ({self.params.ms} ms, "
                f"{self.params.error_fraction:.0%} of connections reset)")
