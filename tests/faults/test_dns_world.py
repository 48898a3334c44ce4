"""DNS faults on a real world, each kind and each option seen by outside clients.

The clients are the tests' own and share no code with chaoskit's confirmation
(which goes through `Context.ask_host` and the agent's stdlib DNS client):
dnspython from the host through each CoreDNS's published port, and dnspython
run inside a region's network namespace (the agent container's, entered with
nsenter), asking that region's CoreDNS from a region client's own address.
What is right is what the same client saw before the fault.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from outside_dns import Seen, ask

from chaoskit.errors import FaultSpecError
from chaoskit.faults import Faults
from chaoskit.inworld.protocol import journal
from chaoskit.region import World

pytestmark = pytest.mark.world

EAST, WEST = "us-east-1", "us-west-2"
KV_EAST = "kv.us-east-1.chaoskit.internal"
ORDERS_EAST = "orders.us-east-1.chaoskit.internal"
KV_WEST = "kv.us-west-2.chaoskit.internal"


def from_host(world: World, region: str, name: str, proto: str = "udp",
              timeout: float = 2.0) -> Seen:
    """dnspython on the host, through region's CoreDNS's published port."""
    addr = world.dns_address(region, proto)
    return ask(addr.host, addr.port, name, proto, timeout)


def from_region(world: World, region: str, name: str, proto: str = "udp", count: int = 1,
                timeout: float = 2.0) -> list[Seen]:
    """dnspython inside region's network (the agent container's namespace), asking its CoreDNS."""
    pid = world.container(f"agent-{region}").attrs["State"]["Pid"]
    server = world.plan.coredns_ip(region)
    out = subprocess.run(["nsenter", f"--net=/proc/{pid}/ns/net", sys.executable, "-m",
                          "outside_dns", server, name, proto, str(count), str(timeout)],
                         capture_output=True, text=True, timeout=60 + count * timeout,
                         cwd=Path(__file__).parent)
    assert out.returncode == 0, out.stderr
    return [Seen(**{**d, "a": tuple(d["a"]), "ttls": tuple(d["ttls"])})
            for d in json.loads(out.stdout)]


def right(seen: Seen) -> bool:
    return seen.rcode == "NOERROR" and not seen.tc and len(seen.a) == 1


@pytest.fixture(scope="module")
def baseline(world: World) -> dict[tuple[str, str, str], str]:
    """The address each vantage point gets before any fault: (how, region, name) -> A."""
    out = {}
    for region in (EAST, WEST):
        for name in (KV_EAST, ORDERS_EAST, KV_WEST):
            for proto in ("udp", "tcp"):
                host = from_host(world, region, name, proto)
                [inside] = from_region(world, region, name, proto)
                assert right(host) and right(inside), (host, inside)
                out[("host", region, name)] = host.a[0]
                out[("inside", region, name)] = inside.a[0]
    return out


def injected(world: World, spec: dict[str, Any]) -> Faults:
    faults = Faults(world, log=lambda s: None)
    faults.inject({"id": "dnsw", **spec})
    return faults


# --- every kind, over UDP and TCP, from the host -----------------------------------------------

RCODES = {"dns.nxdomain": "NXDOMAIN", "dns.servfail": "SERVFAIL", "dns.refused": "REFUSED"}


@pytest.mark.parametrize("kind", sorted(RCODES))
def test_rcode_kinds(world: World, baseline: dict[Any, str], kind: str) -> None:
    with Faults(world) as faults, faults.fault({"fault": kind, "target": KV_EAST, "region": EAST}):
        for proto in ("udp", "tcp"):
            assert from_host(world, EAST, KV_EAST, proto).rcode == RCODES[kind]
        assert from_host(world, EAST, ORDERS_EAST).a == (baseline[("host", EAST, ORDERS_EAST)],)
    assert from_host(world, EAST, KV_EAST).a == (baseline[("host", EAST, KV_EAST)],)


def test_nodata(world: World) -> None:
    with Faults(world) as faults, faults.fault({"fault": "dns.nodata", "target": KV_EAST,
                                                 "region": EAST}):
        for proto in ("udp", "tcp"):
            seen = from_host(world, EAST, KV_EAST, proto)
            assert seen.rcode == "NOERROR" and seen.a == () and not seen.tc, seen


def test_timeout(world: World) -> None:
    with Faults(world) as faults, faults.fault({"fault": "dns.timeout", "target": KV_EAST,
                                                 "region": EAST}):
        assert from_host(world, EAST, KV_EAST, "udp", timeout=1.0).rcode == "TIMEOUT"
        assert from_host(world, EAST, KV_EAST, "tcp", timeout=1.0).rcode in ("TIMEOUT", "CLOSED")


def test_truncate_sets_tc_over_udp_and_tcp_gets_the_right_answer(
        world: World, baseline: dict[Any, str]) -> None:
    want = baseline[("host", EAST, KV_EAST)]
    with Faults(world) as faults, faults.fault({"fault": "dns.truncate", "target": KV_EAST,
                                                 "region": EAST}):
        for _ in range(20):  # every query, not every other one
            udp = from_host(world, EAST, KV_EAST, "udp")
            assert udp.tc, f"no TC over UDP: {udp}"
            assert set(udp.a) <= {want}, f"a wrong address where a truncation was promised: {udp}"
        tcp = from_host(world, EAST, KV_EAST, "tcp")
        assert tcp.rcode == "NOERROR" and not tcp.tc and tcp.a == (want,), tcp


def test_a_synthetic_answer_where_a_truncation_was_promised_fails(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # The block dns.truncate had before: erratic answers 192.0.2.53, TC on every other query.
    from chaoskit.errors import ConfirmTimeout
    from chaoskit.faults.dns import Truncate

    monkeypatch.setattr(Truncate, "block", "erratic {\n    truncate 1\n}")
    before = from_host(world, EAST, KV_EAST)
    with Faults(world) as faults, pytest.raises(ConfirmTimeout, match="dns.truncate not observed"):
        faults.inject({"fault": "dns.truncate", "target": KV_EAST, "region": EAST})
    assert journal.read(world.dir)["faults"] == []
    after = from_host(world, EAST, KV_EAST)
    assert (after.rcode, after.tc, after.a) == (before.rcode, False, before.a), "reverted"


def test_slow_is_slow_and_correct(world: World, baseline: dict[Any, str]) -> None:
    want = baseline[("host", EAST, KV_EAST)]
    with Faults(world) as faults, faults.fault({"fault": "dns.slow", "target": KV_EAST,
                                                 "region": EAST, "params": {"ms": 400}}):
        for proto in ("udp", "tcp"):
            seen = from_host(world, EAST, KV_EAST, proto, timeout=3.0)
            assert seen.a == (want,) and seen.seconds >= 0.36, seen
        with pytest.raises(FaultSpecError, match="held by fault"):
            faults.inject({"fault": "dns.slow", "target": ORDERS_EAST, "region": EAST, "id": "two"})


def test_wrong_answer_blackhole_and_to_region(world: World, baseline: dict[Any, str]) -> None:
    hole = str(ipaddress.ip_network(world.plan.subnets[EAST]).network_address + 250)
    with Faults(world) as faults, faults.fault({"fault": "dns.wrong-answer", "target": KV_EAST,
                                                 "region": EAST}):
        for proto in ("udp", "tcp"):
            assert from_host(world, EAST, KV_EAST, proto).a == (hole,)
    with Faults(world) as faults, faults.fault({"fault": "dns.wrong-answer", "target": KV_EAST,
                                                 "region": EAST, "params": {"to_region": WEST}}):
        # kv in us-west-2, as the same client sees it: another region's address.
        other = from_host(world, EAST, KV_EAST, "udp").a
        assert other == (baseline[("host", EAST, KV_WEST)],) != (baseline[("host", EAST, KV_EAST)],)


def test_ttl(world: World, baseline: dict[Any, str]) -> None:
    with Faults(world) as faults, faults.fault({"fault": "dns.ttl", "target": KV_EAST,
                                                 "region": EAST, "params": {"ttl": 3600}}):
        for proto in ("udp", "tcp"):
            seen = from_host(world, EAST, KV_EAST, proto)
            assert seen.a == (baseline[("host", EAST, KV_EAST)],) and seen.ttls == (3600,), seen


# --- options --------------------------------------------------------------------------------------

def test_clients_of_one_region_only(world: World, baseline: dict[Any, str]) -> None:
    with Faults(world) as faults, faults.fault({"fault": "dns.nxdomain", "target": KV_EAST,
                                                 "clients_of": WEST}):
        for proto in ("udp", "tcp"):
            assert [s.rcode for s in from_region(world, WEST, KV_EAST, proto)] == ["NXDOMAIN"]
            [east] = from_region(world, EAST, KV_EAST, proto)
            assert east.a == (baseline[("inside", EAST, KV_EAST)],), east
            # The host through the name's own CoreDNS is the host view, untouched. (Through
            # us-west-2's port the query is forwarded from us-west-2's network, so the host
            # is then a client of us-west-2 for that name: it sees what they see.)
            assert from_host(world, EAST, KV_EAST, proto).a == (baseline[("host", EAST, KV_EAST)],)
            assert from_host(world, WEST, KV_EAST, proto).rcode == "NXDOMAIN"


def test_truncate_inside_a_region(world: World, baseline: dict[Any, str]) -> None:
    want = baseline[("inside", WEST, KV_EAST)]
    with Faults(world) as faults, faults.fault({"fault": "dns.truncate", "target": KV_EAST,
                                                 "clients_of": WEST}):
        udp = from_region(world, WEST, KV_EAST, "udp", count=10)
        assert all(s.tc and set(s.a) <= {want} for s in udp), udp
        [tcp] = from_region(world, WEST, KV_EAST, "tcp")
        assert tcp.a == (want,) and not tcp.tc, tcp


def glibc(world: World, region: str, name: str) -> str:
    """What the C library's stub resolver in a region's container answers (Docker API exec)."""
    code = f"import socket\ntry: print(socket.gethostbyname({name!r}))\nexcept OSError as e: print(e)"
    result = world.container(f"agent-{region}").exec_run(["python3", "-c", code])
    return str(result.output.decode().strip())


def test_a_stub_resolver_follows_the_truncation_to_the_right_address(
        world: World, baseline: dict[Any, str]) -> None:
    # Through Docker's embedded resolver and the region's CoreDNS, as services resolve.
    want = baseline[("inside", WEST, KV_EAST)]
    assert glibc(world, WEST, KV_EAST) == want
    with Faults(world) as faults, faults.fault({"fault": "dns.truncate", "target": KV_EAST,
                                                 "clients_of": WEST}):
        assert all(s.tc for s in from_region(world, WEST, KV_EAST, "udp", count=3))
        assert glibc(world, WEST, KV_EAST) == want
    with Faults(world) as faults, faults.fault({"fault": "dns.nxdomain", "target": KV_EAST,
                                                 "clients_of": WEST}):
        assert "not known" in glibc(world, WEST, KV_EAST)


def test_fraction_breaks_some_queries_not_all(world: World, baseline: dict[Any, str]) -> None:
    with Faults(world) as faults, faults.fault({"fault": "dns.servfail", "target": KV_EAST,
                                                 "region": EAST, "fraction": 0.5}):
        rcodes = [from_host(world, EAST, KV_EAST).rcode for _ in range(100)]
    # With a random query id, 100 queries all one way has a chance of 2 ** -99.
    assert 10 < rcodes.count("SERVFAIL") < 90, rcodes
    assert rcodes.count("NOERROR") + rcodes.count("SERVFAIL") == 100


def test_region_places_the_fault_in_one_coredns(world: World, baseline: dict[Any, str]) -> None:
    with Faults(world) as faults, faults.fault({"fault": "dns.refused", "target": KV_EAST,
                                                 "region": WEST}):
        assert from_host(world, WEST, KV_EAST).rcode == "REFUSED"
        assert from_host(world, EAST, KV_EAST).a == (baseline[("host", EAST, KV_EAST)],)


def test_wildcard_pattern(world: World, baseline: dict[Any, str]) -> None:
    with Faults(world) as faults, faults.fault({"fault": "dns.servfail",
                                                 "target": "*.us-east-1.chaoskit.internal",
                                                 "region": EAST}):
        for name in (KV_EAST, ORDERS_EAST):
            for proto in ("udp", "tcp"):
                assert from_host(world, EAST, name, proto).rcode == "SERVFAIL"
        assert from_host(world, EAST, KV_WEST).a == (baseline[("host", EAST, KV_WEST)],)


# --- bad ids never reach the world ---------------------------------------------------------------

@pytest.mark.parametrize("fid", ["x\n}\n. {\n", "a b", "a#b"])
def test_bad_id_is_refused_before_anything_is_applied(world: World, fid: str) -> None:
    corefile = world.dir / "regions" / EAST / "coredns" / "Corefile"
    before = (journal.read(world.dir)["faults"], corefile.read_text())
    with pytest.raises(FaultSpecError, match="fault id"):
        Faults(world).inject({"fault": "net.latency", "target": "kv", "region": EAST, "id": fid})
    with pytest.raises(FaultSpecError, match="fault id"):
        Faults(world).inject({"fault": "dns.nxdomain", "target": KV_EAST, "id": fid})
    assert (journal.read(world.dir)["faults"], corefile.read_text()) == before
