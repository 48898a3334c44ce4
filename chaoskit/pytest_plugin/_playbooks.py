"""Playbook files as test items: one item per expectation, one run per file.

``pytest playbooks/`` collects every YAML file that looks like a playbook
(``version: 1`` and ``method:`` at the top level; other YAML is left alone).
The playbook runs once, when its first item runs; each item then reports its
verdict. An invalid playbook is a single failing item listing its problems.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from chaoskit.checks import Verdict
from chaoskit.errors import ChaoskitError, PlaybookError, Problem
from chaoskit.playbook import Playbook, ProbeStep, load_playbook
from chaoskit.pytest_plugin._session import session_of
from chaoskit.runner import Run, RunResult
from chaoskit.world.exits import get_exits, get_load, set_exits, set_load
from chaoskit.yamlsource import MAX_BYTES, parse_yaml

_VERSION = re.compile(rb"^version:[ \t]*['\"]?1['\"]?[ \t]*(#.*)?$", re.MULTILINE)
_METHOD = re.compile(rb"^method:", re.MULTILINE)
STEADY_STATE = "steady-state"
PROBES = "probes"  # the method's and rollbacks' probe steps, each as its `expect` says
WORKLOAD = "workload"  # the workload recorded operations
RUN = "run"


def looks_like_playbook(path: Path) -> bool:
    """A ``.yaml``/``.yml`` file with ``version: 1`` and ``method:`` at the top level."""
    if path.suffix not in (".yaml", ".yml"):
        return False
    try:
        with path.open("rb") as f:
            head = f.read(MAX_BYTES)
    except OSError:
        return False
    return bool(_VERSION.search(head) and _METHOD.search(head))


class PlaybookFailed(Exception):
    """An expectation of a playbook did not hold (or could not be judged)."""


def _short(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    """Our own failures, and chaoskit's errors meant for users, without a traceback."""
    if isinstance(excinfo.value, PlaybookFailed):
        return str(excinfo.value)
    if isinstance(excinfo.value, ChaoskitError):
        return f"{type(excinfo.value).__name__}: {excinfo.value}"
    return ""


class PlaybookFile(pytest.File):
    """A playbook: its expectations as items, its run shared by them."""

    _result: RunResult | None = None
    _error: Exception | None = None

    def collect(self) -> list[pytest.Item]:
        # Relative to where pytest runs, so problems read `playbooks/x.yaml:12:5`.
        path = Path(os.path.relpath(self.path)) if self.path.is_relative_to(Path.cwd()) else self.path
        try:
            playbook = load_playbook(path)  # read once: problems and model together
        except PlaybookError as exc:
            return [InvalidPlaybook.from_parent(self, name="validate", problems=list(exc.problems))]
        self.playbook = playbook
        probes = any(isinstance(s, ProbeStep) for s in [*playbook.method, *playbook.rollbacks])
        names = (
            ([STEADY_STATE] if playbook.steady_state else [])
            + ([PROBES] if probes else [])
            + ([WORKLOAD] if playbook.workload is not None else [])
            + list(playbook.thresholds)
        )
        return [Expectation.from_parent(self, name=n) for n in names or [RUN]]

    def where(self, *path: str | int) -> int:
        """0-based line of `path` in the file, for reports."""
        src, _ = parse_yaml(self.path.read_text(encoding="utf-8"), str(self.path))
        return int(src.where(path).rsplit(":", 2)[1]) - 1

    def result(self) -> RunResult:
        """Run the playbook the first time an item asks; every item gets the same result."""
        if self._error is not None:
            raise self._error
        if self._result is None:
            try:
                self._result = self._run(self.playbook)
            except Exception as exc:  # e.g. the world could not be brought up: once is enough
                self._error = exc
                raise
        return self._result

    def _run(self, playbook: Playbook) -> RunResult:
        session = session_of(self.config)
        world = session.world(playbook.topology_path)
        session.playbook_runs += 1
        # The run configures services as the playbook says; put them back as they were.
        configured = [
            s
            for s, cfg in playbook.services.items()
            if cfg.exits is not None and s in world.topology.services
        ]
        before = {s: get_exits(world, s) for s in configured}
        loaded = [s for s, cfg in playbook.services.items()
                  if cfg.load is not None and s in world.topology.services]
        loads_before = {s: get_load(world, s) for s in loaded}
        try:
            return Run(playbook, world, report_dir=session.report_dir(playbook.name)).execute()
        finally:
            session.world_changed(world)
            for service, by_region in before.items():
                for region, exits in by_region.items():
                    set_exits(world, service, exits, [region])
            for service, loads in loads_before.items():
                for region, load in loads.items():
                    set_load(world, service, load, [region])


