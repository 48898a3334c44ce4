"""`chaoskit sweep` against the real world: the reference service naive (its store cells red) and
with its exits (green), dependencies found in the real query logs, emitted playbooks that
validate and reproduce the failing cell, and Ctrl-C that reverts and writes a partial matrix.

Short on purpose: 2 dependencies x 2 fault classes, faults of a few seconds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import dns.message
import dns.query
import dns.rcode
import pytest

from chaoskit.world import World

pytestmark = pytest.mark.world

FAULTS = "dns.nxdomain,net.down"
SHORT = ["--duration", "4s", "--steady", "2s", "--settle", "4s", "--warmup", "3s"]
EXITS = ["failover", "retries", "breaker", "stale-cache", "write-queue"]


def chaoskit(*args: str, timeout: float = 400) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "chaoskit", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "COLUMNS": "200"})
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def name_of(world: World) -> str:
    return world.project.removeprefix("chaoskit-")


@pytest.fixture(scope="module")
def naive(world: World, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("naive")
    proc = chaoskit("sweep", "orders", "--world", name_of(world), "--faults", FAULTS, *SHORT,
                    "--set", "orders.exits=none", "--report", str(out / "report"),
                    "--emit-playbooks", str(out / "found"))
    matrix = json.loads((out / "report" / "matrix.json").read_text())
    return {"code": proc.returncode, "out": proc.stdout + proc.stderr, "matrix": matrix, "dir": out}


def test_the_naive_service_s_store_cells_are_red(naive: dict[str, Any]) -> None:
    m = naive["matrix"]
    assert naive["code"] == 1, naive["out"]
    assert m["outcome"] == "failed" and not m["partial"]
    # Found from the real query logs and proxies during the warm-up, not assumed from the topology.
    assert m["dependencies"] == ["kv.us-east-1", "kv.us-west-2"]
    asked = {n["name"] for n in m["warmup"]["discovery"]["names"]}
    assert {"kv.us-east-1.chaoskit.internal", "kv.us-west-2.chaoskit.internal"} <= asked
    cells = {(c["dependency"], c["fault"]): c for c in m["cells"]}
    assert len(cells) == 4
    for (dep, fault), c in cells.items():
        assert c["status"] == "failed", (dep, fault, c["reason"])
        assert c["error_rate"] is not None and c["error_rate"] > 5, c
        assert c["baseline"] == "baseline confirmed", c["baseline"]
    # The primary's cells: writes from every region fail while it is broken, so the service is
    # not back before the fault's 4 s are over (or, on a loaded machine, not seen back in time).
    primary = cells[("kv.us-east-1", "dns.nxdomain")]
    assert primary["error_rate"] > 30
    assert "rto" in {v["name"] for v in primary["verdicts"]}
    assert primary["rto"] is None or primary["rto"] >= 3


def test_each_cell_links_to_its_own_run_report(naive: dict[str, Any]) -> None:
    report = naive["dir"] / "report"
    html = (report / "matrix.html").read_text()
    for c in naive["matrix"]["cells"]:
        target = report / c["report"] / "report.html"
        assert target.is_file() and f'href="{c["report"]}/report.html"' in html
        journal = json.loads((report / c["report"] / "journal.json").read_text())
        assert journal["outcome"] == c["status"]
    junit = (report / "junit.xml").read_text()
    assert junit.count("<testcase ") == 4 and junit.count("<failure ") == 4
    assert "| `kv.us-east-1` |" in (report / "summary.md").read_text()


def test_emitted_playbooks_validate_and_reproduce_the_failure(naive: dict[str, Any], world: World) -> None:
    found = naive["dir"] / "found"
    files = sorted(found.glob("*.yaml"))
    assert len(files) == 4
    assert chaoskit("validate", str(found)).returncode == 0
    one = found / "sweep-orders-kv-us-east-1-dns-nxdomain.yaml"
    proc = chaoskit("run", str(one), "--world", name_of(world), "--json", "--report",
                    str(naive["dir"] / "again"))
    result = json.loads(proc.stdout)
    assert proc.returncode == 1 and result["outcome"] == "failed", result
    assert not next(v for v in result["verdicts"] if v["name"] == "error_rate")["passed"]


def test_the_resilient_service_s_cells_are_green(chaoskit_sweep: Any) -> None:
    matrix = chaoskit_sweep("orders", faults=FAULTS.split(","), duration="4s", steady="2s", settle="4s",
                            warmup="3s", exits={"orders": {"exits": EXITS}})
    assert matrix.dependencies == ["kv.us-east-1", "kv.us-west-2"]
    assert [c.status for c in matrix.cells] == ["passed"] * 4, [(c.id, c.reason) for c in matrix.cells]
    assert matrix.passed, matrix.why


def _baseline_seen_by_outsiders(world: World) -> list[str]:
    """What dnspython and Toxiproxy's own HTTP API say is off the baseline (no chaoskit code)."""
    off = []
    for region in world.topology.regions:
        addr = world.dns_address(region)
        query = dns.message.make_query("kv.us-east-1.chaoskit.internal", "A")
        answer = dns.query.udp(query, str(addr.host), port=int(addr.port), timeout=2)
        if answer.rcode() != dns.rcode.NOERROR or not answer.answer:
            off.append(f"{region}: kv.us-east-1 answers {dns.rcode.to_text(answer.rcode())}")
        with urllib.request.urlopen(world.toxiproxy_url(region) + "/proxies", timeout=5) as r:
            for name, proxy in json.load(r).items():
                if not proxy["enabled"] or proxy["toxics"]:
                    off.append(f"{region}: proxy {name} enabled={proxy['enabled']} toxics={proxy['toxics']}")
    return off


def test_ctrl_c_reverts_and_writes_a_partial_matrix(world: World, tmp_path: Path) -> None:
    report = tmp_path / "report"
    proc = subprocess.Popen(
        [sys.executable, "-m", "chaoskit", "sweep", "orders", "--world", name_of(world), "--faults",
         "net.down", "--duration", "60s", "--steady", "1s", "--warmup", "3s", "--max-time", "10m",
         "--report", str(report)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "COLUMNS": "200"})
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not _baseline_seen_by_outsiders(world):
            time.sleep(0.5)  # until the first cell's proxy is down, as a plain HTTP client sees it
        assert _baseline_seen_by_outsiders(world), "the first cell never broke anything"
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, out
    assert "Traceback" not in out
    assert _baseline_seen_by_outsiders(world) == []
    matrix = json.loads((report / "matrix.json").read_text())
    assert matrix["partial"] and matrix["outcome"] == "partial" and "interrupted" in matrix["why"]
    statuses = {c["id"] if "id" in c else c["dependency"]: c["status"] for c in matrix["cells"]}
    assert "aborted" in statuses.values() and "not-run" in statuses.values(), statuses
    assert (report / "matrix.html").is_file() and (report / "junit.xml").is_file()
