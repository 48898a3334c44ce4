"""auth: a shared dependency every orders request needs (the reference for "a dependency
every region uses fails everywhere at once").

    GET /health   200 while the process serves
    GET /verify   200 when this region's key-value store answers (a token lookup), else 503

Configuration: ``AUTH_PORT`` (8080), ``CHAOSKIT_REGION``, ``CHAOSKIT_ENDPOINT_KV`` (host:port,
its region's store through DNS and Toxiproxy). Standard library only.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .protocol.resp import KvError, RespClient

REGION = os.environ.get("CHAOSKIT_REGION", "unknown")


def _kv() -> RespClient:
    host, _, port = os.environ.get("CHAOSKIT_ENDPOINT_KV", "127.0.0.1:6379").rpartition(":")
    return RespClient(host, int(port), timeout=0.3, max_age=1.0)


class Handler(BaseHTTPRequestHandler):
    server_version = "chaoskit-auth"
    kv: RespClient

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Region", REGION)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/health":
            self._send(200, {"status": "ok", "region": REGION})
        elif self.path.startswith("/verify"):
            try:
                self.kv.ping()
                self._send(200, {"ok": True, "region": REGION})
            except KvError as exc:
                self._send(503, {"ok": False, "region": REGION, "error": str(exc)})
        else:
            self._send(404, {"error": f"no such resource {self.path}"})


def main() -> int:
    Handler.kv = _kv()
    server = ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("AUTH_PORT", "8080"))), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"auth of {REGION} on :{server.server_address[1]}", flush=True)
    server.serve_forever(0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
