"""Shared fixtures: one real world per test session (see chaoskit.pytest_plugin)."""

from __future__ import annotations

import pytest

from chaoskit.world import World


@pytest.fixture(scope="session")
def world(chaoskit_world: World) -> World:
    return chaoskit_world
