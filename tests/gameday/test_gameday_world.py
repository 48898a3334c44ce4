"""`chaoskit gameday` on the real world, driven as a person would: at a terminal (pexpect) and
in a browser (headless Chromium)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.request
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pexpect
import pytest

from chaoskit.inworld.protocol import journal
from chaoskit.world import World

from .offline import small_playbook

pytestmark = pytest.mark.world

PROMPT = "gameday> "
MANUAL = r"gameday \(manual\)> "
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def world_name(world: World) -> str:
    return world.project.removeprefix("chaoskit-")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def gameday(world: World, playbook: Path, report: Path, *args: str) -> pexpect.spawn:
    child = pexpect.spawn(sys.executable, ["-m", "chaoskit", "gameday", str(playbook), "--world",
                                           world_name(world), "--report", str(report), *args],
                          cwd=str(playbook.parent), encoding="utf-8", timeout=45, dimensions=(50, 200))
    child.logfile_read = open(playbook.parent / "terminal.log", "w", encoding="utf-8")  # noqa: SIM115
    return child


def finish(child: pexpect.spawn, timeout: float = 90) -> tuple[int, str]:
    child.expect(pexpect.EOF, timeout=timeout)
    child.close()
    log = child.logfile_read
    log.close()
    return int(child.exitstatus if child.exitstatus is not None else 128 + (child.signalstatus or 0)), \
        Path(log.name).read_text(encoding="utf-8")


@pytest.fixture
def small(world: World, tmp_path: Path) -> Callable[..., Path]:
    def write(**kwargs: Any) -> Path:
        path = tmp_path / "gd-small.yaml"
        path.write_text(small_playbook(world.topology.primary, **kwargs))
        return path

    return write


def test_a_facilitator_drives_a_game_day(world: World, small: Callable[..., Path], tmp_path: Path) -> None:
    report = tmp_path / "report"
    child = gameday(world, small(), report, "--port", str(free_port()))
    child.expect("dashboard for the team: http://127.0.0.1:")
    child.expect(r"NEXT step 1/4: note: the store's name disappears")
    child.expect(PROMPT)
    child.sendline("note the team is watching")
    child.expect(r"s  note: the team is watching")
    child.expect(PROMPT)
    child.sendline("lunch")
    child.expect("unknown command 'lunch'; type help for the commands")
    child.expect(PROMPT)  # the game day goes on
    child.sendline("go")
    child.expect(r"NEXT step 2/4 \(at 2s\): inject dns.nxdomain")
    child.expect(PROMPT)
    child.sendline("status")
    child.expect(r"ops \d+ · errors \d+ · success \(3 s\)")
    child.expect(world.topology.primary)
    child.expect(PROMPT)
    child.sendline("")  # Enter is go
    child.expect("fault kv-nx applied: dns.nxdomain")
    child.expect("MANUAL step 3/4: page the on-call and look at the dashboard")
    child.expect(MANUAL)
    child.sendline("note paged the on-call")
    child.expect("note: paged the on-call")
    child.expect(MANUAL)
    child.sendline("done")
    child.expect(r"NEXT step 4/4 \(at 8s\): probe dns")
    child.expect(PROMPT)
    child.sendline("go")
    child.expect("fault kv-nx reverted")
    code, terminal = finish(child)
    assert code == 0, terminal
    assert "PASSED" in terminal
    assert journal.read(world.dir)["faults"] == []

    doc = json.loads((report / "journal.json").read_text())
    entries = doc["journal"]
    decisions = [e for e in entries if e["kind"] == "decision"]
    assert [(e["step"], e["decision"]) for e in decisions] == [(0, "go"), (1, "go"), (2, "go"), (3, "go")]
    notes = [e for e in entries if e["kind"] == "note" and e.get("by") == "facilitator"]
    assert [n["text"] for n in notes] == ["the team is watching", "paged the on-call"]
    assert 0 < notes[0]["time"] < notes[1]["time"]
    assert [e for e in entries if e["kind"] == "manual"][0]["decision"] == "done"
    # The history has them too, with their times: notes on the timeline, decisions by step.
    history = doc["events"]
    by_facilitator = [e["name"] for e in history
                      if e["kind"] == "note" and e["detail"].get("by") == "facilitator"]
    assert by_facilitator == ["the team is watching", "paged the on-call"]
    assert len([e for e in history if e["kind"] == "decision"]) == 4
    assert [n["text"] for n in doc["notes"]] == ["the team is watching", "the store's name disappears at 2 s",
                                                 "paged the on-call"]
    html = (report / "report.html").read_text()
    assert "the team is watching" in html and "paged the on-call" in html  # notes on the report


def test_abort_mid_fault_reverts_everything_at_once(world: World, small: Callable[..., Path],
                                                     tmp_path: Path) -> None:
    report = tmp_path / "report"
    child = gameday(world, small(fault_for="40s"), report, "--no-dashboard")
    child.expect(PROMPT)
    child.sendline("go")
    child.expect(PROMPT)
    child.sendline("go")
    child.expect("fault kv-nx applied")
    child.expect(MANUAL)
    started = time.monotonic()
    child.sendline("abort")
    child.expect("fault kv-nx reverted")
    code, terminal = finish(child)
    assert code == 1
    assert "ABORTED" in terminal and "facilitator aborted at manual step 3" in terminal
    assert time.monotonic() - started < 25  # not the fault's 40 s
    assert journal.read(world.dir)["faults"] == []
    assert "dashboard for the team" not in terminal
    doc = json.loads((report / "journal.json").read_text())
    assert doc["outcome"] == "aborted"


@pytest.mark.parametrize("how", ["ctrl-c at a prompt", "sigterm while --auto runs"])
def test_a_signal_mid_fault_reverts_everything(world: World, small: Callable[..., Path], tmp_path: Path,
                                               how: str) -> None:
    auto = ["--auto"] if "auto" in how else []
    child = gameday(world, small(fault_for="40s"), tmp_path / "report", "--no-dashboard", *auto)
    if not auto:
        child.expect(PROMPT)
        child.sendline("go")
        child.expect(PROMPT)
        child.sendline("go")
    child.expect("fault kv-nx applied")
    if auto:
        time.sleep(0.5)
        child.kill(signal.SIGTERM)
    else:
        child.expect(MANUAL)
        child.sendintr()
    code, terminal = finish(child, timeout=60)
    assert code == 1, terminal
    assert "fault kv-nx reverted" in terminal and "ABORTED" in terminal
    assert ("interrupted (signal 15)" if auto else "interrupted (Ctrl-C)") in terminal
    assert "gameday" not in terminal.rsplit("fault kv-nx reverted", 1)[1]  # no stale prompt
    assert journal.read(world.dir)["faults"] == []


# --- the dashboard in a browser ---------------------------------------------------------------
def shown_playbook(world: World) -> str:
    """About 15 s with something to see: a brownout of the primary's store, then its name gone."""
    primary = world.topology.primary
    return f"""\
version: 1
name: gd-dashboard
title: The store browns out, then its name disappears
workload: {{target: kv, rate: 20, timeout: 1s, settle: 3s}}
method:
  - note: traffic flows in both regions
  - at: 1s
    inject: {{id: kv-brownout, fault: brownout, target: kv, region: {primary},
              params: {{ms: 150, error_fraction: 0.3}}, for: 3s}}
  - manual: page the on-call and look at the dashboard
  - at: 7s
    inject: {{id: kv-nx, fault: dns.nxdomain, target: kv.{primary}.chaoskit.internal, for: 3s}}
  - at: 11s
    probe: {{type: dns, name: kv.{primary}.chaoskit.internal, region: {primary}}}
    expect: any  # observed for the dashboard; the fault may still be in force on a slow machine
expectations: {{lost_writes: 0}}
"""


