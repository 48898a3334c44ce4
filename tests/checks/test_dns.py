"""Did a DNS fault reach the clients: `dns_windows` and `requeried_within`, on hand-made histories."""

from __future__ import annotations

from typing import Any

import pytest

from chaoskit.checks import dns_windows, evaluate, requeried
from chaoskit.checks._dns import NO_QUERY_LOG, matches
from chaoskit.errors import PlaybookError
from chaoskit.history import Event, History, Query

KV = "kv.us-east-1.chaoskit.internal"


def history(*, queries: list[Query], faults: list[tuple[str, float, float | None, list[dict[str, Any]]]],
            ) -> History:
    h = History()
    for fid, start, end, dns in faults:
        detail: dict[str, Any] = {"describe": fid}
        if dns:
            detail["dns"] = dns
        h.event(Event(start, "fault-applied", "dns.nxdomain" if dns else "net.latency", fid, detail))
        if end is not None:
            h.event(Event(end, "fault-reverted", "dns.nxdomain", fid))
    h.queries.extend(queries)
    return h


def ask(t: float, client: str = "orders", name: str = KV, rcode: str = "NOERROR",
        region: str = "us-east-1", role: str = "service") -> Query:
    return Query(t, region, client, "10.0.0.40", name, "A", rcode, role)


NX = [{"target": KV, "clients_of": None}]


def test_names_match_targets_and_patterns() -> None:
    assert matches(KV, KV) and matches(KV.upper() + ".", KV)
    assert matches(KV, "*.us-east-1.chaoskit.internal")
    assert not matches("us-east-1.chaoskit.internal", "*.us-east-1.chaoskit.internal")
    assert not matches("kv.us-west-2.chaoskit.internal", KV)
    assert not matches("xkv.us-east-1.chaoskit.internal", KV)


def test_a_client_that_asks_again_passes_and_one_that_caches_is_flagged() -> None:
    h = history(faults=[("nx", 10.0, 20.0, NX)], queries=[
        ask(1), ask(5), ask(11.5, rcode="NXDOMAIN"), ask(12.5, rcode="NXDOMAIN"), ask(25),
        ask(2, client="cacher"),  # resolved once at its start, never again
        ask(12, client="agent-us-east-1", role="agent"),  # chaoskit's own: not a client
        ask(13, name="auth.us-east-1.chaoskit.internal"),  # another name
    ])
    [w] = dns_windows(h)
    assert (w.fault, w.start, w.end, w.targets, w.names, w.reason) == ("nx", 10.0, 20.0, (KV,), (KV,), "")
    by = {c.client: c for c in w.clients}
    assert set(by) == {"orders", "cacher"}
    assert (by["orders"].before, by["orders"].during, by["orders"].rcodes) == (2, 2, {"NXDOMAIN": 2})
    assert by["orders"].first == pytest.approx(1.5) and by["orders"].asked_again
    assert (by["cacher"].before, by["cacher"].during, by["cacher"].first) == (1, 0, None)
    assert [c.label for c in w.never_asked] == ["cacher@us-east-1"]
    value, detail = requeried([w])
    assert value is None
    assert "cacher@us-east-1 never asked kv.us-east-1.chaoskit.internal again" in detail
    assert "own DNS cache" in detail
    [v] = evaluate(h, {"requeried_within": "5s"})
    assert not v.passed and v.measured is None and "cacher" in v.detail
    doc = w.to_dict()
    assert doc["never_asked"] == ["cacher@us-east-1"] and doc["clients"][0]["client"] == "cacher"


def test_the_slowest_client_is_measured_against_the_bound() -> None:
    h = history(faults=[("nx", 10.0, 20.0, NX)], queries=[
        ask(1), ask(10.2), ask(2, client="cart"), ask(16, client="cart")])
    [v] = evaluate(h, {"requeried_within": "5s"})
    assert not v.passed and v.measured == pytest.approx(6.0)
    assert "slowest client cart@us-east-1" in v.detail
    [v] = evaluate(h, {"requeried_within": "6s"})
    assert v.passed and v.expected == "≤ 6 s"


def test_a_client_that_first_asked_during_the_fault_counts() -> None:
    h = history(faults=[("nx", 10.0, None, NX)], queries=[ask(30)])
    [w] = dns_windows(h)
    assert (w.clients[0].before, w.clients[0].during, w.clients[0].first) == (0, 1, 20.0)


