"""One world for discovery's tests: orders and the shared auth service (as in
playbooks/topologies/with-auth.yaml), plus `cacher`, a client that resolves the store's
name once at its start and then keeps connecting to that address: it caches DNS forever."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chaoskit.images.catalogue import resolve_images
from chaoskit.pytest_plugin._session import session_of
from chaoskit.world import World

# Shares no code with chaoskit: the standard library only. Bounded: it stops after an hour.
CACHER = """\
import http.server, os, socket, threading, time
host, port = os.environ["CHAOSKIT_ENDPOINT_KV"].rsplit(":", 1)
deadline = time.monotonic() + 30
while True:
    try:
        address = socket.getaddrinfo(host, int(port), socket.AF_INET, socket.SOCK_STREAM)[0][4]
        break
    except OSError:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.5)
print("resolved", host, "once:", address, flush=True)
def connect():
    stop = time.monotonic() + 3600
    while time.monotonic() < stop:
        try:
            with socket.create_connection(address, timeout=1) as s:
                s.sendall(b"PING\\r\\n")
                s.recv(64)
        except OSError:
            pass
        time.sleep(0.5)
threading.Thread(target=connect, daemon=True).start()
class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ["CHAOSKIT_PORT"])), Health).serve_forever()
"""


def topology_text() -> str:
    image = resolve_images()["services"]
    return (
        "name: deps\n"
        "regions: [us-east-1, us-west-2]\n"
        "services:\n"
        "  orders: {port: 8080, uses: [kv, auth]}\n"
        "  auth: {port: 8081, uses: [kv]}\n"
        f"  cacher:\n    image: {json.dumps(image)}\n    port: 9100\n    uses: [kv]\n"
        f"    command: [python3, -c, {json.dumps(CACHER)}]\n"
    )


@pytest.fixture(scope="session")
def deps_topology(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("discovery") / "deps.yaml"
    path.write_text(topology_text())
    return path


@pytest.fixture(scope="session")
def deps_world(request: pytest.FixtureRequest, deps_topology: Path) -> World:
    """The discovery world, up (taken down with the session's worlds)."""
    return session_of(request.config).world(deps_topology)
