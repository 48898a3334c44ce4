"""Bad input: one clear message with where, exit code 2, no traceback, nothing touched."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest


def chaoskit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chaoskit", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def test_broken_topology_is_exit_2_with_position(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nregions: [us-east-1, Not_A_Label]\nservices:\n  x: {port: 0}\n")
    r = chaoskit("up", "--topology", str(bad))
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert f"{bad}:2:22" in r.stderr.replace("\n", "")


def test_docker_not_running_points_to_doctor(tmp_path: Path) -> None:
    r = chaoskit("up", env={"DOCKER_HOST": f"unix://{tmp_path}/nothing.sock"})
    assert r.returncode == 2
    assert "Docker engine is not reachable" in r.stderr and "chaoskit doctor" in r.stderr
    assert "Traceback" not in r.stderr


def test_unknown_command_and_fault_are_exit_2() -> None:
    assert chaoskit("explode").returncode == 2
    r = chaoskit("kinds")
    assert r.returncode == 0 and "dns.nxdomain" in r.stdout


@pytest.mark.world
def test_taken_port_is_exit_2_and_leaves_nothing(tmp_path: Path) -> None:
    from chaoskit.engine import docker_client

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        topo = tmp_path / "pinned.yaml"
        topo.write_text(f"name: pinned\nregions: [eu-west-1]\nservices: {{}}\n"
                        f"ports:\n  eu-west-1: {{toxiproxy: {port}}}\n")
        r = chaoskit("up", "--topology", str(topo), "--world", f"pinned-{os.getpid()}")
    assert r.returncode == 2, r.stderr + r.stdout
    assert str(port) in r.stderr and "Traceback" not in r.stderr
    flt = {"label": f"com.docker.compose.project=chaoskit-pinned-{os.getpid()}"}
    assert docker_client().containers.list(all=True, filters=flt) == []
    assert docker_client().networks.list(filters=flt) == []


@pytest.mark.parametrize("target", [
    "kv.us-east-1.chaoskit.internal\n}",
    "kv.us-east-1.chaoskit.internal' || true || '",
    "kv.us-east-1.chaoskit.internal { erratic }",
    "kv.us-east-1.chaoskit.internal\"",
    "example.com",
    "*.*.chaoskit.internal",
])
def test_injection_attempts_are_rejected_before_anything(target: str) -> None:
    from chaoskit.errors import FaultSpecError
    from chaoskit.faults import build
    from chaoskit.topology import default_topology

    with pytest.raises(FaultSpecError):
        build({"fault": "dns.nxdomain", "target": target}, default_topology())


def test_absurd_durations_and_unknown_params_rejected() -> None:
    from chaoskit.errors import FaultSpecError
    from chaoskit.faults import build
    from chaoskit.topology import default_topology

    t = default_topology()
    name = "kv.us-east-1.chaoskit.internal"
    for bad in ({"for": "-3s"}, {"for": "400d"}, {"for": "soon"}, {"params": {"bogus": 1}},
                {"region": "mars-1"}, {"clients_of": "mars-1"}, {"fraction": 1.5}):
        with pytest.raises((FaultSpecError, ValueError)):
            build({"fault": "dns.nxdomain", "target": name, **bad}, t)
    with pytest.raises(FaultSpecError, match="did you mean 'dns.nxdomain'"):
        build({"fault": "dns.nxdomian", "target": name}, t)


def test_bad_images_mode_and_port_are_exit_2_before_anything_starts() -> None:
    r = chaoskit("up", "--images", "bogus", "--world", f"never-{os.getpid()}")
    assert r.returncode == 2 and "images mode 'bogus'" in r.stderr and "Traceback" not in r.stderr
    r = chaoskit("gameday", str(Path(__file__).parents[2] / "playbooks" / "kv-dns-empty-record.yaml"),
                 "--port", "70000", "--world", f"never-{os.getpid()}")
    assert r.returncode == 2 and "--port" in r.stderr and "Traceback" not in r.stderr
