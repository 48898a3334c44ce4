"""`capacity:` in a topology: validated at file:line:col, rendered as the store's gate in the
path between Toxiproxy and the store, and as the reference services' own variables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chaoskit.errors import TopologyError
from chaoskit.render import Plan, default_subnets, proxies
from chaoskit.render.compose import render_compose
from chaoskit.topology import parse_topology

ROOT = Path(__file__).resolve().parents[2]
GATED = """\
regions: [us-east-1, us-west-2]
kv:
  capacity: {ops_per_second: 150, when_full: slow}
services:
  orders: {uses: [kv], capacity: {in_flight: 8}}
"""


def _plan(text: str) -> Plan:
    t = parse_topology(text)
    return Plan(t, "chaoskit-cap", default_subnets(t))


def test_a_store_capacity_puts_a_gate_between_toxiproxy_and_the_store() -> None:
    plan = _plan(GATED)
    compose = render_compose(plan)
    for r in ("us-east-1", "us-west-2"):
        gate = compose["services"][f"kvgate-{r}"]
        assert gate["command"] == ["python3", "-m", "inworld.kvgate"]
        assert gate["environment"] == {
            "KVGATE_LISTEN": "0.0.0.0:6379", "KVGATE_UPSTREAM": f"{plan.kv_ip(r)}:6379",
            "KVGATE_OPS_PER_SECOND": "150", "KVGATE_WHEN_FULL": "slow"}
        assert "ports" not in gate  # reached only through Toxiproxy, like the store
        kv = next(p for p in proxies(plan, r) if p["name"] == "kv")
        assert kv["upstream"] == f"{plan.kvgate_ip(r)}:6379"
        assert "kvgate-" + r in compose["services"][f"orders-{r}"]["depends_on"]
    # replication does not pass the gate: a replica's sync is not a client's load
    replication = next(p for p in proxies(plan, "us-west-2") if p["name"] == "replication")
    assert replication["upstream"] == f"{plan.kv_ip('us-east-1')}:6379"
    env = compose["services"]["orders-us-east-1"]["environment"]
    assert env["ORDERS_CAPACITY_IN_FLIGHT"] == "8" and env["ORDERS_CAPACITY_WHEN_FULL"] == "shed"


def test_without_a_capacity_nothing_changes() -> None:
    plan = _plan("regions: [us-east-1]\nservices:\n  orders: {uses: [kv]}\n")
    compose = render_compose(plan)
    assert not [s for s in compose["services"] if s.startswith("kvgate")]
    kv = next(p for p in proxies(plan, "us-east-1") if p["name"] == "kv")
    assert kv["upstream"] == f"{plan.kv_ip('us-east-1')}:6379"
    env = compose["services"]["orders-us-east-1"]["environment"]
    assert not any(k.startswith("ORDERS_CAPACITY") for k in env)


@pytest.mark.parametrize(("capacity", "where", "message"), [
    ("{ops_per_second: 0}", "3:30", "capacity ops_per_second must be a positive number of at most "
                                    "1000000, got 0"),
    ("{ops_per_second: -5, when_full: slow}", "3:30", "got -5"),
    ("{in_flight: 0}", "3:25", "capacity in_flight must be a whole number from 1 to 10000, got 0"),
    ("{in_flight: 2.5}", "3:25", "got 2.5"),
    ("{in_flight: many}", "3:25", "got 'many'"),
    ("{in_flight: 3, when_full: drop}", "3:39", "'shed' or 'slow'"),
    ("{}", "3:3", "a capacity gives in_flight, ops_per_second or both"),
])
def test_a_bad_capacity_is_located(capacity: str, where: str, message: str) -> None:
    with pytest.raises(TopologyError) as info:
        parse_topology(f"regions: [us-east-1]\nkv:\n  capacity: {capacity}\n", "t.yaml")
    text = str(info.value)
    assert f"t.yaml:{where}:" in text and message in text, text


def test_a_capacity_on_a_service_chaoskit_does_not_run_is_refused() -> None:
    with pytest.raises(TopologyError) as info:
        parse_topology("services:\n  cart: {image: 'cart:1', port: 9000, capacity: {in_flight: 3}}\n",
                       "t.yaml")
    expected = "t.yaml:2:39: service 'cart': capacity is enforced by chaoskit's reference service (orders)"
    assert expected in str(info.value)


def test_the_cli_says_so_once_with_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "shop.yaml"
    bad.write_text("regions: [us-east-1]\nkv:\n  capacity: {ops_per_second: -1}\n")
    r = subprocess.run([sys.executable, "-m", "chaoskit", "validate", str(bad)], capture_output=True,
                       text=True, env={**os.environ, "COLUMNS": "200"}, timeout=120, cwd=ROOT)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.count("error:") == 1
    assert f"{bad}:3:30: kv.capacity.ops_per_second: capacity ops_per_second must be a positive" in r.stderr
