"""The client against a real Toxiproxy server: every endpoint, every error path."""

from __future__ import annotations

import http.server
import json
import math
import socket
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

from chaoskit.errors import UserError
from chaoskit.toxiproxy import (
    Bandwidth,
    BaselineNotReached,
    Latency,
    LimitData,
    ProxySpec,
    SlowClose,
    Timeout,
    ToxiproxyAPIError,
    ToxiproxyClient,
    ToxiproxyConflict,
    ToxiproxyConnectionError,
    ToxiproxyNotFound,
    ToxiproxyTimeout,
)

if TYPE_CHECKING:  # the fixtures' types; conftest is not imported at run time
    from conftest import MakeProxy, ServerUnderTest, Wire


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- proxies ---


def test_version(client: ToxiproxyClient) -> None:
    assert client.version()


def test_user_agent_is_not_a_browser(client: ToxiproxyClient) -> None:
    assert not client.user_agent.startswith("Mozilla/")
    # The server fact the client works around.
    response = httpx.get(f"{client.base_url}/version", headers={"User-Agent": "Mozilla/5.0"})
    assert response.status_code == 403


def test_base_url_without_scheme(toxiproxy_server: ServerUnderTest) -> None:
    bare = toxiproxy_server.url.removeprefix("http://") + "/"
    with ToxiproxyClient(bare) as client:
        assert client.base_url == toxiproxy_server.url
        assert client.version()


@pytest.mark.parametrize("url", ["ftp://127.0.0.1:8474", "http://", "http://[::1"])
def test_bad_base_url_is_a_user_error(url: str) -> None:
    with pytest.raises(UserError, match="not a Toxiproxy API address"):
        ToxiproxyClient(url)


@pytest.mark.parametrize("timeout", [0, -1.0, math.inf, math.nan, True])
def test_bad_timeout_is_a_user_error(timeout: float) -> None:
    with pytest.raises(UserError, match="timeout"):
        ToxiproxyClient("http://127.0.0.1:8474", timeout=timeout)


def test_create_get_list_delete(client: ToxiproxyClient, make_proxy: MakeProxy) -> None:
    proxy = make_proxy("crud")
    assert proxy.enabled
    assert proxy.listen.startswith("127.0.0.1:") and not proxy.listen.endswith(":0")
    assert proxy.toxics == ()
    assert client.get_proxy(proxy.name) == proxy
    assert client.list_proxies()[proxy.name] == proxy
    client.delete_proxy(proxy.name)
    assert proxy.name not in client.list_proxies()
    with pytest.raises(ToxiproxyNotFound):
        client.delete_proxy(proxy.name)


def test_create_disabled(make_proxy: MakeProxy) -> None:
    assert not make_proxy("off", enabled=False).enabled


def test_update_enable_disable(client: ToxiproxyClient, make_proxy: MakeProxy) -> None:
    proxy = make_proxy("toggle")
    assert not client.disable_proxy(proxy.name).enabled
    assert not client.get_proxy(proxy.name).enabled
    assert client.enable_proxy(proxy.name).enabled
    # Re-enabling listens on the same address.
    assert client.get_proxy(proxy.name).listen == proxy.listen


def test_update_listen_and_upstream(client: ToxiproxyClient, make_proxy: MakeProxy, wire: Wire) -> None:
    proxy = make_proxy("move")
    new_listen = f"127.0.0.1:{_free_port()}"
    moved = client.update_proxy(proxy.name, listen=new_listen)
    assert moved.listen == new_listen and moved.enabled
    with pytest.raises(ConnectionRefusedError):
        wire.connect(proxy).close()
    assert wire.roundtrip(moved) < 1.0

    # An upstream where nothing listens: the proxy accepts, then closes at once.
    dead = client.update_proxy(proxy.name, upstream=f"127.0.0.1:{_free_port()}")
    with wire.connect(dead) as sock:
        sock.sendall(b"x")
        assert wire.closed_without_data(sock)
    back = client.update_proxy(proxy.name, upstream=proxy.upstream)
    assert wire.roundtrip(back) < 1.0