class Expectation(pytest.Item):
    """One expectation of a playbook (or its steady state, or the run as a whole)."""

    parent: PlaybookFile

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_marker("chaos")
        if self.config.pluginmanager.hasplugin("xdist"):
            # With --dist loadgroup, a playbook's items go to one worker: one run.
            self.add_marker(pytest.mark.xdist_group(str(self.path)))

    def runtest(self) -> None:
        result = self.parent.result()
        report = result.files.get("html") or result.report_dir
        if report is not None:
            self.user_properties.append(("chaoskit_report", str(report)))
        self.user_properties.append(("chaoskit_outcome", result.outcome))
        verdicts = self._verdicts(result)
        playbook = self.parent.playbook.name
        lines = []
        for v in verdicts:
            mark = "ok  " if v.passed else "FAIL"
            lines.append(
                f"  {mark} {v.name}: expected {v.expected}, measured {v.measured_text}"
                + (f"\n         {v.detail}" if v.detail else "")
            )
        if self.name == RUN:
            held = result.outcome == "passed"
        else:  # an aborted run vouches for nothing, whatever its verdicts say
            ran_through = result.outcome in ("passed", "failed")
            held = bool(verdicts) and all(v.passed for v in verdicts) and ran_through
        if held:
            return
        if not verdicts and self.name != RUN:
            lines.append(f"  no verdict for {self.name}")
        if result.outcome != "passed":
            lines.append(f"  run {result.outcome}: {result.reason or '(no reason given)'}")
        lines.append(f"  report: {report}")
        raise PlaybookFailed(f"playbook {playbook}: {self.name} did not hold\n" + "\n".join(lines))

    def _verdicts(self, result: RunResult) -> list[Verdict]:
        if self.name == RUN:
            return []
        if self.name == STEADY_STATE:
            return [v for v in result.verdicts if v.name.startswith("steady state")]
        if self.name == PROBES:
            return [v for v in result.verdicts if v.name.startswith(("method probe ", "rollback probe "))]
        return [v for v in result.verdicts if v.name == self.name]

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str | Any:
        return _short(excinfo) or super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int, str]:
        if self.name == RUN:
            line = self.parent.where("method")
        elif self.name == STEADY_STATE:
            line = self.parent.where("steady_state")
        elif self.name == PROBES:
            line = self.parent.where("method")
        elif self.name == WORKLOAD:
            line = self.parent.where("workload")
        else:
            line = self.parent.where("expectations", self.name)
        return self.path, line, f"playbook {self.parent.playbook.name}: {self.name}"


class InvalidPlaybook(pytest.Item):
    """A playbook that does not validate: one failing item with every problem, file:line:col."""

    def __init__(self, *, problems: list[Problem], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.problems = problems

    def runtest(self) -> None:
        raise PlaybookFailed(
            f"{self.path.name} is not a valid playbook ({len(self.problems)} "
            "problem(s)):\n" + "\n".join(f"  {p}" for p in self.problems)
        )

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str | Any:
        return _short(excinfo) or super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int, str]:
        first = self.problems[0].where if self.problems else ""
        parts = first.rsplit(":", 2)
        line = int(parts[1]) - 1 if len(parts) == 3 and parts[1].isdigit() else 0
        return self.path, line, f"playbook {self.path.name}: invalid"
