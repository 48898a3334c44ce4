"""The matrix and its files, from plain data: when it passes, and what each file shows."""

from __future__ import annotations

import json
import re
from pathlib import Path

from chaoskit.sweep import (
    CellResult,
    Matrix,
    render_matrix_html,
    render_matrix_junit,
    render_matrix_markdown,
    write_matrix,
)
from tests.reports.junit_schema import validate

FAULTS = ["dns.nxdomain", "net.down"]


def matrix(**changes: object) -> Matrix:
    cells = [
        CellResult("kv.us-east-1", "kv.us-east-1.chaoskit.internal", "dns.nxdomain", "failed", 100.0, None,
                   [{"name": "error_rate", "expected": "≤ 5 %", "measured_text": "100 %", "passed": False,
                     "detail": "fault sweep"}], "error_rate: measured 100 %, expected ≤ 5 %",
                   report="cells/kv-us-east-1-dns-nxdomain/report",
                   playbook="cells/kv-us-east-1-dns-nxdomain/playbook.yaml", seconds=12.5),
        CellResult("kv.us-east-1", "kv.us-east-1.chaoskit.internal", "net.down", "passed", 0.0, 0.0,
                   report="cells/kv-us-east-1-net-down/report",
                   playbook="cells/kv-us-east-1-net-down/playbook.yaml", seconds=11.0),
        CellResult("kv.us-west-2", "kv.us-west-2.chaoskit.internal", "dns.nxdomain", "passed", 1.5, 0.4,
                   report="cells/kv-us-west-2-dns-nxdomain/report", playbook="x.yaml", seconds=11.0),
        CellResult("kv.us-west-2", "kv.us-west-2.chaoskit.internal", "net.down", "not-applicable",
                   reason="the registry said no"),
    ]
    m = Matrix(service="orders", world="chaoskit-test", faults=FAULTS,
               dependencies=["kv.us-east-1", "kv.us-west-2"], cells=cells,
               thresholds={"error_rate": "5%", "rto": "10s"},
               seen=[{"name": "kv.global.chaoskit.internal", "why": "a world-wide name"}])
    for k, v in changes.items():
        setattr(m, k, v)
    return m


def test_a_matrix_passes_only_on_evidence() -> None:
    assert not matrix().passed and matrix().outcome == "failed"
    assert "1 of 3 cells failed: kv.us-east-1/dns.nxdomain" in matrix().why
    green = matrix()
    green.cells[0].status = "passed"
    assert green.passed and green.why == ""
    assert not Matrix(service="orders", world="w", faults=FAULTS, dependencies=[]).passed
    assert "nothing was judged" in Matrix(service="orders", world="w", faults=FAULTS, dependencies=[]).why
    green.partial, green.reason = True, "interrupted (Ctrl-C)"
    assert not green.passed and green.outcome == "partial" and green.why == "interrupted (Ctrl-C)"


def test_a_not_run_cell_fails_the_matrix() -> None:
    m = matrix()
    m.cells[0].status = "not-run"
    assert not m.passed


def test_json_round_trips() -> None:
    m = matrix()
    data = json.loads(json.dumps(m.to_dict()))
    assert data["outcome"] == "failed" and data["passed"] is False and data["format"] == 1
    again = Matrix.from_dict(data)
    assert again.to_dict() == m.to_dict()


def test_html_is_a_heatmap_linking_each_cell_to_its_timeline() -> None:
    html = render_matrix_html(matrix())
    assert 'href="cells/kv-us-east-1-dns-nxdomain/report/report.html"' in html
    assert 'href="cells/kv-us-west-2-dns-nxdomain/report/report.html"' in html
    assert html.count('class="cell failed"') == 1 and html.count('class="cell passed"') == 2
    assert 'class="cell not-applicable"' in html
    assert "100 %" in html and "400 ms" in html and "kv.global.chaoskit.internal" in html
    assert "--good-bg" in html  # the run report's own stylesheet


def test_html_is_self_contained() -> None:
    html = render_matrix_html(matrix())
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "@import" not in html and "<script src" not in html
    assert "http://" not in html and "https://" not in html


def test_html_escapes_what_it_shows() -> None:
    m = matrix()
    m.cells[0].reason = "<script>alert(1)</script>"
    assert "<script>alert" not in render_matrix_html(m)


def test_junit_is_one_case_per_cell_and_valid() -> None:
    xml = render_matrix_junit(matrix())
    assert validate(xml) == []
    assert xml.count("<testcase ") == 3  # not-applicable cells are no tests
    assert 'name="kv.us-east-1/dns.nxdomain"' in xml and xml.count("<failure ") == 1
    empty = render_matrix_junit(Matrix(service="orders", world="w", faults=FAULTS, dependencies=[],
                                       reason="no dependency seen"))
    assert validate(empty) == [] and "<error " in empty and "no dependency seen" in empty


def test_markdown_is_a_table() -> None:
    md = render_matrix_markdown(matrix())
    assert md.startswith("## chaoskit sweep: orders — FAILED")
    assert "| `kv.us-east-1` | ❌ 100 % · — | ✅ 0 % · 0 s |" in md
    assert "| `kv.us-west-2` | ✅ 1.5 % · 400 ms | n/a |" in md


def test_write_matrix_writes_four_files(tmp_path: Path) -> None:
    paths = write_matrix(matrix(), tmp_path / "out")
    assert sorted(p.name for p in paths.values()) == ["junit.xml", "matrix.html", "matrix.json", "summary.md"]
    assert json.loads(paths["json"].read_text())["service"] == "orders"
