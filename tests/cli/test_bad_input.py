"""Bad input: one clear message with where, exit code 2, no traceback, nothing touched."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest


def chaoskit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chaoskit", *args], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "1000", **(env or {})}, timeout=120)


@dataclass
class Outcome:
    code: int
    out: str  # stdout and stderr, one line


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Outcome]:
    """`chaoskit ARGS` in this process (an exception escaping `main` is the traceback a user
    would see); `env` is set for the call only."""
    from chaoskit.cli import main
    from chaoskit.engine import docker_client

    def run(*args: str, env: dict[str, str] | None = None) -> Outcome:
        with monkeypatch.context() as m:
            m.setenv("COLUMNS", "1000")
            for k, v in (env or {}).items():
                m.setenv(k, v)
            docker_client.cache_clear()  # the engine is looked up again under this DOCKER_HOST
            code = main(list(args))
            docker_client.cache_clear()
        captured = capsys.readouterr()
        return Outcome(code, " ".join((captured.err + captured.out).split()))
    return run


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


# --- arguments first: checked before the engine or the world is contacted -----------------------
NO_ENGINE = "unix:///nonexistent"
KV = "kv.us-east-1.chaoskit.internal"


@pytest.mark.parametrize(("args", "message"), [
    (["inject", "dns", "nope", KV], "unknown fault 'dns.nope'"),
    (["inject", "net", "latency", "kv", "--ms", "-1"], "greater than or equal to 1"),
    (["inject", "net", "latency", "kv", "--ms", "5", "--region", "nowhere"], "unknown region 'nowhere'"),
    (["inject", "dns", "nxdomain", KV, "--clients-of", "mars-1"], "mars-1"),
    (["inject", "dns", "nxdomain", KV, "--fraction", "2"], "fraction: Input should be less than"),
    (["inject", "net", "latency", "kv", "--for", "soon"], "not a duration"),
    (["revert", "Not An Id"], "fault id 'Not An Id' is not a valid DNS label"),
    (["status", "--world", "BAD_"], "world name 'BAD_' is not usable"),
    (["down", "--world", "x\n"], "world name 'x\\n' is not usable"),
    (["faults", "--world", "a b"], "world name 'a b' is not usable"),
    (["up", "--images", "bogus"], "images mode 'bogus'"),
    (["run", str(Path(__file__).parents[2] / "playbooks" / "kv-dns-empty-record.yaml"),
      "--world", "BAD_"], "world name 'BAD_' is not usable"),
])
@pytest.mark.parametrize("situation", ["no engine", "no world"])
def test_argument_errors_come_before_engine_and_world(args: list[str], message: str, situation: str,
                                                      tmp_path: Path, cli: Callable[..., Outcome]) -> None:
    env = {"CHAOSKIT_STATE": str(tmp_path / "state")}  # no world was ever brought up here
    if situation == "no engine":
        env["DOCKER_HOST"] = NO_ENGINE
    r = cli(*args, env=env)
    assert r.code == 2, r.out
    assert message in r.out, r.out
    assert "not reachable" not in r.out and "is not up" not in r.out


def test_a_bad_topology_is_reported_before_the_engine(tmp_path: Path, cli: Callable[..., Outcome]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nregions: [us-east-1, host]\n")
    r = chaoskit("up", "--topology", str(bad), env={"DOCKER_HOST": NO_ENGINE})
    assert r.returncode == 2 and f"{bad}:2:22: region name 'host' is reserved" in r.stderr, r.stderr
    for command in ("down", "status", "faults", "reset", "logs"):
        out = cli(command, "--topology", str(bad), env={"DOCKER_HOST": NO_ENGINE})
        assert out.code == 2 and f"{bad}:2:22: region name 'host' is reserved" in out.out, (command, out)
        assert "not reachable" not in out.out


def test_good_arguments_then_meet_the_missing_engine(tmp_path: Path, cli: Callable[..., Outcome]) -> None:
    r = cli("inject", "dns", "nxdomain", KV, env={"DOCKER_HOST": NO_ENGINE, "CHAOSKIT_STATE": str(tmp_path)})
    assert r.code == 2 and "Docker engine is not reachable" in r.out


# --- no tracebacks ------------------------------------------------------------------------------
@pytest.mark.parametrize("out", ["file", "/proc/chaoskit-render", "/proc/self", "file/sub", "/dev/null"])
def test_render_onto_a_file_or_under_proc_is_one_message(out: str, tmp_path: Path,
                                                         cli: Callable[..., Outcome]) -> None:
    (tmp_path / "file").write_text("keep me\n")
    target = out if out.startswith("/") else str(tmp_path / out)
    r = cli("render", "--out", target)
    assert r.code == 2, r.out
    assert r.out.startswith(f"error: --out {target}: ")
    assert (tmp_path / "file").read_text() == "keep me\n"


BIG = "9" * 5000


@pytest.mark.parametrize(("args", "option"), [
    (["inject", "net", "latency", "kv", "--ms", BIG], "--ms"),
    (["inject", "net", "latency", "kv", "--param", f"ms={BIG}"], "--param ms"),
    (["inject", "dns", "nxdomain", KV, "--fraction", BIG], "fraction: Input should be"),
    (["inject", "net", "latency", "kv", "--for", f"{BIG}s"], "not a duration"),
    (["logs", "--tail", BIG], "--tail"),
    (["gameday", "playbooks/kv-dns-empty-record.yaml", "--port", BIG], "--port"),
])
def test_a_5000_digit_number_on_the_command_line_is_one_message(args: list[str], option: str,
                                                                cli: Callable[..., Outcome]) -> None:
    r = cli(*args, env={"DOCKER_HOST": NO_ENGINE})
    assert r.code == 2 and option in r.out, r.out[:500]
    assert "set_int_max_str_digits" not in r.out and BIG not in r.out


@pytest.mark.parametrize("kind", ["topology", "playbook"])
def test_a_5000_digit_number_in_a_file_is_one_located_message(kind: str, tmp_path: Path) -> None:
    path = tmp_path / f"{kind}.yaml"
    if kind == "topology":
        path.write_text(f"name: big\nkv: {{port: {BIG}}}\n")
        r = chaoskit("render", "--topology", str(path), "--out", str(tmp_path / "out"))
        where = f"{path}:2:12"
    else:
        shipped = (Path(__file__).parents[2] / "playbooks" / "kv-dns-empty-record.yaml").read_text()
        path.write_text(shipped.replace("\nversion: 1\n", f"\nversion: {BIG}\n", 1))
        assert BIG in path.read_text()
        r = chaoskit("validate", str(path))
        line = path.read_text().split(BIG)[0].count("\n") + 1
        where = f"{path}:{line}:10"
    err = " ".join(r.stderr.split())
    assert r.returncode == 2 and err.count("error:") == 1, err
    assert f"{where}: a number with 5000 digits is out of range" in err, err
    assert "set_int_max_str_digits" not in err


@pytest.mark.parametrize("kind", ["topology", "playbook"])
def test_a_fifo_or_a_device_is_refused_without_reading(kind: str, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero")):
        args = ["render", "--topology", str(path), "--out", str(tmp_path / "out")] if kind == "topology" \
            else ["validate", str(path)]
        r = chaoskit(*args)  # would hang or exhaust memory before
        err = " ".join(r.stderr.split())
        assert r.returncode == 2 and "not a regular file" in err and "Traceback" not in err, err
