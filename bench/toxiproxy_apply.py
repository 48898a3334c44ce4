"""How long until a latency toxic is felt on the wire, and until its removal is.

Each cycle adds a latency toxic through `chaoskit.toxiproxy.ToxiproxyClient`
and probes a round trip through the proxy (1 byte to an echo server on
127.0.0.1) until one takes at least the added latency: apply -> observed.
Then it removes the toxic and probes until a round trip is back under half
the latency: revert -> observed. Both include the API call; "apply observed"
necessarily includes one probe carrying the added latency itself.

    python bench/toxiproxy_apply.py                  # starts a server from the local binary
    python bench/toxiproxy_apply.py --url http://127.0.0.1:8474 --cycles 100

Bounded: every probe and every wait has a timeout, and the run stops after
`--cycles`. Only 127.0.0.1 is used (the server's proxies must be able to reach
this process's echo server on loopback).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import socket
import socketserver
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Iterator

from chaoskit.toxiproxy import (
    Latency,
    LocalToxiproxyServer,
    Proxy,
    ToxiproxyClient,
    find_server_binary,
)

DEV_BINARY = "/tmp/gobin/server"
PHASE_TIMEOUT_S = 5.0


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.settimeout(60)
        with contextlib.suppress(OSError):
            while data := self.request.recv(4096):
                self.request.sendall(data)


class _EchoServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextlib.contextmanager
def echo_server() -> Iterator[str]:
    server = _EchoServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def toxiproxy_url(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    binary = find_server_binary([DEV_BINARY])
    if binary is None:
        sys.exit("no toxiproxy server binary: set CHAOSKIT_TOXIPROXY_BIN or pass --url")
    with LocalToxiproxyServer(binary) as server:
        yield server.url


class Probe:
    """1-byte round trips through the proxy, on one connection or a new one each time."""

    def __init__(self, proxy: Proxy, fresh: bool) -> None:
        host, port = proxy.listen.rsplit(":", 1)
        self.address = (host, int(port))
        self.fresh = fresh
        self.sock: socket.socket | None = None

    def _socket(self) -> socket.socket:
        if self.sock is None or self.fresh:
            self.close()
            self.sock = socket.create_connection(self.address, timeout=PHASE_TIMEOUT_S)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.sock

    def roundtrip(self) -> float:
        sock = self._socket()
        start = time.monotonic()
        sock.sendall(b"x")
        if sock.recv(1) != b"x":
            raise ConnectionError("echo through the proxy failed")
        return time.monotonic() - start

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def wait_for(probe: Probe, felt: bool, latency_s: float) -> float:
    """Probe until the latency is felt (or, with felt=False, gone); returns when it was seen."""
    deadline = time.monotonic() + PHASE_TIMEOUT_S
    while time.monotonic() < deadline:
        rtt = probe.roundtrip()
        if (rtt >= latency_s) if felt else (rtt < latency_s / 2):
            return time.monotonic()
    raise TimeoutError(f"latency {'not felt' if felt else 'still felt'} after {PHASE_TIMEOUT_S} s")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]  # nearest rank


def run(args: argparse.Namespace) -> dict[str, list[float]]:
    latency_s = args.latency_ms / 1000
    samples: dict[str, list[float]] = {
        "apply api": [],
        "apply observed": [],
        "revert api": [],
        "revert observed": [],
    }
    with (
        echo_server() as upstream,
        toxiproxy_url(args.url) as url,
        ToxiproxyClient(url, timeout=args.timeout) as client,
    ):
        proxy = client.create_proxy(f"bench-apply-{uuid.uuid4().hex[:6]}", upstream)
        probe = Probe(proxy, fresh=args.fresh_connections)
        try:
            if probe.roundtrip() >= latency_s / 2:
                sys.exit("round trips through the proxy are already slow: nothing to measure")
            for cycle in range(args.warmup + args.cycles):
                start = time.monotonic()
                toxic = client.add_toxic(proxy.name, Latency(args.latency_ms))
                api = time.monotonic()
                seen = wait_for(probe, True, latency_s)
                apply = (api - start, seen - start)

                start = time.monotonic()
                client.remove_toxic(proxy.name, toxic.name)
                api = time.monotonic()
                seen = wait_for(probe, False, latency_s)
                if cycle >= args.warmup:
                    samples["apply api"].append(apply[0])
                    samples["apply observed"].append(apply[1])
                    samples["revert api"].append(api - start)
                    samples["revert observed"].append(seen - start)
        finally:
            probe.close()
            client.delete_proxy(proxy.name)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="an existing Toxiproxy API (default: start one)")
    parser.add_argument("--cycles", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=2.0, help="client timeout, s")
    parser.add_argument(
        "--fresh-connections", action="store_true", help="a new TCP connection for each probe"
    )
    parser.add_argument("--json", action="store_true", help="print raw samples as JSON")
    args = parser.parse_args()
    if args.cycles < 1 or args.latency_ms < 1:
        parser.error("--cycles and --latency-ms must be positive")

    samples = run(args)
    if args.json:
        print(json.dumps(samples))
        return
    mode = "a new connection per probe" if args.fresh_connections else "one open connection"
    print(f"{args.cycles} cycles, latency {args.latency_ms} ms, probes on {mode}")
    print(f"{'ms':<16}{'median':>8}{'p95':>8}{'max':>8}")
    for name, values in samples.items():
        ms = [v * 1000 for v in values]
        print(f"{name:<16}{statistics.median(ms):8.1f}{percentile(ms, 0.95):8.1f}{max(ms):8.1f}")


if __name__ == "__main__":
    main()
