"""What a test session holds: its worlds (brought up once or attached to) and its report folder.

Worlds belong to the session, not to one fixture, because playbook items use
them too. A world is brought up when first needed and taken down when the
session ends, only if this session started it and ``--chaoskit-keep`` is not
given; a world that was already running is never taken down.
"""

from __future__ import annotations

import os
import re
import statistics
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chaoskit.errors import UserError
from chaoskit.pytest_plugin._baseline import Baseline
from chaoskit.world import World


class WorldUnavailable(UserError):
    """The session's world could not be brought up (or attached to) earlier: not tried again."""


def base_name(config: pytest.Config) -> str | None:
    """The world name asked for (``--chaoskit-world``, else ``$CHAOSKIT_WORLD``), if any."""
    name = config.getoption("chaoskit_world") or os.environ.get("CHAOSKIT_WORLD")
    return str(name) if name else None


def world_name(config: pytest.Config) -> str:
    """The session's world name: one world per xdist worker, never shared between workers.

    ``--chaoskit-world plg`` gives ``plg`` (``plg-gw0``, ``plg-gw1``... under xdist);
    without a name, ``pytest-<pid>`` (``pytest-<run id>-gw0``...).
    """
    name = base_name(config)
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    if workerinput is None:
        return name or f"pytest-{os.getpid()}"
    worker = str(workerinput["workerid"])
    if name:
        return f"{name}-{worker}"
    return f"pytest-{str(workerinput.get('testrunuid', os.getppid()))[:6]}-{worker}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-") or "topology"


@dataclass
class Held:
    world: World
    started: bool


class ChaoskitSession:
    """The worlds, baselines and report folder of one pytest session (`config.stash`)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.name = world_name(config)
        topology = config.getoption("chaoskit_topology") or os.environ.get("CHAOSKIT_TOPOLOGY")
        self.topology = Path(topology) if topology else None
        self.images: str | None = config.getoption("chaoskit_images") or os.environ.get("CHAOSKIT_IMAGES")
        self.keep = bool(config.getoption("chaoskit_keep"))
        report = config.getoption("chaoskit_report")
        self._report_root = Path(report) if report else None
        self._held: dict[str, Held] = {}
        self._failed: dict[str, str] = {}
        self._baselines: dict[str, Baseline] = {}
        self._lock = threading.Lock()
        self.playbook_runs = 0
        self.summary: list[str] = []

    # --- worlds ---------------------------------------------------------------------
    def world(self, topology: Path | None = None) -> World:
        """The world for `topology` (None: the session's), up and running."""
        name, topo = self._which(topology)
        with self._lock:
            for held in self._held.values():
                if held.world.project in (name, f"chaoskit-{name}"):
                    return held.world
            if name in self._failed:
                raise WorldUnavailable(self._failed[name], hint="see the first test that needed it")
            try:
                world, started = self._attach_or_up(name, topo)
            except Exception as exc:
                self._failed[name] = f"world {name} could not be brought up: {type(exc).__name__}: {exc}"
                raise
            self._held[world.project] = Held(world, started)
            return world

    def _which(self, topology: Path | None) -> tuple[str, Path | None]:
        if topology is None or _same_file(topology, self.topology):
            return self.name, self.topology
        # A playbook on another topology gets a world of its own, named after both.
        return f"{self.name}-{_slug(topology.stem)}"[:50], topology

    def _attach_or_up(self, name: str, topology: Path | None) -> tuple[World, bool]:
        world = World.open(name, topology)
        if world.is_running():
            if not world.info():
                raise UserError(
                    f"world {world.project} is running, but its state is not in {world.dir}",
                    hint="set $CHAOSKIT_STATE (or HOME) as when it was brought up",
                )
            return world, False
        if world.containers():
            raise UserError(
                f"world {world.project} exists but not all of its containers are running",
                hint=f"`chaoskit reset --world {name}` restores it; "
                f"`chaoskit down --world {name}` removes it",
            )
        world.up(images=self.images)
        return world, True

    def baseline(self, world: World) -> Baseline:
        with self._lock:
            if world.project not in self._baselines:
                self._baselines[world.project] = Baseline(world)
            return self._baselines[world.project]

    def world_changed(self, world: World) -> None:
        """Something outside the `chaos` fixture (a playbook run) drove the world: check it again."""
        self.baseline(world).checked = False

    # --- reports --------------------------------------------------------------------
    @property
    def report_root(self) -> Path:
        if self._report_root is None:
            factory = getattr(self.config, "_tmp_path_factory", None)
            if factory is not None:
                self._report_root = Path(factory.mktemp("chaoskit-reports"))
            else:  # pragma: no cover - the tmp_path plugin disabled
                self._report_root = Path(tempfile.mkdtemp(prefix="chaoskit-reports-"))
        return self._report_root

    def report_dir(self, playbook: str) -> Path:
        """One folder per playbook; per worker too under xdist (each worker has its own world)."""
        workerinput: dict[str, Any] | None = getattr(self.config, "workerinput", None)
        suffix = f"-{workerinput['workerid']}" if workerinput else ""
        return self.report_root / f"{playbook}{suffix}"

    # --- the end --------------------------------------------------------------------
    def close(self) -> None:
        """Take down what this session started (unless kept); say what happened to each world."""
        lines = []
        for project, held in self._held.items():
            if not held.started:
                lines.append(f"world {project}: attached, left running")
            elif self.keep:
                lines.append(f"world {project}: started, left running (--chaoskit-keep)")
            else:
                try:
                    held.world.down()
                    lines.append(f"world {project}: started and taken down")
                except Exception as exc:
                    lines.append(
                        f"world {project}: could not be taken down: {exc} "
                        f"(run `chaoskit down --world {project.removeprefix('chaoskit-')}`)"
                    )
        for project, baseline in self._baselines.items():
            if baseline.timings:
                ms = sorted(t * 1000 for t in baseline.timings)
                p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
                lines.append(
                    f"world {project}: {len(ms)} resets by the chaos fixture, "
                    f"median {statistics.median(ms):.0f} ms, p95 {p95:.0f} ms"
                )
        if self.playbook_runs:
            lines.append(f"playbook reports: {self.report_root}")
        self._held.clear()
        self.summary = lines


def _same_file(a: Path, b: Path | None) -> bool:
    if b is None:
        return False
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


SESSION = pytest.StashKey[ChaoskitSession]()


def session_of(config: pytest.Config) -> ChaoskitSession:
    return config.stash[SESSION]
