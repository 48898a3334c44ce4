"""What this machine lacks to run a world, how to fix it, and (on Debian, as root) fixing it.

The fix follows shared/ENVIRONMENT.md's recipe: Debian's ``docker.io`` engine,
Compose v2 from Debian 13's ``docker-compose`` package (downloaded with a
private apt configuration, never added to the machine's sources), and a
``dockerd`` started in the background (after removing a stale pid file).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from chaoskit.images.catalogue import IMAGES, resolve_images

ENGINE_MARK = Path(os.environ.get("CHAOSKIT_ENGINE_MARK", "/run/chaoskit-dockerd.pid"))


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def _run(cmd: list[str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def engine_running() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return _run(["docker", "info", "--format", "{{.ServerVersion}}"], 15).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def diagnose() -> list[Check]:
    from chaoskit.engine import compose_version

    checks: list[Check] = []
    client = shutil.which("docker")
    checks.append(Check("docker client", bool(client), client or "not found",
                        "apt-get install docker.io (or `chaoskit doctor --fix`)"))
    running = engine_running()
    has_dockerd = bool(shutil.which("dockerd"))
    checks.append(Check("docker engine", running,
                        "running" if running else ("installed, not running" if has_dockerd
                                                   else "not installed"),
                        "`chaoskit doctor --fix` (starts dockerd)" if has_dockerd
                        else "`chaoskit doctor --fix` (installs docker.io)"))
    version = compose_version()
    checks.append(Check("compose v2", version is not None, version or "missing",
                        "`chaoskit doctor --fix` (Compose v2 from Debian trixie's docker-compose)"))
    if running:
        out = _run(["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"]).stdout
        present = set(out.split())
        chosen = resolve_images(present=present)
        for role, image in chosen.items():
            local = IMAGES[role].local if role in IMAGES else None
            ok = image in present
            checks.append(Check(f"image {role}", ok, image if ok else f"{image} missing",
                                "`chaoskit images build` builds it locally"
                                + (f" ({local})" if local and local != image else "")))
    for tool, why in (("debootstrap", "to build the base image"), ("go", "to build CoreDNS and Toxiproxy")):
        found = shutil.which(tool) or (tool == "go" and Path("/usr/local/go/bin/go").exists())
        checks.append(Check(tool, bool(found), "found" if found else f"missing ({why})",
                            f"apt-get install {tool}" if tool == "debootstrap" else "install Go 1.25+"))
    return checks


def _debian_root() -> bool:
    return os.geteuid() == 0 and Path("/etc/debian_version").exists() and bool(shutil.which("apt-get"))


def fix(log=print) -> list[str]:  # type: ignore[no-untyped-def]
    """Install and start what is missing (Debian, root). Returns what was done."""
    from chaoskit.engine import compose_version
    from chaoskit.errors import EnvironmentProblem

    if not _debian_root():
        raise EnvironmentProblem("`chaoskit doctor --fix` works on Debian as root only",
                                 hint="install Docker Engine and Compose v2 by hand")
    done: list[str] = []
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if not shutil.which("dockerd"):
        log("installing docker.io from Debian")
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "docker.io"], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        done.append("installed docker.io")
    if not shutil.which("debootstrap"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "debootstrap"], check=False, env=env,
                       stdout=subprocess.DEVNULL)
    if compose_version() is None:
        log("installing Compose v2 from Debian trixie's docker-compose package")
        _install_compose(env)
        done.append("installed Compose v2")
    if not engine_running():
        pid_file = Path("/var/run/docker.pid")
        if pid_file.exists() and _run(["pgrep", "-x", "dockerd"]).returncode != 0:
            pid_file.unlink()
        log("starting dockerd")
        logf = open("/var/log/chaoskit-dockerd.log", "ab")  # noqa: SIM115 - outlives us
        proc = subprocess.Popen(["dockerd"], stdout=logf, stderr=logf, start_new_session=True)
        ENGINE_MARK.write_text(str(proc.pid))
        for _ in range(120):
            if engine_running():
                break
            time.sleep(0.5)
        else:
            raise EnvironmentProblem("dockerd did not answer within 60 s",
                                     hint="see /var/log/chaoskit-dockerd.log")
        done.append(f"started dockerd (pid {proc.pid})")
    return done


def _install_compose(env: dict[str, str]) -> None:
    import glob
    import tempfile

    sources = Path("/etc/apt/sources.list.d/debian.sources")
    uri = None
    if sources.exists():
        for line in sources.read_text().splitlines():
            if line.startswith("URIs:"):
                uri = line.split()[1]
                break
    if uri is None and Path("/etc/apt/sources.list").exists():
        for line in Path("/etc/apt/sources.list").read_text().splitlines():
            if line.startswith("deb "):
                uri = line.split()[1] if not line.split()[1].startswith("[") else line.split()[2]
                break
    if uri is None:
        raise RuntimeError("cannot find the Debian mirror in the apt sources")
    d = Path(tempfile.mkdtemp(prefix="chaoskit-trixie-"))
    for sub in ("lists/partial", "cache/archives/partial", "pkg"):
        (d / sub).mkdir(parents=True)
    (d / "sources.list").write_text(f"deb [trusted=yes] {uri} trixie main\n")
    opts = ["-o", f"Dir::Etc::sourcelist={d}/sources.list", "-o", "Dir::Etc::sourceparts=-",
            "-o", f"Dir::State::Lists={d}/lists", "-o", f"Dir::Cache={d}/cache"]
    subprocess.run(["apt-get", *opts, "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", *opts, "download", "docker-compose"], check=True, env=env,
                   cwd=d / "pkg", stdout=subprocess.DEVNULL)
    deb = glob.glob(str(d / "pkg" / "docker-compose_*.deb"))[0]
    subprocess.run(["dpkg-deb", "-x", deb, str(d / "x")], check=True)
    target = Path("/usr/local/lib/docker/cli-plugins")
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(d / "x/usr/libexec/docker/cli-plugins/docker-compose", target / "docker-compose")
    shutil.rmtree(d, ignore_errors=True)


def stop_engine() -> bool:
    """Stop a dockerd that `fix` started (and only that one)."""
    if not ENGINE_MARK.exists():
        return False
    pid = int(ENGINE_MARK.read_text().strip() or 0)
    ENGINE_MARK.unlink()
    if pid <= 0:
        return False
    try:
        os.kill(pid, 15)
    except ProcessLookupError:
        return False
    for _ in range(60):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.5)
    return True
