"""The live state: each region's health, steps, notes and the chart's data, from a run's events."""

from __future__ import annotations

from chaoskit.gameday import LiveState, region_health, status_block
from chaoskit.history import Op
from chaoskit.runner import Run

FAULT = {"id": "kv-nx", "fault": "dns.nxdomain", "describe": "dns.nxdomain kv", "since": 3.0}


def op(i: int, region: str, t: float, outcome: str = "ok") -> Op:
    return Op(i, f"{region}/w0", "read", "kv", t, t + 0.01, outcome)  # type: ignore[arg-type]


def test_a_region_is_judged_by_its_clients_recent_ops() -> None:
    ops = [op(i, "a", 9 + i / 10, "fail" if i % 2 else "ok") for i in range(10)]
    ops += [op(100 + i, "b", 9 + i / 10) for i in range(10)]
    ops += [op(200 + i, "b", 1.0, "fail") for i in range(10)]  # long ago: not counted
    a, b, c = region_health(ops, 10.0, ["a", "b", "c"])
    assert (a["status"], a["success"], a["ops"]) == ("degraded", 0.5, 10)
    assert "50% of ops ok" in a["why"]
    assert (b["status"], b["success"], b["p50_ms"]) == ("healthy", 1.0, 10.0)
    assert (c["status"], c["success"], c["ops"]) == ("unknown", None, 0)


def test_containers_make_a_region_degraded_or_down() -> None:
    boxes = {"a": {"running": 0, "total": 5, "stopped": ["kv-a"], "unhealthy": []},
             "b": {"running": 5, "total": 5, "stopped": [], "unhealthy": ["orders-b"]}}
    a, b = region_health([op(1, "a", 9.5, "fail")], 10.0, ["a", "b"], boxes)
    assert a["status"] == "down" and "no container running" in a["why"]
    assert b["status"] == "degraded" and b["why"] == "orders-b unhealthy"


def test_the_state_follows_the_runs_events(run: Run) -> None:
    live = LiveState(run, containers=lambda: {"us-east-1": {"running": 5, "total": 5, "stopped": [],
                                                            "unhealthy": []}})
    run.listeners.append(live.on_event)
    run.emit("run", state="started", playbook="gd-small", world="chaoskit-offline")
    run.emit("method", state="started")
    run.emit("decision", step=0, describe="note", decision="go")
    run.emit("step", index=0, describe="note: the store's name disappears at 2 s")
    run.note("the store's name disappears at 2 s", who="playbook")
    run.emit("decision", step=1, describe="inject", decision="go")
    run.emit("step", index=1, describe="inject dns.nxdomain")
    run.active["kv-nx"] = dict(FAULT)
    run.emit("fault", state="applied", id="kv-nx", fault="dns.nxdomain", describe="dns.nxdomain kv")
    run.emit("probe", phase="method", probe="dns kv", ok=False, detail="NXDOMAIN", elapsed=0.01)
    run.note("on-call paged")
    run.emit("decision", step=3, describe="probe", decision="skip")
    state = live.state()
    assert state["phase"] == "method" and state["method_start"] is not None
    assert [s["state"] for s in state["steps"]] == ["done", "running", "pending", "skipped"]
    assert [n["text"] for n in state["notes"]] == ["the store's name disappears at 2 s", "on-call paged"]
    assert state["notes"][1]["by"] == "facilitator"
    assert state["probes"][0]["ok"] is False and state["probes"][0]["probe"] == "dns kv"
    assert state["active_faults"][0]["id"] == "kv-nx"
    east, west = state["regions"]
    assert east["status"] == "degraded" and east["containers"]["total"] == 5  # half failed in 3 s-6 s
    assert west["status"] == "healthy"
    chart = state["chart"]
    assert chart["series"] and chart["end"] >= 6.0
    assert [n["text"] for n in chart["notes"]] == ["the store's name disappears at 2 s", "on-call paged"]
    assert chart["faults"][0]["id"] == "kv-nx" and chart["faults"][0]["end"] is None
    assert any(line["text"].startswith("fault kv-nx applied") for line in state["journal"])
    assert state["done"] is False and state["prompt"] is None
    live.finish("passed", report="/tmp/r/report.html")
    final = live.state()
    assert final["done"] and final["phase"] == "finished" and final["outcome"] == "passed"
    assert final["seq"] > state["seq"]


def test_the_terminal_status_block_is_compact(run: Run) -> None:
    live = LiveState(run)
    run.active["kv-nx"] = dict(FAULT)
    block = status_block(live.state())
    lines = block.splitlines()
    assert len(lines) == 5
    assert "ops 120" in lines[1] and "success (3 s)" in lines[1]
    assert "fault kv-nx: dns.nxdomain kv (since 3.0s)" in block
    assert lines[3].split()[:2] == ["us-east-1", "degraded"] and lines[4].startswith("  us-west-2")
