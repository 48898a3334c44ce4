"""Planning a sweep: every option checked by the shared rules before anything touches a world."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaoskit.errors import UserError
from chaoskit.playbook import load_playbook
from chaoskit.sweep import Base, Cell, Dependency, SweepOptions, plan_sweep, read_thresholds
from chaoskit.sweep._plan import CELL_OVERHEAD_S, WARMUP_OVERHEAD_S
from chaoskit.topology import default_topology, load_topology

ROOT = Path(__file__).resolve().parents[2]
CART = ROOT / "examples" / "cart"


def plan(**options: object):  # type: ignore[no-untyped-def]
    topo = default_topology()
    opts = SweepOptions.parse(**{"service": "orders", **options})
    return plan_sweep(opts, topo, Base.for_service(opts.service, topo))


def messages(exc: pytest.ExceptionInfo[UserError]) -> str:
    return "\n".join(str(p) for p in exc.value.problems)


def test_the_candidates_are_what_the_topology_lets_the_service_use() -> None:
    p = plan()
    assert [d.key for d in p.candidates] == ["kv.us-east-1", "kv.us-west-2"]
    assert p.candidates[0].name == "kv.us-east-1.chaoskit.internal"


def test_estimate_is_warmup_plus_waves_of_cells() -> None:
    p = plan(duration="4s", steady="2s", settle="4s", warmup="5s", parallel=2)
    cell = 2 + 4 + 4 + CELL_OVERHEAD_S
    assert p.cell_seconds == cell
    assert p.estimate(5) == 5 + WARMUP_OVERHEAD_S + 3 * cell  # 5 cells, 2 at a time: 3 waves


def test_a_sweep_longer_than_max_time_is_refused_before_anything() -> None:
    with pytest.raises(UserError) as exc:
        plan(duration="2m", max_time="5m")
    assert "--max-time" in messages(exc) and "more than --max-time 5 min" in messages(exc)


def test_unknown_service_says_did_you_mean() -> None:
    with pytest.raises(UserError) as exc:
        Base.for_service("ordrs", default_topology())
    assert "unknown service 'ordrs'" in messages(exc) and "did you mean 'orders'" in messages(exc)


def test_unknown_and_unfit_fault_classes_are_named() -> None:
    with pytest.raises(UserError) as exc:
        plan(faults=["dns.nxdomian", "container.pause", "net.down", "net.down"])
    text = messages(exc)
    assert "unknown fault class 'dns.nxdomian'" in text and "did you mean 'dns.nxdomain'" in text
    assert "'container.pause' does not break one dependency" in text
    assert "same fault class twice" in text


@pytest.mark.parametrize(("option", "value", "flag"), [
    ("duration", "0s", "--duration"), ("duration", "soon", "--duration"),
    ("parallel", 0, "--parallel"), ("service", "Orders!", "--service"),
])
def test_bad_values_name_their_flag(option: str, value: object, flag: str) -> None:
    with pytest.raises(UserError) as exc:
        SweepOptions.parse(**{"service": "orders", option: value})
    assert messages(exc).startswith(flag)


def test_thresholds_are_the_checks_own() -> None:
    with pytest.raises(UserError) as exc:
        plan(thresholds={"error_rate": "500%", "uptime": "1s"})
    text = messages(exc)
    assert "rate '500%' is not between 0% and 100%" in text
    assert "unknown expectation 'uptime'" in text


def test_dependencies_are_checked_against_the_topology() -> None:
    assert [d.key for d in plan(dependencies=["kv.us-west-2"]).candidates] == ["kv.us-west-2"]
    full = plan(dependencies=["kv.us-east-1.chaoskit.internal"])
    assert [d.key for d in full.candidates] == ["kv.us-east-1"]
    with pytest.raises(UserError) as exc:
        plan(dependencies=["kv.us-eats-1", "bad name"])
    text = messages(exc)
    assert "'kv.us-eats-1' is no dependency orders may use" in text and "did you mean 'kv.us-east-1'" in text
    assert "is not a DNS name" in text


def test_exits_are_checked_by_the_playbook_model() -> None:
    with pytest.raises(UserError) as exc:
        plan(exits={"orders": {"exits": ["teleport"]}})
    assert messages(exc).startswith("--set")


def test_a_service_without_operations_has_no_workload() -> None:
    topo = load_topology(CART / "topology.yaml")
    with pytest.raises(UserError) as exc:
        Base.for_service("cart", topo)
    assert "has no workload to drive it" in messages(exc) and "--workload" in messages(exc)


def test_a_workload_playbook_must_drive_the_service() -> None:
    topo = load_topology(CART / "topology.yaml")
    with pytest.raises(UserError) as exc:
        Base.for_service("cart", topo, CART / "cart-naive.yaml")
    assert "drives 'cart-naive', not 'cart'" in messages(exc)
    base = Base.for_service("cart", topo, CART / "cart-resilient.yaml", CART / "topology.yaml")
    assert base.workload["target"] == "cart" and "operations" in base.workload
    assert "duration" not in base.workload and "settle" not in base.workload


def test_a_class_target_is_refused() -> None:
    with pytest.raises(UserError) as exc:
        Base.for_service("kv", default_topology(), ROOT / "examples" / "kv-client" / "playbook.yaml")
    # kv is the store, not a service: the one service check says so first.
    assert "unknown service 'kv'" in messages(exc)


def test_each_cell_is_a_playbook_that_validates(tmp_path: Path) -> None:
    from chaoskit.sweep._plan import write_playbook

    p = plan(duration="3s", steady="2s", settle="4s", exits={"orders": {"exits": "none"}})
    for fault in ("dns.nxdomain", "net.latency"):
        cell = Cell(p.candidates[1], fault)
        path = write_playbook(p.cell_playbook(cell, tmp_path), tmp_path / f"{cell.slug}.yaml")
        playbook = load_playbook(path)
        assert playbook.judged_fault == "sweep"
        assert playbook.faults[0].fault == fault
        assert playbook.services["orders"].exits == "none"
        assert playbook.workload is not None and playbook.workload.duration == 9
        assert playbook.thresholds == {"error_rate": "5%", "rto": "10s"}
    dns = load_playbook(tmp_path / "kv-us-west-2-dns-nxdomain.yaml").faults[0]
    net = load_playbook(tmp_path / "kv-us-west-2-net-latency.yaml").faults[0]
    assert dns.target == "kv.us-west-2.chaoskit.internal" and dns.region is None
    assert (net.target, net.region) == ("kv", "us-west-2")


def test_a_cell_playbook_finds_its_topology_from_anywhere(tmp_path: Path) -> None:
    from chaoskit.sweep._plan import write_playbook

    topo = load_topology(CART / "topology.yaml")
    opts = SweepOptions.parse(service="cart", duration="3s")
    p = plan_sweep(opts, topo, Base.for_service("cart", topo, CART / "cart-resilient.yaml",
                                                CART / "topology.yaml"))
    folder = tmp_path / "deep" / "er"
    path = write_playbook(p.cell_playbook(Cell(p.candidates[0], "net.down"), folder), folder / "x.yaml")
    assert load_playbook(path).topology_path.resolve() == (CART / "topology.yaml").resolve()  # type: ignore[union-attr]


def test_cells_the_registry_refuses_are_not_applicable() -> None:
    p = plan(faults=["dns.nxdomain", "net.down"])
    stranger = Dependency("auth", "us-east-1", "chaoskit.internal")  # no such endpoint here
    run, refused = p.cells([p.candidates[0], stranger])
    assert [c.id for c in run] == ["kv.us-east-1/dns.nxdomain", "kv.us-east-1/net.down"]
    assert [c.id for c, _ in refused] == ["auth.us-east-1/dns.nxdomain", "auth.us-east-1/net.down"]


def test_long_cell_names_stay_labels() -> None:
    dep = Dependency("a" * 40, "us-east-1", "chaoskit.internal")
    slug = Cell(dep, "net.slow-close").slug
    assert len(slug) <= 50 and slug != Cell(dep, "net.slow-close-x").slug


def test_thresholds_file_problems_are_located(tmp_path: Path) -> None:
    good = tmp_path / "ok.yaml"
    good.write_text("error_rate: 2%\nrto: 5s\nlost_writes: 0\n")
    assert read_thresholds(good) == {"error_rate": "2%", "rto": "5s", "lost_writes": 0}
    bad = tmp_path / "bad.yaml"
    bad.write_text("error_rate: 2%\nrto: soon\nuptime: 1\n")
    with pytest.raises(UserError) as exc:
        read_thresholds(bad)
    text = messages(exc)
    assert f"{bad}:2:" in text and f"{bad}:3:" in text and "unknown expectation 'uptime'" in text
    empty = tmp_path / "empty.yaml"
    empty.write_text("[]\n")
    with pytest.raises(UserError):
        read_thresholds(empty)


def test_a_settle_too_short_to_see_a_recovery_is_refused() -> None:
    with pytest.raises(UserError) as exc:
        plan(settle="3s")
    assert "--settle 3s is too short to judge rto" in messages(exc)
    assert plan(settle="3s", thresholds={"error_rate": "5%"}).options.settle == 3


def test_parallel_waves_hold_only_cells_that_break_different_things(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from chaoskit.sweep import Sweep

    p = plan(faults=["dns.nxdomain", "net.down"], parallel=4)
    cells, _ = p.cells(p.candidates)
    sweep = Sweep(p, SimpleNamespace(project="chaoskit-x"), tmp_path)  # type: ignore[arg-type]
    wave = sweep._wave(cells)
    # kv.us-east-1 and kv.us-west-2 are independent; two faults on one of them are not.
    assert [c.id for c in wave] == ["kv.us-east-1/dns.nxdomain", "kv.us-west-2/dns.nxdomain"]
    one = Sweep(plan(faults=["dns.nxdomain", "net.down"]), SimpleNamespace(project="chaoskit-x"),  # type: ignore[arg-type]
                tmp_path)
    assert [c.id for c in one._wave(cells)] == ["kv.us-east-1/dns.nxdomain"]
