"""`chaoskit run` against the real world: the seed playbook fails for the naive service and
passes for the resilient one; a stop condition aborts and reverts; reports are valid."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pngs import png_pixels

from chaoskit.inworld.protocol import journal
from chaoskit.playbook import load_playbook
from chaoskit.region import World
from chaoskit.runner import Run

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "playbooks" / "kv-dns-empty-record.yaml"

pytestmark = pytest.mark.world


@pytest.fixture(scope="module")
def seed_runs(world: World, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    if "orders" not in world.topology.services:
        pytest.skip("needs the orders service")
    out = {}
    for name, services in (("naive", {"orders": {"exits": "none"}}), ("resilient", None)):
        report = tmp_path_factory.mktemp(name)
        out[name] = Run(load_playbook(SEED), world, services=services, report_dir=report).execute()
    return out


def test_seed_playbook_fails_against_the_naive_service(seed_runs: dict) -> None:  # type: ignore[type-arg]
    naive = seed_runs["naive"]
    assert naive.outcome == "failed" and naive.exit_code == 1
    failed = {v.name for v in naive.verdicts if not v.passed}
    assert {"rto", "error_rate"} <= failed, naive.reason
    error_rate = next(v for v in naive.verdicts if v.name == "error_rate")
    assert error_rate.measured is not None and error_rate.measured > 20


def test_seed_playbook_passes_against_the_resilient_service(seed_runs: dict) -> None:  # type: ignore[type-arg]
    resilient = seed_runs["resilient"]
    assert resilient.outcome == "passed", resilient.reason
    assert all(v.passed for v in resilient.verdicts)
    lost = next(v for v in resilient.verdicts if v.name == "lost_writes")
    assert lost.measured == 0


def test_report_files_are_complete_and_valid(seed_runs: dict) -> None:  # type: ignore[type-arg]
    import xmlschema

    result = seed_runs["naive"]
    directory = result.report_dir
    for name in ("journal.json", "history.jsonl", "summary.md", "junit.xml", "report.html"):
        assert (directory / name).stat().st_size > 0, name
    data = json.loads((directory / "journal.json").read_text())
    kinds = {e["kind"] for e in data["journal"]}
    assert {"fault", "probe", "verdict", "step"} <= kinds
    assert data["outcome"] == "failed"
    schema = xmlschema.XMLSchema(str(ROOT / "tests" / "reports" / "junit.xsd"))
    schema.validate(str(directory / "junit.xml"))
    junit = (directory / "junit.xml").read_text()
    assert junit.count("<testcase") == len(result.verdicts) and "<failure" in junit
    summary = (directory / "summary.md").read_text()
    assert "| `rto` | ≤ 10 s |" in summary and "❌ fail" in summary
    html = (directory / "report.html").read_text()
    assert "kv-dns-empty" in html and ("<svg" in html or "ChaoskitTimeline" in html)
    assert 'src="http' not in html and 'href="http' not in html  # opens offline


@pytest.mark.skipif(not shutil.which("chromium"), reason="chromium (Debian package) not installed")
def test_html_report_shows_the_chart_in_chromium(seed_runs: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    html = seed_runs["naive"].report_dir / "report.html"
    shot = tmp_path / "report.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
                    f"--screenshot={shot}", "--window-size=1300,1500", f"file://{html}"],
                   check=True, capture_output=True, timeout=60)
    width, height, pixels = png_pixels(shot.read_bytes())
    assert (width, height) == (1300, 1500)
    # The fault band (light red) and failure bars (red) are drawn: many distinct colours.
    colours = {pixels[i:i + 3] for i in range(0, len(pixels) - 3, 3 * 97)}
    assert len(colours) > 20


def test_stop_condition_aborts_and_reverts_everything(world: World, tmp_path: Path) -> None:
    playbook = tmp_path / "guarded.yaml"
    name = f"kv.{world.topology.primary}.chaoskit.internal"
    playbook.write_text(f"""
version: 1
name: guarded
workload: {{target: kv, rate: 20, timeout: 1s, settle: 1s}}
method:
  - at: 1s
    inject: {{id: long-one, fault: dns.nxdomain, target: {name}, for: 40s}}
stop_conditions:
  - title: the store's name must resolve
    every: 0.5s
    failures: 2
    probe: {{type: dns, name: {name}, region: {world.topology.primary}}}
expectations: {{lost_writes: 0}}
""")
    started = time.monotonic()
    result = Run(load_playbook(playbook), world, report_dir=tmp_path / "r").execute()
    took = time.monotonic() - started
    assert result.outcome == "aborted" and result.exit_code == 1
    assert "stop condition failed" in result.reason
    assert took < 25  # not the fault's 40 s
    assert journal.read(world.dir)["faults"] == []
    from chaoskit.faults import Faults

    Faults(world, detached=True).confirm_baseline()


def test_invalid_playbook_is_exit_2_and_touches_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nname: bad\nmethod:\n  - at: 1s\n    inject: {fault: dns.nope, target: x}\n")
    r = subprocess.run([sys.executable, "-m", "chaoskit", "run", str(bad)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2, r.stderr
    assert f"{bad}:5" in r.stderr.replace("\n", "") and "Traceback" not in r.stderr

