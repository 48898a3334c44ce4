"""``chaoskit_sweep``: a sweep from a test, with the CLI's options; the matrix for assertions.

    def test_orders_blast_radius(chaoskit_sweep):
        matrix = chaoskit_sweep("orders", faults=["dns.nxdomain", "net.down"], duration="5s",
                                exits={"orders": {"exits": "none"}})
        assert matrix.cell("kv.us-east-1", "dns.nxdomain").status == "failed"

A thin adapter over `chaoskit.sweep`: the options are checked by `SweepOptions` and
`plan_sweep` (a `UserError` before anything is touched), the world is the session's
(the one of the workload playbook's topology when it has its own), the reports go
under ``--chaoskit-report`` (``sweep-<service>-<n>``), and the session confirms the
world's baseline again before the next `chaos` test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chaoskit.pytest_plugin._session import session_of
from chaoskit.sweep import Base, Matrix, Sweep, SweepOptions, plan_sweep
from chaoskit.topology import default_topology, load_topology

SweepFactory = Callable[..., Matrix]


@pytest.fixture
def chaoskit_sweep(request: pytest.FixtureRequest) -> Iterator[SweepFactory]:
    """``chaoskit_sweep(service, faults=[...], duration="5s", ...)`` runs a sweep and returns its `Matrix`.

    Keywords: those of `chaoskit.sweep.SweepOptions` (faults, dependencies, duration,
    steady, settle, warmup, max_time, parallel, thresholds, exits), plus `workload`
    (a playbook whose workload drives the service; relative to the test's folder),
    `topology` and `emit_playbooks` (a folder for the failing cells' playbooks).
    """
    session = session_of(request.config)
    count = 0

    def sweep(service: str, *, workload: str | Path | None = None, topology: str | Path | None = None,
              emit_playbooks: str | Path | None = None, **options: Any) -> Matrix:
        nonlocal count
        from chaoskit.playbook import load_playbook

        here = request.path.parent
        workload_path = here / workload if workload is not None else None
        topology_path = here / topology if topology is not None else None
        if workload_path is not None and topology_path is None:
            topology_path = load_playbook(workload_path).topology_path
        topo = load_topology(topology_path) if topology_path else default_topology()
        plan = plan_sweep(SweepOptions.parse(service=service, **options), topo,
                          Base.for_service(service, topo, workload_path, topology_path))
        world = session.world(topology_path)
        count += 1
        report = session.report_root / f"sweep-{service}-{count}-{request.node.name}"[:120]
        try:
            matrix = Sweep(plan, world, report, emit_dir=emit_playbooks).execute()
        finally:
            session.world_changed(world)
        request.node.user_properties.append(("chaoskit_sweep", str(report / "matrix.html")))
        return matrix

    yield sweep
