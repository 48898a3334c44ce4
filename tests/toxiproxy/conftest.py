"""A real Toxiproxy server for these tests, and a TCP echo server to put behind its proxies.

The server is started from `$CHAOSKIT_TOXIPROXY_BIN`, `/tmp/gobin/server` or
`toxiproxy-server` on the PATH, on 127.0.0.1 and a free port; the tests skip
if there is none. `CHAOSKIT_TOXIPROXY_URL` points them at a running server
instead. On such a shared server, tests that reset the whole server run only
with `CHAOSKIT_TOXIPROXY_ALLOW_RESET=1`, and traffic tests skip if the server's
proxies cannot reach this process's echo server on 127.0.0.1 (a server in a
container, say).
"""

from __future__ import annotations

import contextlib
import os
import socket
import socketserver
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from chaoskit.toxiproxy import (
    LocalToxiproxyServer,
    Proxy,
    ToxiproxyClient,
    ToxiproxyError,
    ToxiproxyNotFound,
    find_server_binary,
)

URL_ENV = "CHAOSKIT_TOXIPROXY_URL"
ALLOW_RESET_ENV = "CHAOSKIT_TOXIPROXY_ALLOW_RESET"
DEV_BINARY = "/tmp/gobin/server"
# Every proxy a test makes has this prefix, so a shared server's own proxies are never touched.
PREFIX = f"chaoskit-test-{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class ServerUnderTest:
    url: str
    own: bool  # started by this session, so nothing else uses it


@pytest.fixture(scope="session")
def toxiproxy_server() -> Iterator[ServerUnderTest]:
    url = os.environ.get(URL_ENV)
    if url:
        try:
            with ToxiproxyClient(url) as client:
                client.version()
        except ToxiproxyError as exc:
            pytest.fail(f"{URL_ENV} is set but that server does not answer: {exc}")
        yield ServerUnderTest(url, own=False)
        return
    binary = find_server_binary([DEV_BINARY])
    if binary is None:
        pytest.skip(
            "no Toxiproxy server binary: set CHAOSKIT_TOXIPROXY_BIN, put toxiproxy-server on "
            f"the PATH (or at {DEV_BINARY}), or set {URL_ENV} to a running server"
        )
    with LocalToxiproxyServer(binary) as server:
        yield ServerUnderTest(server.url, own=True)


@pytest.fixture
def client(toxiproxy_server: ServerUnderTest) -> Iterator[ToxiproxyClient]:
    with ToxiproxyClient(toxiproxy_server.url, timeout=2.0) as client:
        yield client


@pytest.fixture
def whole_server(toxiproxy_server: ServerUnderTest) -> None:
    """For tests that change every proxy on the server (reset, ensure_baseline)."""
    if not toxiproxy_server.own and os.environ.get(ALLOW_RESET_ENV) != "1":
        pytest.skip(
            f"changes every proxy on the shared server {toxiproxy_server.url}: "
            f"set {ALLOW_RESET_ENV}=1 to allow it"
        )


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.settimeout(30)  # bounded: a test that leaves a connection open
        try:
            while data := self.request.recv(65536):
                self.request.sendall(data)
        except OSError:
            pass


class _EchoServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture(scope="session")
def echo_address() -> Iterator[str]:
    """A TCP echo server on 127.0.0.1, as "host:port"."""
    server = _EchoServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, name="echo", daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


MakeProxy = Callable[..., Proxy]  # make(suffix, *, upstream=, listen=, enabled=)


@pytest.fixture
def make_proxy(client: ToxiproxyClient, echo_address: str) -> Iterator[MakeProxy]:
    """Create proxies (to the echo server unless told) and delete them afterwards."""
    made: list[str] = []

    def make(
        suffix: str = "p",
        *,
        upstream: str | None = None,
        listen: str = "127.0.0.1:0",
        enabled: bool = True,
    ) -> Proxy:
        name = f"{PREFIX}-{suffix}-{len(made)}"
        proxy = client.create_proxy(name, upstream or echo_address, listen=listen, enabled=enabled)
        made.append(name)
        return proxy

    yield make
    for name in made:
        with contextlib.suppress(ToxiproxyNotFound):
            client.delete_proxy(name)


def _address(proxy: Proxy) -> tuple[str, int]:
    host, port = proxy.listen.rsplit(":", 1)
    return host.strip("[]"), int(port)


class Wire:
    """Traffic through a proxy to the echo server, with every wait bounded."""

    def connect(self, proxy: Proxy, timeout: float = 3.0) -> socket.socket:
        return socket.create_connection(_address(proxy), timeout=timeout)

    @staticmethod
    def recv_exactly(sock: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = sock.recv(size - len(data))
            if not chunk:
                raise ConnectionError(f"closed after {len(data)} of {size} bytes")
            data += chunk
        return data

    @staticmethod
    def recv_until_closed(sock: socket.socket, limit: int = 1 << 20) -> bytes:
        data = b""
        while len(data) < limit:
            chunk = sock.recv(65536)
            if not chunk:
                return data
            data += chunk
        raise AssertionError(f"still open after {limit} bytes")

    def closed_without_data(self, sock: socket.socket) -> bool:
        """True once the peer closes (FIN or RST) without sending anything."""
        try:
            return self.recv_until_closed(sock) == b""
        except ConnectionResetError:
            return True

    def roundtrip(self, proxy: Proxy, payload: bytes = b"ping", timeout: float = 3.0) -> float:
        """Seconds from sending `payload` on a new connection to reading it all back."""
        with self.connect(proxy, timeout) as sock:
            start = time.monotonic()
            sock.sendall(payload)
            echoed = self.recv_exactly(sock, len(payload))
            elapsed = time.monotonic() - start
        assert echoed == payload
        return elapsed


_reachable: dict[str, bool] = {}


@pytest.fixture
def wire(toxiproxy_server: ServerUnderTest, client: ToxiproxyClient, make_proxy: MakeProxy) -> Wire:
    """Skips unless traffic flows: test process -> proxy -> echo server, all on 127.0.0.1."""
    wire = Wire()
    if toxiproxy_server.url not in _reachable:
        probe = make_proxy("probe")
        try:
            wire.roundtrip(probe, timeout=1.0)
            _reachable[toxiproxy_server.url] = True
        except OSError:
            _reachable[toxiproxy_server.url] = False
    if not _reachable[toxiproxy_server.url]:
        pytest.skip(
            f"the proxies of {toxiproxy_server.url} cannot carry traffic between this process "
            "and an echo server on 127.0.0.1 (is that server in another network namespace?)"
        )
    return wire