def test_clients_of_a_region_only_count_there() -> None:
    dns = [{"target": KV, "clients_of": "us-west-2"}]
    h = history(faults=[("nx", 10.0, 20.0, dns)], queries=[
        ask(1), ask(2, region="us-west-2"), ask(12, region="us-west-2")])
    [w] = dns_windows(h)
    assert [(c.label, c.during) for c in w.clients] == [("orders@us-west-2", 1)]


def test_patterns_break_every_name_under_them() -> None:
    dns = [{"target": "*.us-east-1.chaoskit.internal", "clients_of": None}]
    h = history(faults=[("out", 10.0, 20.0, dns)], queries=[
        ask(1), ask(11, name="auth.us-east-1.chaoskit.internal"), ask(12)])
    [w] = dns_windows(h)
    assert w.names == ("auth.us-east-1.chaoskit.internal", KV)
    assert w.clients[0].during == 2


@pytest.mark.parametrize(("queries", "faults", "reason"), [
    ([], [("nx", 10.0, 20.0, NX)], NO_QUERY_LOG),
    ([ask(12, name="other.us-east-1.chaoskit.internal")], [("nx", 10.0, 20.0, NX)],
     "no service asked for kv.us-east-1.chaoskit.internal during the run"),
    ([ask(12, client="host", role="host")], [("nx", 10.0, 20.0, NX)], "no service asked"),
    ([ask(12)], [("nx", 10.0, 20.0, [{"target": KV, "clients_of": "host"}])], "host's questions only"),
])
def test_a_window_without_evidence_cannot_pass(queries: list[Query], faults: Any, reason: str) -> None:
    h = history(faults=faults, queries=queries)
    [w] = dns_windows(h)
    assert reason in w.reason and w.clients == ()
    [v] = evaluate(h, {"requeried_within": "60s"})
    assert not v.passed and v.measured is None
    assert "cannot judge" in v.detail and reason in v.detail


def test_no_dns_fault_cannot_pass() -> None:
    h = history(faults=[("slow", 10.0, 20.0, [])], queries=[ask(12)])
    assert dns_windows(h) == []
    [v] = evaluate(h, {"requeried_within": "60s"})
    assert not v.passed and v.detail == "no fault in the history broke a DNS name"
    [v] = evaluate(h, {"requeried_within": "60s"}, fault="slow")
    assert not v.passed and v.detail == "fault slow broke no DNS name: nothing to ask again"
    with pytest.raises(PlaybookError, match="no fault 'nope'"):
        evaluate(h, {"requeried_within": "60s"}, fault="nope")


def test_every_dns_window_must_hold_and_one_can_be_chosen() -> None:
    h = history(faults=[("a", 10.0, 20.0, NX), ("b", 30.0, 40.0, NX)],
                queries=[ask(1), ask(11), ask(25)])  # nothing during b
    [v] = evaluate(h, {"requeried_within": "5s"})
    assert not v.passed and v.detail.startswith("fault b:")
    [v] = evaluate(h, {"requeried_within": "5s"}, fault="a")
    assert v.passed and v.measured == pytest.approx(1.0)


def test_queries_survive_the_history_file(tmp_path: Any) -> None:
    h = history(faults=[("nx", 10.0, 20.0, NX)], queries=[ask(1), ask(11, rcode="NOANSWER")])
    path = tmp_path / "history.jsonl"
    h.dump(path)
    again = History.load(path)
    assert again.queries == h.queries
    assert again.events[0].detail["dns"] == NX
    assert evaluate(again, {"requeried_within": "5s"}) == evaluate(h, {"requeried_within": "5s"})


def test_the_names_a_runs_faults_broke() -> None:
    from chaoskit.checks import broken_names

    pattern = [{"target": "*.us-west-2.chaoskit.internal", "clients_of": None}]
    h = history(faults=[("a", 1.0, 2.0, NX), ("b", 3.0, None, pattern), ("c", 4.0, 5.0, [])],
                queries=[])
    assert broken_names(h) == ["*.us-west-2.chaoskit.internal", KV]
    # A question asked before the run (a negative time) makes a client of the name.
    h.queries.append(ask(-300.0, client="cacher"))
    [w, _] = dns_windows(h)
    assert [(c.label, c.before, c.during) for c in w.clients] == [("cacher@us-east-1", 1, 0)]
