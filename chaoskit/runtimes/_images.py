"""The runtime clients' images, built locally and cached by what goes into them.

Each image is tagged ``chaoskit/runtime-<name>:<digest>``, the digest covering the client's
folder (source and Dockerfile) and the base image's id: an image whose tag is present is
reused as is (seconds in CI once built), and a changed client gets a new tag. The Go client
is compiled by the host's Go toolchain (``go`` on PATH, or ``CHAOSKIT_GO``), needed only
when its image is built. Built without a registry: ``FROM`` the local Debian base image (apt reaches
Debian's archive inside the build), or ``FROM scratch`` around a static binary.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chaoskit.errors import EnvironmentProblem, Problem
from chaoskit.images.catalogue import IMAGES
from chaoskit.runtimes._catalogue import RUNTIMES, Runtime

Log = Callable[[str], None]
TAIL = 20  # lines of a failed build shown


@dataclass(frozen=True)
class RuntimeImage:
    runtime: str
    tag: str
    built: bool  # False: the tag was present and reused
    seconds: float


def base_image(client: Any) -> tuple[str, str]:
    """(tag, id) of the Debian base the clients build FROM: the local build, else the official
    Python image (both Debian bookworm with python3)."""
    import docker.errors

    for tag in (IMAGES["python"].local, IMAGES["python"].official):
        try:
            return tag, str(client.images.get(tag).id)
        except docker.errors.ImageNotFound:
            continue
    raise EnvironmentProblem(f"no base image for the runtime clients ({IMAGES['python'].local})",
                             hint="run `chaoskit images build --mode auto` first")


def _go() -> str:
    go = os.environ.get("CHAOSKIT_GO") or shutil.which("go") or "/usr/local/go/bin/go"
    if not Path(go).is_file():
        raise EnvironmentProblem(f"this machine cannot build the go runtime's image: its client is "
                                 f"compiled with the host's Go toolchain, and there is none ({go})",
                                 where="runtime go",
                                 hint="install Go 1.21+, or leave the go runtime out")
    return go


def digest(runtime: Runtime, base_id: str) -> str:
    h = hashlib.sha256(f"{base_id}\n".encode())
    for path in sorted(runtime.folder.iterdir()):
        if path.is_file():
            h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def runtime_tag(client: Any, runtime: Runtime) -> str:
    """The tag this runtime's image has when built from the current client and base."""
    _base, base_id = base_image(client)
    return f"chaoskit/runtime-{runtime.name}:{digest(runtime, base_id)}"


def build_runtime_images(names: list[str], *, force: bool = False,
                         log: Log = lambda s: None) -> dict[str, RuntimeImage]:
    """The image of every runtime in `names`, building the ones not present (all with `force`).

    A runtime this machine cannot build raises `EnvironmentProblem` (exit 2) with the build
    log's tail; nothing half-built keeps the tag.
    """
    from chaoskit.engine import docker_client

    client = docker_client()
    base, _ = base_image(client)
    present = {t for img in client.images.list(name="chaoskit/runtime-*") for t in img.tags}
    out: dict[str, RuntimeImage] = {}
    for name in names:
        runtime = RUNTIMES[name]
        tag = runtime_tag(client, runtime)
        if tag in present and not force:
            log(f"[runtime {name}] {tag} present, reused")
            out[name] = RuntimeImage(name, tag, False, 0.0)
            continue
        log(f"[runtime {name}] building {tag}")
        started = time.monotonic()
        with tempfile.TemporaryDirectory() as tmp:
            ctx = Path(tmp)
            for path in runtime.folder.iterdir():
                if path.is_file():
                    shutil.copy2(path, ctx / path.name)
            if runtime.host_go:
                _build_go_client(ctx, log)
            _docker_build(client, ctx, tag, {"BASE": base}, name, log)
        out[name] = RuntimeImage(name, tag, True, time.monotonic() - started)
        log(f"[runtime {name}] built {tag} in {out[name].seconds:.1f}s")
    return out


def _build_go_client(ctx: Path, log: Log) -> None:
    go = _go()
    cmd = [go, "build", "-trimpath", "-ldflags=-s -w", "-o", str(ctx / "client"), str(ctx / "main.go")]
    log("$ CGO_ENABLED=0 " + " ".join(cmd))
    env = {**os.environ, "CGO_ENABLED": "0", "GO111MODULE": "off"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ctx)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-TAIL:])
        raise EnvironmentProblem(f"the go runtime's client did not build:\n{tail}",
                                 where="runtime go")


def _docker_build(client: Any, ctx: Path, tag: str, args: dict[str, str], name: str,
                  log: Log) -> None:
    import docker.errors

    lines: list[str] = []
    try:
        for chunk in client.api.build(path=str(ctx), tag=tag, buildargs=args, rm=True,
                                      forcerm=True, pull=False, decode=True,
                                      labels={"io.chaoskit.runtime": name}):
            text = chunk.get("stream") or chunk.get("status") or ""
            for line in text.splitlines():
                if line.strip():
                    lines.append(line.rstrip())
                    if line.startswith("Step "):
                        log(f"[runtime {name}] {line.strip()}")
            if "error" in chunk:
                lines.append(str(chunk["error"]).strip())
                raise EnvironmentProblem(_failure(name, lines))
    except docker.errors.DockerException as exc:
        lines.append(str(exc))
        raise EnvironmentProblem(_failure(name, lines)) from None


def _failure(name: str, lines: list[str]) -> list[Problem]:
    tail = "\n".join("    " + line for line in lines[-TAIL:])
    return [Problem(f"this machine cannot build the {name} runtime's image; the build log's last "
                    f"lines:\n{tail}", where=f"runtime {name}",
                    hint="leave it out of --only, or fix what the log shows")]
