"""pytest plugin: chaos suites written as ordinary tests.

A thin layer over the library. Fixtures:

- ``chaoskit_world`` (session): the world, brought up once per test session
  or attached to one already running (``--chaoskit-world NAME``); torn down at
  the end only if this session started it and ``--chaoskit-keep`` is not given.
- ``chaos`` (function): a `Faults` controller on that world; every fault a test
  applies is reverted after it, and the baseline is confirmed (the test errors
  loudly if it cannot be).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from chaoskit.faults import Faults
from chaoskit.region import World


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chaoskit", "chaoskit chaos testing")
    group.addoption("--chaoskit-topology", default=None, help="topology file of the world")
    group.addoption("--chaoskit-world", default=None,
                    help="name of the world to use (attached if already running)")
    group.addoption("--chaoskit-keep", action="store_true", default=False,
                    help="leave the world up after the session")
    group.addoption("--chaoskit-images", default=None, choices=["auto", "local", "official"],
                    help="which images to run (default: auto)")
    group.addoption("--chaoskit-report", default=None, help="directory for playbook reports")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "chaos: a chaos test that needs a running chaoskit world")


def _world_name(config: pytest.Config) -> str | None:
    name = config.getoption("--chaoskit-world") or os.environ.get("CHAOSKIT_WORLD")
    if name:
        return str(name)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    # Each xdist worker gets its own world: worlds are isolated by design.
    return f"pytest-{os.getpid()}" if worker is None else f"pytest-{os.getppid()}-{worker}"


@pytest.fixture(scope="session")
def chaoskit_world(request: pytest.FixtureRequest) -> Iterator[World]:
    config = request.config
    topology = config.getoption("--chaoskit-topology") or os.environ.get("CHAOSKIT_TOPOLOGY")
    world = World.define(topology, _world_name(config))
    started = False
    if not world.is_running():
        world.up(images=config.getoption("--chaoskit-images"))
        started = True
    try:
        yield world
    finally:
        if started and not config.getoption("--chaoskit-keep"):
            world.down()


@pytest.fixture
def chaos(chaoskit_world: World) -> Iterator[Faults]:
    faults = Faults(chaoskit_world)
    try:
        yield faults
    finally:
        faults.close()
        leftovers = faults.listing()
        if leftovers:
            faults.reset()
            pytest.fail(f"faults left behind and reset: {[f['id'] for f in leftovers]}")


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"chaoskit: world {_world_name(config)}"]


__all__: list[Any] = []
