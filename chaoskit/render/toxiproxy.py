"""The Toxiproxy proxy list of each region, loaded by the server at start (-config)."""

from __future__ import annotations

from typing import Any

from chaoskit.render.plan import REPLICATION_PORT, Plan


def proxies(plan: Plan, region: str) -> list[dict[str, Any]]:
    """Every listener on `region`'s Toxiproxy.

    - one per endpoint of the region (``kv``, ``orders``...), on the endpoint's port;
    - ``dns-<view>``: DNS over TCP to this region's CoreDNS fault-free listener,
      so a latency toxic can slow real answers (dns.slow);
    - ``replication`` (replica regions): the cross-region link from this
      region's store to the primary's.
    """
    out: list[dict[str, Any]] = []
    for e in plan.topology.endpoints:
        if e.region != region:
            continue
        out.append({"name": e.name, "listen": f"0.0.0.0:{e.port}",
                    "upstream": f"{plan.upstream_ip(e.name, region)}:{e.port}", "enabled": True})
    for view in plan.views:
        out.append({"name": f"dns-{view.name}", "listen": f"0.0.0.0:{plan.dns_proxy_port(view)}",
                    "upstream": f"{plan.coredns_ip(region)}:{plan.dns_baseline_port(view)}",
                    "enabled": True})
    if region != plan.topology.primary:
        primary = plan.topology.primary
        out.append({"name": "replication", "listen": f"0.0.0.0:{REPLICATION_PORT}",
                    "upstream": f"{plan.kv_ip(primary)}:{plan.topology.model.kv.port}",
                    "enabled": True})
    return out
