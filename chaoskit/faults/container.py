"""Container faults, through the Docker engine: a container stopped, killed, paused,
restarted, or cut off a region's network.

The target is a compose service of the world, by its full name (``kv-us-east-1``)
or by its name in a region (``kv`` with ``region: us-east-1``; without a region,
that container in every region). The reaper and the tools helper are never
targets: the reaper is the dead man's switch that reverts faults when chaoskit
dies. Each change is journaled with its undo (start, unpause, connect with the
container's own address), which the controller and the reaper both apply;
`docker inspect` confirms the fault and the baseline (running, and healthy
again where the container has a healthcheck).
"""

from __future__ import annotations

import signal
from typing import Any, ClassVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from chaoskit.errors import ConfirmTimeout
from chaoskit.faults.base import Change, Fault
from chaoskit.faults.context import Context, eventually
from chaoskit.faults.registry import register
from chaoskit.faults.spec import FaultSpec
from chaoskit.topology import Topology

PROTECTED = {
    "reaper": "the reaper is the world's dead man's switch (it reverts faults whose holder "
              "died) and cannot be a fault's target",
    "tools": "tools is a one-shot helper that has already exited and cannot be a fault's target",
}
# Roles whose container sits on every region's network; the others only on their own.
EVERY_NETWORK = ("coredns", "toxiproxy")
CONFIRM_TIMEOUT_S = 15.0
HEALTHY_TIMEOUT_S = 45.0


def roles(topology: Topology) -> list[str]:
    """Names that, with a region, make a compose service: ``<role>-<region>``."""
    gate = ["kvgate"] if topology.model.kv.capacity is not None else []  # the store's capacity
    return ["coredns", "toxiproxy", "kv", *gate, "agent", *topology.services]


def services(topology: Topology) -> dict[str, tuple[str, str]]:
    """Every compose service a container fault may target -> (role, region)."""
    return {f"{role}-{r}": (role, r) for r in topology.regions for role in roles(topology)}


def resolve(spec: FaultSpec, topology: Topology) -> list[tuple[str, str, str]]:
    """(service, role, region) of every container the spec targets; ValueError if none."""
    target = spec.target
    if target in PROTECTED:
        raise ValueError(f"{spec.fault}: {PROTECTED[target]}")
    known = services(topology)
    if target in known:
        role, region = known[target]
        if spec.region is not None and spec.region != region:
            raise ValueError(f"{spec.fault}: {target} is in {region}, not {spec.region} "
                             f"(drop region, or target {role} with region {spec.region})")
        return [(target, role, region)]
    if target in roles(topology):
        regions = [spec.region] if spec.region else topology.regions
        return [(f"{target}-{r}", target, r) for r in regions if r in topology.regions]
    raise ValueError(f"{spec.fault}: unknown container {target!r}; give a compose service "
                     f"({', '.join(known)}) or one of {', '.join(roles(topology))} with a region")


def _state(container: Any) -> dict[str, Any]:
    container.reload()
    return dict(container.attrs["State"])


def _networks(container: Any) -> dict[str, Any]:
    return dict(container.attrs["NetworkSettings"]["Networks"] or {})


def _brief(service: str, state: dict[str, Any]) -> str:
    health = (state.get("Health") or {}).get("Status")
    extra = f", exit code {state.get('ExitCode')}" if state.get("Status") == "exited" else ""
    return f"{service} {state.get('Status')}{f' ({health})' if health else ''}{extra}"


class ContainerFault(Fault):
    """One action on one or more containers, undone by another."""

    family: ClassVar[str] = "container"
    options: ClassVar[frozenset[str]] = frozenset({"region"})
    action: ClassVar[str]
    undo: ClassVar[str]
    # docker inspect's State.Status while the fault is in force.
    status: ClassVar[str] = ""

    @classmethod
    def check(cls, spec: FaultSpec, topology: Topology) -> list[str]:
        try:
            resolve(spec, topology)
        except ValueError as exc:
            return [str(exc)]
        return []

    def targets(self) -> list[tuple[str, str, str]]:
        return resolve(self.spec, self.topology)

    def entry(self, ctx: Context, service: str, role: str, region: str) -> dict[str, Any]:
        """The journal entry for one container: what to do and how to undo it."""
        return {"service": service, "action": self.action, "undo": self.undo}

    def prepare(self, ctx: Context) -> Change:
        return Change(containers=[self.entry(ctx, *t) for t in self.targets()])

    def describe(self) -> str:
        where = f" in {self.spec.region}" if self.spec.region else ""
        return f"{self.name} {self.spec.target}{where}"

    # --- observation -------------------------------------------------------------------------
    def in_force(self, container: Any, entry: dict[str, Any]) -> str | None:
        state = _state(container)
        return _brief(entry["service"], state) if state.get("Status") == self.status else None

    def restored(self, container: Any, entry: dict[str, Any]) -> str | None:
        state = _state(container)
        health = (state.get("Health") or {}).get("Status")
        if state.get("Status") != "running" or health not in (None, "healthy"):
            return None
        return _brief(entry["service"], state)

    def _each(self, ctx: Context, change: Change, reverted: bool) -> str:
        evidence = []
        look = self.restored if reverted else self.in_force
        for entry in change.containers:
            container = ctx.world.container(entry["service"])

            def check(container: Any = container, entry: dict[str, Any] = entry) -> str | None:
                return look(container, entry)

            what = (f"{entry['service']} back to running (and healthy) after {self.name}"
                    if reverted else f"{self.name} of {entry['service']} in docker inspect")
            evidence.append(eventually(check, what, interval=0.1,
                                       timeout=HEALTHY_TIMEOUT_S if reverted else CONFIRM_TIMEOUT_S))
        return "; ".join(evidence)

    def confirm(self, ctx: Context, change: Change) -> str:
        return self._each(ctx, change, reverted=False)

    def confirm_reverted(self, ctx: Context, change: Change) -> str:
        return self._each(ctx, change, reverted=True)


class GraceParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timeout: int = Field(default=2, ge=0, le=60,
                         description="seconds between SIGTERM and SIGKILL")


class KillParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signal: str = Field(default="SIGKILL", description="signal name, e.g. SIGKILL, SIGTERM")

    @field_validator("signal")
    @classmethod
    def _signal(cls, value: str) -> str:
        name = str(value).strip().upper()
        name = name if name.startswith("SIG") else "SIG" + name
        if name not in signal.Signals.__members__:
            raise ValueError(f"unknown signal {value!r} (e.g. SIGKILL, SIGTERM, SIGINT, SIGQUIT)")
        return name


class DisconnectParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    network: str | None = Field(default=None,
                                description="region whose network to leave (default: its own)")


@register
class Stop(ContainerFault):
    name = "container.stop"
    action = "stop"
    undo = "start"
    status = "exited"
    Params = GraceParams
    summary = "the container is stopped (SIGTERM, then SIGKILL after timeout s)"

    def entry(self, ctx: Context, service: str, role: str, region: str) -> dict[str, Any]:
        return {**super().entry(ctx, service, role, region), "timeout": self.params.timeout}


@register
class Kill(ContainerFault):
    name = "container.kill"
    action = "kill"
    undo = "start"
    status = "exited"
    Params = KillParams
    summary = "the container's main process gets a signal (default SIGKILL) and the container exits"

    def entry(self, ctx: Context, service: str, role: str, region: str) -> dict[str, Any]:
        return {**super().entry(ctx, service, role, region), "signal": self.params.signal}

    def describe(self) -> str:
        return f"{super().describe()} with {self.params.signal}"

    def confirm(self, ctx: Context, change: Change) -> str:
        try:
            return super().confirm(ctx, change)
        except ConfirmTimeout as exc:
            raise ConfirmTimeout(f"{exc}: a main process (PID 1) that handles or ignores "
                                 f"{self.params.signal} keeps running; use SIGKILL") from None


@register
class Pause(ContainerFault):
    name = "container.pause"
    action = "pause"
    undo = "unpause"
    status = "paused"
    summary = "the container is frozen (cgroup freezer): connections hang, nothing answers"


@register
class Restart(ContainerFault):
    name = "container.restart"
    action = "restart"
    # Starting a running container is a no-op (the reaper's Docker call answers 304),
    # and it brings back one that did not come up again.
    undo = "start"
    Params = GraceParams
    summary = "the container is restarted (stop, then start)"

    def entry(self, ctx: Context, service: str, role: str, region: str) -> dict[str, Any]:
        started = _state(ctx.world.container(service)).get("StartedAt")
        return {**super().entry(ctx, service, role, region), "timeout": self.params.timeout,
                "started_at": started}

    def in_force(self, container: Any, entry: dict[str, Any]) -> str | None:
        state = _state(container)
        if state.get("Status") == "running" and state.get("StartedAt") != entry.get("started_at"):
            return f"{entry['service']} running again, started at {state.get('StartedAt')}"
        return None


@register
class Disconnect(ContainerFault):
    name = "container.disconnect"
    action = "disconnect"
    undo = "connect"
    Params = DisconnectParams
    summary = "the container is cut off a region's network (its own by default)"

    @classmethod
    def check(cls, spec: FaultSpec, topology: Topology) -> list[str]:
        try:
            targets = resolve(spec, topology)
        except ValueError as exc:
            return [str(exc)]
        network = spec.params.get("network")
        if network is None:
            return []
        if network not in topology.regions:
            return [f"{spec.fault}: network {network!r} is not a region "
                    f"({', '.join(topology.regions)})"]
        return [f"{spec.fault}: {service} is only on {region}'s network, not {network}'s"
                for service, role, region in targets
                if role not in EVERY_NETWORK and network != region]

    def entry(self, ctx: Context, service: str, role: str, region: str) -> dict[str, Any]:
        net_region = self.params.network or region
        key = ctx.plan.networks[net_region]
        compose = yaml.safe_load(ctx.world.compose_file.read_text())
        address = compose["services"][service]["networks"][key]["ipv4_address"]
        return {**super().entry(ctx, service, role, region),
                "network": f"{ctx.world.project}_{key}", "ipv4_address": address,
                # What the reaper hands Docker to reconnect with the same address.
                "endpoint": {"IPAMConfig": {"IPv4Address": address}}}

    def describe(self) -> str:
        network = f" from {self.params.network}'s network" if self.params.network else ""
        return f"{super().describe()}{network}"

    def in_force(self, container: Any, entry: dict[str, Any]) -> str | None:
        _state(container)
        if entry["network"] in _networks(container):
            return None
        return f"{entry['service']} not on {entry['network']}"

    def restored(self, container: Any, entry: dict[str, Any]) -> str | None:
        running = super().restored(container, entry)
        net = _networks(container).get(entry["network"])
        if running is None or net is None or net.get("IPAddress") != entry["ipv4_address"]:
            return None
        return f"{running}, on {entry['network']} at {net['IPAddress']}"
