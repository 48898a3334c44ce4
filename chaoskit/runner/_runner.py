"""Run a playbook: the one place where world, faults, workload, checks and reports meet.

    steady state (before) -> workload starts -> method steps at their times
      -> faults revert (their `for`, a revert step, or the end) -> settle
      -> workload stops, final read -> rollbacks (always) -> steady state (after)
      -> verdicts from the history -> report

Stop conditions are guard probes run in the background; when one fails
`failures` times in a row the run aborts: every fault is reverted at once and
the report says why. Ctrl-C and SIGTERM do the same.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from chaoskit.checks import Verdict, broken_names, evaluate, matches
from chaoskit.faults import Faults, FaultSpec, revert_on_signals
from chaoskit.faults.controller import ActiveFault
from chaoskit.history import Event, History
from chaoskit.playbook import (
    InjectStep,
    ManualStep,
    NoteStep,
    Playbook,
    ProbeStep,
    RevertStep,
    WaitStep,
)
from chaoskit.reports import RunOutcome, RunReport, write_report
from chaoskit.runner._gate import ProbeOutcome, gate_verdicts, probe_outcome
from chaoskit.runner._probing import ProbeResult, label, run_probe
from chaoskit.workload import ReplicationSampler, Workload, choose_target
from chaoskit.world import World
from chaoskit.world.exits import set_exits, set_load

Listener = Callable[[dict[str, Any]], None]
TICK = 0.02


class Facilitator(Protocol):
    """A person driving a game day. `chaoskit run` has none: every step goes."""

    def before_step(self, index: int, step: Any, describe: str) -> str:
        """'go', 'skip' or 'abort'."""

    def manual(self, index: int, step: ManualStep) -> str:
        """'done', 'skip' or 'abort', once the facilitator has done the manual step."""


class Aborted(Exception):
    pass


@dataclass
class RunResult:
    outcome: str  # passed, failed, aborted, error
    verdicts: list[Verdict]
    report_dir: Path | None
    files: dict[str, Path] = field(default_factory=dict)
    reason: str = ""

    @property
    def exit_code(self) -> int:
        return 0 if self.outcome == "passed" else 1


def describe_step(step: Any) -> str:
    if isinstance(step, InjectStep):
        s = step.inject
        extra = f" for {s.duration:g}s" if s.duration else ""
        return f"inject {s.fault} {s.target}{extra}" + (f" (id {s.id})" if s.id else "")
    if isinstance(step, RevertStep):
        return f"revert {step.revert}"
    if isinstance(step, WaitStep):
        return f"wait {step.wait:g}s"
    if isinstance(step, ProbeStep):
        return f"probe {label(step.probe)}"
    if isinstance(step, NoteStep):
        return f"note: {step.note}"
    if isinstance(step, ManualStep):
        return f"manual: {step.manual}"
    return repr(step)


class Run:
    """One execution of a playbook on a world."""

    def __init__(self, playbook: Playbook, world: World, *,
                 services: dict[str, dict[str, Any]] | None = None,
                 facilitator: Facilitator | None = None,
                 listeners: Sequence[Listener] | None = None,
                 report_dir: str | Path | None = None) -> None:
        self.playbook = playbook
        self.world = world
        self.facilitator = facilitator
        self.listeners = list(listeners or [])
        self.report_dir = Path(report_dir) if report_dir else None
        self.services = {k: v.model_dump(exclude_none=True) for k, v in playbook.services.items()}
        for name, cfg in (services or {}).items():
            self.services.setdefault(name, {}).update(cfg)
        self.history = History()
        self.journal: list[dict[str, Any]] = []
        self.notes: list[tuple[float, str]] = []
        self.t0 = time.monotonic()
        self.wall0 = time.time()  # t0 on the wall clock: the query log's time
        self.started_at = ""
        self._abort = threading.Event()
        self.abort_reason = ""
        self._journal_lock = threading.Lock()
        self.faults: Faults | None = None
        self.workload: Workload | None = None
        self.sampler: ReplicationSampler | None = None
        self.current = ""
        self._due_reverts: dict[str, float] = {}
        self.active: dict[str, dict[str, Any]] = {}
        self.probe_outcomes: list[ProbeOutcome] = []

    # --- events -------------------------------------------------------------------
    def now(self) -> float:
        return time.monotonic() - self.t0

    def emit(self, kind: str, **detail: Any) -> dict[str, Any]:
        event = {"time": round(self.now(), 4), "kind": kind, **detail}
        with self._journal_lock:
            self.journal.append(event)
        for listener in self.listeners:
            # A broken viewer must not break the run.
            with contextlib.suppress(Exception):
                listener(event)
        return event

    def note(self, text: str, *, who: str = "facilitator") -> None:
        t = self.now()
        self.notes.append((t, text))
        self.history.event(Event(t, "note", text, detail={"by": who}))
        self.emit("note", text=text, by=who)

    def abort(self, reason: str) -> None:
        if not self._abort.is_set():
            self.abort_reason = reason
            self._abort.set()
            self.emit("abort", reason=reason)

    @property
    def aborted(self) -> bool:
        return self._abort.is_set()

    def snapshot(self) -> dict[str, Any]:
        """The live state, for a terminal view or a dashboard."""
        ops = list(self.history.ops)
        now = self.now()
        recent = [o for o in ops if o.start >= now - 3]
        ok = sum(1 for o in recent if o.outcome == "ok")
        lat = sorted(o.latency for o in recent if o.outcome == "ok")
        return {"time": round(now, 2), "step": self.current, "active_faults": list(self.active.values()),
                "ops": len(ops), "errors": sum(1 for o in ops if o.outcome != "ok"),
                "recent_success": (ok / len(recent)) if recent else None,
                "recent_p50_ms": round(lat[len(lat) // 2] * 1000, 1) if lat else None,
                "aborted": self.aborted, "abort_reason": self.abort_reason}

    # --- pieces ---------------------------------------------------------------------
    def _probe(self, probe: Any, phase: str) -> ProbeResult:
        result = run_probe(probe, self.world)
        self.emit("probe", phase=phase, probe=label(probe), **result.to_dict())
        return result

    def _probe_step(self, index: int, step: ProbeStep, phase: str) -> None:
        # Kept for the gate: a probe step that does not end as it `expect`s fails the run.
        result = self._probe(step.probe, phase)
        self.probe_outcomes.append(
            probe_outcome(phase, index, step, label(step.probe), result.ok, result.detail))

    def _configure_services(self) -> None:
        for name, cfg in self.services.items():
            if name not in self.world.topology.services:
                continue
            exits, load = cfg.get("exits"), cfg.get("load")
            if exits is not None:
                set_exits(self.world, name, exits)
                self.emit("configure", service=name, exits=exits)
            if load is not None:
                set_load(self.world, name, load)
                self.emit("configure", service=name, load=load)

    def _start_workload(self) -> None:
        w = self.playbook.workload
        if w is None:
            return
        regions = w.regions or self.world.topology.regions
        folder = [self.playbook.path.parent] if self.playbook.path is not None else []
        target = choose_target(w.target, address=lambda e, r: str(self.world.endpoint_address(e, r)),
                               regions=regions, operations=w.operations, service=w.service,
                               failover=w.failover, search=folder)
        horizon = w.duration or (self.playbook.method_span + (w.settle or 0) + 60)
        self.workload = Workload(target, rate=w.rate, mix={"write": w.mix.write, "read": w.mix.read},
                                 concurrency=w.concurrency, timeout=w.timeout, duration=horizon,
                                 rate_steps=[(s.at, s.rate) for s in w.rate_steps],
                                 run_id=f"{self.playbook.name}-{int(time.time()) % 100000}")
        self.workload.start(self.history, self.t0)
        self.emit("workload", state="started", target=w.target, rate=w.rate, regions=regions)
        self._start_sampler()

    def _start_sampler(self) -> None:
        # Replication lag is measured through every run on a world with replicas.
        regions = self.world.topology.regions
        if len(regions) < 2:
            return
        addresses = {r: str(self.world.endpoint_address("kv", r)) for r in regions}
        self.sampler = ReplicationSampler(addresses).start(self.history, self.t0)
        self.emit("sampler", state="started", series="replication", interval=self.sampler.interval)

    def _guards(self, stop: threading.Event) -> list[threading.Thread]:
        threads = []
        for cond in self.playbook.stop_conditions:
            def guard(cond: Any = cond) -> None:
                failures = 0
                while not stop.wait(cond.every):
                    result = run_probe(cond.probe, self.world)
                    self.emit("guard", probe=cond.title or label(cond.probe), **result.to_dict())
                    failures = 0 if result.ok else failures + 1
                    if failures >= cond.failures:
                        self.abort(f"stop condition failed: {cond.title or label(cond.probe)}: "
                                   f"{result.detail}")
                        return
            t = threading.Thread(target=guard, name="chaoskit-guard", daemon=True)
            t.start()
            threads.append(t)
        return threads

    def _on_fault(self, kind: str, active: ActiveFault) -> None:
        # The fault took effect when it was applied (or its revert began), not when the
        # confirmation came back: checks measure from there.
        took = active.confirmed_in if kind == "fault-applied" else active.extra.get("revert_took", 0.0)
        t = max(0.0, self.now() - took)
        detail: dict[str, Any] = {"describe": active.fault.describe(),
                                  "target": active.fault.spec.target}
        dns = active.fault.dns_targets()
        if dns:  # the names it breaks: the checks ask whether their clients asked again
            detail["dns"] = dns
        self.history.event(Event(t, kind, active.name, id=active.id, detail=detail))
        if kind == "fault-applied":
            self.active[active.id] = {"id": active.id, "fault": active.name,
                                      "describe": active.fault.describe(), "since": round(t, 2)}
            self.emit("fault", state="applied", id=active.id, fault=active.name,
                      describe=active.fault.describe(), confirmed_in=round(active.confirmed_in, 4),
                      evidence=active.evidence)
        else:
            self.active.pop(active.id, None)
            self._due_reverts.pop(active.id, None)
            self.emit("fault", state="reverted", id=active.id, fault=active.name,
                      evidence=active.revert_evidence)

    def _sleep_until(self, when: float) -> None:
        """Wait until method time `when`, reverting faults as their `for` runs out."""
        while True:
            if self.aborted:
                raise Aborted(self.abort_reason)
            self._revert_due()
            left = when - self.now()
            if left <= 0:
                return
            time.sleep(min(TICK, left))

    def revert_due(self) -> None:
        """Revert the faults whose `for` has run out. The run does this while it sleeps; a
        facilitator waiting on a person calls it too, so no fault outlasts its `for`."""
        if self.faults is not None:
            self._revert_due()

    def _revert_due(self) -> None:
        assert self.faults is not None
        for fid, at in sorted(self._due_reverts.items(), key=lambda kv: kv[1]):
            if self.now() >= at:
                self._due_reverts.pop(fid, None)
                self.faults.revert(fid)

    def _step(self, index: int, step: Any, method_start: float) -> None:
        assert self.faults is not None
        describe = describe_step(step)
        # The facilitator sees the next step at once; a `go` given early still waits for `at`.
        if self.facilitator is not None:
            decision = self.facilitator.before_step(index, step, describe)
            self.emit("decision", step=index, describe=describe, decision=decision)
            self.history.event(Event(self.now(), "decision", decision, detail={"step": describe}))
            if decision == "abort":
                self.abort(f"facilitator aborted at step {index + 1}")
                raise Aborted(self.abort_reason)
            if decision == "skip":
                return
        if step.at is not None:
            self._sleep_until(method_start + step.at)
        self.current = describe
        self.emit("step", index=index, describe=describe)
        self.history.event(Event(self.now(), "step", describe, detail={"index": index}))
        if isinstance(step, InjectStep):
            spec = FaultSpec.model_validate(step.inject.model_dump(by_alias=True))
            active = self.faults.inject(spec)
            if spec.duration:
                self._due_reverts[active.id] = self.now() + spec.duration
        elif isinstance(step, RevertStep):
            if step.revert == "all":
                self.faults.revert_all()
            else:
                self.faults.revert(step.revert)
        elif isinstance(step, WaitStep):
            self._sleep_until(self.now() + step.wait)
        elif isinstance(step, ProbeStep):
            self._probe_step(index, step, "method")
        elif isinstance(step, NoteStep):
            self.note(step.note, who="playbook")
        elif isinstance(step, ManualStep):
            if self.facilitator is None:
                self.emit("manual", describe=step.manual, decision="skipped (no facilitator)")
                return
            decision = self.facilitator.manual(index, step)
            self.emit("manual", describe=step.manual, decision=decision)
            if decision == "abort":
                self.abort(f"facilitator aborted at manual step {index + 1}")
                raise Aborted(self.abort_reason)

    # --- the whole run -------------------------------------------------------------
    def execute(self) -> RunResult:
        self.t0 = time.monotonic()
        self.wall0 = time.time()
        self.started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        self.faults = Faults(self.world, on_event=self._on_fault)
        outcome: RunOutcome = "error"
        reason = ""
        steady_verdicts: list[Verdict] = []
        guard_stop = threading.Event()
        self.emit("run", state="started", playbook=self.playbook.name, world=self.world.project)
        try:
            with revert_on_signals():
                self._configure_services()
                before = [self._probe(p, "steady-state-before") for p in self.playbook.steady_state]
                steady_verdicts.append(_steady("steady state before", before))
                if not all(r.ok for r in before):
                    outcome, reason = "failed", "steady state not met before the method"
                    raise Aborted(reason)
                self._start_workload()
                self._guards(guard_stop)
                method_start = self.now()
                self.emit("method", state="started")
                for index, step in enumerate(self.playbook.method):
                    self._step(index, step, method_start)
                while self._due_reverts:
                    self._sleep_until(min(self._due_reverts.values()))
                self.emit("method", state="done")
                w = self.playbook.workload
                if w is not None:
                    end = method_start + w.duration if w.duration else self.now() + (w.settle or 0)
                    self.current = "settling"
                    self._sleep_until(end)
                outcome = "passed"
        except Aborted as exc:
            if outcome != "failed":
                outcome, reason = "aborted", str(exc) or self.abort_reason
        except KeyboardInterrupt as exc:
            outcome, reason = "aborted", f"interrupted ({str(exc) or 'Ctrl-C'})"
            self.abort(reason)
        except Exception as exc:
            outcome, reason = "error", f"{type(exc).__name__}: {exc}"
            self.emit("error", message=reason)
        finally:
            guard_stop.set()
            # The lag series covers the method and its settle time, not the clean-up.
            self._stop_sampler()
            # Revert everything at once first: an abort must not wait for rollbacks.
            self._finish_faults()
            self._rollbacks()
            if self.workload is not None:
                self.current = "final read"
                stats = self.workload.stop()
                self.emit("workload", state="stopped", **_plain(stats))
                if self.playbook.workload and self.playbook.workload.final_read:
                    self.workload.final_read()
                    self.emit("final-read", state="done")
        self._collect_queries()
        after = [self._probe(p, "steady-state-after") for p in self.playbook.steady_state]
        steady_verdicts.append(_steady("steady state after", after))
        verdicts = (steady_verdicts + gate_verdicts(self.playbook, self.history, self.probe_outcomes,
                                                    workload_ran=self.workload is not None)
                    + self._verdicts())
        if outcome == "passed" and not all(v.passed for v in verdicts):
            outcome = "failed"
            reason = "; ".join(f"{v.name}: measured {v.measured_text}, expected {v.expected}"
                               for v in verdicts if not v.passed)
        for v in verdicts:
            self.emit("verdict", **v.to_dict())
        self.emit("run", state="finished", outcome=outcome, reason=reason)
        self.current = f"finished: {outcome}"
        files = self._write_report(outcome, verdicts)
        return RunResult(outcome, verdicts, self.report_dir, files, reason)

    def _stop_sampler(self) -> None:
        if self.sampler is not None:
            self.sampler.stop()
            self.emit("sampler", state="stopped", series="replication", ticks=self.sampler.ticks)

    def _finish_faults(self) -> None:
        assert self.faults is not None
        try:
            self.faults.close()
        except Exception as exc:
            self.emit("error", message=f"reverting faults: {exc}; running a full reset")
            self.faults.reset()

    def _collect_queries(self) -> None:
        """The DNS questions the world's CoreDNS logged during the run, into the history
        (times since the run's start), so the checks can tell whether a DNS fault reached
        the clients."""
        from chaoskit.discovery import queries

        try:
            # From the world's start: a client that resolved a name once, before the run, and
            # kept it is a client of that name too. Of the questions before the run, only those
            # for the names the run's faults broke are kept (times before the start < 0).
            found = queries(self.world, until=time.time())
        except Exception as exc:  # the verdicts that need them say they cannot judge
            self.emit("error", message=f"reading the DNS query log: {exc}")
            return
        broken = broken_names(self.history)
        kept = [q for q in found
                if q.time >= self.wall0 or any(matches(q.name, t) for t in broken)]
        self.history.queries.extend(replace(q, time=round(q.time - self.wall0, 4)) for q in kept)
        self.emit("dns-queries", count=len(kept))

    def _rollbacks(self) -> None:
        for index, step in enumerate(self.playbook.rollbacks):
            try:
                self.emit("rollback", index=index, describe=describe_step(step))
                if isinstance(step, ProbeStep):
                    self._probe_step(index, step, "rollback")
                elif isinstance(step, NoteStep):
                    self.note(step.note, who="playbook")
                elif isinstance(step, WaitStep):
                    time.sleep(step.wait)
                elif isinstance(step, RevertStep) and self.faults is not None:
                    self.faults.revert_all() if step.revert == "all" else self.faults.revert(step.revert)
            except Exception as exc:  # every rollback runs
                self.emit("error", message=f"rollback {index + 1}: {exc}")

    def _verdicts(self) -> list[Verdict]:
        exp = self.playbook.thresholds
        if not exp or self.playbook.workload is None:
            return []
        return evaluate(self.history, exp, fault=self.playbook.judged_fault,
                        target=self.playbook.workload.target)

    def _write_report(self, outcome: RunOutcome, verdicts: list[Verdict]) -> dict[str, Path]:
        if self.report_dir is None:
            return {}
        report = RunReport(playbook=self.playbook.name, title=self.playbook.title or self.playbook.name,
                           started_at=self.started_at, duration=self.now(), history=self.history,
                           outcome=outcome, story=self.playbook.story, journal=list(self.journal),
                           verdicts=verdicts, notes=list(self.notes))
        return write_report(report, self.report_dir)


def _steady(name: str, results: list[ProbeResult]) -> Verdict:
    failed = [r.detail for r in results if not r.ok]
    return Verdict(name=name, expected="every probe passes", measured=float(len(failed)),
                   unit="failed probes", passed=not failed, detail="; ".join(failed)[:500])


def _plain(stats: Any) -> dict[str, Any]:
    if hasattr(stats, "__dataclass_fields__"):
        from dataclasses import asdict

        return {k: v for k, v in asdict(stats).items() if isinstance(v, (int, float, str))}
    return {}


def run_playbook(path: str | Path, world: World, **kwargs: Any) -> RunResult:
    from chaoskit.playbook import load_playbook

    return Run(load_playbook(path), world, **kwargs).execute()
