"""Rendering is pure: the same topology and subnets give the same files."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from chaoskit.render import Plan, default_subnets, proxies, render_world
from chaoskit.topology import default_topology

ROOT = Path(__file__).resolve().parents[2]


def plan() -> Plan:
    t = default_topology()
    return Plan(t, "chaoskit-demo", default_subnets(t))


def test_every_published_port_is_on_loopback(tmp_path: Path) -> None:
    compose = yaml.safe_load(render_world(plan(), tmp_path).read_text())
    ports = [p for s in compose["services"].values() for p in s.get("ports", [])]
    assert ports and all(p.startswith("127.0.0.1:") for p in ports)


def test_every_container_has_a_healthcheck_or_is_one_shot(tmp_path: Path) -> None:
    compose = yaml.safe_load(render_world(plan(), tmp_path).read_text())
    for name, svc in compose["services"].items():
        assert name == "tools" or "healthcheck" in svc, name
        for dep in (svc.get("depends_on") or {}).values():
            assert dep["condition"] in ("service_healthy", "service_completed_successfully")


def test_subnets_skip_used_ones() -> None:
    t = default_topology()
    assert default_subnets(t, {"10.213.0.0/24"}) == {"us-east-1": "10.213.1.0/24",
                                                     "us-west-2": "10.213.2.0/24"}


def test_dependencies_go_through_toxiproxy() -> None:
    p = plan()
    names = {x["name"]: x for x in proxies(p, "us-west-2")}
    assert names["kv"]["upstream"] == f"{p.kv_ip('us-west-2')}:6379"
    assert names["replication"]["upstream"] == f"{p.kv_ip('us-east-1')}:6379"
    assert "replication" not in {x["name"] for x in proxies(p, "us-east-1")}


def test_committed_compose_directory_is_fresh(tmp_path: Path) -> None:
    render_world(plan(), tmp_path)
    for f in tmp_path.rglob("*"):
        if f.is_file() and f.name != "world.json":
            committed = ROOT / "compose" / f.relative_to(tmp_path)
            assert committed.exists(), f"compose/ lacks {committed}; run `chaoskit render`"
            assert committed.read_text() == f.read_text(), f"stale {committed}; run `chaoskit render`"
    assert json.loads((tmp_path / "world.json").read_text())["project"] == "chaoskit-demo"


def test_a_service_gets_the_documented_contract() -> None:
    from chaoskit.render.compose import service_contract

    p = plan()
    env = service_contract(p, "orders", "us-west-2")
    assert env == {
        "CHAOSKIT_SERVICE": "orders",
        "CHAOSKIT_REGION": "us-west-2",
        "CHAOSKIT_DOMAIN": "chaoskit.internal",
        "CHAOSKIT_PORT": "8080",
        "CHAOSKIT_ENDPOINT_KV": "kv.us-west-2.chaoskit.internal:6379",
        "CHAOSKIT_ENDPOINTS_KV": "kv.us-west-2.chaoskit.internal:6379,kv.us-east-1.chaoskit.internal:6379",
        "CHAOSKIT_ENDPOINT_KV_US_EAST_1": "kv.us-east-1.chaoskit.internal:6379",
        "CHAOSKIT_ENDPOINT_KV_US_WEST_2": "kv.us-west-2.chaoskit.internal:6379",
        "CHAOSKIT_WRITE_ENDPOINT_KV": "kv.global.chaoskit.internal:6379",
    }


def test_the_global_name_answers_the_primary_regions_proxy_on_each_clients_network(tmp_path: Path) -> None:
    p = plan()
    render_world(p, tmp_path)
    for serving in p.topology.regions:
        zones = tmp_path / "regions" / serving / "coredns" / "zones"
        for view in p.views:
            text = (zones / f"global-{view.name}.db").read_text()
            net = view.name if view.cidr else serving
            assert f"kv IN A {p.toxiproxy_ip('us-east-1', on=net)}" in text
        corefile = (tmp_path / "regions" / serving / "coredns" / "Corefile.baseline").read_text()
        assert corefile.count("global.chaoskit.internal:53 {") == len(p.views)


def test_no_region_may_be_called_global() -> None:
    import pytest

    from chaoskit.errors import TopologyError
    from chaoskit.topology import parse_topology

    with pytest.raises(TopologyError, match=r"t.yaml:1:\d+: region name 'global' is reserved"):
        parse_topology("regions: [global, us-west-2]\n", "t.yaml")
