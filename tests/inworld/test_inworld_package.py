"""The in-world package runs inside containers: standard library only, relative imports only,
and it works when copied as a top-level package ``inworld`` (``python3 -m inworld.orders``)."""

from __future__ import annotations

import ast
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import chaoskit.inworld
from chaoskit.workload.local import LocalRedis, free_port

PACKAGE = Path(chaoskit.inworld.__file__).parent
MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_only_the_standard_library_or_siblings(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level > 0:
                continue  # a sibling module
            names = [node.module or ""]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            assert top in sys.stdlib_module_names or top == "__future__", (
                f"{path.name}:{node.lineno}: imports {name!r}; "
                "in-world code may use the standard library only"
            )


@pytest.fixture
def copied(tmp_path: Path) -> Path:
    shutil.copytree(PACKAGE, tmp_path / "inworld", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def run_orders(copied: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-S", "-m", "inworld.orders"],  # -S: no site-packages, so no chaoskit
        cwd=copied,
        env={"PYTHONPATH": str(copied), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_bad_configuration_exits_2_naming_the_variable(copied: Path) -> None:
    proc = run_orders(copied, {"ORDERS_EXITS": "teleport"})
    out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 2
    assert "ORDERS_EXITS" in out and "teleport" in out


def test_runs_as_a_copied_package(copied: Path, redis_primary: LocalRedis) -> None:
    port = free_port()
    proc = run_orders(
        copied,
        {
            "ORDERS_PORT": str(port),
            "ORDERS_BIND": "127.0.0.1",
            "ORDERS_REGION": "us-east-1",
            "ORDERS_KV_WRITE": redis_primary.address,
            "ORDERS_EXITS": "failover,write-queue",
        },
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
                    assert r.status == 200 and r.headers["X-Region"] == "us-east-1"
                    break
            except OSError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                assert time.monotonic() < deadline
                time.sleep(0.05)
        # an HTTP/1.0 client (busybox wget) gets its answer and a closed connection
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"GET /health HTTP/1.0\r\n\r\n")
            data = b""
            while chunk := s.recv(4096):
                data += chunk
        assert data.startswith(b"HTTP/1.1 200") and b"Connection: close" in data
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert proc.returncode in (0, -15)
    assert "listening on 127.0.0.1" in out  # one log line per state change, on stdout
