"""Replication lag from hand-written samples: per replica, as expectations, at a promotion."""

from __future__ import annotations

from typing import Any

import pytest

from chaoskit.checks import evaluate, replication_lag, summary
from chaoskit.history import Event, History, Sample

from .histories import Recorder


def lag(t: float, region: str, seconds: float | None, size: float | None, **extra: Any) -> Sample:
    values = {"primary": "us-east-1", "link": "up", "seconds": seconds, "bytes": size, "error": None, **extra}
    return Sample(t, "replication", region, values)


def history_of(*samples: Sample) -> History:
    h = History()
    for s in samples:
        h.sample(s)
    return h


LAG_EXPECTATIONS = (
    "replication_lag_p99",
    "replication_lag_max",
    "replication_lag_bytes_p99",
    "replication_lag_bytes_max",
)


@pytest.mark.parametrize("name", LAG_EXPECTATIONS)
def test_no_samples_fails_and_says_why(name: str) -> None:
    bound = "10s" if "bytes" not in name else 1_000_000
    (verdict,) = evaluate(History(), {name: bound})
    assert not verdict.passed
    assert verdict.measured is None
    assert verdict.detail.startswith("cannot judge: no replication lag was measured")


def test_samples_without_figures_fail_with_their_reason() -> None:
    h = history_of(
        lag(0.0, "us-west-2", None, None, error="store unreachable: KvConnectError: refused"),
        lag(0.25, "us-west-2", None, None, error="store unreachable: KvConnectError: refused"),
    )
    (verdict,) = evaluate(h, {"replication_lag_max": "10s"})
    assert not verdict.passed and verdict.measured is None
    assert "2× store unreachable: KvConnectError: refused" in verdict.detail


def test_p99_and_max_in_seconds_and_bytes() -> None:
    # 100 samples: 0.01 s .. 1.00 s and 10 .. 1000 bytes; nearest-rank p99 is the 99th.
    h = history_of(*(lag(i * 0.25, "us-west-2", (i + 1) / 100, (i + 1) * 10) for i in range(100)))
    r = replication_lag(h)
    (replica,) = r.replicas
    assert replica.region == "us-west-2" and replica.measured == 100 and replica.unmeasured == 0
    assert replica.p99_seconds == pytest.approx(0.99)
    assert replica.max_seconds == pytest.approx(1.0)
    assert (replica.p99_bytes, replica.max_bytes) == (990, 1000)
    verdicts = {v.name: v for v in evaluate(h, {
        "replication_lag_p99": "1s", "replication_lag_max": "900ms",
        "replication_lag_bytes_p99": 990, "replication_lag_bytes_max": 999})}
    assert verdicts["replication_lag_p99"].passed and verdicts["replication_lag_p99"].unit == "s"
    assert not verdicts["replication_lag_max"].passed
    assert verdicts["replication_lag_bytes_p99"].passed
    assert not verdicts["replication_lag_bytes_max"].passed
    assert verdicts["replication_lag_bytes_max"].measured_text == "1000 bytes"


def test_the_worst_replica_is_judged() -> None:
    h = history_of(lag(0, "eu-west-1", 0.1, 10), lag(0, "us-west-2", 2.0, 500), lag(1, "eu-west-1", 0.2, 20))
    (verdict,) = evaluate(h, {"replication_lag_max": "1s"})
    assert not verdict.passed and verdict.measured == 2.0
    assert verdict.detail == "replica in us-west-2, 1 samples (worst of 2 replicas)"


def test_unmeasured_samples_are_counted_not_judged() -> None:
    h = history_of(lag(0, "us-west-2", 0.5, 100), lag(1, "us-west-2", None, None, error="no primary"))
    (replica,) = replication_lag(h).replicas
    assert (replica.measured, replica.unmeasured, replica.max_seconds) == (1, 1, 0.5)
    assert replica.reasons == ("1× no primary",)


def promotion_history() -> History:
    """Lag builds to 1.5 s, the primary is lost at 12 s (no figures since), promotion at 14 s."""
    rec = Recorder()
    for i in range(40):
        t = i * 0.25
        rec.write(t, f"w{i}")
    h = rec.history
    for i in range(56):
        t = i * 0.25
        if t < 12:
            h.sample(lag(t, "us-west-2", min(1.5, t / 4), int(100 * min(1.5, t / 4))))
        else:
            h.sample(lag(t, "us-west-2", None, None, error="no primary reached"))
    h.event(Event(12.0, "fault-applied", "region.outage", id="primary-loss", detail={"target": "us-east-1"}))
    h.event(Event(14.0, "fault-applied", "kv.promote", id="promote", detail={"target": "us-west-2"}))
    # Every write from 8.5 s on was acknowledged by the old primary and never replicated.
    kept = [f"w{i}" for i in range(34)]
    rec.final_read(20.0, kept)
    return h


def test_a_promotion_carries_the_last_lag_measured_and_the_writes_lost() -> None:
    (p,) = replication_lag(promotion_history()).promotions
    assert (p.fault_id, p.promoted, p.time) == ("promote", "us-west-2", 14.0)
    assert p.measured_at == 11.75 and p.seconds == 1.5 and p.bytes == 150
    assert p.lost_writes == 6
    assert p.rpo == pytest.approx(1.25)
    assert p.reason == ""


def test_a_promotion_takes_the_last_sample_with_both_figures() -> None:
    h = History()
    h.sample(lag(13.0, "us-west-2", 1.5, 9000))
    h.sample(lag(13.25, "us-west-2", 1.6, None, error="the primary's offset could not be read"))
    h.event(Event(14.0, "fault-applied", "kv.promote", id="promote", detail={"target": "us-west-2"}))
    (p,) = replication_lag(h).promotions
    assert (p.measured_at, p.seconds, p.bytes) == (13.0, 1.5, 9000)


def test_a_promotion_with_no_lag_measured_says_why() -> None:
    h = History()
    h.event(Event(14.0, "fault-applied", "kv.promote", id="promote", detail={"target": "us-west-2"}))
    (p,) = replication_lag(h).promotions
    assert p.seconds is None and p.measured_at is None
    assert p.reason == "no lag of the replica in us-west-2 was measured before the promotion"


def test_summary_carries_replicas_and_promotions_as_plain_json() -> None:
    import json

    s = summary(promotion_history())["replication"]
    assert s["replicas"][0]["region"] == "us-west-2"
    assert s["promotions"][0]["lost_writes"] == 6
    json.dumps(s, allow_nan=False)


def test_samples_survive_a_history_round_trip() -> None:
    h = promotion_history()
    again = History.from_lines(h.lines())
    assert again.samples == sorted(h.samples, key=lambda s: s.time)
    assert replication_lag(again) == replication_lag(h)
    assert again.samples_of("replication")[0].values["primary"] == "us-east-1"
