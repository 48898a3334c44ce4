"""The world's dead man's switch, in the spirit of Testcontainers' Ryuk.

Every ~0.5 s it reads the fault journal and reverts, by itself, each fault
whose holder's lease has lapsed (the runner was killed) or whose maximum
duration has passed: it rewrites the region's Corefile without the fault's
blocks and reloads CoreDNS (SIGUSR1 through the Docker socket), removes the
fault's toxics and re-enables its proxies (Toxiproxy API), and undoes its
container changes. Runs inside the world; standard library only.

    GET /health   liveness
    GET /status   the journal as the reaper sees it
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .protocol import corefile, journal, promotion

WORLD = Path(os.environ.get("REAPER_WORLD", "/world"))
PROJECT = os.environ.get("REAPER_PROJECT", "")
INTERVAL = float(os.environ.get("REAPER_INTERVAL", "0.5"))
DOCKER_SOCK = "/var/run/docker.sock"


class _UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=10)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(self._path)


def docker(method: str, path: str, body: Any = None) -> tuple[int, Any]:
    conn = _UnixHTTP(DOCKER_SOCK)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if payload else {}
        conn.request(method, path, body=payload, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        try:
            return resp.status, json.loads(raw) if raw else None
        except ValueError:
            return resp.status, raw.decode(errors="replace")
    finally:
        conn.close()


def container_of(service: str) -> str | None:
    flt = json.dumps(
        {"label": [f"com.docker.compose.project={PROJECT}", f"com.docker.compose.service={service}"]}
    )
    status, body = docker("GET", "/containers/json?all=1&filters=" + urllib.parse.quote(flt))
    if status == 200 and body:
        return str(body[0]["Id"])
    return None


def toxiproxy(region: str, method: str, path: str, body: Any = None) -> int:
    world = json.loads((WORLD / "world.json").read_text())
    url = world["toxiproxy_internal"][region] + path
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", "User-Agent": "chaoskit-reaper"},
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def exec_in(service: str, argv: list[str]) -> tuple[int, str]:
    """Run `argv` in `service`'s container (docker exec); OSError if the engine refuses."""
    cid = container_of(service)
    if not cid:
        raise OSError(f"no container {service}")
    status, made = docker("POST", f"/containers/{cid}/exec",
                          {"Cmd": argv, "AttachStdout": True, "AttachStderr": True, "Tty": True})
    if status != 201 or not isinstance(made, dict):
        raise OSError(f"exec in {service}: HTTP {status} {made}")
    status, out = docker("POST", f"/exec/{made['Id']}/start", {"Detach": False, "Tty": True})
    if status != 200:
        raise OSError(f"exec in {service}: HTTP {status}")
    _, info = docker("GET", f"/exec/{made['Id']}/json")
    code = info.get("ExitCode") if isinstance(info, dict) else None
    return (1 if code is None else int(code)), out if isinstance(out, str) else json.dumps(out)


def started(service: str) -> str | None:
    cid = container_of(service)
    if not cid:
        return None
    status, info = docker("GET", f"/containers/{cid}/json")
    if status != 200 or not isinstance(info, dict):
        return None
    state = info.get("State") or {}
    return str(state.get("StartedAt")) if state.get("Status") == "running" else None


def toxiproxy_url(region: str) -> str:
    world = json.loads((WORLD / "world.json").read_text())
    return str(world["toxiproxy_internal"][region])


# Per promotion fault: each store's start time when its role was last checked.
_ROLES_SEEN: dict[str, dict[str, str]] = {}


def enforce_roles(data: dict[str, Any]) -> None:
    """While a promotion is in force, a store that (re)starts gets its promoted role again."""
    active = {f["id"]: f["replication"] for f in data["faults"] if f.get("replication")}
    for fid in list(_ROLES_SEEN):
        if fid not in active:
            del _ROLES_SEEN[fid]
    for fid, steps in active.items():
        for change in promotion.enforce(steps, exec_in, started, _ROLES_SEEN.setdefault(fid, {})):
            print(f"promotion {fid}: {change}", flush=True)


