from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
import redis

from chaoskit.inworld.protocol.resp import (
    Addresses,
    KvConnectError,
    KvConnectionLost,
    KvDnsError,
    KvError,
    KvOutcomeUnknown,
    KvReadOnly,
    KvReplyError,
    KvTimeout,
    KvUnavailable,
    RespClient,
    _Connection,
    encode,
)
from chaoskit.toxiproxy import (
    Latency,
    LimitData,
    LocalToxiproxyServer,
    ResetPeer,
    Stream,
    Timeout,
    ToxicAttributes,
    ToxiproxyClient,
    find_server_binary,
)
from chaoskit.workload.local import LocalRedis, SilentServer, free_port

MakeDns = Callable[[Mapping[str, int]], Any]


def test_encode() -> None:
    assert encode(("SET", "k", b"v\r\n", 5)) == b"*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nv\r\n\r\n$1\r\n5\r\n"


def test_parses_every_reply_type_even_in_pieces() -> None:
    a, b = socket.socketpair()
    with a, b:
        conn = _Connection(a, time.monotonic())
        data = (
            b"+OK\r\n-READONLY You can't write\r\n-ERR bad\r\n:42\r\n$5\r\nhe\r\nl\r\n$-1\r\n"
            b"*3\r\n$1\r\na\r\n:1\r\n*-1\r\n*0\r\n"
        )

        def feed() -> None:
            for i in range(0, len(data), 3):  # dribble, to split every token
                b.sendall(data[i : i + 3])
                time.sleep(0.001)

        threading.Thread(target=feed, daemon=True).start()
        deadline = time.monotonic() + 5
        assert conn.read(deadline) == "OK"
        assert isinstance(conn.read(deadline), KvReadOnly)
        err = conn.read(deadline)
        assert isinstance(err, KvReplyError) and not isinstance(err, KvReadOnly)
        assert conn.read(deadline) == 42
        assert conn.read(deadline) == b"he\r\nl"
        assert conn.read(deadline) is None
        assert conn.read(deadline) == [b"a", 1, None]
        assert conn.read(deadline) == []


def test_garbage_is_connection_lost() -> None:
    a, b = socket.socketpair()
    with a, b:
        b.sendall(b"?what\r\n")
        with pytest.raises(KvConnectionLost, match="protocol"):
            _Connection(a, time.monotonic()).read(time.monotonic() + 1)


def test_dns_failure_is_typed(make_dns: MakeDns) -> None:
    dns = make_dns({})
    client = RespClient("kv.us-east-1.chaoskit.internal", 6379, resolver=dns)
    with pytest.raises(KvDnsError, match="kv.us-east-1"):
        client.ping()


def test_a_hung_resolver_cannot_outlast_the_timeout() -> None:
    release = threading.Event()
    calls = []

    def hung(host: str, port: int) -> Addresses:
        calls.append(host)
        release.wait(5)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    client = RespClient("kv.hung.chaoskit.internal", 6379, timeout=0.1, resolver=hung)
    try:
        for _ in range(3):
            started = time.monotonic()
            with pytest.raises(KvDnsError, match="timed out"):
                client.ping()
            assert time.monotonic() - started < 0.5
        assert len(calls) == 1  # lookups of one name are shared, not piled up
    finally:
        release.set()


def test_refused_is_a_connect_error() -> None:
    with pytest.raises(KvConnectError, match="refused"):
        RespClient("127.0.0.1", free_port(), timeout=0.5).ping()


def test_silence_is_a_timeout_within_the_deadline() -> None:
    with SilentServer() as silent:
        client = RespClient("127.0.0.1", silent.port, timeout=0.2)
        started = time.monotonic()
        with pytest.raises(KvTimeout):
            client.set("k", "v")
        # The server never answers: without the deadline the call would never return. The bound
        # proves that much on a loaded machine; how close to 0.2 s it ends is a benchmark's business.
        assert time.monotonic() - started < 5


def test_a_server_that_hangs_up_mid_command_loses_the_connection() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def hang_up() -> None:
        conn, _ = listener.accept()
        conn.recv(100)
        conn.close()

    threading.Thread(target=hang_up, daemon=True).start()
    with listener, pytest.raises(KvConnectionLost):
        RespClient("127.0.0.1", listener.getsockname()[1], timeout=1).set("k", "v")


