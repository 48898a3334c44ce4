"""The live state of a game day: what the facilitator's terminal and the team's dashboard show.

`LiveState` listens to a run's events and, when asked, joins them with the
run's `snapshot()`, each region's health and the timeline chart's data into
one JSON-ready dict. It only reads the run: a viewer can never disturb it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from chaoskit.history import History, Op
from chaoskit.playbook import ManualStep
from chaoskit.reports import chart_data
from chaoskit.runner._events import describe_event
from chaoskit.runner._runner import describe_step

#: Seconds of ops a region's success rate and latency are measured over (as `Run.snapshot`).
RECENT_S = 3.0
#: How bad a region looks, best first.
STATUSES = ("healthy", "degraded", "failing", "down")
Containers = dict[str, dict[str, Any]]


class LiveRun(Protocol):
    """What `LiveState` reads of a `chaoskit.runner.Run`."""

    playbook: Any
    world: Any
    history: History

    def snapshot(self) -> dict[str, Any]: ...


def region_health(ops: Iterable[Op], now: float, regions: Sequence[str],
                  containers: Containers | None = None, *, window: float = RECENT_S) -> list[dict[str, Any]]:
    """Each region's health as its clients see it (ops sent there in the last `window` s)
    and as its containers do (`containers`: region -> running/total/stopped/unhealthy).

    ``status`` is the worse of the two: healthy, degraded, failing or down; ``unknown``
    when there is nothing to judge by yet.
    """
    recent: dict[str, list[Op]] = {r: [] for r in regions}
    for op in ops:
        if op.kind == "final-read" or op.start < now - window:
            continue
        asked = op.process.split("/", 1)[0] if "/" in op.process else (op.region or "")
        if asked in recent:
            recent[asked].append(op)
    out = []
    for region in regions:
        mine = recent[region]
        ok = sorted(o.latency for o in mine if o.outcome == "ok")
        rate = len(ok) / len(mine) if mine else None
        c = (containers or {}).get(region)
        rank, why = -1, []
        if rate is not None:
            rank = 0 if rate >= 0.95 else 1 if rate >= 0.5 else 2
            if rank:
                why.append(f"{rate:.0%} of ops ok")
        if c and c.get("total"):
            if not c["running"]:
                rank = 3
                why.append("no container running")
            elif c["stopped"] or c["unhealthy"]:
                rank = max(rank, 1)
                why.append(", ".join([f"{s} stopped" for s in c["stopped"]]
                                     + [f"{s} unhealthy" for s in c["unhealthy"]]))
            else:
                rank = max(rank, 0)
        out.append({"region": region, "status": STATUSES[rank] if rank >= 0 else "unknown",
                    "why": "; ".join(why), "success": None if rate is None else round(rate, 4),
                    "p50_ms": round(ok[len(ok) // 2] * 1000, 1) if ok else None,
                    "ops": len(mine), "containers": c})
    return out


def container_health(world: Any) -> Containers:
    """Per region: how many of its containers run, and which are stopped or unhealthy."""
    out: Containers = {}
    for c in world.containers():
        region = c.labels.get("io.chaoskit.region")
        if not region or c.labels.get("io.chaoskit.role") == "tools":
            continue
        entry = out.setdefault(region, {"running": 0, "total": 0, "stopped": [], "unhealthy": []})
        name = c.labels.get("com.docker.compose.service") or c.name
        health = (c.attrs.get("State", {}).get("Health") or {}).get("Status")
        entry["total"] += 1
        if c.status != "running":
            entry["stopped"].append(name)
        else:
            entry["running"] += 1
            if health == "unhealthy":
                entry["unhealthy"].append(name)
    return out


class ContainerWatch:
    """Looks at a world's containers every `every` seconds in a background thread."""

    def __init__(self, world: Any, *, every: float = 2.0) -> None:
        self.world = world
        self.every = every
        self.latest: Containers = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self) -> Containers:
        return self.latest

    def start(self) -> ContainerWatch:
        self._thread = threading.Thread(target=self._loop, name="chaoskit-gameday-containers", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set():
            # An engine hiccup only makes the view a little stale.
            with contextlib.suppress(Exception):
                self.latest = container_health(self.world)
            self._stop.wait(self.every)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


class LiveState:
    """Everything a viewer shows, kept up to date from a run's events.

    Pass `on_event` to the run's `listeners`. `state()` is cheap to call often:
    it is computed at most every `cache_s` seconds, whatever the number of viewers.
    """

    def __init__(self, run: LiveRun, *, containers: Callable[[], Containers] | None = None,
                 prompt: Callable[[], dict[str, Any] | None] | None = None,
                 journal_size: int = 200, cache_s: float = 0.25) -> None:
        self.run = run
        self.containers = containers or (lambda: {})
        self.prompt = prompt or (lambda: None)
        self.cache_s = cache_s
        self.seq = 0
        self.phase = "starting"
        self.outcome: str | None = None
        self.reason = ""
        self.report: str | None = None
        self.done = False
        self.method_start: float | None = None
        self.dashboard_url: str | None = None
        #: True when nobody answers the questions (``chaoskit gameday --auto``).
        self.auto = False
        self.viewers = 0
        self.sent = 0
        self.events: deque[dict[str, Any]] = deque(maxlen=journal_size)
        self.probes: dict[str, dict[str, Any]] = {}
        self.notes: list[dict[str, Any]] = []
        self.verdicts: list[dict[str, Any]] = []
        self.steps = [{"index": i, "describe": describe_step(s), "at": s.at, "state": "pending",
                       "manual": isinstance(s, ManualStep)} for i, s in enumerate(run.playbook.method)]
        self._lock = threading.RLock()
        self._cache: tuple[float, int, dict[str, Any]] | None = None

    # --- fed by the run -----------------------------------------------------------
    def on_event(self, event: dict[str, Any]) -> None:
        with self._lock:
            self.seq += 1
            self.events.append(event)
            kind, state = event["kind"], event.get("state")
            if kind == "run" and state == "started":
                self.phase = "steady state"
            elif kind == "run" and state == "finished":
                self.outcome, self.reason = event.get("outcome"), event.get("reason", "")
                self.phase = "reporting"
            elif kind == "method":
                if state == "started":
                    self.method_start, self.phase = event["time"], "method"
                else:
                    self._close_steps("done")
                    self.phase = "settling"
            elif kind == "decision":
                step = self.steps[event["step"]]
                step["state"] = {"go": "next", "skip": "skipped"}.get(event["decision"], "aborted")
            elif kind == "step":
                self._close_steps("done")
                self.steps[event["index"]]["state"] = "running"
            elif kind == "manual":
                self._close_steps({"done": "done", "skip": "skipped", "abort": "aborted"}
                                  .get(event.get("decision", ""), "skipped"))
            elif kind in ("probe", "guard"):
                self.probes[f"{kind}:{event['probe']}"] = {
                    "probe": event["probe"], "phase": event.get("phase", "stop condition"),
                    "ok": event["ok"], "detail": event.get("detail", ""), "time": event["time"]}
            elif kind == "note":
                self.notes.append({"time": event["time"], "text": event["text"], "by": event.get("by", "")})
            elif kind == "abort":
                self.phase = "aborting"
                self._close_steps("aborted")
            elif kind == "verdict":
                self.verdicts.append({k: event.get(k) for k in ("name", "expected", "measured_text",
                                                                   "passed", "detail")})

    def _close_steps(self, how: str) -> None:
        for step in self.steps:
            if step["state"] == "running":
                step["state"] = how

    def finish(self, outcome: str, reason: str = "", report: str | None = None) -> None:
        """The run is over (its report written): viewers get the last state, then the end."""
        with self._lock:
            self.outcome, self.reason, self.report = outcome, reason, report
            self.phase, self.done = "finished", True
            self.seq += 1

    def count_view(self, delta: int = 0, sent: int = 0) -> None:
        with self._lock:
            self.viewers += delta
            self.sent += sent

    # --- read by viewers ------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """The whole live state as JSON-ready data."""
        now = time.monotonic()
        with self._lock:
            if self._cache and self._cache[1] == self.seq and now - self._cache[0] < self.cache_s:
                return self._cache[2]
            state = self._compute()
            self._cache = (now, self.seq, state)
            return state

    def _compute(self) -> dict[str, Any]:
        run = self.run
        snap = run.snapshot()
        history = History(ops=list(run.history.ops), events=list(run.history.events),
                          queries=list(run.history.queries))
        marks = [(n["time"], n["text"]) for n in self.notes]
        chart = chart_data(history, notes=marks, end=max(run.playbook.planned_end, snap["time"]))
        regions = region_health(history.ops, snap["time"], list(run.world.topology.regions),
                                self.containers())
        playbook = run.playbook
        return {
            **snap,
            "seq": self.seq,
            "phase": self.phase,
            "done": self.done,
            "outcome": self.outcome,
            "reason": self.reason,
            "report": self.report,
            "playbook": {"name": playbook.name, "title": playbook.title or playbook.name},
            "world": getattr(run.world, "project", ""),
            "method_start": self.method_start,
            "auto": self.auto,
            "prompt": self.prompt(),
            "steps": [dict(s) for s in self.steps],
            "regions": regions,
            "probes": sorted(self.probes.values(), key=lambda p: -p["time"]),
            "notes": list(self.notes),
            "verdicts": list(self.verdicts),
            "journal": [_journal_line(e) for e in list(self.events)[-40:]],
            "chart": chart,
            "dashboard": {"url": self.dashboard_url, "viewers": self.viewers, "sent": self.sent},
        }


def _journal_line(event: dict[str, Any]) -> dict[str, Any]:
    return {"time": event["time"], "kind": event["kind"], "text": describe_event(event)}


