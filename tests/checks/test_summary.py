from __future__ import annotations

import json
from pathlib import Path

import pytest

from chaoskit.checks import check_set, evaluate, impact, rpo, stale_reads, summary
from chaoskit.history import History

from .histories import Recorder

FIXTURE = Path(__file__).parent / "fixtures" / "failover.jsonl"


@pytest.fixture
def history() -> History:
    return History.from_lines(FIXTURE.read_text(encoding="utf-8").splitlines())


def test_the_recorded_failover_is_judged_from_its_json_lines(history: History) -> None:
    result = impact(history, "net-1")
    assert result.time_to_detect == pytest.approx(0.2)
    assert result.rto == pytest.approx(1.0)
    assert result.time_to_recover == 0.0
    assert (result.ops, result.fail, result.unknown) == (9, 1, 1)
    [orders] = check_set(history)
    assert [o.key for o in orders.lost] == ["o2"]
    assert [o.key for o in orders.unknown_landed] == ["o4"]
    assert [o.key for o in orders.failed_landed] == []
    assert rpo(history).seconds == 0.0
    assert [s.read.index for s in stale_reads(history).stale] == [4]


def test_summary_headlines(history: History) -> None:
    s = summary(history)
    json.dumps(s, allow_nan=False)  # plain JSON, nothing infinite
    assert s["duration"] == 9.2
    assert s["ops"] == {"total": 15, "ok": 13, "fail": 1, "unknown": 1}
    assert s["success_rate"] == 13 / 15
    assert s["acknowledged_writes"] == 7
    assert s["lost_writes"] == 1
    assert s["rpo"] == 0.0
    assert (s["reads"], s["stale_reads"]) == (6, 1)
    [fault] = s["faults"]
    assert fault["fault"] == {"id": "net-1", "name": "net.partition", "start": 2.0, "end": 6.0}
    assert fault["error_rate"] == 2 / 9
    assert fault["latency"]["count"] == 7
    assert fault["latency"]["p50"] == pytest.approx(0.05)
    assert fault["latency"]["p99"] == pytest.approx(0.1)
    assert fault["recovered_at"] == 3.0


def test_lost_writes_are_none_in_the_summary_when_they_cannot_be_judged() -> None:
    r = Recorder()
    r.write(1.0, "a")
    s = summary(r.history)
    assert s["lost_writes"] is None
    assert s["rpo"] is None
    assert s["faults"] == []


def test_a_history_round_trips_through_json_lines_with_the_same_verdicts(
    history: History,
) -> None:
    again = History.from_lines(history.lines())
    spec = {"rto": "2s", "error_rate": "10%", "lost_writes": 0, "stale_reads": 0}
    assert evaluate(again, spec) == evaluate(history, spec)
    assert summary(again) == summary(history)
    assert [v.passed for v in evaluate(again, spec)] == [True, False, False, False]
