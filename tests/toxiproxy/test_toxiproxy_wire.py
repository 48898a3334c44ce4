"""Each toxic seen on the wire: real TCP through a real proxy to an echo server on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import time
from typing import TYPE_CHECKING

import pytest

from chaoskit.toxiproxy import (
    Bandwidth,
    Latency,
    LimitData,
    ResetPeer,
    Slicer,
    SlowClose,
    Stream,
    Timeout,
    ToxiproxyClient,
)

if TYPE_CHECKING:  # the fixtures' types; conftest is not imported at run time
    from conftest import MakeProxy, Wire

# Without toxics a loopback round trip takes well under a millisecond; every
# bound below leaves room for a loaded 2-core machine.
FAST = 0.09


@pytest.mark.parametrize(
    "streams",
    [("downstream",), ("upstream",), ("upstream", "downstream")],
    ids=["downstream", "upstream", "both"],
)
def test_latency(
    client: ToxiproxyClient, make_proxy: MakeProxy, wire: Wire, streams: tuple[Stream, ...]
) -> None:
    proxy = make_proxy("latency")
    expected = 0.1 * len(streams)
    # The fastest of a few round trips: a loaded machine slows some, never speeds one up.
    assert min(wire.roundtrip(proxy) for _ in range(3)) < 0.1
    for stream in streams:
        client.add_toxic(proxy.name, Latency(100), stream=stream)
    elapsed = wire.roundtrip(proxy)
    assert expected <= elapsed < expected + 0.5
    for stream in streams:
        client.remove_toxic(proxy.name, f"latency_{stream}")
    assert min(wire.roundtrip(proxy) for _ in range(3)) < 0.1


def test_latency_reaches_open_connections(client: ToxiproxyClient, make_proxy: MakeProxy, wire: Wire) -> None:
    proxy = make_proxy("open")
    with wire.connect(proxy) as sock:
        client.add_toxic(proxy.name, Latency(100))
        start = time.monotonic()
        sock.sendall(b"x")
        wire.recv_exactly(sock, 1)
        assert time.monotonic() - start >= 0.1


def test_toxicity_zero_is_never_applied(client: ToxiproxyClient, make_proxy: MakeProxy, wire: Wire) -> None:
    proxy = make_proxy("toxicity")
    client.add_toxic(proxy.name, Latency(300), toxicity=0.0)
    client.add_toxic(proxy.name, Timeout(0), stream="upstream", toxicity=0.0)
    for _ in range(10):
        assert wire.roundtrip(proxy) < 0.2


def test_bandwidth_bounds_throughput(client: ToxiproxyClient, make_proxy: MakeProxy, wire: Wire) -> None:
    proxy = make_proxy("bandwidth")
    payload = os.urandom(20_000)
    assert wire.roundtrip(proxy, payload) < 0.2
    client.add_toxic(proxy.name, Bandwidth(rate=50))  # 50 KB/s: 20 kB take 0.4 s
    elapsed = wire.roundtrip(proxy, payload, timeout=5)
    assert len(payload) / elapsed <= 50_000 * 1.25
    assert elapsed < 2.0


def test_timeout_stops_data_and_keeps_the_connection(
    client: ToxiproxyClient, make_proxy: MakeProxy, wire: Wire
) -> None:
    proxy = make_proxy("timeout0")
    client.add_toxic(proxy.name, Timeout(timeout=0))
    with wire.connect(proxy, timeout=0.5) as sock:
        sock.sendall(b"hello")
        with pytest.raises(TimeoutError):
            sock.recv(16)


def test_timeout_closes_after_its_time(client: ToxiproxyClient, make_proxy: MakeProxy, wire: Wire) -> None:
    proxy = make_proxy("timeout")
    client.add_toxic(proxy.name, Timeout(timeout=300))
    with wire.connect(proxy, timeout=3) as sock:
        start = time.monotonic()
        sock.sendall(b"hello")
        assert wire.recv_until_closed(sock) == b""  # no data, then closed
        assert 0.3 <= time.monotonic() - start < 2.0


def test_reset_peer_resets(client: ToxiproxyClient, make_proxy: MakeProxy, wire: Wire) -> None:
    proxy = make_proxy("reset")
    # Added before connecting: only new connections get the RST (linger 0).
    client.add_toxic(proxy.name, ResetPeer(timeout=0))
    with wire.connect(proxy) as sock:
        sock.sendall(b"hello")
        with pytest.raises(ConnectionResetError):
            wire.recv_until_closed(sock)


def test_slicer_keeps_data_intact(client: ToxiproxyClient, make_proxy: MakeProxy, wire: Wire) -> None:
    proxy = make_proxy("slicer")
    client.add_toxic(proxy.name, Slicer(average_size=10, size_variation=5, delay=100))
    client.add_toxic(proxy.name, Slicer(average_size=7, size_variation=2), stream="upstream")
    payload = os.urandom(3000)
    assert wire.roundtrip(proxy, payload, timeout=5) < 3.0  # roundtrip checks the bytes


def test_limit_data_closes_after_n_bytes(client: ToxiproxyClient, make_proxy: MakeProxy, wire: Wire) -> None:
    proxy = make_proxy("limit")
    client.add_toxic(proxy.name, LimitData(bytes=10))
    payload = bytes(range(100))
    with wire.connect(proxy) as sock:
        sock.sendall(payload)
        assert wire.recv_until_closed(sock) == payload[:10]


def _close_delay(wire: Wire, sock: socket.socket) -> float:
    sock.sendall(b"x")
    wire.recv_exactly(sock, 1)
    start = time.monotonic()
    sock.shutdown(socket.SHUT_WR)  # the echo server sees EOF and closes its side
    assert wire.recv_until_closed(sock) == b""
    return time.monotonic() - start


def test_slow_close_delays_the_close(client: ToxiproxyClient, make_proxy: MakeProxy, wire: Wire) -> None:
    proxy = make_proxy("slowclose")
    with wire.connect(proxy) as sock:
        assert _close_delay(wire, sock) < 0.2
    client.add_toxic(proxy.name, SlowClose(delay=400))
    with wire.connect(proxy) as sock:
        assert 0.4 <= _close_delay(wire, sock) < 2.0


def test_disabled_proxy_refuses_and_cuts(client: ToxiproxyClient, make_proxy: MakeProxy, wire: Wire) -> None:
    proxy = make_proxy("down")
    with wire.connect(proxy) as open_connection:
        assert wire.roundtrip(proxy) < FAST
        client.disable_proxy(proxy.name)
        # A hard cut: the open connection is closed, new ones are refused.
        assert wire.closed_without_data(open_connection)
    with pytest.raises(ConnectionRefusedError):
        wire.connect(proxy).close()
    client.enable_proxy(proxy.name)
    assert wire.roundtrip(proxy) < FAST
