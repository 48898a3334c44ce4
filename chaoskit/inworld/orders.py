"""orders: the world's reference HTTP service, storing orders in the key-value store by DNS name.

Run in a container as ``python3 -m inworld.orders`` (configured by ``ORDERS_*`` variables,
see `config.Config.from_env` and docs/orders.md). API:

    GET  /health          200 {"status": "ok", "region", "exits", "kv": {...last known state}}
    POST /orders          {"id", "item"} -> 201 {"id", "stored_in", "queued": false}
                                           | 202 {"id", "stored_in": null, "queued": true}
    GET  /orders/<id>     200 {"id", "item", "served_from", "stale"} | 404
    GET  /orders          200 {"ids": [...], "served_from", "pending"}
    GET  /admin/exits     200 {"exits": [...]}
    POST /admin/exits     {"exits": [...]} -> 200 {"exits": [...]}
    GET  /admin/load      200 {"load": "default", "settings": {...}}
    POST /admin/load      {"load": "naive"|"resilient"|"default"} -> 200 {"load", "settings"}

Every response carries ``X-Region`` and, when a store served it, ``X-Served-From``.
When no store can serve: 503, or 504 if a write may have been stored all the same
(the store timed out after the write was sent). Beyond the service's capacity
(``ORDERS_CAPACITY_*``, from the topology) or the load setting's shedding, requests to
``/orders`` are answered 503 ``{"outcome": "fail", "shed": true}`` at once (or wait their
turn, with ``when_full: slow``).
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Mapping
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from .authgate import AuthGate, AuthUnavailable
from .capacity import Full, Limiter
from .config import Config, ConfigError, ordered_exits
from .protocol.order_record import Order, valid_id
from .protocol.resp import Resolver
from .store import Store, Unavailable

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
MAX_LINE = 65536
MAX_HEADERS = 100


_date_cache: tuple[int, str] = (0, "")


def _http_date() -> str:
    """The Date header, formatted once a second."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True))
    return _date_cache[1]


