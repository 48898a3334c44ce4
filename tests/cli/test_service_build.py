"""`build:` in a topology, against the real engine: a failing build is exit 2 with its log, nothing made."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def chaoskit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chaoskit", *args], capture_output=True, text=True,
                          env=os.environ.copy(), timeout=300)


def topology(tmp_path: Path, build: str) -> Path:
    path = tmp_path / "topology.yaml"
    path.write_text(f"name: broken\nregions: [us-east-1]\nservices:\n  cart:\n    build: {build}\n"
                    "    port: 9000\n    uses: [kv]\n")
    return path


def test_a_missing_context_is_exit_2_at_its_place(tmp_path: Path) -> None:
    path = topology(tmp_path, "srv")
    r = chaoskit("up", "--topology", str(path), "--world", f"h-missing-{os.getpid()}")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    text = r.stderr.replace("\n", "")
    assert f"{path}:5:12" in text and "build context 'srv' of service 'cart' is not a folder" in text


@pytest.mark.world
def test_a_failing_build_is_exit_2_with_its_log_and_leaves_nothing(tmp_path: Path) -> None:
    from chaoskit.engine import docker_client
    from chaoskit.images import built_image

    context = tmp_path / "srv"
    context.mkdir()
    (context / "marker.txt").write_text("built by a test\n")
    # FROM scratch needs no registry; the RUN fails (an empty image has no shell).
    (context / "Dockerfile").write_text("FROM scratch\nCOPY marker.txt /marker.txt\nRUN echo never\n")
    world = f"badbuild-{os.getpid()}"
    project = f"chaoskit-{world}"
    r = chaoskit("up", "--topology", str(topology(tmp_path, "srv")), "--world", world)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    assert "the image of service 'cart' did not build" in r.stderr
    assert "COPY marker.txt /marker.txt" in r.stderr  # the log's tail, not only the last error
    client = docker_client()
    flt = {"label": f"com.docker.compose.project={project}"}
    assert client.containers.list(all=True, filters=flt) == []
    assert client.networks.list(filters=flt) == []
    assert not [i for i in client.images.list() if built_image(project, "cart") in i.tags]
