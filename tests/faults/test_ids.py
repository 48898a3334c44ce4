"""Fault ids are DNS labels at every entry point: the CLI, the Python API and playbooks.

An id reaches a Corefile (comment and view name), Toxiproxy URLs (toxic names)
and file names, so a newline-and-brace id, a space or a `#` is refused before
anything is applied, with one message and the project's user error.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chaoskit.errors import FaultSpecError
from chaoskit.faults import FaultSpec, build
from chaoskit.faults.spec import derived_id, new_id
from chaoskit.names import fault_id_problem
from chaoskit.playbook import validate_playbook
from chaoskit.topology import default_topology

BAD_IDS = {
    "newline-and-brace": "x\n}\n. {\n    forward . 1.1.1.1\n}\n",
    "space": "my fault",
    "hash": "a#b",
    "upper-case": "Fault-1",
    "trailing-newline": "ok\n",
    "too-long": "a" * 64,
    "empty": "",
}
TARGET = "kv.us-east-1.chaoskit.internal"


def spec(fid: str) -> dict[str, object]:
    return {"fault": "dns.nxdomain", "target": TARGET, "id": fid}


@pytest.mark.parametrize("fid", BAD_IDS.values(), ids=BAD_IDS.keys())
def test_python_api_refuses_a_bad_id_with_the_user_error(fid: str) -> None:
    with pytest.raises(FaultSpecError) as exc:
        build(spec(fid), default_topology())
    assert "fault id" in str(exc.value) and "DNS label" in str(exc.value)
    with pytest.raises(FaultSpecError):
        FaultSpec.parse(spec(fid))


def test_a_copied_spec_is_checked_again() -> None:
    # model_copy skips pydantic's validation; the registry still refuses the id.
    good = FaultSpec.parse(spec("good-id"))
    with pytest.raises(FaultSpecError, match="fault id"):
        build(good.model_copy(update={"id": "a b"}), default_topology())


def test_good_ids_pass() -> None:
    for fid in ("a", "f-0a1b2c", "kv-dns-empty", "a" * 63):
        assert build(spec(fid), default_topology()).spec.id == fid


def test_generated_and_derived_ids_are_labels() -> None:
    assert all(fault_id_problem(new_id()) is None for _ in range(50))
    long_a, long_b = "a" * 63, "a" * 62 + "b"
    parts = {derived_id(p, s) for p in (long_a, long_b) for s in ("dns", "down-kv", "cut-us-west-2")}
    assert len(parts) == 6
    assert all(fault_id_problem(p) is None for p in parts), parts
    assert derived_id("outage", "dns") == "outage-dns"


def test_a_composite_with_a_63_character_id_gives_parts_valid_ids() -> None:
    fault = build({"fault": "region.outage", "target": "us-east-1", "id": "r" * 63},
                  default_topology())
    ids = [p.spec.id for p in fault.parts()]  # type: ignore[attr-defined]
    assert len(set(ids)) == len(ids) > 2
    assert all(fault_id_problem(i) is None for i in ids), ids


@pytest.mark.parametrize("fid", BAD_IDS.values(), ids=BAD_IDS.keys())
def test_playbook_refuses_a_bad_id_at_its_place(tmp_path: Path, fid: str) -> None:
    pb = tmp_path / "pb.yaml"
    import json

    pb.write_text("version: 1\nname: t\nworkload: {target: orders, rate: 10, settle: 5s}\n"
                  "method:\n  - at: 1s\n"
                  f"    inject: {{id: {json.dumps(fid)}, fault: dns.nodata, target: {TARGET}, "
                  "for: 5s}\n", encoding="utf-8")
    problems = validate_playbook(pb)
    assert problems, fid
    assert any(":6:" in p.where and "id" in p.message for p in problems), problems


@pytest.mark.parametrize("fid", BAD_IDS.values(), ids=BAD_IDS.keys())
def test_cli_inject_refuses_a_bad_id_with_exit_2(tmp_path: Path, fid: str) -> None:
    # DOCKER_HOST points nowhere: the id is refused before the engine or a world is asked.
    r = subprocess.run([sys.executable, "-m", "chaoskit", "inject", "dns", "nxdomain", TARGET,
                        "--id", fid, "--world", "h10a-never-up"],
                       capture_output=True, text=True, timeout=60,
                       env={**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no.sock"})
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    assert "fault id" in r.stderr and "not reachable" not in r.stderr, r.stderr