class _Reply(Exception):
    """Ends a request early with a JSON error."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": message, **extra}


class OrdersHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a workload reuses its connections
    server_version = "chaoskit-orders/1"
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024  # headers and body leave in one write
    timeout = 60  # an idle keep-alive connection is closed after this
    server: OrdersServer
    raw_requestline: bytes

    # --- plumbing --------------------------------------------------------------
    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per state change, not per request

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The base class's errors (a malformed request, say), as JSON like every other answer."""
        self.close_connection = True
        self._send(code, {"error": message or self.responses.get(code, ("error",))[0]})

    def parse_request(self) -> bool:
        """Like `BaseHTTPRequestHandler.parse_request`, minus the `email` parser, which
        costs more than the rest of a request; headers still end up in an `HTTPMessage`."""
        self.command = None  # type: ignore[assignment]  # as the base class does
        self.request_version = self.default_request_version
        self.close_connection = True
        self.requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        words = self.requestline.split()
        if len(words) != 3 or words[2] not in ("HTTP/1.0", "HTTP/1.1"):
            self.send_error(400, f"Bad request {self.requestline[:100]!r}")
            return False
        command, self.path, version = words
        headers = http.client.HTTPMessage()
        for _ in range(MAX_HEADERS + 1):
            line = self.rfile.readline(MAX_LINE + 1)
            if len(line) > MAX_LINE:
                self.send_error(431, "Header line too long")
                return False
            if line in (b"\r\n", b"\n", b""):
                break
            name, sep, value = line.decode("iso-8859-1").partition(":")
            if not sep or not name.strip():
                self.send_error(400, "Bad header line")
                return False
            headers[name.strip()] = value.strip()
        else:
            self.send_error(431, "Too many headers")
            return False
        self.command, self.request_version, self.headers = command, version, headers
        connection = (headers.get("Connection") or "").lower()
        self.close_connection = connection == "close" or (
            version == "HTTP/1.0" and connection != "keep-alive"
        )
        return True

    def _send(self, status: int, body: Mapping[str, Any], served_from: str | None = None) -> None:
        # The whole answer is built here and written once: `send_response` and
        # `send_header` cost more than the rest of a request (Date formatting above all).
        data = json.dumps(body, separators=(",", ":")).encode("utf-8")
        reason = self.responses.get(status, ("",))[0]
        lines = [
            f"{self.protocol_version} {status} {reason}",
            f"Server: {self.server_version}",
            f"Date: {_http_date()}",
            "Content-Type: application/json",
            f"Content-Length: {len(data)}",
            f"X-Region: {self.server.store.config.region}",
        ]
        if served_from:
            lines.append(f"X-Served-From: {served_from}")
        if body.get("stale"):
            lines.append("X-Stale: true")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        self.wfile.write(head + data if self.command != "HEAD" else head)

    def _body(self) -> Any:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise _Reply(400, "bad Content-Length") from None
        if length > MAX_BODY:
            self.close_connection = True
            raise _Reply(413, f"body larger than {MAX_BODY} bytes")
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"null")
        except ValueError:
            raise _Reply(400, "body is not JSON") from None

    def _dispatch(self) -> None:
        path = urlsplit(self.path).path.rstrip("/") or "/"
        if path == "/orders" or path.startswith("/orders/"):
            # Capacity covers the API; /health and /admin answer whatever the load.
            server = self.server
            try:
                server.admit()
            except Full as e:
                if self.command == "POST":
                    self._skip_body()
                self._send(503, {"error": f"shedding load: {e}", "outcome": "fail", "shed": True})
                return
            try:
                self._route(path)
            finally:
                server.leave()
            return
        self._route(path)

    def _skip_body(self) -> None:
        """Read a shed request's body, so a keep-alive connection stays in step."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        if 0 < length <= MAX_BODY:
            self.rfile.read(length)
        elif length:
            self.close_connection = True

    def _route(self, path: str) -> None:
        try:
            if self.command == "POST":
                # read the body first, so a keep-alive connection stays in step on any reply
                body = self._body()
                if path == "/orders":
                    return self._post_order(body)
                if path == "/admin/exits":
                    return self._set_exits(body)
                if path == "/admin/load":
                    return self._set_load(body)
            elif self.command == "GET":
                if path == "/health":
                    return self._health()
                if path == "/orders":
                    return self._list_orders()
                if path.startswith("/orders/"):
                    return self._get_order(unquote(path[len("/orders/") :]))
                if path == "/admin/exits":
                    return self._send(200, {"exits": ordered_exits(self.server.store.exits)})
                if path == "/admin/load":
                    return self._load()
            known = {"/health", "/orders", "/admin/exits", "/admin/load"}
            if path in known or path.startswith("/orders/"):
                raise _Reply(405, f"{self.command} not allowed on {path}")
            raise _Reply(404, f"no such resource {path}")
        except _Reply as r:
            self._send(r.status, r.body)
        except AuthUnavailable as e:
            self._send(503, {"error": str(e), "outcome": "fail"})
        except Unavailable as e:
            status = 504 if e.unknown else 503
            body = {
                "error": f"key-value store unavailable: {e}",
                "outcome": "unknown" if e.unknown else "fail",
            }
            self._send(status, body)
        except Exception as e:  # a bug: answer, log, and keep serving
            log.exception("error serving %s %s", self.command, self.path)
            self._send(500, {"error": f"internal error: {type(e).__name__}: {e}"})

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    # --- resources -----------------------------------------------------------------
    def _health(self) -> None:
        store = self.server.store
        self._send(
            200,
            {
                "status": "ok",
                "region": store.config.region,
                "exits": ordered_exits(store.exits),
                "kv": store.status(),
                "load": {"setting": store.load.name, "shed_total": self.server.shed_total,
                         **({"capacity": self.server.limiter.stats()} if self.server.limiter else {})},
            },
        )

    def _post_order(self, body: Any) -> None:
        if not isinstance(body, dict):
            raise _Reply(400, 'body must be a JSON object {"id": "...", "item": "..."}')
        order_id, item = body.get("id"), body.get("item", "")
        if not valid_id(order_id):
            raise _Reply(
                400,
                "id must be a string of 1 to 200 characters without '/', '?', '#', '%' or spaces",
            )
        if not isinstance(item, str):
            raise _Reply(400, "item must be a string")
        assert isinstance(order_id, str)
        self._authorise()
        result = self.server.store.write(Order(order_id, item))
        self._send(
            202 if result.queued else 201,
            {"id": order_id, "stored_in": result.region, "queued": result.queued},
            served_from=result.region,
        )

    def _get_order(self, order_id: str) -> None:
        if not valid_id(order_id):
            raise _Reply(400, f"bad order id {order_id!r}")
        self._authorise()
        result = self.server.store.read(order_id)
        if result.order is None:
            self._send(
                404,
                {"error": f"no order {order_id}", "id": order_id, "served_from": result.region},
                result.region,
            )
            return
        body = {
            "id": order_id,
            "item": result.order.item,
            "served_from": result.region,
            "stale": result.stale,
        }
        # a stale answer came from this service's memory, not from a store
        self._send(200, body, None if result.stale else result.region)

    def _authorise(self) -> None:
        # Only when the topology makes orders use auth; the final read (GET /orders) does not.
        gate = self.server.auth
        if gate is not None:
            gate.check(self.server.store.exits)

    def _list_orders(self) -> None:
        result = self.server.store.members()
        self._send(
            200,
            {"ids": result.ids, "served_from": result.region, "pending": result.pending},
            result.region,
        )

    def _load(self) -> None:
        load = self.server.store.load
        self._send(200, {"load": load.name, "settings": load.to_dict()})

    def _set_load(self, body: Any) -> None:
        name = body.get("load") if isinstance(body, dict) else None
        if not isinstance(name, str):
            raise _Reply(400, 'body must be {"load": "default" | "naive" | "resilient"}')
        try:
            self.server.store.set_load(name)
        except ConfigError as e:
            raise _Reply(400, str(e)) from None
        self._load()

    def _set_exits(self, body: Any) -> None:
        exits = body.get("exits") if isinstance(body, dict) else None
        if isinstance(exits, str):
            exits = exits.split(",")
        if not isinstance(exits, list) or not all(isinstance(e, str) for e in exits):
            raise _Reply(400, 'body must be {"exits": ["failover", ...]} (or ["none"])')
        try:
            new = self.server.store.set_exits(exits)
        except ConfigError as e:
            raise _Reply(400, str(e)) from None
        self._send(200, {"exits": ordered_exits(new)})


class OrdersServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512

    def __init__(self, store: Store) -> None:
        self.store = store
        self.auth = AuthGate.from_env(os.environ.get("CHAOSKIT_ENDPOINTS_AUTH"),
                                      store.config.kv_timeout)
        capacity = store.config.capacity
        self.limiter = Limiter(capacity) if capacity is not None else None
        self._in_flight = 0
        self._lock = threading.Lock()
        self.shed_total = 0
        super().__init__((store.config.bind, store.config.port), OrdersHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up (a workload's timeout) is not an error worth a traceback.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def admit(self) -> None:
        """Let one API request in, or raise `Full`: the capacity first, then the load
        setting's shedding (both answer fast; a slow capacity makes it wait its turn)."""
        if self.limiter is not None:
            try:
                self.limiter.acquire()
            except Full:
                with self._lock:
                    self.shed_total += 1
                raise
        limit = self.store.load.shed_in_flight
        with self._lock:
            if limit is not None and self._in_flight >= limit:
                self.shed_total += 1
                if self.limiter is not None:
                    self.limiter.release()
                raise Full(f"{self._in_flight} requests in flight (load setting "
                           f"{self.store.load.name!r} sheds beyond {limit})")
            self._in_flight += 1

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1
        if self.limiter is not None:
            self.limiter.release()


