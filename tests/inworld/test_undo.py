"""The one undo path (`inworld/undo.py`), the journal's permissions and the reaper's trust.

Pure logic on canned entries, the journal on real files, and the reaper's sweep
against a real Toxiproxy server started on 127.0.0.1 (Docker is not needed by
the entries used here: toxics only).
"""

from __future__ import annotations

import json
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chaoskit import names
from chaoskit.inworld.protocol import journal, undo
from chaoskit.inworld.reaper import Reaper
from chaoskit.toxiproxy import Latency, LocalToxiproxyServer, ToxiproxyClient, find_server_binary

REGIONS = ("us-east-1", "us-west-2")
SUBNETS = {"us-east-1": "10.213.1.0/24", "us-west-2": "10.213.2.0/24"}
BLOCK = ("# fault dns-one: nodata kv.us-east-1.chaoskit.internal for clients of us-east-1\n"
         "us-east-1.chaoskit.internal:53 {\n    view dns-one-a {\n        expr true\n    }\n"
         "    template ANY ANY us-east-1.chaoskit.internal {\n        rcode NOERROR\n    }\n}\n")


def facts(directory: Path = Path("/nowhere"), upstream: str = "10.213.1.30:6379") -> undo.WorldFacts:
    proxies = {r: {"kv": {"name": "kv", "listen": "0.0.0.0:6379", "upstream": upstream,
                          "enabled": True}} for r in REGIONS}
    return undo.WorldFacts(directory, "chaoskit-t", REGIONS, SUBNETS, proxies)


def good_entry(fid: str = "good-one") -> dict[str, Any]:
    return {
        "id": fid, "holder": None, "expires_at": 0,
        "dns_blocks": {"us-east-1": [BLOCK.replace("dns-one", fid)]},
        "toxics": [{"region": "us-east-1", "proxy": "kv", "name": f"{fid}-latency"}],
        "disabled": [{"region": "us-west-2", "proxy": "kv"}],
        "containers": [{"service": "kv-us-west-2", "action": "disconnect", "undo": "connect",
                        "network": "chaoskit-t_net-us-west-2", "ipv4_address": "10.213.2.30"}],
    }


# --- trusting entries ------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["a", "f-1a2b3c", "x" * 63, "x" * 64, "-a", "a-", "A", "a#b",
                                   "a b", "a\n", "a.b", "", "é"])
def test_the_reapers_label_rule_is_names_py_rule(value: str) -> None:
    assert (undo.LABEL.fullmatch(value) is not None) == names.is_label(value)


def test_a_well_formed_entry_is_trusted() -> None:
    assert undo.entry_problems(good_entry(), facts()) == []


@pytest.mark.parametrize(("change", "said"), [
    ({"id": "a#b"}, "is not a fault id"),
    ({"id": "ok\n"}, "is not a fault id"),
    ({"toxics": [{"region": "eu-central-1", "proxy": "kv", "name": "x"}]}, "no region of this world"),
    ({"toxics": [{"region": "us-east-1", "proxy": "../../version", "name": "x"}]}, "no proxy of"),
    ({"toxics": [{"region": "us-east-1", "proxy": "kv", "name": "a\nb"}]}, "not printable"),
    ({"toxics": "kv"}, "not a list of objects"),
    ({"disabled": [{"region": "us-east-1", "proxy": "orders"}]}, "no proxy of"),
    ({"containers": [{"service": "reaper", "undo": "start"}]}, "no fault target"),
    ({"containers": [{"service": "other-world-db", "undo": "start"}]}, "no fault target"),
    ({"containers": [{"service": "kv-us-east-1", "undo": "rm"}]}, "is not one of"),
    ({"containers": [{"service": "kv-us-east-1", "undo": "connect", "network": "host",
                      "ipv4_address": "10.213.1.30"}]}, "no network of this world"),
    ({"containers": [{"service": "kv-us-east-1", "undo": "connect",
                      "network": "chaoskit-t_net-us-east-1", "ipv4_address": "10.9.9.9"}]},
     "outside us-east-1's subnet"),
    ({"dns_blocks": {"us-east-1": [BLOCK.replace("dns-one", "good-one") + "evil:53 {\n}\n"]}},
     "not exactly one server block"),
    ({"dns_blocks": {"us-east-1": [BLOCK]}}, "does not open with '# fault good-one"),
    ({"dns_blocks": {"us-east-1": ["chaoskit-control:53 {\n}\n"]}}, "does not open with"),
    ({"reload": ["mars"]}, "reload names no region"),
])
def test_an_entry_naming_what_is_not_this_worlds_is_refused(change: dict[str, Any], said: str) -> None:
    entry = {**good_entry(), **change}
    problems = undo.entry_problems(entry, facts())
    assert problems and any(said in p for p in problems), problems


def test_an_entry_that_is_no_object_is_refused() -> None:
    assert undo.entry_problems(["not", "an", "entry"], facts()) == ["not an object: list"]


