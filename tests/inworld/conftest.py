"""Fixtures for the in-world code: real redis-servers on 127.0.0.1 (skipped without one) and
the orders service started in this process, against them."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator, Mapping

import pytest

from chaoskit.inworld.config import Config
from chaoskit.inworld.orders import OrdersService
from chaoskit.inworld.protocol.resp import Addresses, Resolver
from chaoskit.workload.local import LocalRedis, redis_server_binary

NO_REDIS = (
    "redis-server not installed (apt-get install -y redis-server); "
    "the world tests cover orders against the real store"
)


@pytest.fixture
def redis_primary() -> Iterator[LocalRedis]:
    if redis_server_binary() is None:
        pytest.skip(NO_REDIS)
    with LocalRedis() as server:
        yield server


@pytest.fixture
def redis_replica(redis_primary: LocalRedis) -> Iterator[LocalRedis]:
    with LocalRedis(replicaof=redis_primary) as server:
        yield server


# Small timeouts and fast health checks, so the tests are quick.
TEST_ENV = {
    "ORDERS_PORT": "0",
    "ORDERS_BIND": "127.0.0.1",
    "ORDERS_KV_TIMEOUT": "0.3",
    "ORDERS_HEALTH_INTERVAL": "0.05",
    "ORDERS_KV_CONN_MAX_AGE": "0.2",
}

MakeOrders = Callable[..., OrdersService]


@pytest.fixture
def make_orders() -> Iterator[MakeOrders]:
    """``make_orders({"ORDERS_KV_WRITE": ..., ...}, resolver=None)``: a started orders service."""
    services: list[OrdersService] = []

    def make(env: Mapping[str, str], resolver: Resolver | None = None) -> OrdersService:
        config = Config.from_env({**TEST_ENV, **env})
        service = OrdersService(config, resolver=resolver).start()
        services.append(service)
        return service

    yield make
    for service in services:
        service.close()


class FakeDns:
    """A resolver for ``kv.<region>.chaoskit.internal`` names that can be broken per name."""

    def __init__(self, table: Mapping[str, int]) -> None:
        self.table = dict(table)
        self.broken: set[str] = set()
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, host: str, port: int) -> Addresses:
        with self._lock:
            self.calls += 1
        if host in self.broken or host not in self.table:
            # what glibc says for an empty answer (NODATA)
            raise socket.gaierror(socket.EAI_NODATA, "No address associated with hostname")
        return [(socket.AF_INET, ("127.0.0.1", self.table[host]))]


@pytest.fixture
def make_dns() -> Callable[[Mapping[str, int]], FakeDns]:
    """``make_dns({"kv.us-east-1.chaoskit.internal": port})``: a resolver that can be broken."""
    return FakeDns
