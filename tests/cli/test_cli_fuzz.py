"""Property tests of the CLI argument layer (Hypothesis, in this process): any command line
exits 0 or 2 with one clear message, never a traceback (an exception escaping `main`), never
a hang, and a `render` it accepts writes only validated strings.

The engine is unreachable and no world exists (a fresh CHAOSKIT_STATE), so nothing on the
machine is touched; commands that change the machine (doctor --fix, images build,
stop-engine) are never generated.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile import FUZZ, NASTY_TEXT, bounded, check_world_files, text
from hypothesis import given, settings
from hypothesis import strategies as st

from chaoskit.cli import main
from chaoskit.engine import docker_client

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = str(REPO / "playbooks" / "kv-dns-empty-record.yaml")
TOPOLOGY = str(REPO / "playbooks" / "topologies" / "with-auth.yaml")
WORDS = ["dns", "net", "container", "region", "nxdomain", "latency", "pause", "outage", "nope",
         "kv", "orders", "us-east-1", "kv.us-east-1.chaoskit.internal", "dns.nxdomain"]
OPTIONS = ["--region", "--clients-of", "--fraction", "--for", "--max", "--id", "--ms", "--jitter",
           "--stream", "--toxicity", "--rate", "--ttl", "--address", "--to-region", "--signal",
           "--network", "--direction", "--param", "--world", "--json", "--all", "--tail",
           "--images", "--set", "--port", "--no-dashboard", "--auto", "--keep", "--since"]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Path]:
    """No engine, no world, wide output: for the whole module (Hypothesis calls the test
    many times within one fixture's life)."""
    saved = {k: os.environ.get(k) for k in ("DOCKER_HOST", "CHAOSKIT_STATE", "COLUMNS",
                                            "CHAOSKIT_WORLD", "CHAOSKIT_TOPOLOGY", "CHAOSKIT_IMAGES")}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ.update({"DOCKER_HOST": "unix:///nonexistent", "CHAOSKIT_STATE": str(root / "state"),
                           "COLUMNS": "1000"})
        for k in ("CHAOSKIT_WORLD", "CHAOSKIT_TOPOLOGY", "CHAOSKIT_IMAGES"):
            os.environ.pop(k, None)
        docker_client.cache_clear()
        (root / "bad-topology.yaml").write_text("name: x\nregions: [host, 'a\\n']\nkv: {port: 15301}\n")
        (root / "dollars.yaml").write_text("name: d\nregions: [eu-west-1]\n"
                                           "services: {orders: {env: {A: '$HOME ${X:?no}'}}}\n")
        (root / "file").write_text("not a directory\n")
        os.mkfifo(root / "fifo.yaml")
        try:
            yield root
        finally:
            docker_client.cache_clear()
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def paths(root: Path) -> st.SearchStrategy[str]:
    """Files a user might name: good ones, bad ones, devices, FIFOs, nowhere."""
    return st.sampled_from([PLAYBOOK, TOPOLOGY, str(root / "bad-topology.yaml"), str(root / "dollars.yaml"),
                            str(root / "fifo.yaml"), "/dev/zero", "/proc/self/environ", str(root),
                            str(root / "missing.yaml"), str(root / "file")])


def outs(root: Path) -> st.SearchStrategy[str]:
    """Where `render` may write: under the sandbox only, and a few places it must refuse."""
    inside = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,12}", fullmatch=True).map(lambda s: str(root / "out" / s))
    return st.one_of(inside,
                     st.sampled_from([str(root / "file"), str(root / "file" / "sub"), "/proc/self",
                                      "/proc/chaoskit-fuzz", "/dev/null"]))


COMMANDS = ["inject", "revert", "status", "faults", "reset", "down", "up", "render", "logs", "validate",
            "run", "gameday", "kinds", "deps", "bogus-command"]


@st.composite
def command_lines(draw: st.DrawFn, root: Path, command: str) -> list[str]:
    argv = [command]
    if command == "inject":
        argv += draw(st.lists(st.one_of(st.sampled_from(WORDS), text()), min_size=0, max_size=4))
    elif command in ("validate", "run", "gameday"):
        argv += draw(st.lists(paths(root), min_size=1 if command != "validate" else 0, max_size=2))
    elif command in ("revert", "logs", "deps"):
        argv += draw(st.lists(text(), max_size=1))
    elif command == "render":
        argv += ["--out", draw(outs(root))]
    for _ in range(draw(st.integers(0, 4))):
        option = draw(st.sampled_from([*OPTIONS, "--topology"]))
        if option == "--topology":
            argv += [option, draw(paths(root))]
        elif option in ("--json", "--all", "--no-dashboard", "--auto", "--keep"):
            argv.append(option)
        else:
            argv += [option, draw(st.one_of(st.sampled_from(NASTY_TEXT), text()))]
    return argv


# Every command gets its own examples (a shared draw favours a few); 14 x 30 in all.
@pytest.mark.parametrize("command", COMMANDS)
@settings(FUZZ, max_examples=30)
@given(data=st.data())
def test_any_command_line_is_one_clear_answer(command: str, sandbox: Path, data: st.DataObject,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    argv = data.draw(command_lines(sandbox, command))
    with bounded():
        code = main(argv)  # an exception escaping here is the traceback a user would see
    captured = capsys.readouterr()
    out = captured.err + captured.out
    assert code in (0, 2), (argv, code, out[-2000:])
    assert "Traceback" not in out
    if code == 2:
        assert "error" in out.lower(), (argv, out)
    if argv[0] == "render" and code == 0:
        check_world_files(Path(argv[argv.index("--out") + 1]))
