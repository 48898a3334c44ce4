from __future__ import annotations

from chaoskit.checks import stale_reads

from .histories import Recorder


def test_reads_that_miss_an_acknowledged_write_are_stale() -> None:
    r = Recorder()
    r.write(1.0, "o1", latency=0.5)  # acknowledged at 1.5 s
    r.write(1.0, "o3", "unknown")
    r.read(1.25, "o1", None)  # the write was not yet acknowledged: not stale
    r.read(1.75, "o1", None)  # stale
    r.read(2.0, "o1", {"id": "o1"})  # found
    r.read(3.0, "o1", "not-found")  # stale
    r.read(3.5, "o1", None, "fail")  # failed reads say nothing
    r.read(4.0, "o2", None)  # never written
    r.read(4.0, "o3", None)  # write outcome unknown
    r.read(4.5, "o1", None, target="kv")  # another target's key space
    result = stale_reads(r.history)
    assert result.reads == 7
    assert result.count == 2
    assert [(s.read.start, s.write.key) for s in result.stale] == [(1.75, "o1"), (3.0, "o1")]
    assert result.stale[1].lag == 1.5
    assert stale_reads(r.history, target="kv").count == 0


def test_the_earliest_acknowledgement_counts() -> None:
    r = Recorder()
    r.write(5.0, "o1", latency=0.5)
    r.write(1.0, "o1", latency=0.5)  # a retry recorded later, acknowledged first
    r.read(2.0, "o1", None)
    [stale] = stale_reads(r.history).stale
    assert stale.write.start == 1.0
    assert stale.lag == 0.5
