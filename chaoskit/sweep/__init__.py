"""The sweep: find the dependencies a service really uses, break each with every fault class, draw the matrix.

    from chaoskit.sweep import Base, Sweep, SweepOptions, plan_sweep
    from chaoskit.world import World

    world = World.open("demo")
    options = SweepOptions.parse(service="orders", faults=["dns.nxdomain", "net.down"], duration="5s")
    plan = plan_sweep(options, world.topology, Base.for_service("orders", world.topology))
    matrix = Sweep(plan, world, "reports/sweep").execute()    # matrix.html, matrix.json, ...
    assert matrix.passed, matrix.why

`plan_sweep` checks everything (service, fault classes, thresholds, the generated
playbooks, the estimated time) before the world is touched. `Sweep` warms up with
the workload alone while the world records which names and proxies the service
uses (`chaoskit.discovery`), then runs one generated playbook per dependency x
fault class with `chaoskit.runner.Run`, confirming the baseline between cells.
See docs/sweep.md.
"""

from chaoskit.sweep._matrix import CellResult, Matrix
from chaoskit.sweep._plan import (
    DEFAULT_FAULTS,
    DEFAULT_THRESHOLDS,
    Base,
    Cell,
    Dependency,
    Plan,
    SweepOptions,
    candidate_dependencies,
    plan_sweep,
    read_thresholds,
)
from chaoskit.sweep._report import (
    render_matrix_html,
    render_matrix_junit,
    render_matrix_markdown,
    write_matrix,
)
from chaoskit.sweep._sweep import Sweep

__all__ = [
    "DEFAULT_FAULTS",
    "DEFAULT_THRESHOLDS",
    "Base",
    "Cell",
    "CellResult",
    "Dependency",
    "Matrix",
    "Plan",
    "Sweep",
    "SweepOptions",
    "candidate_dependencies",
    "plan_sweep",
    "read_thresholds",
    "render_matrix_html",
    "render_matrix_junit",
    "render_matrix_markdown",
    "write_matrix",
]
