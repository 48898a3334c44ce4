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

The journal steers the reaper, which holds the Docker socket: it is readable
and writable by its owner only (0600, in a 0700 directory), and `trust_problem`
says why a journal cannot be trusted (someone else may have written it).

Standard library only: the reaper runs it inside a container.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

JOURNAL = "faults.json"
LOCK = "faults.lock"
LEASE_TTL = 8.0
# An entry left with only the parts an undo could not do, for the reaper to try again.
INCOMPLETE = "undo-incomplete"
RETRY_S = 5.0
FILE_MODE = 0o600
DIR_MODE = 0o700


class JournalUnreadable(OSError):
    """The journal exists but is not a journal (torn, corrupt, or not JSON)."""


def empty() -> dict[str, Any]:
    return {"generation": 0, "faults": [], "leases": {}, "reaped": []}


def read(world_dir: str | Path, *, strict: bool = False) -> dict[str, Any]:
    """The journal's data; an empty journal when there is none.

    A torn or corrupt journal reads as empty, so that a reset is never stopped
    by it; with `strict` it raises `JournalUnreadable` instead (the reaper must
    not overwrite what it cannot read).
    """
    path = Path(world_dir) / JOURNAL
    try:
        data = json.loads(path.read_text())
        if not isinstance(data, dict) or not isinstance(data.get("faults", []), list):
            raise ValueError("not a journal object")
    except FileNotFoundError:
        return empty()
    except (OSError, ValueError) as exc:
        if strict:
            raise JournalUnreadable(f"{path}: {exc}") from None
        return empty()
    base = empty()
    base.update(data)
    return base


def write(world_dir: str | Path, data: dict[str, Any]) -> None:
    """Replace the journal atomically, readable and writable by its owner only."""
    path = Path(world_dir) / JOURNAL
    tmp = path.with_suffix(f".tmp.{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "w") as fh:
        fh.write(json.dumps(data, indent=1, sort_keys=True))
    os.chmod(tmp, FILE_MODE)  # whatever the umask
    os.replace(tmp, path)


def secure_dir(world_dir: str | Path) -> None:
    """Make the world's state directory its owner's only (0700)."""
    Path(world_dir).mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(world_dir, DIR_MODE)


def trust_problem(world_dir: str | Path) -> str | None:
    """Why the journal in `world_dir` cannot be trusted; None when it can.

    It can be when it is a regular file owned by the directory's owner, and
    neither it nor the directory can be written by anyone else.
    """
    root = Path(world_dir)
    try:
        top = os.lstat(root)
        info = os.lstat(root / JOURNAL)
    except FileNotFoundError:
        return None  # nothing to act on
    except OSError as exc:
        return f"cannot look at the journal: {exc}"
    if top.st_mode & 0o022:
        return f"the world's directory can be written by others (mode {stat.S_IMODE(top.st_mode):04o})"
    if not stat.S_ISREG(info.st_mode):
        return "the journal is not a regular file"
    if info.st_uid != top.st_uid:
        return f"the journal belongs to uid {info.st_uid}, the world's directory to uid {top.st_uid}"
    if info.st_mode & 0o022:
        return f"the journal can be written by others (mode {stat.S_IMODE(info.st_mode):04o})"
    return None


@contextlib.contextmanager
def locked(world_dir: str | Path, *, strict: bool = False) -> Iterator[dict[str, Any]]:
    """Hold the journal's lock; yield its data; write it back on a clean exit."""
    lock_path = Path(world_dir) / LOCK
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    with contextlib.suppress(PermissionError):  # a lock file made by an older chaoskit was 0666
        os.fchmod(fd, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        data = read(world_dir, strict=strict)
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
    if fault.get("state") == INCOMPLETE:
        return "finishing an incomplete undo" if now >= float(fault.get("retry_at") or 0) else None
    if fault.get("expires_at") and now >= fault["expires_at"]:
        return "maximum duration reached"
    holder = fault.get("holder")
    if holder:
        lease = leases.get(holder)
        if lease is None or lease.get("expires", 0) < now:
            return f"lease of {holder} lapsed"
    return None


def keep_incomplete(data: dict[str, Any], left: dict[str, Any], problems: list[str], now: float) -> None:
    """Put back what an undo could not do, so the reaper (or a reset) tries it again."""
    data["faults"].append({**left, "state": INCOMPLETE, "problems": problems,
                           "attempts": int(left.get("attempts") or 0) + 1, "retry_at": now + RETRY_S})
