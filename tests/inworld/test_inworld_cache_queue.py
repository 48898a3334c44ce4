from __future__ import annotations

import threading
import time

import pytest

from chaoskit.inworld.cache import CachedOrder, StaleCache
from chaoskit.inworld.protocol.order_record import Order, valid_id
from chaoskit.inworld.store import backoff
from chaoskit.inworld.write_queue import Drainer, QueueFull, WriteQueue


def test_cache_is_bounded_and_least_recently_used() -> None:
    cache = StaleCache(max_entries=2)
    cache.put("a", "A", "us-east-1")
    cache.put("b", "B", None)
    assert cache.get("a") == CachedOrder("A", "us-east-1")  # a is now the most recent
    cache.put("c", "C", "us-west-2")
    assert len(cache) == 2
    assert cache.get("b") is None
    assert cache.get("a") is not None and cache.get("c") is not None


def test_queue_is_bounded_and_fifo() -> None:
    q = WriteQueue(max_len=3)
    for i in range(3):
        q.put(Order(str(i), "x"))
    with pytest.raises(QueueFull):
        q.put(Order("3", "x"))
    assert [o.id for o in q.peek(2)] == ["0", "1"]
    assert q.drop(2) == 1
    assert [o.id for o in q.peek(5)] == ["2"]
    assert (q.queued_total, q.drained_total) == (3, 2)


def test_queue_wait_is_bounded() -> None:
    q = WriteQueue()
    started = time.monotonic()
    assert q.wait(0.05) is False
    assert time.monotonic() - started < 1.0


def test_drainer_stores_in_order_in_batches_once_the_store_is_back() -> None:
    q = WriteQueue()
    for i in range(250):
        q.put(Order(f"o{i}", "x"))
    stored: list[str] = []
    calls = {"n": 0}
    drained = threading.Event()

    def store_batch(batch: list[Order]) -> None:
        calls["n"] += 1
        if calls["n"] <= 2:
            raise ConnectionError("store down")
        stored.extend(o.id for o in batch)
        if len(stored) == 250:
            drained.set()

    drainer = Drainer(q, store_batch, batch=100, retry_interval=0.01)
    drainer.start()
    try:
        assert drained.wait(5.0)
    finally:
        drainer.stop()
    assert stored == [f"o{i}" for i in range(250)]
    assert calls["n"] == 2 + 3  # two failures, then three batches of at most 100
    assert len(q) == 0


def test_drainer_stops_promptly() -> None:
    drainer = Drainer(WriteQueue(), lambda batch: None)
    drainer.start()
    started = time.monotonic()
    drainer.stop()
    assert time.monotonic() - started < 1.0


def test_backoff_is_jittered_and_capped() -> None:
    import random

    rng = random.Random(1)
    pauses = [backoff(a, rng) for a in (1, 2, 3, 10) for _ in range(50)]
    assert all(0 <= p <= 0.25 for p in pauses)
    assert len(set(pauses)) > 100  # jittered
    assert max(backoff(1, rng) for _ in range(100)) <= 0.04


@pytest.mark.parametrize("order_id", ["run-1", "a" * 200, "x_y.z"])
def test_valid_ids(order_id: str) -> None:
    assert valid_id(order_id)


@pytest.mark.parametrize("order_id", ["", "a" * 201, "a/b", "a b", 7, None, "a?b", "a\nb"])
def test_invalid_ids(order_id: object) -> None:
    assert not valid_id(order_id)


def test_order_round_trip() -> None:
    order = Order("1", "book")
    assert Order.from_json("1", order.to_json()) == order
    assert order.key == "order:1"
