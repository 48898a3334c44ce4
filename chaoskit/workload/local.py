"""Local stand-ins for the world's services, for tests and benches on one machine (127.0.0.1 only).

- `LocalRedis`: a ``redis-server`` subprocess without persistence, optionally a replica.
- `LocalOrders`: the orders service in its own process, as it runs in the world.
- `SilentServer`: accepts TCP connections and never answers, so every request times out.

Everything is bounded: each start waits a few seconds at most, each stop kills what it
started (by its own process handle).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Mapping

from chaoskit.inworld.protocol.resp import RespClient

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def redis_server_binary() -> str | None:
    """``redis-server`` on the PATH, or None (install it with ``apt-get install redis-server``)."""
    return shutil.which("redis-server")


def _wait(check: object, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except Exception as e:  # not up yet
            last = e
        time.sleep(0.02)
    raise TimeoutError(f"{what} not ready within {timeout:g}s" + (f": {last}" if last else ""))


def _stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


class LocalRedis:
    """A redis-server on 127.0.0.1: ``--save '' --appendonly no``, so a restart starts empty.

    with LocalRedis() as primary, LocalRedis(replicaof=primary) as replica:
        ...
    """

    def __init__(
        self,
        port: int | None = None,
        *,
        replicaof: LocalRedis | None = None,
        binary: str | None = None,
    ) -> None:
        found = binary or redis_server_binary()
        if found is None:
            raise FileNotFoundError("redis-server not found: apt-get install -y redis-server")
        self.binary = found
        self.port = port or free_port()
        self.replicaof = replicaof
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    def client(self, timeout: float = 1.0) -> RespClient:
        return RespClient(HOST, self.port, timeout=timeout)

    def start(self, timeout: float = 10.0) -> LocalRedis:
        args = [self.binary, "--port", str(self.port), "--bind", HOST, "--save", ""]
        # no persistence (a restart starts empty); replicas sync at once, not after 5 s
        args += ["--appendonly", "no", "--repl-diskless-sync-delay", "0"]
        if self.replicaof is not None:
            args += ["--replicaof", HOST, str(self.replicaof.port)]
        self._proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with self.client(0.5) as client:
            _wait(client.ping, f"redis-server on port {self.port}", timeout)
            if self.replicaof is not None:
                _wait(
                    lambda: client.info("replication").get("master_link_status") == "up",
                    f"replica on port {self.port} in sync",
                    timeout,
                )
        return self

    def stop(self) -> None:
        _stop(self._proc)
        self._proc = None

    def restart(self, timeout: float = 10.0) -> LocalRedis:
        self.stop()
        return self.start(timeout)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def __enter__(self) -> LocalRedis:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class LocalOrders:
    """``python -m chaoskit.inworld.orders`` on 127.0.0.1, configured by `env` (``ORDERS_*``)."""

    def __init__(self, env: Mapping[str, str], port: int | None = None) -> None:
        self.port = port or free_port()
        self.env = {**os.environ, **env, "ORDERS_PORT": str(self.port), "ORDERS_BIND": HOST}
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 10.0) -> LocalOrders:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "chaoskit.inworld.orders"],
            env=self.env,
            stdout=subprocess.DEVNULL,
        )

        def healthy() -> bool:
            if self._proc is not None and self._proc.poll() is not None:
                raise RuntimeError(f"orders exited with code {self._proc.returncode}")
            with urllib.request.urlopen(self.url + "/health", timeout=1) as r:
                return bool(r.status == 200)

        _wait(healthy, "orders", timeout)
        return self

    def stop(self) -> None:
        _stop(self._proc)
        self._proc = None

    def __enter__(self) -> LocalOrders:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class SilentServer:
    """Accepts connections on 127.0.0.1 and never answers; closes them all on `close()`."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind((HOST, 0))
        self._sock.listen(128)
        self._sock.settimeout(0.1)
        self.port = int(self._sock.getsockname()[1])
        self._conns: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="silent-server", daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            self._conns.append(conn)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2.0)
        self._sock.close()
        for conn in self._conns:
            conn.close()

    def __enter__(self) -> SilentServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = [
    "HOST",
    "LocalOrders",
    "LocalRedis",
    "SilentServer",
    "free_port",
    "redis_server_binary",
]
