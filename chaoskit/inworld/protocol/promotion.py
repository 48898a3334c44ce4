"""Which region's store is the primary: a promotion as data the runner and the reaper both apply.

A promotion (fault ``kv.promote``) is a list of steps, journaled before
anything changes, each with the value it sets and the baseline it restores:

    {"do": "replicaof", "service": "kv-us-west-2", "port": 6379,
     "to": null, "baseline": ["10.213.2.21", 16379]}          # null: REPLICAOF NO ONE
    {"do": "proxy", "region": "us-east-1", "name": "replication",
     "listen": "0.0.0.0:16379", "to": "10.213.2.30:6379", "baseline": null}  # null: no proxy

`apply` runs them in order, `undo` in reverse with each baseline. A store that
is not running when a step is applied is skipped; `enforce` (the reaper calls
it every sweep while a promotion is in force) applies the role again to a store
that came back or restarted, so the old primary is demoted when it returns
rather than taking writes beside the new one.

Standard library only: the reaper runs it inside the world.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

# service, argv -> (exit code, output); raises OSError when the engine cannot run it
# (e.g. the container is paused or stopped).
Exec = Callable[[str, list[str]], tuple[int, str]]
# service -> when its container started, or None if it is not running
Started = Callable[[str], str | None]
# region -> base URL of that region's Toxiproxy API
ToxiproxyUrl = Callable[[str], str]


def replicaof_argv(port: int, to: list[Any] | None) -> list[str]:
    target = ["NO", "ONE"] if to is None else [str(to[0]), str(to[1])]
    return ["redis-cli", "-p", str(port), "REPLICAOF", *target]


def role_argv(port: int) -> list[str]:
    return ["redis-cli", "-p", str(port), "ROLE"]


def parse_role(output: str) -> dict[str, Any]:
    """redis-cli's ROLE lines as a dict: role, and for a replica its primary and link state."""
    lines = [x.strip() for x in output.strip().splitlines() if x.strip()]
    if not lines:
        return {"role": "unknown"}
    role = lines[0]
    if role == "slave" and len(lines) >= 4:
        return {"role": "replica", "host": lines[1], "port": int(lines[2]), "state": lines[3]}
    if role == "master":
        return {"role": "primary"}
    return {"role": role}


def holds(role: dict[str, Any], to: list[Any] | None) -> bool:
    """Does `role` (from `parse_role`) already hold what a replicaof step sets?"""
    if to is None:
        return bool(role["role"] == "primary")
    return bool(role["role"] == "replica" and role["host"] == str(to[0]) and role["port"] == int(to[1]))


def _http(method: str, url: str, body: Any = None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json",
                                          "User-Agent": "chaoskit-promotion"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            resp.read()
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def set_proxy(base_url: str, step: dict[str, Any], upstream: str | None) -> None:
    """Point the proxy at `upstream`, creating it if needed; None removes it."""
    url = f"{base_url}/proxies/{step['name']}"
    if upstream is None:
        status = _http("DELETE", url)
        if status not in (200, 204, 404):
            raise OSError(f"deleting proxy {step['name']} in {step['region']}: HTTP {status}")
        return
    # Changing the upstream makes Toxiproxy restart the listener: replicas reconnect to it.
    status = _http("POST", url, {"upstream": upstream, "enabled": True})
    if status == 404:
        status = _http("POST", f"{base_url}/proxies",
                       {"name": step["name"], "listen": step["listen"], "upstream": upstream,
                        "enabled": True})
    if status not in (200, 201):
        raise OSError(f"proxy {step['name']} in {step['region']} -> {upstream}: HTTP {status}")


def set_role(run: Exec, step: dict[str, Any], to: list[Any] | None) -> None:
    code, out = run(step["service"], replicaof_argv(step["port"], to))
    if code != 0 or "OK" not in out:
        raise OSError(f"{step['service']}: REPLICAOF failed: {out.strip()[:200]}")


def _run_steps(steps: list[dict[str, Any]], key: str, run: Exec, started: Started,
               toxiproxy_url: ToxiproxyUrl) -> list[str]:
    """Set every step to its `key` value; what could not be done, as text (empty: all done)."""
    problems: list[str] = []
    for step in steps:
        try:
            if step["do"] == "proxy":
                set_proxy(toxiproxy_url(step["region"]), step, step[key])
            elif started(step["service"]) is None:
                problems.append(f"{step['service']} is not running: its role is set when it is back")
            else:
                set_role(run, step, step[key])
        except OSError as exc:
            problems.append(str(exc))
    return problems


def apply(steps: list[dict[str, Any]], run: Exec, started: Started,
          toxiproxy_url: ToxiproxyUrl) -> list[str]:
    """Apply a promotion's steps in order; what was left for `enforce`, as text."""
    return _run_steps(steps, "to", run, started, toxiproxy_url)


def undo(steps: list[dict[str, Any]], run: Exec, started: Started,
         toxiproxy_url: ToxiproxyUrl) -> list[str]:
    """Restore every step's baseline, in reverse order; what failed, as text."""
    return _run_steps(list(reversed(steps)), "baseline", run, started, toxiproxy_url)


def enforce(steps: list[dict[str, Any]], run: Exec, started: Started,
            seen: dict[str, str]) -> list[str]:
    """Set the role of each store that (re)started since it was last checked; what changed.

    `seen` maps a store to the start time it was last checked at (the caller keeps it
    between sweeps), so a running store costs one inspect per sweep, not a command.
    """
    changed: list[str] = []
    for step in steps:
        if step["do"] != "replicaof":
            continue
        service = step["service"]
        at = started(service)
        if at is None or seen.get(service) == at:
            continue
        try:
            code, out = run(service, role_argv(step["port"]))
            if code != 0:
                continue  # not answering yet (loading): try again next sweep
            if not holds(parse_role(out), step["to"]):
                set_role(run, step, step["to"])
                changed.append(f"{service}: REPLICAOF {'NO ONE' if step['to'] is None else step['to']}")
        except OSError:
            continue  # paused: try again next sweep
        seen[service] = at
    return changed
