"""`chaoskit --help` and argument errors load none of the world: the CLI imports lazily.

(How long it takes is a benchmark, not a test: bench/cli_startup.py, docs/benchmarks.md.)
"""

from __future__ import annotations

import subprocess
import sys

import pytest

# What a command needs only once it runs: the engine's client, DNS, HTTP, Redis, YAML, the
# fault machinery and the runner; pydantic (Typer 0.29 loaded it for every option, hence the pin
# below 0.29) and Rich's Markdown (Typer's Rich help loads it; chaoskit's help is plain).
HEAVY = ["pydantic", "rich.markdown", "docker", "httpx", "dns", "redis", "yaml", "jinja2", "starlette",
         "chaoskit.faults.controller", "chaoskit.faults.registry", "chaoskit.world",
         "chaoskit.runner._runner", "chaoskit.playbook", "chaoskit.checks", "chaoskit.gameday"]


def loaded_after(args: list[str]) -> tuple[int, list[str]]:
    code = (
        "import sys\n"
        "from chaoskit.cli import main\n"
        f"code = main({args!r})\n"
        f"print('LOADED', code, *[m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    line = [x for x in proc.stdout.splitlines() if x.startswith("LOADED")][-1].split()
    return int(line[1]), line[2:]


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["run"], ["up", "--no-such-option"],
                                  ["teleport"]])
def test_help_and_argument_errors_load_none_of_the_world(args: list[str]) -> None:
    code, loaded = loaded_after(args)
    assert code == (0 if "--help" in args else 2)
    assert loaded == []


def test_a_command_that_runs_does_load_what_it_needs() -> None:
    # The check above can fail: `kinds` reads the fault registry.
    code, loaded = loaded_after(["kinds", "--json"])
    assert code == 0
    assert "chaoskit.faults.registry" in loaded