class OrdersService:
    """The store and its HTTP server, started in background threads (for tests and benches).

    with OrdersService(Config(port=0, bind="127.0.0.1", ...)) as svc:
        httpx.get(svc.url + "/health")
    """

    def __init__(self, config: Config, *, resolver: Resolver | None = None) -> None:
        self.store = Store(config, resolver=resolver)
        self.server = OrdersServer(self.store)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> OrdersService:
        self.store.start()
        self._thread = threading.Thread(
            target=self.server.serve_forever, args=(0.1,), name="orders", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.store.close()
        if self._thread is not None:
            self._thread.join(2.0)

    def __enter__(self) -> OrdersService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(env: Mapping[str, str] | None = None) -> int:
    try:
        config = Config.from_env(os.environ if env is None else env)
    except ConfigError as e:
        print(f"orders: configuration error: {e}", file=sys.stderr)
        return 2
    logging.basicConfig(
        stream=sys.stdout,
        level=logging.INFO,
        format=f"%(asctime)s orders[{config.region}] %(message)s",
    )
    store = Store(config)
    try:
        server = OrdersServer(store)
    except OSError as e:
        print(f"orders: cannot listen on {config.bind}:{config.port}: {e}", file=sys.stderr)
        return 2
    log.info(
        "listening on %s:%d; writes %s; reads %s; exits %s; kv timeout %gs",
        config.bind,
        server.server_address[1],
        ",".join(e.address for e in config.kv_write),
        ",".join(e.address for e in config.kv_read),
        ",".join(ordered_exits(config.exits)) or "none",
        config.kv_timeout,
    )
    if config.capacity is not None:
        log.info("capacity: %s", config.capacity.describe())
    # As PID 1 in a container, SIGTERM has no default action: without this, `docker stop`
    # would wait for its SIGKILL.
    signal.signal(signal.SIGTERM, _interrupt)
    store.start()
    try:
        server.serve_forever(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
