"""`HttpTarget` against a real HTTP server on 127.0.0.1: requests as declared, outcomes as classified."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import pytest

from chaoskit.history import History
from chaoskit.workload import HttpTarget, Workload
from chaoskit.workload.local import SilentServer, free_port

CART = {
    "write": {"method": "PUT", "path": "/carts/{id}", "body": '{"item": "{id}", "seq": {seq}}',
              "headers": {"X-Region": "{region}"}, "ok": [201]},
    "read": {"method": "GET", "path": "/carts/{id}", "ok": [200]},
    "list": {"method": "GET", "path": "/carts", "ids": "data.ids", "ok": [200]},
    "served_by": "X-Served-From",
}


class Cart:
    """An in-memory cart service; `status` forces every answer's status."""

    def __init__(self) -> None:
        self.carts: dict[str, Any] = {}
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.status: int | None = None
        self.has_list = True


def serve(cart: Cart) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: Any) -> None:
            raw = json.dumps(body).encode()
            self.send_response(cart.status or status)
            self.send_header("Content-Length", str(len(raw)))
            self.send_header("X-Served-From", "here")
            self.end_headers()
            self.wfile.write(raw)

        def do_PUT(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            cart.requests.append(("PUT", self.path, dict(self.headers), raw))
            if cart.status is None:
                cart.carts[unquote(self.path.rsplit("/", 1)[1])] = json.loads(raw)
            self._answer(201, {})

        def do_GET(self) -> None:
            cart.requests.append(("GET", self.path, dict(self.headers), b""))
            if self.path == "/carts" and cart.has_list:
                self._answer(200, {"data": {"ids": sorted(cart.carts)}})
                return
            key = unquote(self.path.rsplit("/", 1)[1])
            self._answer(200, cart.carts[key]) if key in cart.carts else self._answer(404, {})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def cart() -> Iterator[tuple[Cart, str]]:
    state = Cart()
    server = serve(state)
    yield state, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_requests_are_sent_as_declared(cart: tuple[Cart, str]) -> None:
    state, url = cart
    session = HttpTarget("cart", {"us-east-1": url}, CART).session(1.0)
    try:
        written = session.write("us-east-1", "run 1/x", seq=7)
        assert (written.outcome, written.value, written.region) == ("ok", "run 1/x", "here")
        method, path, headers, body = state.requests[-1]
        assert (method, path) == ("PUT", "/carts/run%201%2Fx")  # the id is quoted in the path
        assert json.loads(body) == {"item": "run 1/x", "seq": 7}
        assert headers["X-Region"] == "us-east-1" and headers["Content-Type"] == "application/json"
        assert session.read("us-east-1", "run 1/x").value == "run 1/x"
        missing = session.read("us-east-1", "nope")
        assert (missing.outcome, missing.value) == ("ok", None)
        assert session.read_all("us-east-1").value == ["run 1/x"]
        state.status = 503
        failed = session.write("us-east-1", "b")
        assert failed.outcome == "fail" and failed.error is not None and "HTTP 503" in failed.error
        state.status = 504
        assert session.write("us-east-1", "c").outcome == "unknown"
        state.status = 200  # not a declared ok status of the write
        assert session.write("us-east-1", "d").outcome == "fail"
    finally:
        session.close()


def test_a_refused_connection_fails_and_a_silent_server_is_unknown() -> None:
    with SilentServer() as silent:
        target = HttpTarget(
            "cart", {"a": f"http://127.0.0.1:{free_port()}", "b": f"http://{silent.address}"}, CART
        )
        session = target.session(0.3)
        try:
            assert session.write("a", "x").outcome == "fail"
            assert session.write("b", "x").outcome == "unknown"
            assert session.read("b", "x").outcome == "unknown"
        finally:
            session.close()


def test_failover_sends_a_failed_request_to_the_next_region(cart: tuple[Cart, str]) -> None:
    _, url = cart
    down = f"http://127.0.0.1:{free_port()}"
    plain = HttpTarget("cart", {"a": down, "b": url}, CART).session(0.5)
    failing_over = HttpTarget("cart", {"a": down, "b": url}, CART, failover=True).session(0.5)
    try:
        assert plain.write("a", "x").outcome == "fail"
        assert failing_over.write("a", "x").outcome == "ok"
        assert failing_over.read("a", "x").value == "x"
    finally:
        plain.close()
        failing_over.close()


@pytest.mark.parametrize("has_list", [True, False])
def test_the_final_read_proves_which_writes_survived(cart: tuple[Cart, str], has_list: bool) -> None:
    state, url = cart
    state.has_list = has_list
    operations = CART if has_list else {k: v for k, v in CART.items() if k != "list"}
    target = HttpTarget("cart", {"a": url}, operations)
    history = History()
    workload = Workload(target, rate=200, mix=1.0, duration=0.5, concurrency=4, seed=1)
    workload.start(history)
    workload.wait(10)
    workload.stop()
    survivor, lost = sorted(state.carts)[:2]
    del state.carts[lost]  # a write acknowledged, then lost by the service
    [final] = workload.final_read(timeout=5)
    assert final.outcome == "ok" and survivor in final.value and lost not in final.value
    assert len(final.value) == len(state.carts)
    listed = any(r[1] == "/carts" for r in state.requests)
    assert listed == has_list  # without a list, each id was read instead
    from chaoskit.checks import check_set

    [judged] = check_set(history, "cart")
    assert [o.value for o in judged.lost] == [lost]


def test_a_final_read_without_a_list_fails_when_no_region_answers() -> None:
    operations = {k: v for k, v in CART.items() if k != "list"}
    down = HttpTarget("cart", {"a": f"http://127.0.0.1:{free_port()}"}, operations)
    history = History()
    workload = Workload(down, rate=50, mix=1.0, duration=0.2, concurrency=2)
    workload.start(history)
    workload.wait(5)
    start = time.monotonic()
    [final] = workload.final_read(timeout=1)
    assert final.outcome == "fail" and "no region answered a read" in (final.error or "")
    assert time.monotonic() - start < 5
