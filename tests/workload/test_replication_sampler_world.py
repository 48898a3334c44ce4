"""Replication lag in the real world: it rises under cross-region latency on the replication link
and falls after the revert; the sampler's figures agree with redis-py reading the stores itself."""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from chaoskit.checks import replication_lag
from chaoskit.faults import Faults
from chaoskit.history import History, Sample
from chaoskit.workload import ReplicationSampler
from chaoskit.world import World

pytestmark = pytest.mark.world

DELAY_MS = 1000
INTERVAL = 0.25


def store(world: World, region: str) -> redis.Redis:
    address = world.endpoint_address("kv", region)
    return redis.Redis(host=address.host, port=address.port, socket_timeout=2, socket_connect_timeout=2)


class Writer:
    """redis-py writes to the primary, about 200 a second, for at most 60 s: the load that lags."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self.key = f"lagtest:{uuid.uuid4().hex}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        deadline = time.monotonic() + 60
        payload = "x" * 100
        while not self._stop.is_set() and time.monotonic() < deadline:
            self.client.set(self.key, payload)
            time.sleep(0.005)

    def __enter__(self) -> Writer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.client.delete(self.key)


def travel(primary: redis.Redis, replica: redis.Redis) -> float:
    """Seconds a write on the primary takes to show on the replica, timed by redis-py alone."""
    key, value = f"lagtest:travel:{uuid.uuid4().hex}", uuid.uuid4().hex
    started = time.monotonic()
    primary.set(key, value)
    try:
        while time.monotonic() - started < 10:
            if replica.get(key) == value.encode():
                return time.monotonic() - started
            time.sleep(0.005)
        raise AssertionError("the write never reached the replica")
    finally:
        primary.delete(key)


def byte_lag(primary: redis.Redis, replica: redis.Redis) -> int:
    """The primary's offset minus the replica's, from INFO read by redis-py (replica first)."""
    replica_offset = int(replica.info("replication")["slave_repl_offset"])
    return int(primary.info("replication")["master_repl_offset"]) - replica_offset


def between(samples: list[Sample], start: float, end: float, figure: str) -> list[float]:
    return [s.values[figure] for s in samples if start <= s.time < end and s.values[figure] is not None]


@pytest.fixture
def stores(world: World) -> Iterator[tuple[redis.Redis, redis.Redis, str]]:
    primary, replica = world.topology.regions[0], world.topology.regions[1]
    clients = store(world, primary), store(world, replica)
    yield clients[0], clients[1], replica
    for c in clients:
        c.close()


def test_lag_rises_under_latency_on_the_replication_link_and_falls_after(
        world: World, chaos: Faults, stores: tuple[redis.Redis, redis.Redis, str]) -> None:
    primary, replica, region = stores
    history = History()
    addresses = {r: str(world.endpoint_address("kv", r)) for r in world.topology.regions}
    t0 = time.monotonic()
    phases: dict[str, Any] = {}
    with Writer(primary), ReplicationSampler(addresses, interval=INTERVAL).start(history, t0):
        time.sleep(2.0)
        phases["before"] = (0.5, time.monotonic() - t0)
        phases["travel_before"] = travel(primary, replica)
        with chaos.fault({"fault": "net.latency", "target": "replication", "region": region,
                          "params": {"ms": DELAY_MS}}):
            applied = time.monotonic() - t0
            independent = []
            for _ in range(6):
                independent.append(byte_lag(primary, replica))
                time.sleep(0.3)
            phases["travel_during"] = travel(primary, replica)
            phases["during"] = (applied + 0.5, time.monotonic() - t0)
            phases["bytes_redis_py"] = independent
        reverted = time.monotonic() - t0
        time.sleep(2.5)
        phases["after"] = (reverted + 1.0, time.monotonic() - t0)
        phases["travel_after"] = travel(primary, replica)

    samples = [s for s in history.samples_of("replication") if s.subject == region]
    followed = {s.values["primary"] for s in samples if s.values["primary"]}
    assert samples and followed == {world.topology.regions[0]}
    seconds = {p: between(samples, *phases[p], "seconds") for p in ("before", "during", "after")}
    size = {p: between(samples, *phases[p], "bytes") for p in ("before", "during", "after")}
    assert all(len(seconds[p]) >= 3 for p in seconds), seconds

    print({k: v for k, v in phases.items() if k.startswith("travel") or k == "bytes_redis_py"},
          {p: (statistics.median(seconds[p]), statistics.median(size[p])) for p in seconds})
    # During: a write takes the link's delay to cross, as redis-py times it, and the sampler's
    # lag in seconds says the same: at most one interval above (it is an upper bound), give or
    # take the slack of reads on a busy machine.
    d = phases["travel_during"]
    assert d >= 0.8 * DELAY_MS / 1000
    mid = statistics.median(seconds["during"])
    slack = max(0.3, 0.25 * d)
    assert d - slack <= mid <= d + INTERVAL + slack, (d, seconds["during"])
    # Before and after: far less, by both clients.
    for phase in ("before", "after"):
        assert phases[f"travel_{phase}"] < d / 2
        assert statistics.median(seconds[phase]) < mid / 2, (phase, seconds[phase])
    # Bytes: the writer's stream held back by the delay, as redis-py reads the offsets too.
    ours, theirs = statistics.median(size["during"]), statistics.median(phases["bytes_redis_py"])
    assert theirs > 1000 and 0.5 <= ours / theirs <= 2.0, (size["during"], phases["bytes_redis_py"])
    assert statistics.median(size["after"]) < ours / 4

    lag = replication_lag(history)
    (replica_lag,) = [r for r in lag.replicas if r.region == region]
    assert replica_lag.max_seconds is not None and replica_lag.max_seconds >= 0.8 * d
