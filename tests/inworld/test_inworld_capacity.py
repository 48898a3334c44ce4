"""Capacity in the world's programs: the store's RESP gate against a real redis-server
(judged with redis-py, which shares no code with chaoskit), the limiter, and the orders
service's own capacity and load settings."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
import redis

from chaoskit.inworld.capacity import CapacitySpec, Full, Limiter
from chaoskit.inworld.config import Config, ConfigError
from chaoskit.inworld.kvgate import GateServer, main
from chaoskit.inworld.load import RetryBudget, policy
from chaoskit.inworld.orders import OrdersService
from chaoskit.workload.local import LocalRedis

MakeGate = Callable[[CapacitySpec], GateServer]


@pytest.fixture
def gate(redis_primary: LocalRedis) -> Iterator[MakeGate]:
    servers: list[GateServer] = []

    def make(spec: CapacitySpec) -> GateServer:
        server = GateServer(("127.0.0.1", 0), ("127.0.0.1", redis_primary.port), Limiter(spec))
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return server

    yield make
    for s in servers:
        s.shutdown()
        s.server_close()


def _client(server: GateServer) -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=server.server_address[1], socket_timeout=5)


def test_the_gate_sheds_commands_beyond_ops_per_second_and_none_below(gate: MakeGate) -> None:
    server = gate(CapacitySpec(ops_per_second=50, when_full="shed"))
    r = _client(server)
    r.ping()
    time.sleep(0.2)
    below = 0
    for i in range(15):  # 20 a second: under the limit, every one answered
        assert r.set(f"k{i}", i)
        below += 1
        time.sleep(0.05)
    assert below == 15
    shed = []
    for _ in range(100):  # as fast as it goes: far over 50 a second
        try:
            r.incr("counter")
        except redis.ResponseError as e:
            shed.append(str(e))
    assert len(shed) > 50
    assert "more than 50 ops per second" in shed[0]
    time.sleep(0.3)
    assert int(r.get("counter") or 0) == 100 - len(shed)  # a shed command never ran


def test_a_shed_transaction_runs_none_of_its_commands(gate: MakeGate, redis_primary: LocalRedis) -> None:
    server = gate(CapacitySpec(ops_per_second=100, when_full="shed"))
    r = _client(server)
    direct = redis.Redis(host="127.0.0.1", port=redis_primary.port)
    r.ping()
    time.sleep(0.2)
    ok = 0
    for i in range(40):
        pipe = r.pipeline(transaction=True)
        pipe.set(f"order:{i}", 1).sadd("orders", f"order:{i}")
        try:
            pipe.execute()
            ok += 1
        except redis.ResponseError:
            pass
    assert 0 < ok < 40
    # all or nothing: a key exists exactly when its set member does
    assert direct.scard("orders") == ok == len(direct.keys("order:*"))


def test_the_gate_refuses_connections_beyond_in_flight_as_redis_does(gate: MakeGate) -> None:
    server = gate(CapacitySpec(in_flight=2, when_full="shed"))
    a, b, c = _client(server), _client(server), _client(server)
    assert a.ping() and b.ping()
    with pytest.raises(redis.ConnectionError, match="max number of clients reached"):
        c.ping()
    a.close()
    time.sleep(0.2)
    assert c.ping()


def test_slow_makes_commands_wait_their_turn(gate: MakeGate) -> None:
    server = gate(CapacitySpec(ops_per_second=20, when_full="slow"))
    r = _client(server)
    start = time.monotonic()
    for _ in range(30):
        assert r.ping()
    took = time.monotonic() - start
    assert took >= 1.2  # 30 commands at 20 a second, none shed


def test_the_limiter_counts_in_flight_and_rate() -> None:
    slots = Limiter(CapacitySpec(in_flight=1))
    slots.acquire()
    with pytest.raises(Full, match="1 in flight"):
        slots.acquire()
    slots.release()
    slots.acquire()
    now = [0.0]
    rate = Limiter(CapacitySpec(ops_per_second=10), clock=lambda: now[0])
    rate.acquire()
    rate.release()
    with pytest.raises(Full, match="more than 10 ops per second"):
        rate.acquire()  # the same instant: a second op is over 10 a second
    now[0] = 0.1
    rate.acquire()  # a tenth of a second later it is not
    assert (rate.admitted, rate.shed) == (2, 1)


def test_slow_waits_instead_of_shedding() -> None:
    now, slept = [0.0], []
    rate = Limiter(CapacitySpec(ops_per_second=10, when_full="slow"), clock=lambda: now[0],
                   sleep=slept.append)
    for _ in range(3):
        rate.acquire()
    assert slept == pytest.approx([0.1, 0.2])
    now[0] = 0.0
    with pytest.raises(Full):  # more than 2 s of waiting: shed after all
        for _ in range(30):
            rate.acquire()


@pytest.mark.parametrize(("env", "message"), [
    ({"KVGATE_UPSTREAM": "127.0.0.1:1", "KVGATE_OPS_PER_SECOND": "0"}, "KVGATE_OPS_PER_SECOND: '0'"),
    ({"KVGATE_UPSTREAM": "127.0.0.1:1", "KVGATE_IN_FLIGHT": "-3"}, "KVGATE_IN_FLIGHT: '-3'"),
    ({"KVGATE_UPSTREAM": "127.0.0.1:1", "KVGATE_IN_FLIGHT": "3", "KVGATE_WHEN_FULL": "drop"}, "'drop'"),
    ({"KVGATE_UPSTREAM": "127.0.0.1:1"}, "give KVGATE_IN_FLIGHT or KVGATE_OPS_PER_SECOND"),
    ({"KVGATE_UPSTREAM": "nowhere", "KVGATE_IN_FLIGHT": "3"}, "KVGATE_UPSTREAM"),
])
def test_the_gate_refuses_a_bad_configuration(
    env: dict[str, str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(env) == 2
    assert message in capsys.readouterr().err


# --- the orders service ----------------------------------------------------------------
TEST_ENV = {"ORDERS_PORT": "0", "ORDERS_BIND": "127.0.0.1", "ORDERS_KV_TIMEOUT": "0.3",
            "ORDERS_HEALTH_INTERVAL": "0.05"}


def _orders(redis_primary: LocalRedis, **env: str) -> OrdersService:
    config = Config.from_env({**TEST_ENV, "ORDERS_KV_WRITE": redis_primary.address,
                              "ORDERS_KV_REGIONS": f"{redis_primary.address}=us-east-1", **env})
    return OrdersService(config).start()


def test_orders_sheds_beyond_its_capacity_with_a_fast_503(redis_primary: LocalRedis) -> None:
    svc = _orders(redis_primary, ORDERS_CAPACITY_OPS_PER_SECOND="20")
    try:
        with httpx.Client(timeout=5) as http:
            time.sleep(0.2)
            statuses = [http.get(f"{svc.url}/orders/x{i}").status_code for i in range(60)]
            assert statuses.count(503) > 0 and statuses.count(404) >= 2
            shed = http.post(f"{svc.url}/orders", json={"id": "a", "item": "b"})
            assert shed.status_code == 503 and shed.json()["shed"] is True
            assert http.get(f"{svc.url}/health").status_code == 200  # health is not limited
            time.sleep(0.5)
            below = []
            for i in range(10):
                below.append(http.get(f"{svc.url}/orders/y{i}").status_code)
                time.sleep(0.1)
            assert below == [404] * 10
            assert http.get(f"{svc.url}/health").json()["load"]["shed_total"] > 0
    finally:
        svc.close()


def test_the_load_setting_switches_at_run_time(redis_primary: LocalRedis) -> None:
    svc = _orders(redis_primary, ORDERS_LOAD="naive")
    try:
        with httpx.Client(timeout=5) as http:
            got = http.get(f"{svc.url}/admin/load").json()
            assert got["load"] == "naive" and got["settings"]["queue_max"] is None
            assert got["settings"]["retry_backoff"] == "none"
            new = http.post(f"{svc.url}/admin/load", json={"load": "resilient"}).json()
            assert new["settings"]["retry_budget"] == 0.1 and new["settings"]["queue_max"] == 500
            bad = http.post(f"{svc.url}/admin/load", json={"load": "sturdy"})
            assert bad.status_code == 400 and "sturdy" in bad.json()["error"]
            assert svc.store.queue.max_len == 500
    finally:
        svc.close()


def test_bad_load_and_capacity_variables_name_themselves() -> None:
    with pytest.raises(ConfigError, match="ORDERS_LOAD"):
        Config.from_env({"ORDERS_LOAD": "sturdy"})
    with pytest.raises(ConfigError, match="ORDERS_CAPACITY_IN_FLIGHT"):
        Config.from_env({"ORDERS_CAPACITY_IN_FLIGHT": "0"})


def test_the_default_setting_is_what_the_exits_always_did() -> None:
    p = policy("default", Config(retry_attempts=5, queue_max=7))
    assert (p.retry_backoff, p.retry_attempts, p.queue_max, p.queue_first, p.retry_budget) == (
        "jittered", 5, 7, True, None)


def test_a_retry_budget_allows_a_share_of_requests() -> None:
    budget = RetryBudget(0.1, cap=1.0)
    assert budget.spend()  # starts full
    assert not budget.spend()
    for _ in range(10):
        budget.earn()
    assert budget.spend() and not budget.spend()
