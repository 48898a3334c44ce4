"""kvgate: the store's capacity, enforced in the path between a region's Toxiproxy and its store.

Redis has a limit on connections (``maxclients``) and none on operations per second, so
a managed store's throttling (a provisioned-throughput error, a queue that builds up when
the store is busy) has to live in front of it. The gate speaks RESP: it reads each
command of a client, counts it, forwards it on the client's own upstream connection and
relays the one reply. Run as ``python3 -m inworld.kvgate`` with:

    KVGATE_LISTEN       0.0.0.0:6379        where clients (Toxiproxy) connect
    KVGATE_UPSTREAM     10.213.0.30:6379    the store
    KVGATE_IN_FLIGHT    client connections served at once (like ``maxclients``)
    KVGATE_OPS_PER_SECOND   commands started per second (every command counts, MULTI and
                        EXEC too)
    KVGATE_WHEN_FULL    shed: an error reply at once (``-ERR max number of clients
                        reached`` and a close for a connection, as Redis answers,
                        ``-ERR chaoskit capacity: ...`` for a command); slow: the command
                        (or the connection) waits its turn, at most 2 s, then is shed

Like a real busy server, a command the gate has read is carried out even when its
client has given up waiting: work abandoned by a timed-out client still takes capacity,
which is what lets retries keep a store overloaded after its cause is gone.
A command shed inside ``MULTI`` makes its ``EXEC`` fail (``-EXECABORT``), as Redis does
with a command it could not queue. What it admitted and shed is logged every 5 s.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Mapping
from socketserver import BaseRequestHandler, ThreadingTCPServer
from typing import BinaryIO

from .capacity import CapacitySpec, Full, Limiter
from .config import ConfigError

log = logging.getLogger(__name__)

MAX_LINE = 64 * 1024
MAX_BULK = 512 * 1024 * 1024
MAX_ITEMS = 1024 * 1024
# Commands whose replies do not come one per command: the gate cannot count them.
UNSUPPORTED = {b"SUBSCRIBE", b"PSUBSCRIBE", b"SSUBSCRIBE", b"MONITOR", b"SYNC", b"PSYNC"}
MAX_CLIENTS_REPLY = b"-ERR max number of clients reached\r\n"


class ProtocolError(Exception):
    """What a peer sent is not RESP."""


def _line(f: BinaryIO) -> bytes:
    line = f.readline(MAX_LINE)
    if not line:
        raise EOFError
    if not line.endswith(b"\r\n"):
        raise ProtocolError("line too long or not ended by CRLF")
    return line


def _length(line: bytes, limit: int) -> int:
    try:
        n = int(line[1:-2])
    except ValueError:
        raise ProtocolError(f"bad length {line[:40]!r}") from None
    if n > limit:
        raise ProtocolError(f"length {n} over {limit}")
    return n


def _exact(f: BinaryIO, n: int) -> bytes:
    data = f.read(n)
    if data is None or len(data) < n:
        raise EOFError
    return data


def read_command(f: BinaryIO) -> tuple[bytes, bytes]:
    """One command from a client: its raw bytes and its name, upper-cased."""
    first = _line(f)
    if not first.startswith(b"*"):  # an inline command: words on one line
        words = first.split()
        return first, (words[0].upper() if words else b"")
    parts = [first]
    name = b""
    for i in range(_length(first, MAX_ITEMS)):
        head = _line(f)
        if not head.startswith(b"$"):
            raise ProtocolError("a command's items are bulk strings")
        n = _length(head, MAX_BULK)
        body = _exact(f, n + 2)
        parts += [head, body]
        if i == 0:
            name = body[:-2].upper()
    return b"".join(parts), name


def read_reply(f: BinaryIO) -> bytes:
    """One reply from the store, raw (RESP2, and RESP3's types)."""
    line = _line(f)
    kind = line[:1]
    if kind in b"+-:_,#(":
        return line
    if kind in b"$=!":
        n = _length(line, MAX_BULK)
        return line if n < 0 else line + _exact(f, n + 2)
    if kind in b"*~>":
        n = _length(line, MAX_ITEMS)
        return line + b"".join(read_reply(f) for _ in range(max(n, 0)))
    if kind in b"%|":
        n = _length(line, MAX_ITEMS)
        return line + b"".join(read_reply(f) for _ in range(2 * max(n, 0)))
    raise ProtocolError(f"unknown reply type {line[:40]!r}")


class GateHandler(BaseRequestHandler):
    server: GateServer

    def handle(self) -> None:
        gate = self.server
        client: socket.socket = self.request
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            gate.limiter.occupy()
        except Full:
            gate.count("connections_shed")
            client.sendall(MAX_CLIENTS_REPLY)
            return
        try:
            self._serve(client)
        except (EOFError, OSError, ProtocolError):
            pass
        finally:
            gate.limiter.release()

    def _serve(self, client: socket.socket) -> None:
        gate = self.server
        upstream = socket.create_connection(gate.upstream, timeout=30)
        upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        cin = client.makefile("rb")
        uin = upstream.makefile("rb")
        upstream_multi = doomed = False
        client_gone = False

        def discard() -> None:
            upstream.sendall(b"*1\r\n$7\r\nDISCARD\r\n")
            read_reply(uin)

        try:
            while True:
                raw, name = read_command(cin)
                ends_tx = name in (b"EXEC", b"DISCARD")
                if name in UNSUPPORTED:
                    reply = b"-ERR chaoskit's capacity gate does not pass " + name + b"\r\n"
                elif doomed:  # a command of this transaction was shed: none of it runs
                    if ends_tx:
                        if upstream_multi:
                            discard()
                        upstream_multi = doomed = False
                        reply = (b"-EXECABORT Transaction discarded because of previous errors.\r\n"
                                 if name == b"EXEC" else b"+OK\r\n")
                    else:
                        reply = b"-ERR chaoskit capacity: this transaction was shed\r\n"
                else:
                    try:
                        gate.limiter.pace()
                    except Full as e:
                        gate.count("ops_shed")
                        reply = b"-ERR " + str(e).encode() + b" (chaoskit kvgate)\r\n"
                        if ends_tx:
                            if upstream_multi:
                                discard()
                            upstream_multi = False
                        elif name == b"MULTI" or upstream_multi:
                            doomed = True
                    else:
                        upstream.sendall(raw)
                        reply = read_reply(uin)
                        gate.count("ops")
                        if name == b"MULTI" and reply.startswith(b"+"):
                            upstream_multi = True
                        elif ends_tx:
                            upstream_multi = False
                if client_gone:
                    continue  # the work is done all the same; nobody reads the answer
                try:
                    client.sendall(reply)
                except OSError:
                    client_gone = True
        finally:
            upstream.close()


class GateServer(ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024

    def __init__(self, listen: tuple[str, int], upstream: tuple[str, int], limiter: Limiter) -> None:
        self.upstream = upstream
        self.limiter = limiter
        self.counts: dict[str, int] = {"ops": 0, "ops_shed": 0, "connections_shed": 0}
        self._lock = threading.Lock()
        super().__init__(listen, GateHandler)

    def count(self, what: str) -> None:
        with self._lock:
            self.counts[what] += 1


def _address(var: str, text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    try:
        number = int(port)
    except ValueError:
        number = -1
    if not sep or not host or not 0 <= number < 65536:
        raise ConfigError(f"{var}: {text!r} is not host:port")
    return host.strip("[]"), number


def _report(server: GateServer, stop: threading.Event) -> None:
    last = dict(server.counts)
    while not stop.wait(5.0):
        now = dict(server.counts)
        if now != last:
            log.info("last 5 s: %d ops, %d ops shed, %d connections shed; %d connections",
                     now["ops"] - last["ops"], now["ops_shed"] - last["ops_shed"],
                     now["connections_shed"] - last["connections_shed"], server.limiter.in_flight)
        last = now


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    try:
        listen = _address("KVGATE_LISTEN", env.get("KVGATE_LISTEN", "0.0.0.0:6379"))
        upstream = _address("KVGATE_UPSTREAM", env.get("KVGATE_UPSTREAM", ""))
        spec = CapacitySpec.from_env(env, "KVGATE")
    except ConfigError as e:
        print(f"kvgate: configuration error: {e}", file=sys.stderr)
        return 2
    if spec is None:
        print("kvgate: configuration error: give KVGATE_IN_FLIGHT or KVGATE_OPS_PER_SECOND",
              file=sys.stderr)
        return 2
    logging.basicConfig(stream=sys.stdout, level=logging.INFO,
                        format="%(asctime)s kvgate %(message)s")
    try:
        server = GateServer(listen, upstream, Limiter(spec))
    except OSError as e:
        print(f"kvgate: cannot listen on {listen[0]}:{listen[1]}: {e}", file=sys.stderr)
        return 2
    log.info("listening on %s:%d for %s:%d; capacity: %s", *listen, *upstream, spec.describe())
    signal.signal(signal.SIGTERM, _interrupt)
    stop = threading.Event()
    threading.Thread(target=_report, args=(server, stop), daemon=True).start()
    try:
        server.serve_forever(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