def get_state(url: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(url + "state", timeout=5) as res:
            data: dict[str, Any] = json.load(res)
            return data
    except OSError:
        return None


def wait_state(url: str, cond: Callable[[dict[str, Any]], bool], what: str,
               timeout: float = 45) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = get_state(url)
        if state is not None and cond(state):
            return state
        time.sleep(0.2)
    raise AssertionError(f"the dashboard never showed {what}")


def png(data: bytes) -> tuple[int, int, int, list[bytes]]:
    """(width, height, bytes a pixel, rows) of an 8-bit RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, head = 8, b"", b""
    while pos < len(data):
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + size]
        if kind == b"IHDR":
            head = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + size
    width, height, depth, colour = struct.unpack(">IIBB", head[:10])
    assert depth == 8 and colour in (2, 6)
    bpp = 3 if colour == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install -y chromium)")
def test_the_dashboard_updates_live_in_a_browser(world: World, tmp_path: Path) -> None:
    assert CHROMIUM is not None
    playbook = tmp_path / "gd-dashboard.yaml"
    playbook.write_text(shown_playbook(world))
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with open(tmp_path / "terminal.log", "w", encoding="utf-8") as log:
        run = subprocess.Popen([sys.executable, "-m", "chaoskit", "gameday", str(playbook), "--auto",
                                "--world", world_name(world), "--port", str(port),
                                "--report", str(tmp_path / "report")],
                               cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    browser: subprocess.Popen[bytes] | None = None
    try:
        first = wait_state(url, lambda s: s["phase"] in ("steady state", "method"), "the run starting")
        # A browser keeps the page open: the stream delivers state after state to it.
        browser = subprocess.Popen([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'live'}",
                                    "--window-size=1300,1100", url],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        watched = wait_state(url, lambda s: s["dashboard"]["viewers"] >= 1 and s["dashboard"]["sent"] >= 4,
                             "a browser receiving several events")
        assert watched["time"] > first["time"] and watched["ops"] > first["ops"]
        # The browser goes away mid-run: nothing is disturbed.
        os.killpg(browser.pid, signal.SIGTERM)
        browser.wait(timeout=20)
        browser = None
        wait_state(url, lambda s: s["dashboard"]["viewers"] == 0, "the browser leaving")
        # Later, a screenshot of the page as it stands.
        shown = wait_state(url, lambda s: s["time"] > 10 and any(
            e["text"].startswith("fault kv-nx applied") for e in s["journal"]), "the second fault")
        assert shown["chart"]["series"] and len(shown["chart"]["faults"]) == 2
        assert [s["state"] for s in shown["steps"]][:3] == ["done", "done", "done"]
        shot = tmp_path / "dashboard.png"
        subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'shot'}",
                        f"--screenshot={shot}", "--window-size=1300,1100", url],
                       check=True, capture_output=True, timeout=90)
        assert run.wait(timeout=90) == 0, (tmp_path / "terminal.log").read_text()
    finally:
        if browser is not None:
            os.killpg(browser.pid, signal.SIGKILL)
        if run.poll() is None:
            run.send_signal(signal.SIGTERM)
            run.wait(timeout=60)
    assert journal.read(world.dir)["faults"] == []
    width, height, bpp, rows = png(shot.read_bytes())
    assert (width, height) == (1300, 1100)
    # The chart is drawn: fault bands, bars and lines make many distinct colours, and some
    # of them are the chart's own (the red of failures or fault edges, the green of ok bars).
    colours = {row[i:i + 3] for row in rows[::7] for i in range(0, len(row) - bpp, bpp * 13)}
    assert len(colours) > 40
    terminal = (tmp_path / "terminal.log").read_text()
    assert f"dashboard for the team: {url}" in terminal and "PASSED" in terminal
