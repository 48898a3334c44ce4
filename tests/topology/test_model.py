"""Topology validation: every problem with file:line:column, no traceback."""

from __future__ import annotations

import pytest

from chaoskit.errors import TopologyError
from chaoskit.topology import default_topology, parse_topology


def problems(text: str) -> list[str]:
    with pytest.raises(TopologyError) as info:
        parse_topology(text, "t.yaml")
    return [str(p) for p in info.value.problems]


def test_default_topology_has_two_regions_and_endpoints() -> None:
    t = default_topology()
    assert t.regions == ["us-east-1", "us-west-2"]
    assert t.primary == "us-east-1"
    assert [e.dns_name for e in t.endpoints] == [
        "kv.us-east-1.chaoskit.internal", "orders.us-east-1.chaoskit.internal",
        "kv.us-west-2.chaoskit.internal", "orders.us-west-2.chaoskit.internal"]


def test_unknown_key_points_at_the_key() -> None:
    assert problems("name: x\nregoins: [a]\n") == [
        "t.yaml:2:1: unknown key 'regoins' (did you mean 'regions'?)"]


def test_invalid_region_label_points_at_the_item() -> None:
    (p,) = problems("regions: [us-east-1, Bad_Region]\n")
    assert p.startswith("t.yaml:1:22: regions[1]:")
    assert "not a valid DNS label" in p


def test_duplicate_region_and_key() -> None:
    assert problems("regions: [a, a]\n") == ["t.yaml:1:14: duplicate region 'a'"]
    assert problems("name: x\nname: y\n") == ["t.yaml:2:1: duplicate key 'name'"]


def test_colliding_ports_and_unknown_endpoint_reported_together() -> None:
    ps = problems("services:\n  shop: {port: 6379, uses: [db], image: shop:1}\n")
    assert len(ps) == 2
    assert ps[0].startswith("t.yaml:2:16: port 6379 of service 'shop' collides with 'kv'")
    assert ps[1].startswith("t.yaml:2:29: service 'shop' uses unknown endpoint 'db'")


def test_reserved_names_and_pinned_host_port_collisions() -> None:
    ps = problems("services:\n  reaper: {image: x}\nports:\n  us-east-1: {dns: 5300, toxiproxy: 5300}\n")
    assert any("reserved by chaoskit" in p for p in ps)
    assert any("host port 5300 for us-east-1.toxiproxy collides with us-east-1.dns" in p for p in ps)


def test_service_without_image_must_be_builtin() -> None:
    (p,) = problems("services:\n  billing: {port: 8081}\n")
    assert "has no image" in p and p.startswith("t.yaml:2:3")


def test_yaml_syntax_error_has_position() -> None:
    (p,) = problems("regions: [a, b\nname: x\n")
    assert p.startswith("t.yaml:2:") and "invalid YAML" in p


def test_team_service_is_wired() -> None:
    t = parse_topology("services:\n  orders: {port: 8080, uses: [kv]}\n"
                       "  shop: {port: 9000, image: 'team/shop:1', uses: [kv, orders]}\n")
    assert "shop.us-west-2.chaoskit.internal" in [e.dns_name for e in t.endpoints]
