"""The fault journal: every fault is written here before it is applied.

A JSON file in the world's directory (``faults.json``), shared by the runner on
the host and the reaper inside the world (a bind mount), guarded by an
advisory lock (``faults.lock``). It holds:

- ``faults``: each active fault with what undoing it takes: the CoreDNS server
  blocks it added per region, the toxics it added and proxies it disabled, the
  container changes it made; its holder and when it expires;
- ``leases``: each holder's lease expiry (a runner renews it by heartbeat;
  when it lapses, the reaper reverts that holder's faults);
- ``generation``: bumped on every Corefile change, stamped into the Corefile so
  a reload can be confirmed by a query;
- ``reaped``: the last faults the reaper reverted, and why.

Standard library only: the reaper runs it inside a container.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

JOURNAL = "faults.json"
LOCK = "faults.lock"
LEASE_TTL = 8.0


def empty() -> dict[str, Any]:
    return {"generation": 0, "faults": [], "leases": {}, "reaped": []}


def read(world_dir: str | Path) -> dict[str, Any]:
    path = Path(world_dir) / JOURNAL
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return empty()
    except (OSError, ValueError):
        # A torn or corrupt journal must not stop a reset: start from empty.
        return empty()
    base = empty()
    base.update(data)
    return base


def write(world_dir: str | Path, data: dict[str, Any]) -> None:
    path = Path(world_dir) / JOURNAL
    tmp = path.with_suffix(f".tmp.{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.chmod(tmp, 0o666)
    os.replace(tmp, path)


@contextlib.contextmanager
def locked(world_dir: str | Path) -> Iterator[dict[str, Any]]:
    """Hold the journal's lock; yield its data; write it back on a clean exit."""
    lock_path = Path(world_dir) / LOCK
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        data = read(world_dir)
        yield data
        write(world_dir, data)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def renew_lease(
    world_dir: str | Path, holder: str, ttl: float = LEASE_TTL, info: dict[str, Any] | None = None
) -> None:
    with locked(world_dir) as data:
        lease = data["leases"].setdefault(holder, {})
        lease.update(info or {})
        lease["expires"] = time.time() + ttl


def drop_lease(world_dir: str | Path, holder: str) -> None:
    with locked(world_dir) as data:
        data["leases"].pop(holder, None)


def due(fault: dict[str, Any], leases: dict[str, Any], now: float) -> str | None:
    """Why `fault` must be reverted now, or None."""
    if fault.get("expires_at") and now >= fault["expires_at"]:
        return "maximum duration reached"
    holder = fault.get("holder")
    if holder:
        lease = leases.get(holder)
        if lease is None or lease.get("expires", 0) < now:
            return f"lease of {holder} lapsed"
    return None


def dns_blocks(data: dict[str, Any], region: str) -> list[str]:
    """CoreDNS server blocks of the active faults for `region`, oldest first."""
    out: list[str] = []
    for fault in data["faults"]:
        out.extend(fault.get("dns_blocks", {}).get(region, []))
    return out


def disabled_elsewhere(data: dict[str, Any], region: str, proxy: str, but: str) -> bool:
    """Whether a fault other than `but` keeps `proxy` of `region` disabled."""
    for fault in data["faults"]:
        if fault["id"] == but:
            continue
        for item in fault.get("disabled", []):
            if item["region"] == region and item["proxy"] == proxy:
                return True
    return False
