"""The `chaoskit_sweep` marker: one item per cell, planned (and checked) at collection, no world."""

from __future__ import annotations

import pytest


def test_a_marked_test_is_one_item_per_cell(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest

        @pytest.mark.chaoskit_sweep("orders", faults=["dns.nxdomain", "net.down"], duration="4s")
        def test_cell(chaoskit_cell):
            assert chaoskit_cell.status == "passed", chaoskit_cell.reason
    """)
    result = pytester.runpytest("--collect-only", "-q", "-p", "no:cacheprovider")
    result.assert_outcomes()
    ids = [line for line in result.outlines if "::" in line]
    assert ids == [
        "test_a_marked_test_is_one_item_per_cell.py::test_cell[kv.us-east-1/dns.nxdomain]",
        "test_a_marked_test_is_one_item_per_cell.py::test_cell[kv.us-east-1/net.down]",
        "test_a_marked_test_is_one_item_per_cell.py::test_cell[kv.us-west-2/dns.nxdomain]",
        "test_a_marked_test_is_one_item_per_cell.py::test_cell[kv.us-west-2/net.down]",
    ]
    markers = pytester.runpytest("--markers").stdout.str()
    assert "chaoskit_sweep(service, **options)" in markers


def test_a_marker_with_bad_options_is_a_collection_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest

        @pytest.mark.chaoskit_sweep("orders", faults=["dns.nxdomian"])
        def test_cell(chaoskit_cell):
            pass
    """)
    result = pytester.runpytest("--collect-only", "-q", "-p", "no:cacheprovider")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*unknown fault class 'dns.nxdomian'*did you mean 'dns.nxdomain'*"])


@pytest.mark.world
def test_marked_cells_run_one_sweep_on_the_world(pytester: pytest.Pytester, world_args: list[str]) -> None:
    pytester.makepyfile("""
        import pytest

        EXITS = ["failover", "retries", "breaker", "stale-cache", "write-queue"]

        @pytest.mark.chaoskit_sweep("orders", faults=["net.down"], duration="3s", steady="2s",
                                    settle="4s", warmup="3s", exits={"orders": {"exits": EXITS}})
        def test_resilient(chaoskit_cell):
            assert chaoskit_cell.status == "passed", chaoskit_cell.reason

        @pytest.mark.chaoskit_sweep("orders", faults=["net.down"], duration="3s", steady="2s",
                                    settle="4s", warmup="3s", exits={"orders": {"exits": "none"}})
        def test_naive(chaoskit_cell):
            assert chaoskit_cell.status == "passed", chaoskit_cell.reason
    """)
    result = pytester.runpytest(*world_args, "-v", "--chaoskit-report", str(pytester.path / "reports"))
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(["*test_resilient?kv.us-east-1/net.down? PASSED*",
                                 "*test_resilient?kv.us-west-2/net.down? PASSED*",
                                 "*test_naive?kv.us-east-1/net.down? FAILED*",
                                 "*test_naive?kv.us-west-2/net.down? FAILED*"])
    # One sweep per marked test, not one per item.
    assert len(list((pytester.path / "reports").glob("sweep-orders-*/matrix.html"))) == 2
