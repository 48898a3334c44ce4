"""Fixtures for workload tests: a fake target (no network), and real local services."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping

import pytest

from chaoskit.inworld.config import Config
from chaoskit.inworld.orders import OrdersService
from chaoskit.workload import Result
from chaoskit.workload.local import LocalRedis, redis_server_binary


class FakeSession:
    def __init__(self, target: FakeTarget) -> None:
        self.target = target

    def _enter(self) -> None:
        with self.target.lock:
            self.target.inflight += 1
            self.target.max_inflight = max(self.target.max_inflight, self.target.inflight)
        if self.target.delay:
            time.sleep(self.target.delay)

    def _leave(self) -> None:
        with self.target.lock:
            self.target.inflight -= 1

    def write(self, region: str, order_id: str, *, seq: int = 0) -> Result:
        self._enter()
        try:
            if self.target.explode:
                raise RuntimeError("boom")
            self.target.stored.add(order_id)
            return Result("ok", region, order_id)
        finally:
            self._leave()

    def read(self, region: str, order_id: str, *, seq: int = 0) -> Result:
        self._enter()
        try:
            self.target.reads.append(order_id)
            return Result("ok", region, order_id if order_id in self.target.stored else None)
        finally:
            self._leave()

    def read_all(self, region: str) -> Result:
        self.target.final_calls += 1
        if self.target.final_fail:
            return Result("fail", error="HTTP 503: down")
        pending = max(0, self.target.pending_rounds - self.target.final_calls + 1)
        return Result("ok", region, sorted(self.target.stored), pending=pending)

    def close(self) -> None:
        self.target.closed += 1


class FakeTarget:
    """An in-memory target: counts what is in flight, can be slow, explode or keep writes pending."""

    name = "fake"

    def __init__(self, *, delay: float = 0.0, regions: tuple[str, ...] = ("a", "b")) -> None:
        self.write_regions = regions
        self.read_regions = regions
        self.delay = delay
        self.explode = False
        self.final_fail = False
        self.pending_rounds = 0
        self.final_calls = 0
        self.stored: set[str] = set()
        self.reads: list[str] = []
        self.inflight = 0
        self.max_inflight = 0
        self.closed = 0
        self.lock = threading.Lock()

    def session(self, timeout: float) -> FakeSession:
        return FakeSession(self)


@pytest.fixture
def fake() -> FakeTarget:
    return FakeTarget()


@pytest.fixture
def redis_primary() -> Iterator[LocalRedis]:
    if redis_server_binary() is None:
        pytest.skip("redis-server not installed (apt-get install -y redis-server)")
    with LocalRedis() as server:
        yield server


@pytest.fixture
def redis_replica(redis_primary: LocalRedis) -> Iterator[LocalRedis]:
    with LocalRedis(replicaof=redis_primary) as server:
        yield server


@pytest.fixture
def make_orders() -> Iterator[Callable[[Mapping[str, str]], OrdersService]]:
    services: list[OrdersService] = []

    def make(env: Mapping[str, str]) -> OrdersService:
        base = {"ORDERS_PORT": "0", "ORDERS_BIND": "127.0.0.1", "ORDERS_KV_TIMEOUT": "0.3"}
        service = OrdersService(Config.from_env({**base, **env})).start()
        services.append(service)
        return service

    yield make
    for service in services:
        service.close()
