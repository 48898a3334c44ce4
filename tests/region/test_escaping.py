"""A `$` in a topology reaches the container as written: never filled from the runner's
environment (a shared topology must not pull secrets into a container), never aborting Compose."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chaoskit.engine import docker_client

pytestmark = pytest.mark.world

TOPOLOGY = """name: dollars
regions: [eu-west-1]
services:
  orders:
    env:
      LEAK: "$HOME and $CHAOSKIT_TEST_SECRET"
      ABORT: "${CHAOSKIT_SURELY_UNSET:?would abort compose}"
"""


def test_a_dollar_in_the_topology_reaches_the_container_literally(tmp_path: Path) -> None:
    topo = tmp_path / "dollars.yaml"
    topo.write_text(TOPOLOGY)
    world = f"dollars-{os.getpid()}"
    env = {**os.environ, "CHAOSKIT_TEST_SECRET": "s3cret-of-the-runner"}
    try:
        up = subprocess.run([sys.executable, "-m", "chaoskit", "up", "--topology", str(topo),
                             "--world", world, "--json"],
                            capture_output=True, text=True, env=env, timeout=600)
        assert up.returncode == 0, up.stderr[-3000:]
        flt = {"label": [f"com.docker.compose.project=chaoskit-{world}",
                         "com.docker.compose.service=orders-eu-west-1"]}
        (orders,) = docker_client().containers.list(filters=flt)
        seen = dict(e.split("=", 1) for e in orders.attrs["Config"]["Env"])
        assert seen["LEAK"] == "$HOME and $CHAOSKIT_TEST_SECRET"
        assert seen["ABORT"] == "${CHAOSKIT_SURELY_UNSET:?would abort compose}"
        assert "s3cret-of-the-runner" not in str(orders.attrs["Config"])
        # And inside, where a program reads it.
        out = orders.exec_run(["python3", "-c", "import os; print(os.environ['LEAK'])"])
        assert out.exit_code == 0 and out.output.decode().strip() == "$HOME and $CHAOSKIT_TEST_SECRET"
    finally:
        subprocess.run([sys.executable, "-m", "chaoskit", "down", "--topology", str(topo),
                        "--world", world], capture_output=True, env=env, timeout=300)
