from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from chaoskit.inworld.protocol.resp import (
    Addresses,
    KvConnectError,
    KvConnectionLost,
    KvDnsError,
    KvReadOnly,
    KvReplyError,
    KvTimeout,
    RespClient,
    _Connection,
    encode,
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
        assert time.monotonic() - started < 0.5


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
