"""How the sampler turns what the stores said into a sample: pairing, offsets, heartbeat bounds."""

from __future__ import annotations

import pytest

from chaoskit.history import History
from chaoskit.workload import ReplicationSampler
from chaoskit.workload._replication import _Reading, _values

ID = "a" * 40
OTHER = "b" * 40


def primary(region: str = "us-east-1", replid: str = ID) -> _Reading:
    return _Reading(region, {"role": "master", "master_replid": replid, "master_repl_offset": "5000"})


def replica(offset: int = 4000, *, replid: str = ID, clock: float = 100.0, beat: float | None = 98.5,
            link: str = "up") -> _Reading:
    info = {"role": "slave", "master_replid": replid, "slave_repl_offset": str(offset),
            "master_link_status": link}
    return _Reading("us-west-2", info, clock=clock, heartbeat=beat)


def test_a_replica_behind_its_primary() -> None:
    written = {"us-east-1": [98.0, 98.5, 98.75, 99.0, 99.25, 99.5, 99.75]}
    v = _values(replica(), [primary()], {"us-east-1": 5000}, {"us-east-1": 99.75}, written)
    assert v["primary"] == "us-east-1" and v["link"] == "up"
    assert (v["primary_offset"], v["replica_offset"], v["bytes"]) == (5000, 4000, 1000)
    # It holds the heartbeat of 98.5 and lacks the one of 98.75: the lag is within (1.25, 1.5].
    assert v["seconds"] == 1.5 and v["seconds_min"] == 1.25
    assert v["error"] is None


def test_a_replica_that_holds_the_last_heartbeat_is_at_most_its_age_behind() -> None:
    written = {"us-east-1": [99.75, 99.999]}
    v = _values(replica(5000, beat=99.999), [primary()], {"us-east-1": 5000}, {"us-east-1": 99.999}, written)
    assert v["bytes"] == 0 and v["seconds"] == pytest.approx(0.001) and v["seconds_min"] == 0.0


def test_the_bytes_never_go_negative() -> None:
    v = _values(replica(5200), [primary()], {"us-east-1": 5000}, {"us-east-1": 99.0}, {"us-east-1": [99.0]})
    assert v["bytes"] == 0


def test_no_heartbeat_written_this_tick_gives_no_seconds() -> None:
    # A primary just found (after a promotion) has had no heartbeat yet: an old one would lie.
    v = _values(replica(), [primary()], {"us-east-1": 5000}, {}, {})
    assert v["seconds"] is None and v["bytes"] == 1000
    assert v["error"] == "the primary's offset or a fresh heartbeat could not be read"


def test_a_replica_is_paired_by_replication_id_only() -> None:
    # Mid-promotion or mid-resync the replica still counts another history's offsets.
    v = _values(replica(replid=OTHER), [primary()], {"us-east-1": 5000}, {"us-east-1": 99.0}, {})
    assert v["primary"] is None and v["bytes"] is None and v["seconds"] is None
    assert v["error"].startswith("no primary reached whose replication id this replica holds")
    assert "primaries reached: us-east-1" in v["error"]


def test_the_replica_follows_whichever_primary_holds_its_id() -> None:
    promoted = primary("eu-west-1", OTHER)
    v = _values(replica(replid=OTHER), [primary(), promoted], {"eu-west-1": 4500, "us-east-1": 5000},
                {"eu-west-1": 99.0}, {"eu-west-1": [99.0]})
    assert v["primary"] == "eu-west-1" and v["bytes"] == 500


def test_stores_never_seen_as_replicas_give_no_samples() -> None:
    # Nothing listens on port 1 of 127.0.0.1: no store answers, no replica is known, no sample.
    sampler = ReplicationSampler({"a": "127.0.0.1:1", "b": "127.0.0.1:1"}, timeout=0.2)
    h = History()
    assert sampler.sample_once(h, 0.0) == [] and h.samples == []
    sampler.stop()


def test_a_bad_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="interval must be positive"):
        ReplicationSampler({"a": "127.0.0.1:1"}, interval=0)
