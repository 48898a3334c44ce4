"""`chaoskit validate` takes topologies too: told apart from playbooks by shape, or by
`--topology`, with every problem at file:line:col, exit 2, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from chaoskit.topology import DEFAULT_TOPOLOGY_PATH, looks_like_topology

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / "playbooks" / "kv-dns-empty-record.yaml"


def chaoskit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chaoskit", *args], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200"}, timeout=120, cwd=ROOT)


def test_shapes_tell_a_topology_from_a_playbook() -> None:
    assert looks_like_topology(yaml.safe_load(DEFAULT_TOPOLOGY_PATH.read_text()))
    assert looks_like_topology({"services": {"cart": {"image": "cart:1", "port": 9000}}})
    assert not looks_like_topology(yaml.safe_load(PLAYBOOK.read_text()))
    assert not looks_like_topology({"services": {"orders": {"exits": "none"}}})
    assert not looks_like_topology({"regions": ["a-1"], "method": []})
    assert not looks_like_topology(["regions"])


def test_a_valid_topology_and_playbook_together() -> None:
    r = chaoskit("validate", str(DEFAULT_TOPOLOGY_PATH), str(PLAYBOOK))
    assert r.returncode == 0, r.stderr
    assert "1 playbook(s) and 1 topology file(s) valid" in r.stdout


def test_a_broken_topology_is_every_problem_at_file_line_col(tmp_path: Path) -> None:
    bad = tmp_path / "shop.yaml"
    bad.write_text("regions: [us-east-1, us-east-1]\nservices:\n  cart: {image: cart:1, port: 8474, "
                   "uses: [kvv]}\n")
    r = chaoskit("validate", str(bad))
    assert r.returncode == 2, r.stdout
    err = r.stderr
    assert "Traceback" not in err
    assert f"{bad}:1:22: duplicate region 'us-east-1'" in err
    assert f"{bad}:3:31: port 8474 of service 'cart' is reserved by chaoskit" in err
    assert f"{bad}:3:44: service 'cart' uses unknown endpoint 'kvv'; did you mean 'kv'?" in err
    assert "missing key 'version'" not in err  # not read as a playbook


def test_the_flag_reads_any_file_as_a_topology(tmp_path: Path) -> None:
    r = chaoskit("validate", "--topology", str(PLAYBOOK))
    assert r.returncode == 2
    assert f"{PLAYBOOK.relative_to(ROOT)}:" in r.stderr or f"{PLAYBOOK}:" in r.stderr
    assert "unknown key 'method'" in r.stderr.replace("\n", " ") and "Traceback" not in r.stderr
    missing = tmp_path / "nope.yaml"
    r = chaoskit("validate", "--topology", str(missing))
    assert r.returncode == 2 and f"{missing}: no such topology file" in r.stderr
