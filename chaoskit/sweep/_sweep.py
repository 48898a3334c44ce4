"""Running a sweep on a world: warm-up and discovery, then one playbook run per cell.

Each cell is a generated playbook, written to the report folder, loaded and
validated as any playbook is, and run by `chaoskit.runner.Run`: the same
steady state, workload, fault lifecycle, checks and report as `chaoskit run`.
Between cells the world's baseline is confirmed (no fault in the journal, no
drift, DNS and proxies as rendered); what is off is reset, and said.

SIGINT (Ctrl-C) aborts the running cells (their runs revert every fault, as an
aborted run does), no cell starts after it, and the matrix is written marked
partial. A second Ctrl-C interrupts at once (the runs' `finally` still reverts).
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from chaoskit.checks import evaluate
from chaoskit.faults import Faults
from chaoskit.playbook import load_playbook
from chaoskit.runner import Run
from chaoskit.sweep._matrix import CellResult, Matrix
from chaoskit.sweep._plan import Cell, Dependency, Plan, write_playbook
from chaoskit.sweep._report import write_matrix
from chaoskit.world import World
from chaoskit.world.exits import get_exits, set_exits

Listener = Callable[[dict[str, Any]], None]
#: Loose bounds, only to read the figures the heatmap shows (the verdicts are the run's own).
_FIGURES = {"error_rate": 1, "rto": "24h"}


class Sweep:
    """One sweep of `plan` on `world`, its matrix and every cell's report under `report_dir`."""

    def __init__(self, plan: Plan, world: World, report_dir: str | Path, *,
                 emit_dir: str | Path | None = None, listeners: Sequence[Listener] = (),
                 reset: bool = True) -> None:
        self.plan = plan
        self.world = world
        self.report_dir = Path(report_dir)
        self.emit_dir = Path(emit_dir) if emit_dir is not None else None
        self.listeners = list(listeners)
        self.reset = reset
        self.t0 = time.monotonic()
        self.matrix = Matrix(service=plan.base.service, world=world.project, faults=list(plan.options.faults),
                             dependencies=[], thresholds=dict(plan.options.thresholds),
                             options=plan.options.model_dump(mode="json"))
        self._interrupted = threading.Event()
        self._runs: dict[str, Run] = {}
        self._lock = threading.Lock()
        self.total = 0
        self.done = 0
        self.files: dict[str, Path] = {}

    # --- events -------------------------------------------------------------------------
    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def emit(self, kind: str, **detail: Any) -> None:
        event = {"time": round(self.elapsed(), 2), "kind": kind, **detail}
        for listener in self.listeners:
            with contextlib.suppress(Exception):  # a broken progress view must not break a sweep
                listener(event)

    def remaining(self) -> float:
        """Seconds left, by the estimate of what has not run yet."""
        left = self.total - self.done
        return max(0.0, -(-left // self.plan.options.parallel) * self.plan.cell_seconds)

    def interrupt(self, reason: str = "interrupted (Ctrl-C)") -> None:
        """Stop: abort the running cells (their faults are reverted) and start no other."""
        if self._interrupted.is_set():
            return
        self.matrix.reason = reason
        self._interrupted.set()
        with self._lock:
            for run in self._runs.values():
                run.abort(reason)
        self.emit("interrupted", reason=reason)

    @property
    def interrupted(self) -> bool:
        return self._interrupted.is_set()

    # --- the whole sweep ------------------------------------------------------------------
    def execute(self) -> Matrix:
        self.t0 = time.monotonic()
        self.report_dir.mkdir(parents=True, exist_ok=True)
        exits_before = self._exits_before()
        try:
            with self._on_sigint():
                dependencies = self._warmup()
                if dependencies and not self.interrupted:
                    self._cells(dependencies)
        finally:
            self._restore_exits(exits_before)
            self.matrix.partial = self.interrupted or any(c.status == "not-run" for c in self.matrix.cells)
            self.matrix.seconds = round(self.elapsed(), 2)
            self._emit_playbooks()
            self.files = write_matrix(self.matrix, self.report_dir)
            self.emit("sweep", state="finished", outcome=self.matrix.outcome, why=self.matrix.why)
        return self.matrix

    @contextlib.contextmanager
    def _on_sigint(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(signum: int, frame: object) -> None:
            if self.interrupted:  # the second Ctrl-C: at once (the runs' `finally` reverts)
                raise KeyboardInterrupt
            self.interrupt()

        old = signal.signal(signal.SIGINT, handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, old)

    # --- warm-up: the workload alone, and what the service was seen using -------------------
    def _warmup(self) -> list[Dependency]:
        folder = self.report_dir / "warmup"
        path = write_playbook(self.plan.warmup_playbook(folder), folder / "playbook.yaml",
                              header="The sweep's warm-up: the workload alone (chaoskit sweep).")
        self.emit("warmup", state="started", seconds=self.plan.options.warmup)
        since = time.time()
        run = Run(load_playbook(path), self.world, report_dir=folder / "report")
        result = self._tracked("warmup", run)
        until = time.time()
        self.matrix.warmup = {"outcome": result.outcome, "reason": result.reason,
                              "report": "warmup/report/report.html",
                              "verdicts": [v.to_dict() for v in result.verdicts]}
        self.emit("warmup", state="finished", outcome=result.outcome)
        if self.interrupted:
            return []
        if result.outcome != "passed":
            self.matrix.reason = (f"the warm-up (the workload with no fault) did not pass: {result.reason}; "
                                  "the service is not at a baseline a sweep can judge against")
            return []
        found, seen, observed = discover(self.world, self.plan.base.service, since, until,
                                         self.plan.candidates)
        self.matrix.seen = seen
        self.matrix.warmup["discovery"] = observed
        self.matrix.dependencies = [d.key for d in found]
        self.emit("discovered", dependencies=[d.key for d in found], seen=seen)
        if not found:
            self.matrix.reason = (f"no dependency of {self.plan.base.service} was seen during the "
                                  f"{self.plan.options.warmup:g} s warm-up: nothing to break, nothing judged")
        return found

    # --- the cells --------------------------------------------------------------------------
    def _cells(self, dependencies: list[Dependency]) -> None:
        cells, refused = self.plan.cells(dependencies)
        self.plan.check_time(len(cells), when=": the dependencies seen")
        results: dict[str, CellResult] = {}
        for dep in dependencies:
            for fault in self.plan.options.faults:
                results[Cell(dep, fault).id] = CellResult(dep.key, dep.name, fault)
        for cell, why in refused:
            results[cell.id].status = "not-applicable"
            results[cell.id].reason = why
        self.matrix.cells = list(results.values())
        self.matrix.estimate = round(self.elapsed() + self.plan.estimate(len(cells))
                                     - self.plan.options.warmup, 1)
        self.total = len(cells)
        self.emit("cells", total=len(cells))
        pending = list(cells)
        while pending and not self.interrupted:
            wave = self._wave(pending)
            for cell in wave:
                pending.remove(cell)
            names = [c.id for c in wave]
            for cell in wave:
                results[cell.id].concurrent_with = [n for n in names if n != cell.id]
            if len(wave) == 1:
                self._cell(wave[0], results[wave[0].id])
            else:
                with ThreadPoolExecutor(len(wave), thread_name_prefix="chaoskit-sweep") as pool:
                    for job in [pool.submit(self._cell, c, results[c.id]) for c in wave]:
                        job.result()
            self._baseline(wave, results)
        for cell in pending:
            results[cell.id].reason = self.matrix.reason or "not run"

    def _wave(self, pending: list[Cell]) -> list[Cell]:
        """The next cells to run together: at most `parallel`, each breaking something else."""
        wave: list[Cell] = []
        for cell in pending:
            if len(wave) >= self.plan.options.parallel:
                break
            if all(cell.footprint != other.footprint for other in wave):
                wave.append(cell)
        return wave

    def _cell(self, cell: Cell, result: CellResult) -> None:
        folder = self.report_dir / "cells" / cell.slug
        path = write_playbook(self.plan.cell_playbook(cell, folder), folder / "playbook.yaml",
                              header=f"Cell {cell.id} of `chaoskit sweep {self.plan.base.service}`.")
        result.playbook = path.relative_to(self.report_dir).as_posix()
        self.emit("cell", state="started", cell=cell.id, done=self.done, total=self.total)
        started = time.monotonic()
        playbook = load_playbook(path)
        run = Run(playbook, self.world, report_dir=folder / "report")
        outcome = self._tracked(cell.id, run)
        result.seconds = round(time.monotonic() - started, 2)
        result.status = outcome.outcome
        result.reason = outcome.reason
        result.verdicts = [v.to_dict() for v in outcome.verdicts]
        result.report = (folder / "report").relative_to(self.report_dir).as_posix()
        workload = playbook.workload
        figures = evaluate(run.history, _FIGURES, fault=playbook.judged_fault,
                           target=workload.target if workload else None)
        for v in figures:
            setattr(result, v.name, v.measured)
        with self._lock:
            self.done += 1
        self.emit("cell", state="finished", cell=cell.id, status=result.status, done=self.done,
                  total=self.total, error_rate=result.error_rate, rto=result.rto)

    def _tracked(self, name: str, run: Run) -> Any:
        with self._lock:
            self._runs[name] = run
        try:
            if self.interrupted:
                run.abort(self.matrix.reason)
            return run.execute()
        finally:
            with self._lock:
                self._runs.pop(name, None)

    def _baseline(self, wave: list[Cell], results: dict[str, CellResult]) -> None:
        """Confirm the baseline after a wave (the runs reverted their faults); reset what is off."""
        faults = Faults(self.world, detached=True)
        found = list(faults.off_baseline())
        try:
            faults.confirm_baseline()
        except Exception as exc:
            found.append(str(exc))
        if not found:
            note = "baseline confirmed"
        elif self.reset:
            done = faults.reset()
            note = ("off the baseline after the cell: " + "; ".join(found) + "; reset: "
                    + "; ".join(done["changes"] or ["nothing to change"]))
        else:
            note = "off the baseline after the cell: " + "; ".join(found)
            self.interrupt("the world is off its baseline and --no-reset was given")
        for cell in wave:
            results[cell.id].baseline = note
        self.emit("baseline", note=note)

    # --- exits and emitted playbooks ---------------------------------------------------------
    def _exits_before(self) -> dict[str, dict[str, list[str]]]:
        # Cells set the services' exits (`services:`); put back what was there.
        before = {}
        configured = {s for s, cfg in self.plan.base.services.items() if cfg.get("exits") is not None}
        for service in sorted(configured | set(self.plan.options.exits)):
            with contextlib.suppress(Exception):
                before[service] = get_exits(self.world, service)
        return before

    def _restore_exits(self, before: dict[str, dict[str, list[str]]]) -> None:
        for service, by_region in before.items():
            for region, exits in by_region.items():
                with contextlib.suppress(Exception):
                    set_exits(self.world, service, exits, [region])

    def _emit_playbooks(self) -> None:
        if self.emit_dir is None:
            return
        cells = {Cell(d, f).id: Cell(d, f) for d in self.plan.candidates for f in self.plan.options.faults}
        for result in self.matrix.failing:
            cell = cells.get(result.id)
            if cell is None or result.status == "aborted":  # interrupted: nothing found to replay
                continue
            path = self.emit_dir / f"sweep-{self.plan.base.service}-{cell.slug}.yaml"
            write_playbook(self.plan.cell_playbook(cell, self.emit_dir), path, header=(
                f"Found by `chaoskit sweep {self.plan.base.service}`: cell {cell.id} {result.status}.\n"
                f"{result.reason}\nRun it again: chaoskit run {path.name}"))
            result.emitted = str(path)


def discover(world: World, service: str, since: float, until: float,
             candidates: Sequence[Dependency],
             ) -> tuple[list[Dependency], list[dict[str, Any]], dict[str, Any]]:
    """The dependencies `service` was seen using (among `candidates`: by the names it asked for
    and the proxies that carried its connections), what else it asked for with why that is not
    swept, and the observation itself (`chaoskit.discovery`)."""
    from chaoskit.discovery import observe

    observed = observe(world, service, since=since, until=until)
    by_name = {d.name: d for d in candidates}
    by_key = {d.key: d for d in candidates}
    seen_keys: set[Dependency] = set()
    for n in observed.names:
        if n.name in by_name:
            seen_keys.add(by_name[n.name])
    for p in observed.proxies:
        # Only proxies whose log names this service's connections: the byte counters are shared.
        if p.endpoint is not None and p.connections and f"{p.endpoint}.{p.region}" in by_key:
            seen_keys.add(by_key[f"{p.endpoint}.{p.region}"])
    found = [d for d in candidates if d in seen_keys]
    seen: dict[str, str] = {}
    for n in observed.names:
        if n.name in by_name:
            continue
        if n.outside:
            why = "outside the world's domain (it would go to the internet): no fault here reaches it"
        elif n.in_topology and n.endpoint is not None:
            why = (f"a name of {n.endpoint} the faults of one region cannot target (a world-wide "
                   "name, or not among --dependencies); its regional endpoints are swept")
        else:
            why = "not an endpoint of the topology"
        if not n.resolved:
            why += "; it never resolved"
        seen.setdefault(n.name, why)
    return found, [{"name": k, "why": v} for k, v in sorted(seen.items())], observed.to_json()
