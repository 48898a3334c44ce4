"""`chaoskit up` on a running world recreates exactly the services whose image (rebuilt under
the same tag) or configuration changed, and says which; the Docker API shows every other
container untouched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import docker
import pytest

from chaoskit.images.catalogue import SERVICES_ENV, SERVICES_IMAGE

pytestmark = pytest.mark.world
ROOT = Path(__file__).resolve().parents[2]


def chaoskit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chaoskit", *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=600, cwd=ROOT)


def build_cart(tag: str, revision: str, directory: Path) -> str:
    """A team's image: a static file server, rebuilt with a new label (a new id, the same tag)."""
    base = os.environ.get(SERVICES_ENV) or SERVICES_IMAGE
    directory.mkdir(exist_ok=True)
    (directory / "Dockerfile").write_text(f"FROM {base}\nLABEL io.example.revision={revision}\n")
    subprocess.run(["docker", "build", "-q", "-t", tag, str(directory)], check=True, capture_output=True,
                   timeout=300)
    return str(docker.from_env().images.get(tag).id)


def ids(project: str) -> dict[str, str]:
    client = docker.from_env()
    found = client.containers.list(all=True, filters={"label": f"com.docker.compose.project={project}"})
    return {c.labels["com.docker.compose.service"]: c.id for c in found
            if c.labels["com.docker.compose.service"] != "tools"}


def topology(path: Path, tag: str, level: str) -> None:
    path.write_text(f"""
name: shop
regions: [us-east-1, us-west-2]
services:
  orders: {{port: 8080, uses: [kv]}}
  cart:
    image: {tag}
    command: [python3, -m, http.server, "9000"]
    port: 9000
    health_path: /
    uses: [kv, orders]
    env: {{LOG_LEVEL: {level}}}
""")


def test_up_recreates_only_what_changed(tmp_path: Path) -> None:
    name = f"h9b-up-{os.getpid()}"
    project = f"chaoskit-{name}"
    tag = f"chaoskit-test/cart:{os.getpid()}"
    topo = tmp_path / "shop.yaml"
    topology(topo, tag, "info")
    first = build_cart(tag, "1", tmp_path / "image")
    try:
        r = chaoskit("up", "--topology", str(topo), "--world", name)
        assert r.returncode == 0, r.stdout + r.stderr
        before = ids(project)
        assert {"cart-us-east-1", "cart-us-west-2", "orders-us-east-1", "kv-us-west-2"} <= set(before)

        r = chaoskit("up", "--topology", str(topo), "--world", name, "--json")
        assert r.returncode == 0, r.stdout + r.stderr
        assert json.loads(r.stdout)["recreated"] == []
        assert ids(project) == before

        assert build_cart(tag, "2", tmp_path / "image") != first
        r = chaoskit("up", "--topology", str(topo), "--world", name, "--json")
        assert r.returncode == 0, r.stdout + r.stderr
        out = json.loads(r.stdout)
        assert out["recreated"] == ["cart-us-east-1", "cart-us-west-2"]
        assert out["image_changed"] == ["cart-us-east-1", "cart-us-west-2"]
        after = ids(project)
        assert {s for s in before if after[s] != before[s]} == {"cart-us-east-1", "cart-us-west-2"}
        client = docker.from_env()
        assert client.containers.get(after["cart-us-west-2"]).attrs["Image"] != first

        topology(topo, tag, "debug")  # configuration only: compose's config hash
        r = chaoskit("up", "--topology", str(topo), "--world", name)
        assert r.returncode == 0, r.stdout + r.stderr
        said = " ".join(r.stdout.split())
        assert "recreated cart-us-east-1 (configuration changed), cart-us-west-2 (configuration changed)" \
            in said, said
        again = ids(project)
        assert {s for s in after if again[s] != after[s]} == {"cart-us-east-1", "cart-us-west-2"}
        env = client.containers.get(again["cart-us-east-1"]).attrs["Config"]["Env"]
        assert "LOG_LEVEL=debug" in env
        assert "CHAOSKIT_WRITE_ENDPOINT_KV=kv.global.chaoskit.internal:6379" in env
    finally:
        chaoskit("down", "--world", name)
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, timeout=60)