def test_populate_creates_keeps_and_replaces(
    client: ToxiproxyClient, make_proxy: MakeProxy, echo_address: str
) -> None:
    kept = make_proxy("kept")
    client.add_toxic(kept.name, Latency(1))
    replaced = make_proxy("replaced")
    client.add_toxic(replaced.name, Latency(1))
    new_name = kept.name + "-new"
    try:
        result = client.populate(
            [
                ProxySpec(kept.name, kept.upstream, kept.listen),
                ProxySpec(replaced.name, echo_address, "127.0.0.1:0"),
                ProxySpec(new_name, echo_address, enabled=False),
            ]
        )
        by_name = {p.name: p for p in result}
        assert set(by_name) == {kept.name, replaced.name, new_name}
        assert len(by_name[kept.name].toxics) == 1  # unchanged: left as it was
        assert by_name[replaced.name].toxics == ()  # differs: replaced, toxics gone
        assert by_name[replaced.name].listen != replaced.listen
        assert not by_name[new_name].enabled
    finally:
        client.delete_proxy(new_name)


def test_populate_failure_reports_what_was_made(
    client: ToxiproxyClient, make_proxy: MakeProxy, echo_address: str
) -> None:
    first = make_proxy("first").name + "-pop"
    try:
        with pytest.raises(ToxiproxyAPIError) as caught:
            client.populate([ProxySpec(first, echo_address), ProxySpec(first + "-bad", echo_address, "bad")])
        assert caught.value.status == 500
        assert "missing port in address" in caught.value.error
        assert [p["name"] for p in caught.value.body["proxies"]] == [first]
    finally:
        client.delete_proxy(first)


def test_populate_nothing(client: ToxiproxyClient) -> None:
    assert client.populate([]) == []


# --- toxics ---


def test_add_returns_the_toxic_as_the_server_has_it(client: ToxiproxyClient, make_proxy: MakeProxy) -> None:
    proxy = make_proxy("add")
    toxic = client.add_toxic(proxy.name, Latency(100, jitter=10), stream="upstream", toxicity=0.3)
    assert toxic.name == "latency_upstream"  # the server's default name
    assert toxic.type == "latency" and toxic.stream == "upstream"
    assert toxic.toxicity == pytest.approx(0.3)
    assert toxic.attributes == Latency(100, 10)
    named = client.add_toxic(proxy.name, LimitData(bytes=5), name="cap")
    assert named.name == "cap" and named.stream == "downstream" and named.toxicity == 1.0
    assert client.get_toxic(proxy.name, "cap") == named
    # The server lists the upstream chain first, each in the order added.
    assert client.list_toxics(proxy.name) == [toxic, named]
    assert set(client.get_proxy(proxy.name).toxics) == {toxic, named}


def test_update_and_remove_toxic(client: ToxiproxyClient, make_proxy: MakeProxy) -> None:
    proxy = make_proxy("update")
    client.add_toxic(proxy.name, Bandwidth(rate=10), name="bw")
    assert client.update_toxic(proxy.name, "bw", attributes=Bandwidth(20)).attributes == Bandwidth(20)
    updated = client.update_toxic(proxy.name, "bw", toxicity=0.5)
    assert updated.toxicity == 0.5 and updated.attributes == Bandwidth(20)
    with pytest.raises(Exception, match="is a bandwidth toxic, not latency"):
        client.update_toxic(proxy.name, "bw", attributes=Latency(5))
    client.remove_toxic(proxy.name, "bw")
    assert client.list_toxics(proxy.name) == []
    with pytest.raises(ToxiproxyNotFound) as caught:
        client.remove_toxic(proxy.name, "bw")
    assert caught.value.error == "toxic not found"


