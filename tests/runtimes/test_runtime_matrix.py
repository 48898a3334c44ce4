"""The runtime matrix on a real world: each client in its own container in a region, the
store's record flipped and emptied by the fault engine, the figures judged against what the
world's CoreDNS serves, read here with dnspython (no chaoskit code on that path).

glibc (no nscd), musl and Go keep no DNS cache of their own: each must follow the flip and
the repair within the record's TTL (it asks again on every request; only a cache could make
it later). The JVM's default cache ignores TTLs (30 s for answers, 10 s for failures): that
test, with Node.js's, is opt-in (marker `runtimes_slow`: their images are big).
"""

from __future__ import annotations

from collections.abc import Iterator

import dns.message
import dns.query
import dns.rdatatype
import pytest

from chaoskit.faults import Faults
from chaoskit.runtimes import Matrix, RuntimeResult, measure
from chaoskit.runtimes._matrix import INTERVAL_MS, WARMUP
from chaoskit.world import World

pytestmark = pytest.mark.world
SLACK = 2 * INTERVAL_MS / 1000  # a request interval either side


def ask(world: World, region: str, name: str) -> dns.message.Message:
    addr = world.dns_address(region)
    return dns.query.udp(dns.message.make_query(name, "A"), addr.host, port=addr.port, timeout=2)


@pytest.fixture(scope="module")
def store(world: World) -> tuple[str, str]:
    region = world.topology.primary
    return region, world.topology.endpoint("kv", region).dns_name


@pytest.fixture(scope="module")
def ttls(world: World, store: tuple[str, str]) -> Iterator[tuple[int, int]]:
    """(the record's TTL, the empty answer's negative TTL) as dnspython reads them."""
    region, name = store
    [rrset] = ask(world, region, name).answer
    with Faults(world) as faults, faults.fault({"fault": "dns.nodata", "target": name,
                                                "region": region, "id": "runtimes-ttl"}):
        empty = ask(world, region, name)
        assert not empty.answer
        [soa] = [r for r in empty.authority if r.rdtype == dns.rdatatype.SOA]
        negative = min(soa.ttl, min(r.minimum for r in soa))
    yield rrset.ttl, negative


@pytest.fixture(scope="module")
def fast(world: World) -> Matrix:
    return measure(world, ["glibc", "musl", "go"])


def row(matrix: Matrix, runtime: str) -> RuntimeResult:
    [found] = [r for r in matrix.results if r.runtime == runtime]
    return found


def test_the_matrix_reports_what_the_world_serves(fast: Matrix, ttls: tuple[int, int],
                                                  store: tuple[str, str]) -> None:
    ttl, negative = ttls
    assert (fast.region, fast.name) == store
    assert fast.record_ttl_s == ttl and fast.negative_ttl_s == negative
    assert fast.old_address != fast.new_address
    assert [r.runtime for r in fast.results] == ["glibc", "musl", "go"]


@pytest.mark.parametrize("runtime, version", [("glibc", "glibc 2."), ("musl", "musl 1."),
                                              ("go", "go1.")])
def test_runtimes_without_a_cache_follow_within_the_records_ttl(
        fast: Matrix, ttls: tuple[int, int], runtime: str, version: str) -> None:
    ttl, negative = ttls
    r = row(fast, runtime)
    assert r.version.startswith(version)
    # Each phase: the warm-up, then at least one request after the change.
    assert r.requests >= 2 * (WARMUP + 1)
    assert r.stale_after_flip_s is not None and r.stale_after_flip_s <= ttl + SLACK, r
    assert r.failing_after_repair_s is not None and r.failing_after_repair_s <= negative + SLACK, r
    assert r.held_answer_s is not None and r.held_failure_s is not None


def test_the_matrix_leaves_the_baseline_and_no_client(world: World, store: tuple[str, str],
                                                      fast: Matrix) -> None:
    region, name = store
    assert [str(a) for rr in ask(world, region, name).answer for a in rr] != []
    assert Faults(world, detached=True).listing() == []
    from chaoskit.engine import docker_client

    left = docker_client().containers.list(
        all=True, filters={"label": ["io.chaoskit.role=runtime-client",
                                     f"io.chaoskit.world={world.project}"]})
    assert left == []


@pytest.mark.runtimes_slow
def test_the_jvm_caches_answers_and_failures_past_the_ttl_node_does_not(
        world: World, ttls: tuple[int, int]) -> None:
    ttl, negative = ttls
    matrix = measure(world, ["jvm", "node"])
    jvm, node = row(matrix, "jvm"), row(matrix, "node")
    # Debian's OpenJDK 17: networkaddress.cache.ttl unset (30 s without a security manager),
    # networkaddress.cache.negative.ttl=10 in java.security.
    assert "networkaddress.cache.negative.ttl=10" in jvm.notes
    assert jvm.held_answer_s is not None and 30 - SLACK <= jvm.held_answer_s <= 30 + 2, jvm
    assert jvm.stale_after_flip_s is not None and jvm.stale_after_flip_s > ttl, jvm
    assert jvm.held_failure_s is not None and 10 - SLACK <= jvm.held_failure_s <= 10 + 2, jvm
    assert node.version.startswith("Node.js v")
    assert node.stale_after_flip_s is not None and node.stale_after_flip_s <= ttl + SLACK, node
    assert (node.failing_after_repair_s is not None
            and node.failing_after_repair_s <= negative + SLACK), node
