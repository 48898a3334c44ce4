"""Topology validation: every problem with file:line:column, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaoskit.errors import TopologyError
from chaoskit.topology import default_topology, load_topology, parse_topology


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


# --- subnets ------------------------------------------------------------------------------------
SUBNETS = "regions: [us-east-1, us-west-2]\nsubnets:\n  us-east-1: {east}\n  us-west-2: {west}\n"


@pytest.mark.parametrize(("east", "message"), [
    ("not-a-network", "is not an IPv4 network such as 10.213.7.0/24"),
    ("10.1.0.0", "give a prefix length"),
    ("10.1.0.1/24", "has host bits set"),
    ("10.1.0.0/33", "is not an IPv4 network"),
    ("'fe80::1%eth0/64'", "IPv6 is not supported"),
    ("'fd00::/64'", "IPv6 is not supported"),
    ("127.0.0.0/24", "is loopback"),
    ("169.254.0.0/24", "is link-local"),
    ("224.0.0.0/24", "is multicast"),
    ("0.0.0.0/24", "is reserved"),
    ("8.8.8.0/24", "is public"),
    ("10.1.0.0/28", "has 16 addresses; this world needs 32 (a /27 or larger)"),
    ("10.2.0.0/16", "overlaps 10.2.0.0/24 of region 'us-east-1'"),
])
def test_bad_subnets_are_located_problems(east: str, message: str) -> None:
    west = "10.2.0.0/24"
    if "overlaps" in message:
        east, west = "10.2.0.0/24", "10.2.0.0/16"
    (p,) = problems(SUBNETS.format(east=east, west=west))
    assert message in p
    assert p.startswith("t.yaml:3:" if "overlaps" not in message else "t.yaml:4:")


def test_subnets_for_some_regions_only_or_unknown_regions_are_refused() -> None:
    ps = problems("regions: [us-east-1, us-west-2]\nsubnets:\n  us-east-1: 10.1.0.0/24\n"
                  "  us-east-2: 10.2.0.0/24\n")
    assert any(p.startswith("t.yaml:4:3: subnet for unknown region 'us-east-2'") for p in ps)
    assert any("give one for every region or none; missing: us-west-2" in p for p in ps)


def test_good_subnets_reach_the_corefile_as_given(tmp_path: Path) -> None:
    from chaoskit.render import Plan, default_subnets, render_world

    t = parse_topology(SUBNETS.format(east="10.1.0.0/26", west="192.168.7.0/24") +
                       "services:\n  orders: {}\n")
    plan = Plan(t, "chaoskit-demo", default_subnets(t))
    render_world(plan, tmp_path)
    corefile = (tmp_path / "regions" / "us-east-1" / "coredns" / "Corefile.baseline").read_text()
    assert "incidr(client_ip(), '10.1.0.0/26')" in corefile
    assert "incidr(client_ip(), '192.168.7.0/24')" in corefile


def test_the_plan_fits_the_smallest_subnet_the_model_accepts() -> None:
    """The model's size rule and render/plan.py's layout agree: every address is inside."""
    import ipaddress

    from chaoskit.render import Plan
    from chaoskit.topology.model import MAX_REGIONS, plan_hosts_needed

    regions = [f"r{i}" for i in range(MAX_REGIONS)]
    services = "".join(f"  s{k}: {{image: 'team/s:1', port: {9000 + k}}}\n" for k in range(30))
    needed = plan_hosts_needed(len(regions), 30)
    prefix = 32 - (needed - 1).bit_length()
    subnets = "".join(f"  {r}: 10.9.{i}.0/{prefix}\n" for i, r in enumerate(regions))
    t = parse_topology(f"regions: [{', '.join(regions)}]\nservices:\n{services}subnets:\n{subnets}")
    plan = Plan(t, "chaoskit-x", dict(t.model.subnets))
    for r in regions:
        net = ipaddress.ip_network(plan.subnets[r])
        inside = [plan.gateway(r), plan.kv_ip(r), plan.agent_ip(r),
                  *([plan.reaper_ip()] if r == t.primary else []),
                  *(plan.coredns_ip(o, on=r) for o in regions),
                  *(plan.toxiproxy_ip(o, on=r) for o in regions),
                  *(plan.service_ip(s, r) for s in t.services)]
        for address in inside:
            ip = ipaddress.ip_address(address)
            assert ip in net and ip != net.broadcast_address, (address, net)
    smaller = subnets.replace(f"/{prefix}", f"/{prefix + 1}")
    with pytest.raises(TopologyError, match="this world needs"):
        parse_topology(f"regions: [{', '.join(regions)}]\nservices:\n{services}subnets:\n{smaller}")


# --- names and collisions -----------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "regions: [\"us-east-1\\n\"]\n",
    "name: \"demo\\n\"\n",
    "domain: \"chaoskit.internal\\n\"\n",
    "services:\n  \"orders\\n\": {}\n",
])
def test_names_ending_with_a_newline_are_refused(text: str) -> None:
    assert any("not a valid DNS label" in p for p in problems(text))


def test_a_world_name_ending_with_a_newline_is_refused() -> None:
    from chaoskit.errors import UserError
    from chaoskit.world._world import project_name

    assert project_name(default_topology(), "ci-7") == "chaoskit-ci-7"
    for bad in ("ci-7\n", "ci 7", "Ci", "-ci", "x" * 52):
        with pytest.raises(UserError):
            project_name(default_topology(), bad)


@pytest.mark.parametrize("region", ["host", "ns", "kv", "coredns"])
def test_a_region_may_not_take_a_name_the_world_uses(region: str) -> None:
    (p,) = problems(f"regions: [us-east-1, {region}]\n")
    assert p.startswith("t.yaml:1:22: ") and f"region name {region!r} is reserved by chaoskit" in p


def test_a_service_named_ns_is_refused() -> None:
    (p,) = problems("services:\n  ns: {image: 'team/ns:1'}\n")
    assert p.startswith("t.yaml:2:3: ") and "'ns' is reserved by chaoskit" in p


def test_names_that_compose_to_the_same_container_are_refused() -> None:
    ps = problems("regions: [b-c, c]\nservices:\n  a: {image: 'team/a:1', port: 9001}\n"
                  "  a-b: {image: 'team/ab:1', port: 9002}\n")
    assert ps == ["t.yaml:4:3: service 'a-b' in region 'c' and service 'a' in region 'b-c' "
                  "would both be container 'a-b-c'; rename one"]
    ps = problems("regions: [us-east-1, east-1]\nservices:\n  coredns-us: {image: 'team/c:1'}\n")
    assert len(ps) == 1 and "chaoskit's coredns of region 'us-east-1'" in ps[0]


def test_a_service_named_like_a_dns_proxy_is_refused() -> None:
    (p,) = problems("services:\n  dns-us-east-1: {image: 'team/d:1'}\n")
    assert p.startswith("t.yaml:2:3: ") and "proxy for DNS answers" in p


def test_store_port_inside_the_dns_proxy_range_is_refused() -> None:
    (p,) = problems("kv: {port: 15301}\n")
    assert p.startswith("t.yaml:1:12: kv port 15301 is reserved for DNS through Toxiproxy")


@pytest.mark.parametrize("port", [0, 70000, -1])
def test_pinned_endpoint_ports_are_bounded(port: int) -> None:
    (p,) = problems(f"ports:\n  us-east-1:\n    endpoints: {{kv: {port}}}\n")
    assert p.startswith("t.yaml:3:") and "ports.us-east-1.endpoints.kv" in p


@pytest.mark.parametrize(("field", "value", "message"), [
    ("image", "'team/$HOME:1'", "is not an image reference"),
    ("image", "'Team/App'", "is not an image reference"),
    ("env", "{'A B': x}", "environment variable name 'A B'"),
    ("health_path", "'/health now'", "must start with '/'"),
    ("health_path", "health", "must start with '/'"),
])
def test_service_strings_that_reach_compose_are_checked(field: str, value: str, message: str) -> None:
    (p,) = problems(f"services:\n  shop: {{image: 'team/shop:1', {field}: {value}}}\n"
                    if field != "image" else f"services:\n  shop: {{image: {value}}}\n")
    assert p.startswith("t.yaml:2:") and message in p


def test_a_5000_digit_number_is_a_located_problem() -> None:
    (p,) = problems("kv: {port: " + "9" * 5000 + "}\n")
    assert p == "t.yaml:1:12: a number with 5000 digits is out of range (at most 4300 digits)"


# --- reading files ------------------------------------------------------------------------------
def test_a_device_a_fifo_and_a_huge_file_are_refused_before_reading(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as fh:
        fh.truncate(50_000_000)  # sparse: refused by its size, never read
    for path, message in ((Path("/dev/zero"), "it is a device, not a regular file"),
                          (fifo, "it is a FIFO, not a regular file"),
                          (tmp_path, "is a directory"),
                          (huge, "topology is 50000000 bytes; at most 1000000 are read"),
                          (tmp_path / "nope.yaml", "no such file or directory")):
        with pytest.raises(TopologyError) as info:
            load_topology(path)
        (p,) = info.value.problems
        assert str(p).startswith(f"{path}: ") and message in str(p), str(p)


def test_a_region_named_like_a_global_zone_file_is_refused() -> None:
    (p,) = problems("regions: [us-east-1, global-us-east-1]\n")
    assert p.startswith("t.yaml:1:22: ") and "global zone of another view" in p
    (p,) = problems("regions: [global-host]\n")
    assert "global zone of another view" in p
