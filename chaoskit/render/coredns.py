"""CoreDNS configuration: a Corefile and one zone file per client view, per region."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from chaoskit.inworld.protocol.corefile import QUERY_LOG, write_corefile
from chaoskit.render.plan import Plan
from chaoskit.topology.model import GLOBAL_ZONE

BASELINE_TTL = 5

_env = Environment(loader=PackageLoader("chaoskit.render", "templates"),
                   undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)
# Every server block, the baseline's and each DNS fault's, logs its questions.
_env.globals["query_log"] = QUERY_LOG


def environment() -> Environment:
    return _env


def render_corefile(plan: Plan, region: str) -> str:
    others = [r for r in plan.topology.regions if r != region]
    return _env.get_template("Corefile.j2").render(
        plan=plan, region=region, zone=plan.topology.zone(region), views=plan.views, others=others,
        global_zone=plan.topology.global_zone)


def render_global_zone(plan: Plan, region: str, view_name: str, primary: str | None = None) -> str:
    """The world-wide zone as `region`'s CoreDNS serves it to `view_name`'s clients.

    ``kv`` answers with the address, on the client's network, of the Toxiproxy of
    the store's primary region (`primary`, default the topology's first region).
    """
    view = plan.view(view_name)
    kv = plan.topology.endpoint("kv", primary or plan.topology.primary)
    ns_net = view.name if view.cidr else region
    return _env.get_template("zone.db.j2").render(
        plan=plan, region=kv.region, zone=plan.topology.global_zone, view=view, serving=region,
        endpoints=[kv], ttl=BASELINE_TTL, ns_ip=plan.coredns_ip(region, on=ns_net))


def render_zone(plan: Plan, region: str, view_name: str) -> str:
    view = plan.view(view_name)
    endpoints = [e for e in plan.topology.endpoints if e.region == region]
    ns_net = view.name if view.cidr else region
    return _env.get_template("zone.db.j2").render(
        plan=plan, region=region, zone=plan.topology.zone(region), view=view, serving=region,
        endpoints=endpoints, ttl=BASELINE_TTL, ns_ip=plan.coredns_ip(region, on=ns_net))


def write_coredns(plan: Plan, region: str, directory: Path) -> None:
    (directory / "zones").mkdir(parents=True, exist_ok=True)
    directory.chmod(0o755)
    (directory / "zones").chmod(0o755)
    for view in plan.views:
        path = directory / "zones" / f"{view.name}.db"
        path.write_text(render_zone(plan, region, view.name))
        path.chmod(0o644)
        path = directory / "zones" / f"{GLOBAL_ZONE}-{view.name}.db"
        path.write_text(render_global_zone(plan, region, view.name))
        path.chmod(0o644)
    (directory / "Corefile.baseline").write_text(render_corefile(plan, region))
    (directory / "Corefile.baseline").chmod(0o644)
    write_corefile(directory, [], 0)
