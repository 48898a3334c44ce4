"""Build local equivalents of the pinned images, for machines that cannot pull.

Steps, each skipped when its image is already present:
- base: a Debian root filesystem from ``debootstrap`` (with redis-server,
  python3 and busybox-static), imported with ``docker import``;
- coredns, toxiproxy: ``go install`` of the pinned versions (static, CGO off)
  into ``FROM scratch`` images, as the official images are;
- kv: the base image running Debian's redis-server;
- services: chaoskit's in-world code on the Python image (always local).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from chaoskit.errors import EnvironmentProblem
from chaoskit.images.catalogue import (
    COREDNS_VERSION,
    IMAGES,
    SERVICES_ENV,
    SERVICES_IMAGE,
    TOXIPROXY_VERSION,
)

DOCKERFILES = Path(__file__).with_name("dockerfiles")
INWORLD = Path(__file__).resolve().parent.parent / "inworld"
BASE_PACKAGES = ["redis-server", "python3", "busybox-static", "ca-certificates"]
# Libraries the in-world code may import besides the standard library (distribution name ->
# the name it is imported by): pure-Python wheels, unpacked into the services image.
SHIPPED = {"dnspython": "dns"}

GO_BINARIES = {
    "coredns": ("github.com/coredns/coredns", f"v{COREDNS_VERSION}", "coredns", "coredns"),
    "toxiproxy": ("github.com/Shopify/toxiproxy/v2/cmd/server", f"v{TOXIPROXY_VERSION}",
                  "server", "toxiproxy"),
}
# Entrypoints mirror the official images so compose files work with either.
ENTRYPOINTS = {"coredns": ["/coredns"], "toxiproxy": ["/toxiproxy"]}
COMMANDS = {"coredns": [], "toxiproxy": ["-host=0.0.0.0"]}

Log = Callable[[str], None]


def cache_dir() -> Path:
    root = Path(os.environ.get("CHAOSKIT_CACHE") or Path.home() / ".cache" / "chaoskit")
    root.mkdir(parents=True, exist_ok=True)
    return root


def _client() -> Any:
    from chaoskit.engine import docker_client

    return docker_client()


def _run(cmd: list[str], log: Log, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
    log("$ " + " ".join(cmd))
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise EnvironmentProblem(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{tail}")


def build_base(client: Any, tag: str, log: Log) -> None:
    debootstrap = shutil.which("debootstrap") or "/usr/sbin/debootstrap"
    if not Path(debootstrap).exists():
        if os.geteuid() == 0 and shutil.which("apt-get"):
            _run(["apt-get", "install", "-y", "-qq", "debootstrap"], log)
        else:
            raise EnvironmentProblem("debootstrap is not installed",
                                     hint="apt-get install debootstrap, or pull the official images")
    root = cache_dir() / "rootfs-bookworm"
    if not (root / "usr/bin/redis-server").exists():
        if root.exists():
            shutil.rmtree(root)
        _run([debootstrap, "--variant=minbase", "--include=" + ",".join(BASE_PACKAGES),
              "bookworm", str(root)], log)
    log(f"importing {root} as {tag}")
    with tempfile.TemporaryDirectory() as tmp:
        tar_path = Path(tmp) / "rootfs.tar"
        with tarfile.open(tar_path, "w") as tar:
            for entry in sorted(root.iterdir()):
                tar.add(entry, arcname=entry.name)
        repo, _, version = tag.partition(":")
        client.api.import_image_from_file(str(tar_path), repository=repo, tag=version or "latest")


def go_binary(role: str, log: Log = lambda s: None) -> Path:
    """The pinned static binary of `role` (``coredns``, ``toxiproxy``), built into the cache once.

    The Toxiproxy server is also what the wire tests run on the host (CI asks for it here).
    """
    module, version, built_name, _name = GO_BINARIES[role]
    gobin = cache_dir() / "gobin" / f"{role}-{version}"
    binary = gobin / built_name
    if not binary.exists():
        go = shutil.which("go") or "/usr/local/go/bin/go"
        if not Path(go).exists():
            raise EnvironmentProblem("Go is needed to build the CoreDNS and Toxiproxy images",
                                     hint="install Go 1.25+, or pull the official images")
        gobin.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "CGO_ENABLED": "0", "GOBIN": str(gobin)}
        _run([go, "install", f"{module}@{version}"], log, env=env)
    return binary


def build_go(client: Any, role: str, tag: str, log: Log) -> None:
    name = GO_BINARIES[role][3]
    binary = go_binary(role, log)
    with tempfile.TemporaryDirectory() as tmp:
        ctx = Path(tmp)
        shutil.copy2(binary, ctx / name)
        shutil.copy2(DOCKERFILES / "Dockerfile.scratch", ctx / "Dockerfile")
        (ctx / "etc-passwd").write_text("root:x:0:0:root:/:/\nnonroot:x:65532:65532::/:/\n")
        entry = ", ".join(f'"{a}"' for a in ENTRYPOINTS[role])
        with open(ctx / "Dockerfile", "a") as fh:
            fh.write(f"ENTRYPOINT [{entry}]\n")
            if COMMANDS[role]:
                fh.write("CMD [" + ", ".join(f'"{a}"' for a in COMMANDS[role]) + "]\n")
        _docker_build(client, ctx, tag, {"BINARY": name}, log)


def _docker_build(client: Any, ctx: Path, tag: str, args: dict[str, str], log: Log,
                  dockerfile: str = "Dockerfile") -> None:
    log(f"building {tag}")
    stream = client.api.build(path=str(ctx), tag=tag, buildargs=args, dockerfile=dockerfile,
                              rm=True, decode=True)
    for chunk in stream:
        if "error" in chunk:
            raise EnvironmentProblem(f"docker build of {tag} failed: {chunk['error'].strip()}")
        line = chunk.get("stream", "").strip()
        if line.startswith("Step "):
            log(line)


def build_kv(client: Any, tag: str, base: str, log: Log) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy2(DOCKERFILES / "Dockerfile.kv", Path(tmp) / "Dockerfile")
        _docker_build(client, Path(tmp), tag, {"BASE": base}, log)


def shipped_wheels(log: Log) -> list[Path]:
    """Wheels of the libraries the in-world code uses (SHIPPED), built on the host.

    Pinned to the versions installed here, so both sides of the world speak the same
    dnspython; built once per version into the cache (no registry needed afterwards).
    """
    import importlib.metadata

    out: list[Path] = []
    for dist in SHIPPED:
        version = importlib.metadata.version(dist)
        folder = cache_dir() / "wheels" / f"{dist}-{version}"
        found = sorted(folder.glob("*.whl")) if folder.is_dir() else []
        if not found:
            folder.mkdir(parents=True, exist_ok=True)
            _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(folder),
                  f"{dist}=={version}"], log)
            found = sorted(folder.glob("*.whl"))
        out.extend(found)
    return out


def build_services(client: Any, tag: str, base: str, log: Log) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ctx = Path(tmp)
        shutil.copy2(DOCKERFILES / "Dockerfile.services", ctx / "Dockerfile")
        shutil.copytree(INWORLD, ctx / "inworld", ignore=shutil.ignore_patterns("__pycache__"))
        (ctx / "wheels").mkdir()
        for wheel in shipped_wheels(log):
            shutil.copy2(wheel, ctx / "wheels" / wheel.name)
        _docker_build(client, ctx, tag, {"BASE": base}, log)


def build_images(*, mode: str = "local", force: bool = False, log: Log = print,
                 only: list[str] | None = None) -> dict[str, str]:
    """Build what is missing; return role -> image tag used.

    `mode` ``local`` builds every local stand-in; ``auto`` builds only the
    services image plus the stand-ins of official images that are not present.
    """
    client = _client()
    present = {t for img in client.images.list() for t in img.tags}
    # A role gets a local stand-in unless its official image is here already.
    chosen = {role: (spec.local if mode == "local" or spec.official not in present else spec.official)
              for role, spec in IMAGES.items()}
    # CHAOSKIT_IMAGE_SERVICES names the services image to build (and run), so two
    # checkouts on one machine need not overwrite each other's in-world code.
    services_tag = os.environ.get(SERVICES_ENV) or SERVICES_IMAGE
    chosen["services"] = services_tag
    wanted = only or ["base", "coredns", "toxiproxy", "kv", "services"]
    base_tag = IMAGES["python"].local

    def need(tag: str) -> bool:
        return force or tag not in present

    steps: list[tuple[str, str, Callable[[], None]]] = []
    uses_base = chosen["kv"] == IMAGES["kv"].local or chosen["python"] == base_tag
    if "base" in wanted and uses_base:
        steps.append(("base", base_tag, lambda: build_base(client, base_tag, log)))
    for role in ("coredns", "toxiproxy"):
        if role in wanted and chosen[role] == IMAGES[role].local:
            steps.append((role, chosen[role], partial(build_go, client, role, chosen[role], log)))
    if "kv" in wanted and chosen["kv"] == IMAGES["kv"].local:
        steps.append(("kv", chosen["kv"], lambda: build_kv(client, chosen["kv"], base_tag, log)))
    if "services" in wanted:
        steps.append(("services", services_tag,
                      lambda: build_services(client, services_tag, chosen["python"], log)))
    for role, tag, step in steps:
        # The services image carries our code: rebuild it whenever asked, it takes seconds.
        if need(tag) or role == "services":
            log(f"[{role}] building {tag}")
            step()
            present.add(tag)
        else:
            log(f"[{role}] {tag} present, skipped")
    return chosen
