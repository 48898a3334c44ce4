"""Bad capacity and load values on the command line: one clear message, exit 2, nothing applied."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def chaoskit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chaoskit", *args], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200", **(env or {})}, timeout=120, cwd=ROOT)


def test_up_refuses_a_non_positive_capacity_before_touching_docker(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("regions: [us-east-1]\nkv:\n  capacity: {in_flight: 0, when_full: shed}\n")
    # No engine at all: the topology is refused first, so Docker is never asked.
    r = chaoskit("up", "--topology", str(bad), "--world", "never",
                 env={"DOCKER_HOST": f"unix://{tmp_path}/nothing.sock"})
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    err = " ".join(r.stderr.split())
    assert f"{bad}:3:25: kv.capacity.in_flight: capacity in_flight must be a whole number from 1 to 10000, " \
           "got 0" in err
    assert "Docker engine" not in err


def test_run_refuses_an_unknown_load_setting(tmp_path: Path) -> None:
    r = chaoskit("run", "playbooks/long-tail.yaml", "--set", "orders.load=sturdy", "--world", "never",
                 env={"DOCKER_HOST": f"unix://{tmp_path}/nothing.sock"})
    assert r.returncode == 2
    err = " ".join(r.stderr.split())
    assert "unknown load setting 'sturdy'" in err and "default, naive, resilient" in err
    assert "Traceback" not in err
