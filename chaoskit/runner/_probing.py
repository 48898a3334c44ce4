"""Running a playbook's probes against a world: HTTP, TCP, DNS, key-value, command, Python.

A probe answers one question about the world and says pass or fail with what
it saw. With `within`, it is retried until it passes or that long has passed.
"""

from __future__ import annotations

import importlib
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

import redis

from chaoskit.playbook import CommandProbe, DnsProbe, HttpProbe, KvProbe, PythonProbe, TcpProbe
from chaoskit.region import World
from chaoskit.region.resolver import ask_resolver

RETRY_INTERVAL = 0.25


@dataclass
class ProbeResult:
    ok: bool
    detail: str
    elapsed: float
    attempts: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "detail": self.detail, "elapsed": round(self.elapsed, 4),
                "attempts": self.attempts}


def label(probe: Any) -> str:
    if getattr(probe, "title", None):
        return str(probe.title)
    kind = probe.type
    if kind == "http":
        return f"http {probe.url or f'{probe.service}@{probe.region}{probe.path}'}"
    if kind == "tcp":
        return f"tcp {probe.address or f'{probe.endpoint}@{probe.region}'}"
    if kind == "dns":
        return f"dns {probe.name} via {probe.region}"
    if kind == "kv":
        return f"kv {probe.op} @{probe.region}"
    if kind == "command":
        return "command " + " ".join(probe.argv)[:60]
    return f"python {probe.function}"


def run_probe(probe: Any, world: World) -> ProbeResult:
    """Run `probe` (retrying up to its `within`); never raises for a failing world."""
    started = time.monotonic()
    deadline = started + (probe.within or 0)
    attempts = 0
    while True:
        attempts += 1
        try:
            ok, detail = _once(probe, world)
        except Exception as exc:  # a probe reports, it does not crash the run
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        if ok or time.monotonic() + RETRY_INTERVAL > deadline:
            return ProbeResult(ok, detail, time.monotonic() - started, attempts)
        time.sleep(RETRY_INTERVAL)


def _once(probe: Any, world: World) -> tuple[bool, str]:
    if isinstance(probe, HttpProbe):
        return _http(probe, world)
    if isinstance(probe, TcpProbe):
        return _tcp(probe, world)
    if isinstance(probe, DnsProbe):
        return _dns(probe, world)
    if isinstance(probe, KvProbe):
        return _kv(probe, world)
    if isinstance(probe, CommandProbe):
        return _command(probe)
    if isinstance(probe, PythonProbe):
        return _python(probe)
    raise TypeError(f"unknown probe {probe!r}")


def _http(p: HttpProbe, world: World) -> tuple[bool, str]:
    url = p.url or f"{world.service_url(str(p.service), str(p.region))}{p.path}"
    req = urllib.request.Request(url, method=p.method, headers={"User-Agent": "chaoskit-probe"})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=p.timeout) as resp:
            status = resp.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (OSError, ValueError) as exc:
        return False, f"{url}: {exc}"
    took = time.monotonic() - started
    if status not in p.statuses:
        return False, f"{url}: HTTP {status}, expected {p.statuses}"
    if p.max_latency is not None and took > p.max_latency:
        return False, (f"{url}: HTTP {status} in {took * 1000:.0f} ms, "
                       f"slower than {p.max_latency * 1000:.0f} ms")
    return True, f"{url}: HTTP {status} in {took * 1000:.0f} ms"


def _tcp(p: TcpProbe, world: World) -> tuple[bool, str]:
    if p.address:
        host, _, port = p.address.rpartition(":")
        addr = (host.strip("[]"), int(port))
    else:
        a = world.endpoint_address(str(p.endpoint), str(p.region))
        addr = (a.host, a.port)
    try:
        with socket.create_connection(addr, timeout=p.timeout):
            opened = True
    except OSError as exc:
        opened, why = False, str(exc)
    if opened == p.expect_open:
        return True, f"{addr[0]}:{addr[1]} {'open' if opened else 'closed, as expected'}"
    return False, f"{addr[0]}:{addr[1]} " + ("open, expected closed" if opened else f"closed: {why}")


def _dns(p: DnsProbe, world: World) -> tuple[bool, str]:
    ans = ask_resolver(world, p.region, p.name, p.record, timeout=p.timeout)
    values = [a["value"] for a in ans["answers"]]
    rcode = ans["rcode"]
    seen = "NODATA" if rcode == "NOERROR" and not values else rcode
    text = f"{p.name} via {p.region}: {seen} {values}"
    if p.expect_rcode != seen:
        return False, f"{text}, expected {p.expect_rcode}"
    if p.expect_address and p.expect_address not in values:
        return False, f"{text}, expected {p.expect_address}"
    return True, text


def _kv(p: KvProbe, world: World) -> tuple[bool, str]:
    a = world.endpoint_address("kv", p.region)
    client = redis.Redis(a.host, a.port, socket_timeout=p.timeout, socket_connect_timeout=p.timeout)
    try:
        if p.op == "ping":
            return bool(client.ping()), f"kv {p.region}: PONG"
        value = client.get(str(p.key))
        got = value.decode() if isinstance(value, bytes) else value
        if p.expect_value is not None:
            return got == p.expect_value, f"kv {p.region}: {p.key} = {got!r}"
        return got is not None, f"kv {p.region}: {p.key} = {got!r}"
    except redis.RedisError as exc:
        return False, f"kv {p.region}: {exc}"
    finally:
        client.close()


def _command(p: CommandProbe) -> tuple[bool, str]:
    try:
        proc = subprocess.run(p.argv, capture_output=True, text=True, timeout=p.timeout)
    except FileNotFoundError:
        return False, f"{p.argv[0]}: not found"
    except subprocess.TimeoutExpired:
        return False, f"{p.argv[0]}: killed after {p.timeout:.0f}s"
    tail = (proc.stdout + proc.stderr).strip().splitlines()[-1:] or [""]
    return proc.returncode == p.expect_exit, f"exit {proc.returncode}: {tail[0][:200]}"


def _python(p: PythonProbe) -> tuple[bool, str]:
    module, _, name = p.function.partition(":")
    fn = getattr(importlib.import_module(module), name)
    result = fn(**p.arguments)
    return bool(result), f"{p.function} returned {result!r}"[:300]
