"""The long tail in a real world: a store with a capacity limits an outside client for real,
and after an empty DNS record the naive load setting stays down until load is cut while the
resilient one recovers within seconds (playbooks/long-tail.yaml)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import redis

from chaoskit.playbook import load_playbook
from chaoskit.pytest_plugin._session import session_of
from chaoskit.runner import Run
from chaoskit.world import World
from chaoskit.world.exits import get_exits, get_load, set_exits, set_load

pytestmark = pytest.mark.world

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / "playbooks" / "long-tail.yaml"
TOPOLOGY = ROOT / "playbooks" / "topologies" / "with-capacity.yaml"
NAIVE = {"orders": {"exits": ["retries", "write-queue"], "load": "naive"}}


@pytest.fixture(scope="module")
def capacity_world(request: pytest.FixtureRequest) -> World:
    """The world of playbooks/topologies/with-capacity.yaml (the one the playbook runs on)."""
    return session_of(request.config).world(TOPOLOGY)


def _store(world: World, region: str) -> redis.Redis:
    address = world.endpoint_address("kv", region)  # the published 127.0.0.1 port of its Toxiproxy
    return redis.Redis(host=str(address.host), port=int(address.port), socket_timeout=10)


def test_the_store_capacity_limits_an_outside_client(capacity_world: World) -> None:
    """150 commands a second, slow beyond: a burst of 4 s of work gets the commands that
    would wait more than 2 s refused; a client well under the capacity is never refused."""
    r = _store(capacity_world, "us-west-2")  # the replica region: no workload there
    r.ping()
    time.sleep(2.5)  # whatever an earlier test queued at the gate is done
    replies = r.pipeline(transaction=False)
    for _ in range(600):
        replies.ping()
    answers = replies.execute(raise_on_error=False)
    refused = [a for a in answers if isinstance(a, redis.ResponseError)]
    assert refused, "600 commands at once, 4 s of a 150/s capacity: none refused"
    assert "more than 150 ops per second" in str(refused[0])
    assert len(refused) < 600  # the first 2 s worth waited their turn and were answered
    time.sleep(2.5)
    below = []
    for _ in range(20):  # 10 a second: well under the capacity
        below.append(r.ping())
        time.sleep(0.1)
    assert below == [True] * 20


def _run(config: pytest.Config, world: World, tmp_path: Path, name: str,
         services: dict[str, dict[str, object]] | None) -> dict[str, Any]:
    playbook = load_playbook(PLAYBOOK)
    before = (get_exits(world, "orders"), get_load(world, "orders"))
    try:
        result = Run(playbook, world, services=services, report_dir=tmp_path / name).execute()
    finally:  # the next test finds the service as it was
        for region, exits in before[0].items():
            set_exits(world, "orders", exits, [region])
        for region, load in before[1].items():
            set_load(world, "orders", load, [region])
        session_of(config).world_changed(world)  # a run drove it: its baseline is checked again
    journal = json.loads((tmp_path / name / "journal.json").read_text())
    verdicts = {v["name"]: v for v in journal["verdicts"]}
    curve = journal["summary"]["recovery_curves"][0]
    rates = [w["success_rate"] for w in curve["windows"]]
    print(f"{name}: outcome {result.outcome}; time_to_recover {verdicts['time_to_recover']['measured']}; "
          f"success rate per {curve['bucket']} s after the revert: "
          f"{[None if r is None else round(r, 2) for r in rates]}")
    return {"outcome": result.outcome, "verdicts": verdicts, "curve": curve,
            "summary": (tmp_path / name / "summary.md").read_text()}


def test_naive_stays_down_until_load_is_cut_and_resilient_recovers(
    capacity_world: World, tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    naive = _run(pytestconfig, capacity_world, tmp_path, "naive", NAIVE)
    ttr = naive["verdicts"]["time_to_recover"]
    assert naive["outcome"] == "failed" and not ttr["passed"], ttr
    # Down well after the record came back (at about 11 s), until the load is cut at 26 s.
    assert ttr["measured"] is None or ttr["measured"] >= 10.0, ttr
    curve = naive["curve"]
    assert curve["degraded"]
    tail = [w["success_rate"] for w in curve["windows"]
            if w["start"] >= curve["since"] + 4.0 and w["start"] + curve["bucket"] <= 26.0]
    assert tail and sum(r or 0.0 for r in tail) / len(tail) < 0.9, tail
    assert "### Recovery curve of `kv-dns-empty`" in naive["summary"]

    resilient = _run(pytestconfig, capacity_world, tmp_path, "resilient", None)
    ttr = resilient["verdicts"]["time_to_recover"]
    assert ttr["passed"], ttr
    assert resilient["verdicts"]["lost_writes"]["passed"], resilient["verdicts"]["lost_writes"]
    assert resilient["outcome"] == "passed", resilient["verdicts"]
