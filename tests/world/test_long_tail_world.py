"""The long tail in a real world: a store with a capacity limits an outside client for real,
and after an empty DNS record the naive load setting stays down until load is cut while the
resilient one recovers within seconds (playbooks/long-tail.yaml). The client is a plain socket."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest

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


def _connect(world: World, region: str) -> socket.socket:
    """A plain socket to the store's published port (its Toxiproxy, then the gate, then Redis)."""
    address = world.endpoint_address("kv", region)
    return socket.create_connection((address.host, address.port), timeout=15)


def _ping(sock: socket.socket) -> bytes:
    sock.sendall(b"PING\r\n")
    reply = b""
    while not reply.endswith(b"\r\n"):
        chunk = sock.recv(256)
        if not chunk:
            break
        reply += chunk
    return reply.rstrip(b"\r\n")


def test_the_store_capacity_limits_an_outside_client(capacity_world: World) -> None:
    """64 connections at most, slow beyond (a connection waits at most 2 s for a slot): 56
    held connections are all served; of 20 more, those that find no slot are refused with
    Redis's own answer, and once the 56 are closed a new one is served again."""
    region = "us-west-2"  # the replica region: the long-tail runs do not load its store
    held = [_connect(capacity_world, region) for _ in range(56)]
    extra: list[socket.socket] = []
    try:
        assert [_ping(s) for s in held] == [b"+PONG"] * 56  # below the capacity: none refused
        extra = [_connect(capacity_world, region) for _ in range(20)]
        for s in extra:
            s.sendall(b"PING\r\n")
        replies = []
        for s in extra:
            with s.makefile("rb") as f:
                replies.append(f.readline().rstrip(b"\r\n"))
        refused = [r for r in replies if r == b"-ERR max number of clients reached"]
        # 8 slots are left, shared with the orders services' own health checks and reads
        assert len(refused) >= 12 and len(refused) + replies.count(b"+PONG") == 20, replies
    finally:
        for s in held + extra:
            s.close()
    time.sleep(0.5)
    with _connect(capacity_world, region) as again:
        assert _ping(again) == b"+PONG"


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