def test_commands_against_real_redis(redis_primary: LocalRedis) -> None:
    with redis_primary.client() as c:
        assert c.ping()
        assert c.set("order:1", '{"item":"x"}')
        assert c.get("order:1") == '{"item":"x"}'
        assert c.get("order:nope") is None
        assert c.sadd("orders", "1", "2") == 2
        assert c.smembers("orders") == {"1", "2"}
        assert c.transaction([("SET", "order:3", "y"), ("SADD", "orders", "3")]) == ["OK", 1]
        assert c.delete("order:1", "order:3") == 2
        assert c.info("replication")["role"] == "master"
        assert c.role()[0] == "master"
        with pytest.raises(KvReplyError, match="unknown command"):
            c.execute("NOPE")
        assert c.ping()  # the connection survived the error reply


def test_replica_refuses_writes_as_readonly(redis_primary: LocalRedis, redis_replica: LocalRedis) -> None:
    with redis_replica.client() as c:
        assert c.role()[0] == "slave"
        with pytest.raises(KvReadOnly):
            c.set("k", "v")
        with pytest.raises(KvReadOnly):
            c.transaction([("SET", "k", "v"), ("SADD", "orders", "k")])
        assert c.get("k") is None  # still in step after the aborted transaction


def test_reconnects_after_a_restart(redis_primary: LocalRedis) -> None:
    with redis_primary.client() as c:
        assert c.set("k", "v")
        redis_primary.restart()
        # the pooled connection is dead; the client notices before any reply and retries once
        assert c.set("k", "v2")
        assert c.get("k") == "v2"


def test_names_are_resolved_again_when_connections_age(redis_primary: LocalRedis, make_dns: MakeDns) -> None:
    dns = make_dns({"kv.us-east-1.chaoskit.internal": redis_primary.port})
    client = RespClient("kv.us-east-1.chaoskit.internal", 6379, max_age=0.05, resolver=dns)
    with client:
        assert client.ping()
        assert client.ping()
        assert dns.calls == 1  # the pooled connection was reused
        time.sleep(0.1)
        dns.broken.add("kv.us-east-1.chaoskit.internal")
        with pytest.raises(KvDnsError):
            client.ping()
        dns.broken.clear()
        assert client.ping()


# --- what a failure says about the write, checked against the store ---------------------
# The history's ok / fail / unknown split and the lost-writes check rest on one property:
# the client never calls a write that ran a definite failure (KvUnavailable). Real faults
# (a real Toxiproxy server between the client and a real redis-server); the truth is read
# straight from redis-server with redis-py, which shares no code with the client.
# docs/benchmarks.md compares redis-py on the same faults (bench/resp_vs_redispy.py).


@dataclass
class Proxied:
    toxiproxy: ToxiproxyClient
    proxy: str
    port: int  # the proxy's listening port on 127.0.0.1
    truth: redis.Redis


@pytest.fixture
def proxied(redis_primary: LocalRedis) -> Iterator[Proxied]:
    binary = find_server_binary(["/tmp/gobin/server"])
    if binary is None:
        pytest.skip("no Toxiproxy server binary: set CHAOSKIT_TOXIPROXY_BIN or run chaoskit images build")
    port = free_port()
    with LocalToxiproxyServer(binary) as server, ToxiproxyClient(server.url, timeout=5.0) as toxiproxy:
        toxiproxy.create_proxy("kv", redis_primary.address, listen=f"127.0.0.1:{port}")
        truth = redis.Redis("127.0.0.1", redis_primary.port, socket_timeout=5, socket_connect_timeout=5)
        with truth:
            yield Proxied(toxiproxy, "kv", port, truth)


@dataclass
class Outcome:
    key: str
    error: KvError | None
    ran: bool = False


