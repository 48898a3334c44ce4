"""Tests of chaoskit's pytest plugin, with pytester: inner sessions attach to the outer world."""

from __future__ import annotations

import pytest

from chaoskit.world import World


def pytest_configure(config: pytest.Config) -> None:
    # `pytest_plugins = ["pytester"]` is refused in a conftest below the top level when
    # the whole suite runs (`pytest tests`); registering it here works either way.
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")
    config.addinivalue_line(
        "markers", "xdist_worlds: brings up two worlds under pytest-xdist (minutes); "
                   "deselect with -m 'not xdist_worlds'")


@pytest.fixture
def world_args(world: World, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Options that make an inner session attach to the outer session's world."""
    # pytester points HOME at its own directory; the world's state is under the real one.
    monkeypatch.setenv("CHAOSKIT_STATE", str(world.dir.parent))
    return ["--chaoskit-world", world.project.removeprefix("chaoskit-"), "-p", "no:cacheprovider"]
