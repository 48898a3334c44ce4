"""The workload against an in-memory target: scheduling, bounds and recording, no network."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from chaoskit.history import History
from chaoskit.workload import Workload


def run(target: Any, **kwargs: Any) -> tuple[Workload, History]:
    history = History()
    options: dict[str, Any] = {"rate": 400, "duration": 0.5, "concurrency": 8, "run_id": "r", "seed": 1}
    workload = Workload(target, **{**options, **kwargs})
    workload.start(history, time.monotonic())
    assert workload.wait(10.0)  # stops by itself
    workload.stop()
    return workload, history


def test_records_every_op_it_issues(fake: Any) -> None:
    workload, history = run(fake)
    stats = workload.stats
    assert stats.issued == stats.recorded == len(history.ops) and stats.lost == 0
    assert 180 <= stats.issued <= 200 and stats.planned == 200
    assert stats.ok == stats.recorded and stats.skipped == 0
    assert len({op.index for op in history.ops}) == len(history.ops)
    writes = [op for op in history.ops if op.kind == "write"]
    assert 0.3 < len(writes) / len(history.ops) < 0.7
    assert all(op.key == op.value == f"r-{op.index}" for op in writes)
    assert all(op.target == "fake" and op.region in ("a", "b") for op in history.ops)
    assert all(0 <= op.start <= op.end for op in history.ops)
    assert [e.name for e in history.events] == ["workload-start", "workload-stop"]
    assert history.events[1].detail["lost"] == 0


def test_is_open_loop(fake: Any) -> None:
    """Slow ops do not slow the schedule while slots are free: each starts when due."""
    fake.delay = 0.05  # one at a time, that would be 20 ops/s
    workload, history = run(fake, rate=100, duration=0.5, concurrency=8)
    stats = workload.stats
    assert stats.issued == stats.planned == 50 and stats.skipped == 0
    begun = history.events[0].time  # the schedule's start
    lateness = sorted(op.start - (begun + op.index / 100) for op in history.ops)
    assert lateness[0] >= -0.001
    # A closed loop would start op i after i slow ops (op 49 about 2 s late); open, the median
    # op starts when due, give or take what a loaded machine adds (not a timing benchmark).
    assert lateness[len(lateness) // 2] < 0.25


def test_never_more_in_flight_than_concurrency(fake: Any) -> None:
    fake.delay = 0.02
    workload, history = run(fake, rate=1000, duration=0.5, concurrency=4)
    assert fake.max_inflight <= 4
    stats = workload.stats
    assert stats.lost == 0 and stats.issued == len(history.ops)
    # 4 slots of 20 ms can start ~200 ops/s: the rest are late, then skipped
    assert stats.skipped > 0 and stats.issued + stats.skipped <= stats.planned


def test_reads_read_acknowledged_writes(fake: Any) -> None:
    _, history = run(fake, mix={"write": 1, "read": 3})
    acked_before: set[str] = set()
    by_end = sorted(history.ops, key=lambda op: op.end)
    reads = [op for op in history.ops if op.kind == "read"]
    assert len(reads) > len(history.ops) / 2
    for op in reads:
        acked_before = {w.value for w in by_end if w.kind == "write" and w.end <= op.start}
        assert op.key in acked_before or op.key in fake.stored
        assert op.value == op.key  # found


def test_a_client_error_is_recorded_as_unknown(fake: Any) -> None:
    fake.explode = True
    workload, history = run(fake, mix=1.0, duration=0.2)
    assert history.ops and all(op.outcome == "unknown" for op in history.ops)
    assert "client error: RuntimeError: boom" in (history.ops[0].error or "")
    assert workload.stats.unknown == len(history.ops)


def test_stop_early_waits_for_ops_in_flight(fake: Any) -> None:
    fake.delay = 0.1
    history = History()
    workload = Workload(fake, rate=100, duration=30, concurrency=4)
    workload.start(history)
    time.sleep(0.3)
    started = time.monotonic()
    stats = workload.stop()
    assert time.monotonic() - started < 1.0
    assert stats.lost == 0 and stats.issued == len(history.ops) > 0
    assert fake.closed == 4  # every worker closed its session
    assert not [t for t in threading.enumerate() if t.name.startswith("workload-")]


def test_context_manager_stops(fake: Any) -> None:
    history = History()
    with Workload(fake, rate=100, duration=30) as workload:
        workload.start(history)
        time.sleep(0.1)
    assert workload.stats.issued == len(history.ops) > 0


def test_final_read_waits_for_queued_writes(fake: Any) -> None:
    workload, history = run(fake, mix=1.0, duration=0.2)
    fake.pending_rounds = 2
    (op,) = workload.final_read(timeout=5.0)
    assert op.kind == "final-read" and op.outcome == "ok" and op.target == "fake"
    assert op.value == sorted(fake.stored) and op.error is None
    assert fake.final_calls == 3 and op.index == max(o.index for o in history.ops if o is not op) + 1
    assert history.ops[-1] is op


def test_final_read_gives_up_in_bounded_time(fake: Any) -> None:
    workload, history = run(fake, mix=1.0, duration=0.1)
    fake.final_fail = True
    started = time.monotonic()
    (op,) = workload.final_read(timeout=0.6)
    assert time.monotonic() - started < 1.5
    assert op.outcome == "fail" and op.value is None and "503" in (op.error or "")


@pytest.mark.parametrize(
    "kwargs",
    [{"rate": 0}, {"concurrency": 0}, {"duration": 0}, {"mix": 1.5}, {"mix": {"write": 1, "delete": 1}}],
)
def test_rejects_nonsense(fake: Any, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Workload(fake, **{"rate": 10, **kwargs})


def test_starts_once(fake: Any) -> None:
    with Workload(fake, rate=10, duration=0.1) as workload:
        workload.start(History())
        with pytest.raises(RuntimeError):
            workload.start(History())


def test_a_read_with_nothing_to_read_becomes_a_write_where_writes_go(fake: Any) -> None:
    fake.write_regions = ("a",)  # b is a read-only replica
    _, history = run(fake, mix=0.0, duration=0.2)
    writes = [op for op in history.ops if op.kind == "write"]
    assert writes and all(op.process.startswith("a/") and op.region == "a" for op in writes)
    assert any(op.kind == "read" and op.process.startswith("b/") for op in history.ops)
