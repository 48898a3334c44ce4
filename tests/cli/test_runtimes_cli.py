"""`chaoskit runtimes` and `chaoskit images build --runtimes` on bad input: one clear
message saying what and where, exit 2, no traceback, nothing started."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def chaoskit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chaoskit", *args], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "1000", **(env or {})}, timeout=120)


def one_error(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr + r.stdout
    lines = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, r.stderr
    return " ".join(r.stderr.split())


@pytest.mark.parametrize("only, says", [
    ("glbc", "--only: unknown runtime 'glbc' (did you mean 'glibc'?)"),
    ("glibc,python", "--only: unknown runtime 'python' (known: glibc, go, jvm, musl, node)"),
    (",", "--only: names no runtime"),
])
def test_an_unknown_runtime_is_exit_2_before_anything_is_contacted(only: str, says: str) -> None:
    # DOCKER_HOST points nowhere: the message comes before the engine is asked anything.
    r = chaoskit("runtimes", "--only", only, env={"DOCKER_HOST": "unix:///nonexistent.sock"})
    assert says in one_error(r)


def test_an_unknown_runtime_to_build_is_exit_2() -> None:
    r = chaoskit("images", "build", "--runtimes", "jav", env={"DOCKER_HOST": "unix:///nonexistent.sock"})
    assert "--runtimes: unknown runtime 'jav' (did you mean 'jvm'?)" in one_error(r)


def test_a_bad_world_name_is_exit_2() -> None:
    assert "world" in one_error(chaoskit("runtimes", "--world", "Not A World", "--only", "go"))


def test_a_world_that_is_not_up_is_exit_2_and_nothing_is_built() -> None:
    r = chaoskit("runtimes", "--world", "no-such-runtimes-world", "--only", "go",
                 env={"CHAOSKIT_GO": "/nonexistent/go"})
    assert "world chaoskit-no-such-runtimes-world is not up" in one_error(r)


def test_a_runtime_this_machine_cannot_build_is_exit_2_naming_it() -> None:
    # The go client is compiled with the host's Go toolchain; without one it cannot be built.
    r = chaoskit("images", "build", "--runtimes", "go", "--force",
                 env={"CHAOSKIT_GO": "/nonexistent/go"})
    text = one_error(r)
    assert "runtime go: this machine cannot build the go runtime's image" in text
    assert "/nonexistent/go" in text