def test_every_toxic_type_round_trips(client: ToxiproxyClient, make_proxy: MakeProxy) -> None:
    from chaoskit.toxiproxy import TOXIC_TYPES, parse_attributes

    samples = {
        "latency": {"latency": 5, "jitter": 1},
        "bandwidth": {"rate": 7},
        "slow_close": {"delay": 9},
        "timeout": {"timeout": 11},
        "reset_peer": {"timeout": 13},
        "slicer": {"average_size": 15, "size_variation": 3, "delay": 17},
        "limit_data": {"bytes": 19},
        "noop": {},
    }
    assert set(samples) == set(TOXIC_TYPES)
    proxy = make_proxy("types")
    for toxic_type, values in samples.items():
        attributes = parse_attributes(toxic_type, values)
        toxic = client.add_toxic(proxy.name, attributes, name=toxic_type)
        assert toxic.type == toxic_type
        assert toxic.attributes == attributes
        assert toxic.to_dict()["attributes"] == values


# --- errors ---


def test_unknown_proxy_is_a_typed_404(client: ToxiproxyClient) -> None:
    with pytest.raises(ToxiproxyNotFound) as caught:
        client.get_proxy("no-such-proxy")
    error = caught.value
    assert error.status == 404
    assert error.error == "proxy not found"
    assert error.server == client.base_url
    assert "GET /proxies/no-such-proxy" in str(error) and client.base_url in str(error)
    with pytest.raises(ToxiproxyNotFound):
        client.list_toxics("no-such-proxy")
    with pytest.raises(ToxiproxyNotFound):
        client.add_toxic("no-such-proxy", Latency(1))


def test_duplicates_are_typed_409(client: ToxiproxyClient, make_proxy: MakeProxy) -> None:
    proxy = make_proxy("dup")
    with pytest.raises(ToxiproxyConflict, match="proxy already exists"):
        client.create_proxy(proxy.name, proxy.upstream)
    client.add_toxic(proxy.name, Timeout(0), name="t")
    with pytest.raises(ToxiproxyConflict, match="toxic already exists") as caught:
        client.add_toxic(proxy.name, SlowClose(1), name="t")
    assert caught.value.status == 409


def test_server_side_failure_is_raised_not_swallowed(
    client: ToxiproxyClient, make_proxy: MakeProxy, toxiproxy_server: ServerUnderTest
) -> None:
    # A listen address already in use: the server answers 500.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = f"127.0.0.1:{taken.getsockname()[1]}"
        with pytest.raises(ToxiproxyAPIError) as caught:
            make_proxy("busy", listen=busy)
        assert caught.value.status == 500
        assert "address already in use" in caught.value.error
        assert "listen address in use" in str(caught.value)

        proxy = make_proxy("movebusy")
        client.disable_proxy(proxy.name)
        with pytest.raises(ToxiproxyAPIError, match="address already in use"):
            client.update_proxy(proxy.name, listen=busy, enabled=True)


def test_server_down_is_a_typed_connection_error() -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    with ToxiproxyClient(url, timeout=1.0) as client:
        start = time.monotonic()
        with pytest.raises(ToxiproxyConnectionError) as caught:
            client.list_proxies()
        assert time.monotonic() - start < 1.0
    error = caught.value
    assert not isinstance(error, ToxiproxyTimeout)
    assert error.server == url and url in str(error)
    assert "GET /proxies" in str(error)
    assert "Toxiproxy running" in error.hint


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts TCP connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(timeout=2)
    for conn in held:
        conn.close()
    listener.close()


def test_server_that_never_answers_times_out(silent_server: str) -> None:
    with ToxiproxyClient(silent_server, timeout=0.5) as client:
        start = time.monotonic()
        with pytest.raises(ToxiproxyTimeout) as caught:
            client.version()
        elapsed = time.monotonic() - start
    assert 0.4 < elapsed < 1.0
    assert "no answer within 0.5 s" in str(caught.value)
    assert silent_server in str(caught.value)


