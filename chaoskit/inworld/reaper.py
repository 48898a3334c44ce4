"""The world's dead man's switch, in the spirit of Testcontainers' Ryuk.

Every ~0.5 s it reads the fault journal and reverts, by itself, each fault
whose holder's lease has lapsed (the runner was killed) or whose maximum
duration has passed, through the one undo path (`undo.py`) the runner and
`chaoskit reset` take too. Each entry is handled on its own: an entry it cannot
trust (naming what is not this world's) is reported once and never acted on;
an undo that fails in part keeps the failed parts in the journal and is tried
again. A journal that others could have written is not acted on at all.
Runs inside the world; standard library only.

    GET /health   liveness
    GET /status   the journal as the reaper sees it
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .protocol import journal, promotion, undo

WORLD = Path(os.environ.get("REAPER_WORLD", "/world"))
PROJECT = os.environ.get("REAPER_PROJECT", "")
INTERVAL = float(os.environ.get("REAPER_INTERVAL", "0.5"))
DOCKER_SOCK = "/var/run/docker.sock"
KEEP_RECORDS = 50


class Reaper:
    """Sweeps one world's journal; remembers what it refused so it says it once."""

    def __init__(self, world: Path = WORLD, docker: undo.Request | None = None) -> None:
        self.world = world
        self.docker = docker or undo.docker_socket(DOCKER_SOCK)
        self.refused: set[str] = set()
        self.distrust: str | None = None
        # Per promotion fault: each store's start time when its role was last checked.
        self.roles_seen: dict[str, dict[str, str]] = {}

    def means(self, facts: undo.WorldFacts) -> undo.Means:
        internal = json.loads((self.world / "world.json").read_text())["toxiproxy_internal"]
        return undo.Means(facts, self.docker, lambda region: str(internal[region]))

    def sweep(self) -> list[dict[str, Any]]:
        """One pass: revert what is due, each entry on its own. Returns the reaped records."""
        problem = journal.trust_problem(self.world)
        if problem != self.distrust:
            self.distrust = problem
            say(f"journal not trusted, nothing in it is acted on: {problem}" if problem
                else "journal trusted again")
        if problem:
            return []
        facts = undo.WorldFacts.read(self.world)
        means = self.means(facts)
        reaped: list[dict[str, Any]] = []
        with journal.locked(self.world, strict=True) as data:
            now = time.time()
            for entry, why in self._due(data, facts, now):
                reaped.append(self._reap(data, facts, means, entry, why, now))
            if reaped:
                data["reaped"] = (data.get("reaped", []) + reaped)[-KEEP_RECORDS:]
            else:
                self._enforce_roles(data, facts, means)
            live = {f.get("holder") for f in data["faults"] if isinstance(f, dict)}
            data["leases"] = {h: v for h, v in data["leases"].items()
                              if h in live or v.get("expires", 0) > now}
        return reaped

    def _enforce_roles(self, data: dict[str, Any], facts: undo.WorldFacts, means: undo.Means) -> None:
        """While a promotion is in force, a store that (re)starts gets its promoted role again."""
        active = {e["id"]: e["replication"] for e in undo.trusted(data["faults"], facts)
                  if e.get("replication")}
        for fid in list(self.roles_seen):
            if fid not in active:
                del self.roles_seen[fid]
        for fid, steps in active.items():
            for change in promotion.enforce(steps, means.exec, means.started,
                                            self.roles_seen.setdefault(fid, {})):
                say(f"promotion {fid}: {change}")

    def _due(self, data: dict[str, Any], facts: undo.WorldFacts,
             now: float) -> list[tuple[dict[str, Any], str]]:
        due: list[tuple[dict[str, Any], str]] = []
        for entry in data["faults"]:
            problems = undo.entry_problems(entry, facts)
            why = None
            if not problems:
                try:
                    why = journal.due(entry, data["leases"], now)
                except (TypeError, ValueError, AttributeError) as exc:
                    problems = [f"its holder or expiry cannot be read: {exc}"]
            if problems:
                self._refuse(data, entry, problems, now)
            elif why:
                due.append((entry, why))
        return due

    def _refuse(self, data: dict[str, Any], entry: Any, problems: list[str], now: float) -> None:
        # Left in the journal for `chaoskit faults` to show and `chaoskit reset` to clear.
        key = hashlib.sha256(json.dumps(entry, sort_keys=True, default=str).encode()).hexdigest()
        if key in self.refused:
            return
        self.refused.add(key)
        fid = entry.get("id") if isinstance(entry, dict) else None
        record = {"id": str(fid)[:80], "at": now, "problems": problems}
        data["refused"] = (data.get("refused", []) + [record])[-KEEP_RECORDS:]
        say(f"refused journal entry {record['id']!r}: {'; '.join(problems)}")

    def _reap(self, data: dict[str, Any], facts: undo.WorldFacts, means: undo.Means,
              entry: dict[str, Any], why: str, now: float) -> dict[str, Any]:
        undo.remove(data, facts, entry)
        outcome = undo.undo(entry, means, data["faults"])
        if outcome.left is not None:
            journal.keep_incomplete(data, outcome.left, outcome.problems, now)
        record = {"id": entry["id"], "fault": (entry.get("spec") or {}).get("fault"),
                  "reason": why, "at": now, "done": outcome.done, "errors": outcome.problems}
        say(f"reaped {entry['id']}: {why}"
            + (f" (not done, tried again in {journal.RETRY_S:.0f} s: {outcome.problems})"
               if outcome.problems else ""))
        return record


def say(line: str) -> None:
    print(line, flush=True)


def loop(stop: threading.Event, reaper: Reaper) -> None:
    while not stop.is_set():
        try:
            reaper.sweep()
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
    threading.Thread(target=loop, args=(stop, Reaper()), daemon=True).start()
    port = int(os.environ.get("REAPER_PORT", "7070"))
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    print(f"reaper of {PROJECT} watching {WORLD}, every {INTERVAL}s", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
