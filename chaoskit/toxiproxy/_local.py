"""A Toxiproxy server process on 127.0.0.1, started from a local binary (tests, benchmarks).

The world runs Toxiproxy in containers; this is for working without one.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from chaoskit.errors import EnvironmentProblem
from chaoskit.toxiproxy._client import ToxiproxyClient
from chaoskit.toxiproxy._exceptions import ToxiproxyError

BINARY_ENV = "CHAOSKIT_TOXIPROXY_BIN"


def find_server_binary(candidates: Sequence[str] = ()) -> str | None:
    """The Toxiproxy server binary: `$CHAOSKIT_TOXIPROXY_BIN`, then `candidates`, then the PATH.

    Returns None if there is none; raises `EnvironmentProblem` if the
    environment variable names something that is not an executable file.
    """
    named = os.environ.get(BINARY_ENV)
    if named:
        if os.path.isfile(named) and os.access(named, os.X_OK):
            return named
        raise EnvironmentProblem(
            f"{BINARY_ENV}={named!r} is not an executable file",
            hint="point it at a toxiproxy-server binary, or unset it",
        )
    for candidate in [*candidates, *_built_by_chaoskit()]:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("toxiproxy-server")


def _built_by_chaoskit() -> list[str]:
    # `chaoskit images build` leaves the server it built for the local image in its cache.
    from chaoskit.images.build import GO_BINARIES, cache_dir

    _module, version, built, _name = GO_BINARIES["toxiproxy"]
    return [str(cache_dir() / "gobin" / f"toxiproxy-{version}" / built)]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LocalToxiproxyServer:
    """A `toxiproxy-server` child process whose API listens on 127.0.0.1 and a free port.

    ```python
    with LocalToxiproxyServer(find_server_binary()) as server:
        client = ToxiproxyClient(server.url)
    ```
    """

    def __init__(self, binary: str, *, startup_timeout: float = 10.0) -> None:
        self.binary = binary
        self.startup_timeout = startup_timeout
        self.url = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._log: tempfile._TemporaryFileWrapper[bytes] | None = None

    @property
    def log_path(self) -> Path | None:
        return Path(self._log.name) if self._log else None

    def start(self) -> str:
        """Start the server and wait until its API answers; returns its URL."""
        # The free port can be taken between our probe and the server's bind: try again.
        last = ""
        for _ in range(3):
            port = _free_port()
            # Its log goes to a file: a pipe nobody reads would fill up and stall it.
            self._log = tempfile.NamedTemporaryFile(prefix="toxiproxy-", suffix=".log")  # noqa: SIM115 closed in stop()
            self._process = subprocess.Popen(
                [self.binary, "-host", "127.0.0.1", "-port", str(port)],
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
            )
            self.url = f"http://127.0.0.1:{port}"
            if self._wait_ready():
                return self.url
            last = self._log_tail()
            self.stop()
        raise EnvironmentProblem(
            f"toxiproxy server {self.binary} did not start: {last}",
            hint=f"run it by hand: {self.binary} -host 127.0.0.1 -port 8474",
        )

    def _wait_ready(self) -> bool:
        assert self._process is not None
        deadline = time.monotonic() + self.startup_timeout
        with ToxiproxyClient(self.url, timeout=0.5) as client:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    return False
                try:
                    client.version()
                    return True
                except ToxiproxyError:
                    time.sleep(0.05)
        return False

    def _log_tail(self) -> str:
        if self._log is None:
            return ""
        text = Path(self._log.name).read_bytes().decode(errors="replace")
        return text.strip()[-500:] or "(no output)"

    def stop(self) -> None:
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait(timeout=5)
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> LocalToxiproxyServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
