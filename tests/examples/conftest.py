"""The examples a team copies, run as a team would: the cart service's world, built from its Go source."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from chaoskit.pytest_plugin._session import session_of
from chaoskit.region import World

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CART = EXAMPLES / "cart"


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")


@pytest.fixture(scope="session")
def cart_world(request: pytest.FixtureRequest) -> World:
    """A world of examples/cart/topology.yaml, its services built from Go source (taken down at the end)."""
    built = subprocess.run([str(CART / "build.sh")], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, f"examples/cart/build.sh failed (needs Go):\n{built.stderr}"
    return session_of(request.config).world(CART / "topology.yaml")