def test_untrusted_blocks_never_reach_a_corefile(tmp_path: Path) -> None:
    coredns = tmp_path / "regions" / "us-east-1" / "coredns"
    coredns.mkdir(parents=True)
    (coredns / "Corefile.baseline").write_text(". {\n    whoami\n}\n")
    bad = {**good_entry("bad-one"), "toxics": [{"region": "nowhere", "proxy": "kv", "name": "x"}]}
    data = {"generation": 3, "faults": [good_entry(), bad]}
    assert undo.write_corefiles(data, facts(tmp_path), ["us-east-1"]) == 4
    text = (coredns / "Corefile").read_text()
    assert "# fault good-one" in text and "bad-one" not in text and "gen-4" in text


# --- undoing, with canned servers (the order and the verdict on each answer) ------------------------

class FakeToxiproxy:
    """Answers like Toxiproxy, from a dict of proxy -> toxic names; records every request."""

    def __init__(self, toxics: dict[str, list[str]], lie_on_delete: bool = False) -> None:
        self.toxics = toxics
        self.lie = lie_on_delete
        self.requests: list[tuple[str, str]] = []

    def __call__(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        self.requests.append((method, path))
        parts = path.split("/")
        proxy = parts[2]
        if proxy not in self.toxics:
            return 404, {"error": "proxy not found"}
        if method == "GET":
            return 200, [{"name": n} for n in self.toxics[proxy]]
        if method == "PATCH":
            return 200, {"name": proxy, "enabled": True}
        from urllib.parse import unquote

        name = unquote(parts[4])
        if name in self.toxics[proxy] and not self.lie:
            self.toxics[proxy].remove(name)
            return 204, None
        return 404, {"error": "toxic not found"}


def means_with(toxiproxy: FakeToxiproxy) -> undo.Means:
    def no_docker(method: str, path: str, body: Any = None) -> tuple[int, Any]:
        raise OSError("no engine in this test")

    return undo.Means(facts(), no_docker, lambda region: "http://toxiproxy.invalid",
                      toxiproxy_api=lambda region: toxiproxy)


def test_a_toxic_name_is_one_path_segment_whatever_it_holds() -> None:
    server = FakeToxiproxy({"kv": ["old#id latency"]})
    entry = {"id": "x", "toxics": [{"region": "us-east-1", "proxy": "kv", "name": "old#id latency"}]}
    outcome = undo.undo(entry, means_with(server), [])
    assert outcome.complete, outcome.problems
    assert server.toxics["kv"] == []
    assert ("DELETE", "/proxies/kv/toxics/old%23id%20latency") in server.requests


def test_a_404_is_a_success_only_when_a_new_look_shows_the_toxic_gone() -> None:
    gone = undo.undo({"id": "x", "toxics": [{"region": "us-east-1", "proxy": "kv", "name": "t"}]},
                     means_with(FakeToxiproxy({"kv": []})), [])
    assert gone.complete and gone.done == ["toxic t on kv of us-east-1: already gone"]
    liar = FakeToxiproxy({"kv": ["t"]}, lie_on_delete=True)
    still = undo.undo({"id": "x", "toxics": [{"region": "us-east-1", "proxy": "kv", "name": "t"}]},
                      means_with(liar), [])
    assert not still.complete
    assert "answers 404 to its removal, yet lists it" in still.problems[0]


def test_every_part_is_tried_and_only_the_failed_ones_are_left() -> None:
    server = FakeToxiproxy({"kv": ["good-one-latency"]})
    outcome = undo.undo(good_entry(), means_with(server), [])
    # The container and the CoreDNS reload need the engine, which this test lacks.
    assert server.toxics["kv"] == []
    assert ("PATCH", "/proxies/kv") in server.requests
    assert len(outcome.problems) == 2
    assert outcome.left is not None
    assert set(outcome.left) >= {"containers", "reload"}
    assert "toxics" not in outcome.left and "disabled" not in outcome.left
    # A reload still owed is kept as a region, never as blocks a later Corefile would bring back.
    assert "dns_blocks" not in outcome.left and outcome.left["reload"] == ["us-east-1"]
    assert undo.entry_problems(outcome.left, facts()) == []


def test_a_proxy_another_fault_keeps_disabled_stays_disabled() -> None:
    server = FakeToxiproxy({"kv": []})
    other = {"id": "other", "disabled": [{"region": "us-west-2", "proxy": "kv"}]}
    entry = {"id": "x", "disabled": [{"region": "us-west-2", "proxy": "kv"}]}
    outcome = undo.undo(entry, means_with(server), [other])
    assert outcome.complete and not any(m == "PATCH" for m, _ in server.requests)


# --- the journal's permissions and trust -----------------------------------------------------------

def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_journal_is_its_owners_only(tmp_path: Path) -> None:
    world = tmp_path / "world"
    os.umask(0o022)
    journal.secure_dir(world)
    with journal.locked(world) as data:
        data["faults"].append(good_entry())
    assert mode(world) == 0o700
    assert mode(world / journal.JOURNAL) == 0o600
    assert mode(world / journal.LOCK) == 0o600
    assert journal.trust_problem(world) is None


def test_a_journal_others_could_write_is_not_trusted(tmp_path: Path) -> None:
    journal.secure_dir(tmp_path)
    journal.write(tmp_path, journal.empty())
    os.chmod(tmp_path / journal.JOURNAL, 0o666)
    assert "can be written by others (mode 0666)" in str(journal.trust_problem(tmp_path))
    os.chmod(tmp_path / journal.JOURNAL, 0o600)
    os.chmod(tmp_path, 0o777)
    assert "directory can be written by others" in str(journal.trust_problem(tmp_path))
    os.chmod(tmp_path, 0o700)
    (tmp_path / journal.JOURNAL).unlink()
    (tmp_path / journal.JOURNAL).symlink_to("/etc/hostname")
    assert "not a regular file" in str(journal.trust_problem(tmp_path))


def test_a_torn_journal_stops_the_reaper_but_not_a_reset(tmp_path: Path) -> None:
    (tmp_path / journal.JOURNAL).write_text('{"faults": [')
    assert journal.read(tmp_path) == journal.empty()
    with pytest.raises(journal.JournalUnreadable):
        journal.read(tmp_path, strict=True)


# --- the reaper's sweep, against a real Toxiproxy ------------------------------------------------

@pytest.fixture
def toxiproxy_url() -> Iterator[str]:
    binary = find_server_binary()
    assert binary, "no toxiproxy-server: `chaoskit images build` leaves one in its cache"
    with LocalToxiproxyServer(binary) as server:
        yield server.url


def reaper_world(tmp_path: Path, url: str) -> Path:
    world = tmp_path / "world"
    journal.secure_dir(world)
    (world / "world.json").write_text(json.dumps({
        "project": "chaoskit-t", "regions": list(REGIONS), "subnets": SUBNETS,
        "toxiproxy_internal": {r: url for r in REGIONS}}))
    for region in REGIONS:
        (world / "regions" / region / "toxiproxy").mkdir(parents=True)
        (world / "regions" / region / "toxiproxy" / "toxiproxy.json").write_text(json.dumps(
            [{"name": "kv", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:9", "enabled": True}]))
    return world


def test_the_reaper_reaps_a_good_entry_next_to_bad_ones(tmp_path: Path, toxiproxy_url: str) -> None:
    client = ToxiproxyClient(toxiproxy_url)
    client.create_proxy("kv", "127.0.0.1:9")
    # A name an older chaoskit made from an id holding '#' and a space.
    client._request("POST", "/proxies/kv/toxics", body={
        "name": "old#id latency", "type": "latency", "attributes": {"latency": 100}})
    client.add_toxic("kv", Latency(latency=100), name="untrusted-latency")
    world = reaper_world(tmp_path, toxiproxy_url)
    past = time.time() - 1
    bad = [
        {"id": "bad id", "expires_at": past,
         "toxics": [{"region": "us-east-1", "proxy": "kv", "name": "untrusted-latency"}]},
        {"id": "evil", "expires_at": past, "containers": [{"service": "reaper", "undo": "start"}]},
        {"id": "no-expiry", "expires_at": "soon"},
        "not an entry",
    ]
    good = {"id": "old-one", "expires_at": past,
            "toxics": [{"region": "us-east-1", "proxy": "kv", "name": "old#id latency"}]}
    journal.write(world, {**journal.empty(), "faults": [*bad[:2], good, *bad[2:]]})

    reaper = Reaper(world, docker=lambda *a: (500, "no engine here"))
    reaped = reaper.sweep()

    assert [r["id"] for r in reaped] == ["old-one"] and reaped[0]["errors"] == []
    assert [t.name for t in client.list_toxics("kv")] == ["untrusted-latency"]
    data = journal.read(world)
    assert data["faults"] == bad
    assert sorted(r["id"] for r in data["refused"]) == sorted(
        ["bad id", "evil", "no-expiry", "None"])
    # Said once, not on every sweep.
    reaper.sweep()
    assert len(journal.read(world)["refused"]) == 4


def test_the_reaper_acts_on_nothing_in_a_journal_others_could_write(
        tmp_path: Path, toxiproxy_url: str) -> None:
    client = ToxiproxyClient(toxiproxy_url)
    client.create_proxy("kv", "127.0.0.1:9")
    client.add_toxic("kv", Latency(latency=100), name="held-latency")
    world = reaper_world(tmp_path, toxiproxy_url)
    entry = {"id": "held", "expires_at": time.time() - 1,
             "toxics": [{"region": "us-east-1", "proxy": "kv", "name": "held-latency"}]}
    journal.write(world, {**journal.empty(), "faults": [entry]})
    os.chmod(world / journal.JOURNAL, 0o666)
    reaper = Reaper(world, docker=lambda *a: (500, "no engine here"))
    assert reaper.sweep() == []
    assert [t.name for t in client.list_toxics("kv")] == ["held-latency"]
    os.chmod(world / journal.JOURNAL, 0o600)
    assert [r["id"] for r in reaper.sweep()] == ["held"]
    assert client.list_toxics("kv") == []