@pytest.fixture
def not_toxiproxy() -> Iterator[str]:
    """An HTTP server that answers 200 with a web page."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<html>hello</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_something_else_than_toxiproxy(not_toxiproxy: str) -> None:
    with ToxiproxyClient(not_toxiproxy) as client, pytest.raises(ToxiproxyAPIError) as caught:
        client.version()
    assert "not JSON" in caught.value.error and "Toxiproxy's API" in caught.value.hint


# --- for faults ---


def test_snapshot_is_plain_data(client: ToxiproxyClient, make_proxy: MakeProxy) -> None:
    proxy = make_proxy("snap")
    client.add_toxic(proxy.name, Latency(42), stream="upstream", toxicity=0.5)
    snapshot = client.snapshot()
    assert json.loads(json.dumps(snapshot)) == snapshot
    assert snapshot["server"] == client.base_url
    mine = next(p for p in snapshot["proxies"] if p["name"] == proxy.name)
    assert mine == {
        "name": proxy.name,
        "listen": proxy.listen,
        "upstream": proxy.upstream,
        "enabled": True,
        "toxics": [
            {
                "name": "latency_upstream",
                "type": "latency",
                "stream": "upstream",
                "toxicity": 0.5,
                "attributes": {"latency": 42, "jitter": 0},
            }
        ],
    }


def test_reset(client: ToxiproxyClient, make_proxy: MakeProxy, whole_server: None) -> None:
    a, b = make_proxy("ra"), make_proxy("rb")
    client.add_toxic(a.name, Latency(10))
    client.add_toxic(b.name, Timeout(0), stream="upstream")
    client.disable_proxy(b.name)
    client.reset()
    for proxy in (client.get_proxy(a.name), client.get_proxy(b.name)):
        assert proxy.enabled and proxy.toxics == ()


def test_ensure_baseline(
    client: ToxiproxyClient, make_proxy: MakeProxy, wire: Wire, whole_server: None
) -> None:
    a, b = make_proxy("ba"), make_proxy("bb")
    la = client.add_toxic(a.name, Latency(300))
    ta = client.add_toxic(a.name, Timeout(0), stream="upstream")
    lb = client.add_toxic(b.name, LimitData(0))
    client.disable_proxy(b.name)

    report = client.ensure_baseline([a.name, b.name])

    assert report.changed
    assert {k: set(v) for k, v in report.removed.items()} == {a.name: {la, ta}, b.name: {lb}}
    assert report.enabled == (b.name,)
    after = client.list_proxies()
    assert all(p.enabled and not p.toxics for p in after.values())
    assert wire.roundtrip(client.get_proxy(a.name)) < 0.25
    assert wire.roundtrip(client.get_proxy(b.name)) < 0.25
    # Already at baseline: nothing to do, nothing reported.
    again = client.ensure_baseline([a.name, b.name])
    assert not again.changed and again.to_dict()["removed"] == {}
    assert json.loads(json.dumps(report.to_dict())) == report.to_dict()


def test_ensure_baseline_reports_unexpected_and_missing(
    client: ToxiproxyClient, make_proxy: MakeProxy, whole_server: None
) -> None:
    stray = make_proxy("stray")
    client.add_toxic(stray.name, Latency(5))
    with pytest.raises(BaselineNotReached) as caught:
        client.ensure_baseline(["region-a-missing"])
    error = caught.value
    assert error.problems == ["proxy region-a-missing is missing"]
    assert "populate" in error.hint
    # It cleaned what it could before saying so.
    assert stray.name in error.report.removed and stray.name in error.report.unexpected
    assert client.get_proxy(stray.name).toxics == ()


def test_ensure_baseline_names_a_proxy_it_cannot_enable(
    client: ToxiproxyClient, make_proxy: MakeProxy, whole_server: None
) -> None:
    proxy = make_proxy("stuck")
    client.disable_proxy(proxy.name)
    host, port = proxy.listen.rsplit(":", 1)
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind((host, int(port)))
        squatter.listen()
        with pytest.raises(BaselineNotReached) as caught:
            client.ensure_baseline([proxy.name])
        assert len(caught.value.problems) == 1
        assert caught.value.problems[0].startswith(f"proxy {proxy.name} is disabled (listen tcp")
        assert "address already in use" in caught.value.problems[0]
    assert client.ensure_baseline([proxy.name]).enabled == (proxy.name,)