def undo(fault: dict[str, Any], data: dict[str, Any]) -> list[str]:
    """Revert one fault already removed from `data`; return what failed (empty when all done)."""
    errors: list[str] = []
    for region in fault.get("dns_blocks", {}):
        try:
            data["generation"] += 1
            corefile.write_corefile(
                WORLD / "regions" / region / "coredns", journal.dns_blocks(data, region), data["generation"]
            )
            cid = container_of(f"coredns-{region}")
            if cid:
                docker("POST", f"/containers/{cid}/kill?signal=SIGUSR1")
        except OSError as exc:
            errors.append(f"corefile {region}: {exc}")
    for toxic in fault.get("toxics", []):
        try:
            status = toxiproxy(toxic["region"], "DELETE", f"/proxies/{toxic['proxy']}/toxics/{toxic['name']}")
            if status not in (200, 204, 404):
                errors.append(f"toxic {toxic['name']}: HTTP {status}")
        except OSError as exc:
            errors.append(f"toxic {toxic['name']}: {exc}")
    for item in fault.get("disabled", []):
        if journal.disabled_elsewhere(data, item["region"], item["proxy"], fault["id"]):
            continue
        try:
            toxiproxy(item["region"], "POST", f"/proxies/{item['proxy']}", {"enabled": True})
        except OSError as exc:
            errors.append(f"proxy {item['proxy']}: {exc}")
    for change in fault.get("containers", []):
        cid = container_of(change["service"])
        if not cid:
            continue
        action = change["undo"]
        if action == "connect":
            status, _ = docker(
                "POST",
                f"/networks/{change['network']}/connect",
                {"Container": cid, "EndpointConfig": change.get("endpoint") or {}},
            )
        else:
            status, _ = docker("POST", f"/containers/{cid}/{action}")
        if status not in (204, 304, 200, 409):
            errors.append(f"container {change['service']} {action}: HTTP {status}")
    if fault.get("replication"):
        errors.extend(promotion.undo(fault["replication"], exec_in, started, toxiproxy_url))
    return errors


def sweep() -> list[dict[str, Any]]:
    """One pass: revert what is due. Returns the reaped records."""
    reaped: list[dict[str, Any]] = []
    with journal.locked(WORLD) as data:
        now = time.time()
        keep: list[tuple[dict[str, Any], str | None]] = []
        due: list[tuple[dict[str, Any], str | None]] = []
        for fault in data["faults"]:
            why = journal.due(fault, data["leases"], now)
            (due if why else keep).append((fault, why))
        if not due:
            enforce_roles(data)
            return []
        data["faults"] = [f for f, _ in keep]
        for fault, why in due:
            errors = undo(fault, data)
            record = {
                "id": fault["id"],
                "fault": fault.get("spec", {}).get("fault"),
                "reason": why,
                "at": now,
                "errors": errors,
            }
            reaped.append(record)
            print(f"reaped {fault['id']}: {why}" + (f" (errors: {errors})" if errors else ""), flush=True)
        data["reaped"] = (data.get("reaped", []) + reaped)[-50:]
        live = {f.get("holder") for f in data["faults"]}
        data["leases"] = {h: v for h, v in data["leases"].items() if h in live or v.get("expires", 0) > now}
    return reaped


def loop(stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            sweep()
        except Exception as exc:  # keep sweeping whatever one pass hit
            print(f"sweep failed: {exc!r}", flush=True)
        stop.wait(INTERVAL)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/health":
            body: Any = {"status": "ok"}
        elif self.path == "/status":
            body = journal.read(WORLD)
        else:
            self.send_error(404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main() -> None:
    stop = threading.Event()
    threading.Thread(target=loop, args=(stop,), daemon=True).start()
    port = int(os.environ.get("REAPER_PORT", "7070"))
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    print(f"reaper of {PROJECT} watching {WORLD}, every {INTERVAL}s", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
