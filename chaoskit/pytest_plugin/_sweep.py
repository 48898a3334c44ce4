"""Sweeps in pytest: the ``chaoskit_sweep`` fixture (the matrix, for assertions) and the
``chaoskit_sweep`` marker (one test item per cell).

    def test_orders_blast_radius(chaoskit_sweep):
        matrix = chaoskit_sweep("orders", faults=["dns.nxdomain", "net.down"], duration="5s",
                                exits={"orders": {"exits": "none"}})
        assert matrix.cell("kv.us-east-1", "dns.nxdomain").status == "failed"

    @pytest.mark.chaoskit_sweep("orders", faults=["dns.nxdomain", "net.down"], duration="5s")
    def test_cell(chaoskit_cell):          # one item per dependency x fault class
        assert chaoskit_cell.status == "passed", chaoskit_cell.reason

A thin adapter over `chaoskit.sweep`: the options are checked by `SweepOptions` and
`plan_sweep` (a `UserError` before anything is touched), the world is the session's
(the one of the workload playbook's topology when it has its own), the reports go
under ``--chaoskit-report`` (``sweep-<service>-<n>-<test>``), and the session confirms the
world's baseline again before the next `chaos` test. A marked test's sweep runs once,
when its first item runs; every item then reports its own cell.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chaoskit.pytest_plugin._session import session_of
from chaoskit.sweep import Base, CellResult, Matrix, Plan, Sweep, SweepOptions, plan_sweep
from chaoskit.topology import default_topology, load_topology

SweepFactory = Callable[..., Matrix]
MARKER = "chaoskit_sweep"
_MATRICES = pytest.StashKey[dict[str, Matrix]]()
_COUNT = pytest.StashKey[list[int]]()


def _plan(here: Path, service: str, workload: str | Path | None, topology: str | Path | None,
          options: dict[str, Any]) -> tuple[Plan, Path | None]:
    from chaoskit.playbook import load_playbook

    workload_path = here / workload if workload is not None else None
    topology_path = here / topology if topology is not None else None
    if workload_path is not None and topology_path is None:
        topology_path = load_playbook(workload_path).topology_path
    topo = load_topology(topology_path) if topology_path else default_topology()
    plan = plan_sweep(SweepOptions.parse(service=service, **options), topo,
                      Base.for_service(service, topo, workload_path, topology_path))
    return plan, topology_path


def _run(config: pytest.Config, here: Path, test: str, service: str, *,
         workload: str | Path | None = None, topology: str | Path | None = None,
         emit_playbooks: str | Path | None = None, **options: Any) -> tuple[Matrix, Path]:
    plan, topology_path = _plan(here, service, workload, topology, options)
    session = session_of(config)
    world = session.world(topology_path)
    count = config.stash.setdefault(_COUNT, [0])
    count[0] += 1
    report = session.report_root / f"sweep-{service}-{count[0]}-{test}"[:120]
    try:
        matrix = Sweep(plan, world, report, emit_dir=emit_playbooks).execute()
    finally:
        session.world_changed(world)
    return matrix, report


@pytest.fixture
def chaoskit_sweep(request: pytest.FixtureRequest) -> Iterator[SweepFactory]:
    """``chaoskit_sweep(service, faults=[...], duration="5s", ...)`` runs a sweep and returns its `Matrix`.

    Keywords: those of `chaoskit.sweep.SweepOptions` (faults, dependencies, duration,
    steady, settle, warmup, max_time, parallel, thresholds, exits), plus `workload`
    (a playbook whose workload drives the service; relative to the test's folder),
    `topology` and `emit_playbooks` (a folder for the failing cells' playbooks).
    """

    def sweep(service: str, **options: Any) -> Matrix:
        matrix, report = _run(request.config, request.path.parent, request.node.name, service, **options)
        request.node.user_properties.append(("chaoskit_sweep", str(report / "matrix.html")))
        return matrix

    yield sweep


def generate_cells(metafunc: pytest.Metafunc) -> None:
    """A test marked ``chaoskit_sweep(...)`` that takes ``chaoskit_cell``: one item per cell."""
    marker = metafunc.definition.get_closest_marker(MARKER)
    if marker is None or "chaoskit_cell" not in metafunc.fixturenames:
        return
    if len(marker.args) != 1 or not isinstance(marker.args[0], str):
        raise pytest.UsageError(f"{metafunc.definition.nodeid}: @pytest.mark.{MARKER}(SERVICE, **options)")
    kw = dict(marker.kwargs)
    plan, _ = _plan(metafunc.definition.path.parent, marker.args[0], kw.pop("workload", None),
                    kw.pop("topology", None), {k: v for k, v in kw.items() if k != "emit_playbooks"})
    ids = [f"{d.key}/{f}" for d in plan.candidates for f in plan.options.faults]
    metafunc.parametrize("chaoskit_cell", ids, indirect=True, ids=ids)


@pytest.fixture
def chaoskit_cell(request: pytest.FixtureRequest) -> CellResult:
    """The cell of the marked test's sweep this item stands for (the sweep runs once per test)."""
    marker = request.node.get_closest_marker(MARKER)
    if marker is None or not hasattr(request, "param"):
        raise pytest.UsageError(f"`chaoskit_cell` goes with @pytest.mark.{MARKER}(SERVICE, **options)")
    key = request.node.originalname + json.dumps([marker.args, marker.kwargs], sort_keys=True, default=str)
    matrices = request.config.stash.setdefault(_MATRICES, {})
    if key not in matrices:
        matrices[key], _ = _run(request.config, request.path.parent, request.node.originalname,
                                marker.args[0], **marker.kwargs)
    matrix = matrices[key]
    dependency, _, fault = str(request.param).partition("/")
    cell = matrix.cell(dependency, fault)
    if cell is None:
        why = matrix.why or f"the service was not seen using {dependency} during the warm-up"
        pytest.fail(f"{request.param}: not judged: {why}", pytrace=False)
    return cell
