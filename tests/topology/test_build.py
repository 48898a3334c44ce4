"""`build:` for a topology service: a folder with a Dockerfile, relative to the topology file."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaoskit.errors import TopologyError
from chaoskit.images import built_image
from chaoskit.render import Plan, render_compose
from chaoskit.topology import load_topology

TOPOLOGY = """\
name: shop
regions: [us-east-1]
services:
  cart:
    build: {build}
    port: 9000
    uses: [kv]
"""


def write(tmp_path: Path, build: str, extra: str = "") -> Path:
    path = tmp_path / "topology.yaml"
    path.write_text(TOPOLOGY.format(build=build) + extra)
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(TopologyError) as info:
        load_topology(path)
    return [str(p) for p in info.value.problems]


def test_a_build_context_is_relative_to_the_topology_and_runs_a_per_world_image(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "Dockerfile").write_text("FROM scratch\n")
    topology = load_topology(write(tmp_path, "svc"))
    assert topology.build_context("cart") == (tmp_path / "svc").resolve()
    compose = render_compose(Plan(topology, "chaoskit-shop", {"us-east-1": "10.9.0.0/24"}))
    assert compose["services"]["cart-us-east-1"]["image"] == built_image("chaoskit-shop", "cart")
    assert built_image("chaoskit-a", "cart") != built_image("chaoskit-b", "cart")


def test_a_missing_context_is_located(tmp_path: Path) -> None:
    path = write(tmp_path, "nowhere")
    [problem] = problems(path)
    assert problem.startswith(f"{path}:5:12: build context 'nowhere' of service 'cart' is not a folder")
    assert "relative to the topology file's folder" in problem


def test_a_context_without_dockerfile_and_image_with_build_are_located(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    path = write(tmp_path, "empty", "    image: team/cart:1\n")
    found = problems(path)
    assert f"{path}:5:12: service 'cart' gives both image and build; give one" in found
    assert f"{path}:5:12: build context 'empty' of service 'cart' has no Dockerfile" in found


def test_a_world_reopened_from_its_copy_does_not_need_the_context(tmp_path: Path) -> None:
    path = write(tmp_path, "gone-since")
    topology = load_topology(path, base=tmp_path / "elsewhere", check_builds=False)
    assert topology.build_context("cart") == (tmp_path / "elsewhere" / "gone-since").resolve()
