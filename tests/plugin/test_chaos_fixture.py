"""The `chaos` fixture on the real world: inner sessions attach to the outer session's world."""

from __future__ import annotations

import json

import pytest

from chaoskit.faults import Faults
from chaoskit.pytest_plugin._baseline import Baseline
from chaoskit.region import World
from chaoskit.toxiproxy import ProxySpec

pytestmark = pytest.mark.world


def assert_baseline(world: World) -> None:
    faults = Faults(world)
    assert faults.listing() == []
    assert Baseline(world).problems(faults) == []


def test_chaos_reverts_every_fault_and_confirms_the_baseline(
        pytester: pytest.Pytester, world: World, world_args: list[str]) -> None:
    pytester.makepyfile("""
        def test_applies_faults_and_leaves_them(chaos, chaoskit):
            topo = chaoskit.world.topology
            store = f"kv.{topo.primary}.{topo.domain}"
            chaos.inject({"fault": "dns.nodata", "target": store})
            chaos.inject({"fault": "net.latency", "target": "kv", "region": topo.primary,
                          "params": {"ms": 200}})
            assert chaoskit.resolve(store, topo.primary)["answers"] == []
            assert chaoskit.toxiproxy(topo.primary).list_toxics("kv")

        def test_changes_toxiproxy_behind_the_fixtures_back(chaos, chaoskit):
            from chaoskit.toxiproxy import Latency
            chaoskit.toxiproxy(chaoskit.regions[-1]).add_toxic("kv", Latency(latency=300), name="stray")
    """)
    result = pytester.runpytest_inprocess(*world_args, "-rA")
    result.assert_outcomes(passed=2, warnings=1)
    # The stray toxic was not applied through `chaos`: reset, and said so.
    result.stdout.fnmatch_lines(["*ChaoskitResetWarning*", "*proxies with toxics or disabled*['kv']*"])
    result.stdout.fnmatch_lines(["*world chaoskit-*: attached, left running"])
    assert world.is_running()
    assert_baseline(world)


def test_a_reset_that_cannot_be_confirmed_errors_the_test_loudly(
        pytester: pytest.Pytester, world: World, world_args: list[str]) -> None:
    # A deleted proxy is beyond a reset without restarts: it cannot be confirmed.
    primary = world.topology.primary
    pytester.makepyfile(f"""
        def test_deletes_the_store_proxy(chaos, chaoskit):
            chaoskit.toxiproxy({primary!r}).delete_proxy("kv")

        def test_after_it(chaos):
            pass
    """)
    try:
        result = pytester.runpytest_inprocess(*world_args)
    finally:
        rendered = json.loads((world.dir / "regions" / primary / "toxiproxy" / "toxiproxy.json").read_text())
        spec = next(ProxySpec(**p) for p in rendered if p["name"] == "kv")
        Faults(world).ctx.toxiproxy(primary).populate([spec])
        Faults(world).reset()
    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines([
        "*ERROR at teardown of test_deletes_the_store_proxy*",
        "chaoskit: the baseline of world chaoskit-* could not be restored after *::test_deletes_*.",
        "Off the baseline:",
        f"  - proxy kv of {primary} is missing",
        "The reset (no restarts) failed: BaselineNotReached:*proxy kv is missing*",
        "The chaos tests after this one will error until the baseline is back*chaoskit reset --world*",
        "*ERROR at setup of test_after_it*",
        "*could not be restored before *test_after_it*",
    ])
    result.stdout.no_fnmatch_line("*def chaos(*")  # the message, not the fixture's traceback
    assert_baseline(world)


def test_attaches_by_environment_variable_and_leaves_the_world_running(
        pytester: pytest.Pytester, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAOSKIT_STATE", str(world.dir.parent))
    monkeypatch.setenv("CHAOSKIT_WORLD", world.project.removeprefix("chaoskit-"))
    pytester.makepyfile("""
        def test_it(chaoskit_world):
            assert chaoskit_world.is_running()
            print("WORLD", chaoskit_world.project)
    """)
    result = pytester.runpytest_inprocess("-s", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*WORLD {world.project}", f"world {world.project}: attached, left running"])
    assert world.is_running()


def test_workload_and_exits_fixtures_undo_what_they_did(
        pytester: pytest.Pytester, world: World, world_args: list[str]) -> None:
    from chaoskit.region.exits import get_exits

    before = get_exits(world, "orders")
    pytester.makepyfile("""
        import time

        def test_it(chaoskit, chaoskit_exits, chaoskit_workload):
            chaoskit_exits("orders", "none")
            run = chaoskit_workload("kv", rate=50)
            time.sleep(1)
            assert run.history.ops
            history = run.stop()
            assert [o for o in history.ops if o.kind == "final-read"]
            chaoskit_workload("orders", rate=20)   # left running: stopped after the test
            verdicts = chaoskit.check(history, lost_writes=0, target="kv")
            assert verdicts.passed, verdicts
    """)
    pytester.runpytest_inprocess(*world_args).assert_outcomes(passed=1)
    assert get_exits(world, "orders") == before
