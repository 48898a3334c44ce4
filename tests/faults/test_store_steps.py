"""kv.promote's pure parts: the steps a promotion journals, ROLE parsing, and the reaper's
rule that a store that (re)starts gets its promoted role again."""

from __future__ import annotations

from typing import Any

import pytest

from chaoskit.errors import FaultSpecError
from chaoskit.faults import build
from chaoskit.faults.store import promotion_steps
from chaoskit.inworld.protocol import promotion
from chaoskit.render import Plan
from chaoskit.topology import parse_topology

THREE = parse_topology("regions: [a-1, b-2, c-3]\n", "three.yaml")


def plan() -> Plan:
    return Plan(THREE, "chaoskit-t", {"a-1": "10.9.1.0/24", "b-2": "10.9.2.0/24", "c-3": "10.9.3.0/24"})


def test_promoting_b_points_every_other_region_at_it_and_remembers_the_baseline() -> None:
    steps = promotion_steps(plan(), "b-2")
    assert steps == [
        {"do": "replicaof", "service": "kv-b-2", "port": 6379, "to": None, "baseline": ["10.9.2.21", 16379]},
        {"do": "proxy", "region": "a-1", "name": "replication", "listen": "0.0.0.0:16379",
         "to": "10.9.2.30:6379", "baseline": None},
        {"do": "proxy", "region": "c-3", "name": "replication", "listen": "0.0.0.0:16379",
         "to": "10.9.2.30:6379", "baseline": "10.9.1.30:6379"},
        {"do": "replicaof", "service": "kv-a-1", "port": 6379, "to": ["10.9.1.20", 16379], "baseline": None},
        {"do": "replicaof", "service": "kv-c-3", "port": 6379, "to": ["10.9.3.22", 16379],
         "baseline": ["10.9.3.22", 16379]},
    ]


def test_promoting_the_primary_is_the_baseline() -> None:
    for step in promotion_steps(plan(), "a-1"):
        assert step["to"] == step["baseline"], step


def test_the_target_must_be_another_region() -> None:
    with pytest.raises(FaultSpecError, match="already holds the primary"):
        build({"fault": "kv.promote", "target": "a-1"}, THREE)
    with pytest.raises(FaultSpecError, match="not a region"):
        build({"fault": "kv.promote", "target": "kv"}, THREE)
    with pytest.raises(FaultSpecError, match="does not take region"):
        build({"fault": "kv.promote", "target": "b-2", "region": "b-2"}, THREE)


def test_role_lines_parse_as_redis_cli_prints_them() -> None:
    assert promotion.parse_role("master\r\n1234\r\n") == {"role": "primary"}
    replica = promotion.parse_role("slave\r\n10.9.1.20\r\n16379\r\nconnected\r\n99\r\n")
    assert replica == {"role": "replica", "host": "10.9.1.20", "port": 16379, "state": "connected"}
    assert promotion.holds(replica, ["10.9.1.20", 16379])
    assert not promotion.holds(replica, ["10.9.1.21", 16379]) and not promotion.holds(replica, None)
    assert promotion.parse_role("") == {"role": "unknown"}


class Stores:
    """Fake stores for the enforcement rule: start times, roles, and the commands they got."""

    def __init__(self) -> None:
        self.started: dict[str, str | None] = {"kv-a-1": "t0", "kv-b-2": "t0", "kv-c-3": "t0"}
        self.roles = {"kv-a-1": "master\n0\n", "kv-b-2": "master\n0\n",
                      "kv-c-3": "slave\n10.9.3.22\n16379\nconnected\n0\n"}
        self.commands: list[tuple[str, list[str]]] = []

    def run(self, service: str, argv: list[str]) -> tuple[int, str]:
        self.commands.append((service, argv))
        if argv[-1] == "ROLE":
            return 0, self.roles[service]
        return 0, "OK"

    def start(self, service: str) -> str | None:
        return self.started[service]


def test_a_store_that_comes_back_as_a_primary_is_demoted_once() -> None:
    steps: list[dict[str, Any]] = promotion_steps(plan(), "b-2")
    stores, seen = Stores(), {}
    # kv-a-1 (the old primary) answers as a primary: it is demoted; the others hold their roles.
    assert promotion.enforce(steps, stores.run, stores.start, seen) == [
        "kv-a-1: REPLICAOF ['10.9.1.20', 16379]"]
    stores.commands.clear()
    assert promotion.enforce(steps, stores.run, stores.start, seen) == []
    assert stores.commands == []  # nothing restarted: no command at all
    stores.started["kv-a-1"] = None  # stopped: left alone
    assert promotion.enforce(steps, stores.run, stores.start, seen) == [] and stores.commands == []
    stores.started["kv-a-1"] = "t1"  # back, as a primary again
    assert promotion.enforce(steps, stores.run, stores.start, seen) == [
        "kv-a-1: REPLICAOF ['10.9.1.20', 16379]"]
    assert stores.commands[-1] == ("kv-a-1", ["redis-cli", "-p", "6379", "REPLICAOF", "10.9.1.20", "16379"])


def test_a_store_that_is_down_is_left_for_later_not_failed() -> None:
    stores = Stores()
    stores.started["kv-a-1"] = None
    left = promotion.apply([s for s in promotion_steps(plan(), "b-2") if s["do"] == "replicaof"],
                           stores.run, stores.start, lambda r: "http://unused")
    assert left == ["kv-a-1 is not running: its role is set when it is back"]
    assert [c[0] for c in stores.commands] == ["kv-b-2", "kv-c-3"]
