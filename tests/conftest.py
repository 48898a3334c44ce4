"""Shared fixtures: one real world per test session (see chaoskit.pytest_plugin)."""

from __future__ import annotations

import os

# httpx imports httpcore on first use and keeps its exception classes. pytester's in-process
# runs (tests/plugin) drop the modules first imported inside them, so a later import made new
# classes that httpx no longer maps: a raw httpcore.ConnectError escaped a typed client error.
# Imported once here, httpcore lives for the whole session.
import httpcore  # noqa: F401
import pytest

from chaoskit.world import World


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With CHAOSKIT_FORBID_SKIPS=1 (CI sets it), a skipped test fails the session: CI installs
    everything the tests need, so a skip means a test did not run."""
    if os.environ.get("CHAOSKIT_FORBID_SKIPS") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped:
        reporter.ensure_newline()
        reporter.write_line(f"CHAOSKIT_FORBID_SKIPS=1: {len(skipped)} test(s) skipped; failing", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def world(chaoskit_world: World) -> World:
    return chaoskit_world


SLOW_RUNTIMES = "runtimes_slow"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `runtimes_slow` (the JVM's and Node.js's clients, big images) are opt-in:
    deselected (not skipped) unless `-m` names the marker or CHAOSKIT_RUNTIMES_SLOW=1."""
    wanted = SLOW_RUNTIMES in (config.option.markexpr or "")
    if wanted or os.environ.get("CHAOSKIT_RUNTIMES_SLOW") == "1":
        return
    slow = [item for item in items if item.get_closest_marker(SLOW_RUNTIMES)]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker(SLOW_RUNTIMES)]
