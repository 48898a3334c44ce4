"""A region's agent: answers "what does a client in this region see?" over HTTP.

Runs in every region, on the region's network, resolving through the region's
CoreDNS, so DNS faults aimed at one region's clients (CoreDNS `view`) can be
observed from where those clients stand. Endpoints (all JSON):

    GET /health
    GET /dns?name=N&type=A&proto=udp|tcp&server=IP&port=53&timeout=2
    GET /tcp?host=H&port=P&timeout=2     (connect, report time or error)
    GET /http?url=U&timeout=2            (GET, report status and time; http and https only)
"""

from __future__ import annotations

import json
import os
import socket
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from . import dnswire

REGION = os.environ.get("AGENT_REGION", "unknown")
RESOLVER = os.environ.get("AGENT_RESOLVER", "127.0.0.11")


# Only HTTP and HTTPS, redirects included: the default opener also reads file:// and ftp://
# URLs, which would let anyone who reaches the agent read the container's files.
_HTTP_ONLY = urllib.request.OpenerDirector()
for _handler in (urllib.request.HTTPHandler, urllib.request.HTTPSHandler,
                 urllib.request.HTTPRedirectHandler, urllib.request.HTTPDefaultErrorHandler,
                 urllib.request.HTTPErrorProcessor):
    _HTTP_ONLY.add_handler(_handler())


def _float(q: dict[str, list[str]], key: str, default: float) -> float:
    try:
        return min(max(float(q.get(key, [default])[0]), 0.01), 30.0)
    except ValueError:
        return default


class Handler(BaseHTTPRequestHandler):
    server_version = "chaoskit-agent"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return

    def _send(self, code: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        q = parse_qs(url.query)
        try:
            if url.path == "/health":
                self._send(200, {"status": "ok", "region": REGION})
            elif url.path == "/dns":
                res = dnswire.query(
                    q["name"][0],
                    q.get("server", [RESOLVER])[0],
                    int(q.get("port", ["53"])[0]),
                    q.get("type", ["A"])[0],
                    q.get("proto", ["udp"])[0],
                    _float(q, "timeout", 2.0),
                )
                self._send(200, {"region": REGION, **res})
            elif url.path == "/tcp":
                started = time.monotonic()
                try:
                    with socket.create_connection(
                        (q["host"][0], int(q["port"][0])), timeout=_float(q, "timeout", 2.0)
                    ):
                        ok, err = True, None
                except OSError as exc:
                    ok, err = False, str(exc)
                self._send(200, {"ok": ok, "error": err, "elapsed": time.monotonic() - started})
            elif url.path == "/http":
                target = q["url"][0]
                if urlparse(target).scheme not in ("http", "https"):
                    self._send(400, {"error": "bad request: url must be http:// or https://"})
                    return
                started = time.monotonic()
                try:
                    with _HTTP_ONLY.open(target, timeout=_float(q, "timeout", 2.0)) as r:
                        status, err = r.status, None
                except urllib.error.HTTPError as exc:
                    status, err = exc.code, None
                except (OSError, ValueError) as exc:
                    status, err = 0, str(exc)
                self._send(200, {"status": status, "error": err, "elapsed": time.monotonic() - started})
            else:
                self._send(404, {"error": f"no such endpoint {url.path}"})
        except (KeyError, ValueError) as exc:
            self._send(400, {"error": f"bad request: {exc}"})


def main() -> None:
    port = int(os.environ.get("AGENT_PORT", "7000"))
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    server.daemon_threads = True
    print(f"agent of {REGION} on :{port}, resolver {RESOLVER}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
