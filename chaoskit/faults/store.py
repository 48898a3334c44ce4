"""Store faults: another region's store promoted to primary (``kv.promote``).

A regional failover that saves writes needs a store that accepts them in the
surviving region. ``kv.promote`` with ``target: us-west-2``:

1. makes ``kv-us-west-2`` a primary (``REPLICAOF NO ONE``);
2. points every other region's ``replication`` proxy at it (creating one in
   the old primary's region) and makes every other store a replica through its
   own region's proxy; a store that is down is demoted when it comes back (the
   reaper re-applies its role when it starts again);
3. flips the global name ``kv.global.<domain>`` (the store's writer endpoint,
   ``CHAOSKIT_WRITE_ENDPOINT_KV``) in every region's CoreDNS to the new
   primary, for every group of clients.

Confirmed by ``ROLE`` in each store and by asking every region's CoreDNS for
the global name. Reverting is a failback: the original primary becomes primary
again, the promoted store its replica (a full resync from it), and the global
name points back. Writes the promoted store accepted reach the original
primary only if it was its replica meanwhile; those it had not replicated are
lost, which is the RPO a failback costs.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from chaoskit.errors import ConfirmTimeout
from chaoskit.faults.base import Change, Fault
from chaoskit.faults.context import Context, eventually
from chaoskit.faults.registry import register
from chaoskit.faults.spec import FaultSpec
from chaoskit.inworld.protocol import promotion
from chaoskit.render.coredns import BASELINE_TTL
from chaoskit.render.plan import REPLICATION_PORT, Plan, View
from chaoskit.topology import Topology

REPLICATION = "replication"
CONFIRM_TIMEOUT_S = 20.0

_BLOCK = """\
# fault {fid}: kv.promote {target}: {name} answers the primary in {target} for clients of {view}
{zone}:53 {{
    view {fid}-{view} {{
        expr {expr}
    }}
    template IN A {zone} {{
        match "^{regex}$"
        answer "{{{{ .Name }}}} {ttl} IN A {address}"
        fallthrough
    }}
    file /etc/coredns/zones/global-{view}.db {zone} {{
        reload 0
    }}
    errors
}}
"""


def promotion_steps(plan: Plan, promoted: str) -> list[dict[str, Any]]:
    """The steps that make `promoted`'s store the primary, each with its baseline.

    Promoting the topology's own primary gives steps whose values are the
    baseline: `promotion.undo` of any promotion's steps restores the world.
    """
    topo = plan.topology
    primary, port = topo.primary, topo.model.kv.port

    def via_own_proxy(region: str) -> list[Any]:
        return [plan.toxiproxy_ip(region), REPLICATION_PORT]

    steps: list[dict[str, Any]] = [{
        "do": "replicaof", "service": f"kv-{promoted}", "port": port, "to": None,
        "baseline": None if promoted == primary else via_own_proxy(promoted)}]
    for r in topo.regions:
        if r == promoted:
            continue
        steps.append({
            "do": "proxy", "region": r, "name": REPLICATION, "listen": f"0.0.0.0:{REPLICATION_PORT}",
            "to": f"{plan.kv_ip(promoted)}:{port}",
            "baseline": None if r == primary else f"{plan.kv_ip(primary)}:{port}"})
    for r in topo.regions:
        if r == promoted:
            continue
        steps.append({
            "do": "replicaof", "service": f"kv-{r}", "port": port, "to": via_own_proxy(r),
            "baseline": None if r == primary else via_own_proxy(r)})
    return steps


def _regex(name: str) -> str:
    return name.replace(".", "[.]") + "[.]"


@register
class Promote(Fault):
    name = "kv.promote"
    family: ClassVar[str] = "kv"
    summary = ("the store of the target region becomes the primary: the others replicate from it "
               "and the global name kv.global.<domain> points at it in every region")

    @classmethod
    def check(cls, spec: FaultSpec, topology: Topology) -> list[str]:
        if spec.target not in topology.regions:
            return [f"kv.promote: target {spec.target!r} is not a region "
                    f"({', '.join(topology.regions)})"]
        if spec.target == topology.primary:
            return [f"kv.promote: {spec.target} already holds the primary; promote another region's "
                    "store (revert restores the original primary)"]
        return []

    def describe(self) -> str:
        return f"kv.promote {self.spec.target} (primary was {self.topology.primary})"

    def blocks(self, ctx: Context, serving: str) -> list[str]:
        name = ctx.topology.write_name("kv")
        out = []
        for view in ctx.plan.views:
            out.append(_BLOCK.format(
                fid=self.spec.id or "promote", target=self.spec.target, name=name, view=view.name,
                zone=ctx.topology.global_zone, expr=ctx.plan.view_expr(view), regex=_regex(name),
                ttl=BASELINE_TTL, address=self.answer(ctx, view, serving)))
        return out

    def answer(self, ctx: Context, view: View, serving: str) -> str:
        return ctx.plan.answer_ip(self.spec.target, view, serving)

    def prepare(self, ctx: Context) -> Change:
        return Change(dns_blocks={r: self.blocks(ctx, r) for r in ctx.topology.regions},
                      replication=promotion_steps(ctx.plan, self.spec.target))

    # --- observation ---------------------------------------------------------------------------
    def _global(self, ctx: Context, region: str) -> str:
        return self._global_from(ctx, region, self.spec.target)

    @staticmethod
    def _global_from(ctx: Context, serving: str, primary: str) -> str:
        want = ctx.plan.toxiproxy_ip(primary, on=serving)  # the host view through that CoreDNS
        name = ctx.topology.write_name("kv")

        def check() -> str | None:
            ans = ctx.ask_host(serving, name)
            got = [a["value"] for a in ans["answers"]]
            return f"{name} via {serving}: {got[0]}" if ans["rcode"] == "NOERROR" and got == [want] else None

        return eventually(check, f"{name} via {serving} answering {want}", timeout=8, interval=0.05)

    @staticmethod
    def _roles(ctx: Context, steps: list[dict[str, Any]], key: str) -> str:
        evidence = []
        for step in steps:
            if step["do"] != "replicaof":
                continue
            service, want = step["service"], step[key]
            if StoreEngine(ctx).started(service) is None:
                evidence.append(f"{service} down (its role is set when it is back)")
                continue

            def check(service: str = service, want: Any = want, port: int = step["port"]) -> str | None:
                code, out = StoreEngine(ctx).run(service, promotion.role_argv(port))
                role = promotion.parse_role(out) if code == 0 else {"role": "unknown"}
                if not promotion.holds(role, want):
                    return None
                if role["role"] == "replica" and role["state"] != "connected":
                    return None  # wait for the link: a replica that never syncs is no evidence
                return f"{service} {role['role']}" + (f" of {role['host']}:{role['port']}"
                                                       if role["role"] == "replica" else "")

            evidence.append(eventually(check, f"ROLE of {service}", timeout=CONFIRM_TIMEOUT_S,
                                       interval=0.2))
        return "; ".join(evidence)

    def confirm(self, ctx: Context, change: Change) -> str:
        roles = self._roles(ctx, change.replication, "to")
        names = "; ".join(self._global(ctx, r) for r in ctx.topology.regions)
        return f"{roles}; {names}"

    def confirm_reverted(self, ctx: Context, change: Change) -> str:
        roles = self._roles(ctx, change.replication, "baseline")
        names = "; ".join(self._global_from(ctx, r, ctx.topology.primary) for r in ctx.topology.regions)
        return f"{roles}; {names}"


class StoreEngine:
    """What `chaoskit.inworld.promotion` needs, from the host: Docker and Toxiproxy."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def run(self, service: str, argv: list[str]) -> tuple[int, str]:
        try:
            code, out = self.ctx.world.container(service).exec_run(argv)
        except Exception as exc:  # the engine refuses (paused, stopped): promotion's OSError
            raise OSError(f"{service}: {exc}") from exc
        return int(code), out.decode(errors="replace") if isinstance(out, bytes) else str(out)

    def started(self, service: str) -> str | None:
        try:
            container = self.ctx.world.container(service)
            container.reload()
        except Exception:
            return None
        state = container.attrs["State"]
        return str(state.get("StartedAt")) if state.get("Status") == "running" else None

    def toxiproxy_url(self, region: str) -> str:
        return self.ctx.world.toxiproxy_url(region)

    def apply(self, steps: list[dict[str, Any]]) -> list[str]:
        return promotion.apply(steps, self.run, self.started, self.toxiproxy_url)

    def undo(self, steps: list[dict[str, Any]]) -> list[str]:
        return promotion.undo(steps, self.run, self.started, self.toxiproxy_url)


def restore_primary(ctx: Context) -> list[str]:
    """Make the topology's primary the primary again, wherever a promotion left the world."""
    primary = ctx.topology.primary
    # The primary's region has no replication proxy in the baseline; a promotion made one.
    extra = {"do": "proxy", "region": primary, "name": REPLICATION,
             "listen": f"0.0.0.0:{REPLICATION_PORT}", "to": None, "baseline": None}
    steps = [extra, *promotion_steps(ctx.plan, primary)]
    deadline = time.monotonic() + CONFIRM_TIMEOUT_S
    while True:
        # A store a reset has just started may not answer yet.
        problems = StoreEngine(ctx).undo(steps)
        if not problems:
            return [f"kv-{primary} primary; " + ", ".join(
                f"kv-{r} its replica" for r in ctx.topology.regions if r != primary)]
        if time.monotonic() > deadline:
            raise ConfirmTimeout("store roles not restored: " + "; ".join(problems))
        time.sleep(0.5)
