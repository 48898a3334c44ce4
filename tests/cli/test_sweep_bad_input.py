"""`chaoskit sweep` with bad input: one clear message, exit 2, nothing touched (no engine, no world)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CART = ROOT / "examples" / "cart"


@pytest.fixture
def sweep(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path):  # type: ignore[no-untyped-def]
    """`chaoskit sweep ARGS` in this process, with no reachable engine and an empty state folder:
    an answer that got as far as the engine or the world would say so instead."""
    from chaoskit.cli import main
    from chaoskit.engine import docker_client

    state = tmp_path / "state"
    monkeypatch.setenv("COLUMNS", "1000")
    monkeypatch.setenv("CHAOSKIT_STATE", str(state))
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> tuple[int, str]:
        docker_client.cache_clear()
        code = main(["sweep", *args])
        docker_client.cache_clear()
        captured = capsys.readouterr()
        out = " ".join((captured.err + captured.out).split())
        assert "Traceback" not in out
        assert not state.exists() or not any(state.iterdir()), "a world was touched"
        assert not (tmp_path / "reports").exists()
        return code, out

    return run


def test_unknown_service_did_you_mean(sweep) -> None:  # type: ignore[no-untyped-def]
    code, out = sweep("ordrs")
    assert code == 2 and out == "error: SERVICE: unknown service 'ordrs'; did you mean 'orders'?"


def test_unknown_fault_class(sweep) -> None:  # type: ignore[no-untyped-def]
    code, out = sweep("orders", "--faults", "dns.nxdomain,net.latnecy")
    assert code == 2
    assert out == "error: --faults: unknown fault class 'net.latnecy' (did you mean 'net.latency'?)"


def test_a_fault_class_that_breaks_no_dependency(sweep) -> None:  # type: ignore[no-untyped-def]
    code, out = sweep("orders", "--faults", "region.outage")
    assert code == 2 and "'region.outage' does not break one dependency" in out


def test_a_service_with_no_workload(sweep) -> None:  # type: ignore[no-untyped-def]
    code, out = sweep("cart", "--topology", str(CART / "topology.yaml"))
    assert code == 2 and "service 'cart' has no workload to drive it" in out and "--workload" in out


def test_a_workload_for_another_service(sweep) -> None:  # type: ignore[no-untyped-def]
    code, out = sweep("cart", "--workload", str(CART / "cart-naive.yaml"))
    assert code == 2 and "drives 'cart-naive', not 'cart'" in out


def test_longer_than_max_time(sweep) -> None:  # type: ignore[no-untyped-def]
    code, out = sweep("orders", "--duration", "1m", "--max-time", "3m")
    assert code == 2 and "--max-time" in out and "more than --max-time 3 min 00 s" in out


@pytest.mark.parametrize(("args", "said"), [
    (("--duration", "soon"), "--duration: "),
    (("--parallel", "0"), "--parallel: "),
    (("--max-error-rate", "150%"), "--thresholds error_rate: rate '150%' is not between"),
    (("--max-rto", "never"), "--thresholds rto: "),
    (("--dependencies", "kv.us-east-9"), "--dependencies: 'kv.us-east-9' is no dependency"),
    (("--set", "orders.exits=teleport"), "unknown exits ['teleport']"),
    (("--thresholds", "missing.yaml"), "missing.yaml"),
    (("--thresholds", "t.yaml", "--max-rto", "5s"), "not both"),
])
def test_bad_values(sweep, args: tuple[str, ...], said: str) -> None:  # type: ignore[no-untyped-def]
    code, out = sweep("orders", *args)
    assert code == 2 and said in out, out


def test_a_thresholds_file_is_read_with_places(sweep, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "t.yaml"
    bad.write_text("error_rate: 5%\nuptime: 10s\n")
    code, out = sweep("orders", "--thresholds", str(bad))
    assert code == 2 and f"{bad}:2:" in out and "unknown expectation 'uptime'" in out
