from __future__ import annotations

from chaoskit.history import History
from chaoskit.reports import RunReport, render_markdown

from .sample import outage_report


def test_the_summary_has_the_expectations_table() -> None:
    md = render_markdown(outage_report())
    lines = md.splitlines()
    assert lines[0] == "## ❌ Region A goes dark: failed"
    assert "| Expectation | Expected | Measured | Result | Detail |" in lines
    assert "| `rto` | ≤ 10 s | 4.3 s | ✅ pass | fault outage-a |" in lines
    assert (
        "| `lost_writes` | ≤ 0 writes | 2 writes | ❌ fail "
        "| 2 of 367 acknowledged writes missing from the final read: o291, o297 |"
    ) in lines
    assert "2 of 6 expectations met" in md


def test_fault_windows_headlines_and_notes() -> None:
    md = render_markdown(outage_report())
    assert (
        "| `outage-a` | region.outage | 15.00 s | 40.00 s | 3 ms | 4.3 s | 600 ms | 17.2 % | 210 ms |"
    ) in md
    assert "| Lost writes | **2** | of 367 acknowledged |" in md
    # Raw HTML in a note is shown, not rendered, by a CI job summary.
    assert "- **21.00 s** &lt;b&gt;region b&lt;/b&gt; took over" in md


def test_table_cells_survive_pipes_and_newlines() -> None:
    report = RunReport(
        "p|q", "A | B\nC", "2024-05-01T00:00:00Z", 1.0, History(), "error", notes=[(0.5, "x|y")]
    )
    md = render_markdown(report)
    assert "## 💥 A \\| B C: error" in md
    assert "- **0.50 s** x\\|y" in md
    assert "No fault was injected." in md
    assert "No expectations were judged." in md
