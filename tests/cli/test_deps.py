"""`chaoskit deps` on bad input: one clear message, exit 2, before the engine or the world."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

NO_ENGINE = "unix:///nonexistent/docker.sock"


def chaoskit(*args: str, state: Path, engine: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "1000", "CHAOSKIT_STATE": str(state)}
    env.pop("CHAOSKIT_WORLD", None)
    if not engine:
        env["DOCKER_HOST"] = NO_ENGINE
    return subprocess.run([sys.executable, "-m", "chaoskit", "deps", *args], capture_output=True,
                          text=True, env=env, timeout=60)


@pytest.mark.parametrize(("args", "message"), [
    (["orderz"], "error: SERVICE: unknown service 'orderz'; did you mean 'orders'?"),
    (["kv"], "unknown service 'kv'; known: orders"),
    (["Orders\n"], "unknown service 'Orders\\n'; did you mean 'orders'?"),
    (["orders", "--since", "5x"], "error: --since '5x': not a duration"),
    (["orders", "--since", "0s"], "error: --since '0s': duration must be positive"),
    (["orders", "--world", "BAD_"], "world name 'BAD_' is not usable"),
    (["orders"], "error: world chaoskit-demo is not up (run `chaoskit up` first)"),
    (["orders", "--json"], "error: world chaoskit-demo is not up"),
])
@pytest.mark.parametrize("engine", [True, False], ids=["engine", "no engine"])
def test_bad_input_is_exit_2_with_one_message(args: list[str], message: str, engine: bool,
                                              tmp_path: Path) -> None:
    r = chaoskit(*args, state=tmp_path / "state", engine=engine)
    out = r.stderr + r.stdout
    assert r.returncode == 2, out
    assert message in " ".join(out.split()), out
    assert "Traceback" not in out and "not reachable" not in out


def test_a_service_is_checked_against_the_topology_given(tmp_path: Path) -> None:
    topo = Path(__file__).parents[2] / "playbooks" / "topologies" / "with-auth.yaml"
    r = chaoskit("auht", "--topology", str(topo), state=tmp_path)
    assert r.returncode == 2 and "did you mean 'auth'?" in r.stderr, r.stderr
    r = chaoskit("auth", "--topology", str(topo), state=tmp_path)
    assert r.returncode == 2 and "world chaoskit-auth is not up" in r.stderr, r.stderr


def test_a_missing_argument_is_exit_2(tmp_path: Path) -> None:
    r = chaoskit(state=tmp_path)
    assert r.returncode == 2 and "Missing argument" in r.stderr