def write_through(proxied: Proxied, client: RespClient, ops: int, *, cut_after: float | None = None,
                  settle: float = 0.3) -> list[Outcome]:
    """`ops` SETs of new keys, then (after `settle`) which of them the store holds."""
    outcomes = []
    for i in range(ops):
        cut = None
        if cut_after is not None:  # the proxy goes down while the write is in flight
            cut = threading.Timer(cut_after, proxied.toxiproxy.disable_proxy, [proxied.proxy])
            cut.start()
        outcome = Outcome(f"resp-test:{uuid.uuid4().hex}:{i}", None)
        try:
            client.set(outcome.key, "1")
        except KvError as e:
            outcome.error = e
        if cut is not None:
            cut.cancel()
            cut.join()
            proxied.toxiproxy.enable_proxy(proxied.proxy)
        outcomes.append(outcome)
    time.sleep(settle)
    for outcome, value in zip(outcomes, proxied.truth.mget([o.key for o in outcomes]), strict=True):
        outcome.ran = value is not None
    return outcomes


# (toxic, stream, whether the write reaches redis-server before the failure)
WRITE_FAULTS: dict[str, tuple[ToxicAttributes, Stream, bool]] = {
    "reset_peer downstream": (ResetPeer(0), "downstream", True),
    "reset_peer upstream": (ResetPeer(0), "upstream", False),
    "timeout downstream": (Timeout(0), "downstream", True),
    "timeout upstream": (Timeout(0), "upstream", False),
    "latency downstream above the timeout": (Latency(800), "downstream", True),
    "limit_data mid-reply": (LimitData(2), "downstream", True),
}


@pytest.mark.parametrize("fault", list(WRITE_FAULTS))
def test_a_write_that_ran_is_never_a_definite_failure(proxied: Proxied, fault: str) -> None:
    toxic, stream, reaches = WRITE_FAULTS[fault]
    with RespClient("127.0.0.1", proxied.port, timeout=0.2) as client:
        assert client.set("warm", "1")  # a pooled connection, as a running service has
        proxied.toxiproxy.add_toxic(proxied.proxy, toxic, stream=stream, name="fault")
        try:
            outcomes = write_through(proxied, client, 4, settle=1.0 if isinstance(toxic, Latency) else 0.3)
        finally:
            proxied.toxiproxy.remove_toxic(proxied.proxy, "fault")
    assert all(o.error is not None for o in outcomes), "every write under the fault must fail"
    mislabelled = [o for o in outcomes if o.ran and isinstance(o.error, KvUnavailable)]
    assert not mislabelled, f"writes that ran, reported as definite failures: {mislabelled}"
    assert all(isinstance(o.error, KvOutcomeUnknown) for o in outcomes if o.ran)
    # not vacuous: the fault did what it is there for
    assert [o.ran for o in outcomes] == [reaches] * len(outcomes)


def test_a_write_in_flight_when_the_proxy_goes_down_is_unknown(proxied: Proxied) -> None:
    """net.down during a write: the reply is held back, then the connection is cut and new
    ones are refused. The write ran; the client's retry is refused; still not definite."""
    proxied.toxiproxy.add_toxic(proxied.proxy, Latency(800), name="fault")
    try:
        with RespClient("127.0.0.1", proxied.port, timeout=0.4) as client:
            outcomes = []
            for _ in range(3):
                # the write goes out on a pooled connection (this one may wait out the latency)
                assert client.set("warm", "1", timeout=2.0)
                outcomes += write_through(proxied, client, 1, cut_after=0.1, settle=1.0)
    finally:
        proxied.toxiproxy.remove_toxic(proxied.proxy, "fault")
    assert all(o.ran for o in outcomes), "not vacuous: every write reached redis-server"
    assert all(isinstance(o.error, KvOutcomeUnknown) for o in outcomes), [o.error for o in outcomes]


def test_a_refused_connection_is_a_definite_failure(proxied: Proxied) -> None:
    proxied.toxiproxy.disable_proxy(proxied.proxy)
    try:
        with RespClient("127.0.0.1", proxied.port, timeout=0.2) as client:  # nothing pooled yet
            outcomes = write_through(proxied, client, 3)
    finally:
        proxied.toxiproxy.enable_proxy(proxied.proxy)
    assert all(isinstance(o.error, KvConnectError) for o in outcomes), [o.error for o in outcomes]
    assert all(isinstance(o.error, KvUnavailable) for o in outcomes)  # definite: `fail`
    assert "refused" in str(outcomes[0].error)
    assert not any(o.ran for o in outcomes)
    with RespClient("127.0.0.1", proxied.port, timeout=1.0) as client:
        assert client.set("after", "1")  # and the proxy really was the only thing in the way
