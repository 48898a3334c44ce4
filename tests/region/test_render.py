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


DOLLARS = """name: dollars
regions: [us-east-1]
services:
  orders:
    env: {LEAK: "$HOME", ABORT: "${CHAOSKIT_SURELY_UNSET:?boom}", BOTH: "a$$b"}
  shop:
    image: team/shop:1
    port: 9000
    command: [sh, -c, "echo $PATH ${HOME}"]
    health_path: /health?token=$SECRET
"""


def test_dollars_in_topology_values_reach_compose_literally(tmp_path: Path) -> None:
    """Compose fills `$X` from the runner's environment and aborts on `${X:?}`: user values are
    escaped, chaoskit's own image defaults are not."""
    import shutil
    import subprocess

    from chaoskit.topology import parse_topology

    t = parse_topology(DOLLARS)
    path = render_world(Plan(t, "chaoskit-dollars", default_subnets(t)), tmp_path)
    compose = yaml.safe_load(path.read_text())
    orders = compose["services"]["orders-us-east-1"]
    assert orders["environment"]["LEAK"] == "$$HOME"
    assert orders["environment"]["ABORT"] == "$${CHAOSKIT_SURELY_UNSET:?boom}"
    assert orders["image"].startswith("${CHAOSKIT_IMAGE_SERVICES:-")
    assert compose["services"]["kv-us-east-1"]["image"].startswith("${CHAOSKIT_IMAGE_KV:-")
    # What Compose itself makes of the file (no engine needed for `config`).
    assert shutil.which("docker"), "the docker client is part of the test environment"
    env = {"PATH": "/usr/bin:/bin:/usr/local/bin", "HOME": "/root-of-the-runner",
           "SECRET": "s3cret", "CHAOSKIT_IMAGE_KV": "kv:chosen"}
    out = subprocess.run(["docker", "compose", "-f", str(path), "config", "--format", "json"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    config = json.loads(out.stdout)
    # `config` prints the interpolated file escaped again, so a literal `$` shows as `$$`.
    seen = config["services"]["orders-us-east-1"]["environment"]
    assert (seen["LEAK"], seen["ABORT"], seen["BOTH"]) == ("$$HOME", "$${CHAOSKIT_SURELY_UNSET:?boom}",
                                                           "a$$$$b")
    shop = config["services"]["shop-us-east-1"]
    assert shop["command"] == ["sh", "-c", "echo $$PATH $${HOME}"]
    assert "/health?token=$$SECRET" in shop["healthcheck"]["test"][-1]
    assert "s3cret" not in out.stdout and "/root-of-the-runner" not in out.stdout
    assert config["services"]["kv-us-east-1"]["image"] == "kv:chosen"


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
