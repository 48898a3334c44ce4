"""The workload against real local services on 127.0.0.1: outcomes as the brief defines them."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from chaoskit.history import History
from chaoskit.inworld.orders import OrdersService
from chaoskit.workload import KvTarget, OrdersTarget, Workload
from chaoskit.workload.local import LocalRedis, SilentServer, free_port

MakeOrders = Callable[[Mapping[str, str]], OrdersService]


def drive(
    target: Any, *, rate: float = 200, duration: float = 0.5, **kwargs: Any
) -> tuple[Workload, History]:
    history = History()
    workload = Workload(target, rate=rate, duration=duration, concurrency=8, run_id="live", **kwargs)
    workload.start(history)
    assert workload.wait(duration + 10)
    stats = workload.stop()
    assert stats.lost == 0 and stats.issued == len(history.ops)
    return workload, history


def outcomes(history: History) -> Counter[str]:
    return Counter(op.outcome for op in history.ops if op.kind != "final-read")


def only(history: History, outcome: str) -> None:
    odd = [(op.kind, op.outcome, op.error) for op in history.ops if op.outcome != outcome]
    assert history.ops and not odd, odd[:5]


@pytest.fixture
def hang_up_server() -> Iterator[int]:
    """Reads a request, then closes the connection without an answer."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                with contextlib.suppress(OSError):
                    conn.recv(65536)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    stop.set()
    thread.join(2)
    listener.close()


def test_orders_ops_are_ok_and_the_final_read_has_every_acknowledged_write(
    make_orders: MakeOrders, redis_primary: LocalRedis, redis_replica: LocalRedis
) -> None:
    names = f"{redis_primary.address}=us-east-1,{redis_replica.address}=us-west-2"
    east = make_orders(
        {"ORDERS_REGION": "us-east-1", "ORDERS_KV_WRITE": redis_primary.address, "ORDERS_KV_REGIONS": names}
    )
    west = make_orders(
        {
            "ORDERS_REGION": "us-west-2",
            "ORDERS_KV_WRITE": redis_primary.address,
            "ORDERS_KV_READ": f"{redis_replica.address},{redis_primary.address}",
            "ORDERS_KV_REGIONS": names,
        }
    )
    target = OrdersTarget({"us-east-1": east.url, "us-west-2": west.url})
    workload, history = drive(target)
    only(history, "ok")
    writes = [op for op in history.ops if op.kind == "write"]
    assert writes and all(op.region == "us-east-1" for op in writes)
    assert {op.process.split("/")[0] for op in history.ops} == {"us-east-1", "us-west-2"}
    assert {op.region for op in history.ops if op.kind == "read" and op.value} <= {"us-east-1", "us-west-2"}
    (final,) = workload.final_read(timeout=5)
    assert final.kind == "final-read" and final.outcome == "ok" and final.region == "us-east-1"
    assert {op.value for op in writes} <= set(final.value)


def test_a_store_going_away_gives_definite_failures(
    make_orders: MakeOrders, redis_primary: LocalRedis
) -> None:
    svc = make_orders({"ORDERS_KV_WRITE": redis_primary.address})
    timer = threading.Timer(0.3, redis_primary.stop)
    timer.start()
    try:
        _, history = drive(OrdersTarget({"us-east-1": svc.url}), duration=0.8)
    finally:
        timer.join()
    counts = outcomes(history)
    assert counts["ok"] > 0 and counts["fail"] > 0
    failed = [op for op in history.ops if op.outcome == "fail"]
    assert all((op.error or "").startswith("HTTP 503") for op in failed)


def test_a_store_that_times_out_gives_unknown_writes(make_orders: MakeOrders) -> None:
    with SilentServer() as silent:
        svc = make_orders({"ORDERS_KV_WRITE": silent.address, "ORDERS_KV_TIMEOUT": "0.1"})
        _, history = drive(OrdersTarget({"us-east-1": svc.url}), rate=50, duration=0.3, mix=1.0)
    only(history, "unknown")
    assert "HTTP 504" in (history.ops[0].error or "")


def test_a_silent_service_gives_unknown(make_orders: MakeOrders) -> None:
    with SilentServer() as silent:
        _, history = drive(
            OrdersTarget({"us-east-1": f"http://{silent.address}"}), rate=50, duration=0.3, timeout=0.2
        )
    only(history, "unknown")
    assert "timed out" in (history.ops[0].error or "")
    assert all(op.latency < 0.5 for op in history.ops)


def test_a_reset_mid_request_gives_unknown(hang_up_server: int) -> None:
    _, history = drive(
        OrdersTarget({"us-east-1": f"http://127.0.0.1:{hang_up_server}"}), rate=50, duration=0.3
    )
    only(history, "unknown")
    assert "connection lost" in (history.ops[0].error or "")


def test_a_refused_connection_is_a_definite_failure() -> None:
    _, history = drive(OrdersTarget({"us-east-1": f"http://127.0.0.1:{free_port()}"}), rate=50, duration=0.3)
    only(history, "fail")
    assert "connect" in (history.ops[0].error or "")


def test_kv_target(redis_primary: LocalRedis, redis_replica: LocalRedis) -> None:
    target = KvTarget({"us-east-1": redis_primary.address, "us-west-2": redis_replica.address})
    workload, history = drive(target)
    only(history, "ok")
    assert {op.target for op in history.ops} == {"kv"}
    (final,) = workload.final_read(timeout=5)
    assert {op.value for op in history.ops if op.kind == "write"} <= set(final.value)

    # writing to the replica: READONLY, a definite failure
    _, history = drive(KvTarget({"us-west-2": redis_replica.address}), rate=50, duration=0.2, mix=1.0)
    only(history, "fail")
    assert "READONLY" in (history.ops[0].error or "")


def test_kv_target_timeouts_and_refusals() -> None:
    with SilentServer() as silent:
        _, history = drive(KvTarget({"r": silent.address}), rate=50, duration=0.2, timeout=0.1, mix=1.0)
    only(history, "unknown")
    _, history = drive(KvTarget({"r": f"127.0.0.1:{free_port()}"}), rate=50, duration=0.2, mix=1.0)
    only(history, "fail")


def test_high_rate_loses_nothing(make_orders: MakeOrders, redis_primary: LocalRedis) -> None:
    """A short burst at 1,000 ops/s; the throughput figures come from bench/workload_throughput.py."""
    svc = make_orders({"ORDERS_KV_WRITE": redis_primary.address})
    workload, history = drive(OrdersTarget({"us-east-1": svc.url}), rate=1000, duration=1.0)
    # Nothing issued goes unrecorded, however loaded the machine is (no timing asserted here).
    assert workload.stats.issued > 0
    assert workload.stats.lost == 0 and len(history.ops) == workload.stats.recorded
