"""Open report.html in a headless browser: it must draw, offline, something worth looking at."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from pngs import png_pixels

from chaoskit.reports import write_report

from .sample import outage_report

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)"
)


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_report_renders_to_a_non_trivial_picture(tmp_path: Path) -> None:
    paths = write_report(outage_report(), tmp_path / "run")
    shot = tmp_path / "report.png"
    result = chromium(
        f"--screenshot={shot}",
        "--window-size=1300,1400",
        paths["html"].as_uri(),
        profile=tmp_path / "profile",
    )
    assert shot.exists(), result.stderr[-2000:]
    png = shot.read_bytes()
    assert len(png) > 30_000
    width, height, pixels = png_pixels(png)
    assert (width, height) == (1300, 1400)
    # A blank or one-colour page compresses to a handful of distinct byte values;
    # text, tables and a chart give well over a hundred.
    assert len(set(pixels)) > 100


def test_the_inline_script_draws_the_svg_chart(tmp_path: Path) -> None:
    paths = write_report(outage_report(), tmp_path / "run")
    result = chromium("--dump-dom", paths["html"].as_uri(), profile=tmp_path / "profile")
    dom = result.stdout
    assert '<div id="timeline"' in dom
    timeline = dom[dom.index('<div id="timeline"') :]
    assert timeline.count("<svg") >= 1
    assert 'class="panel panel-rate"' in timeline
    assert 'class="note-marker"' in timeline
    assert "region.outage · outage-a" in timeline
