"""pytest plugin: chaos suites written as ordinary tests, and playbooks run as test items.

A thin layer over the library (everything here can be done without pytest);
installed with chaoskit (entry point ``pytest11``). See docs/pytest.md.

Fixtures (each makes one change and undoes it):

- ``chaoskit_world`` (session): the world, attached to if already running
  (``--chaoskit-world NAME`` or ``$CHAOSKIT_WORLD``), else brought up once;
  taken down at the end only if this session started it and ``--chaoskit-keep``
  is not given. Under xdist each worker has its own world (``NAME-gw0``...).
- ``chaos``: a `Faults` controller; after the test its faults are reverted and
  the world's baseline confirmed, without restarts; a baseline that cannot be
  restored makes the test error with `BaselineNotRestored`.
- ``chaoskit_workload``: ``chaoskit_workload("orders", rate=50)`` starts a
  workload (`WorkloadRun`, a context manager giving the `History`); stopped after the test.
- ``chaoskit_exits``: ``chaoskit_exits("orders", [...])`` sets a service's exits; restored after.
- ``chaoskit_sweep``: ``chaoskit_sweep("orders", faults=[...], duration="5s")`` runs a
  sweep (`chaoskit.sweep`) on the session's world and returns its `Matrix`; with the
  ``chaoskit_sweep(service, ...)`` marker, ``chaoskit_cell`` makes one item per cell.
- ``chaoskit`` (session): `Chaoskit`: per-region Toxiproxy and DNS, addresses,
  and ``check(history, rto="5s", lost_writes=0)``.

Playbook files (``version: 1`` and ``method:``) given to pytest are collected:
one item per expectation, one run per file, reports under ``--chaoskit-report``.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest

from chaoskit.pytest_plugin._baseline import BaselineNotRestored
from chaoskit.pytest_plugin._fixtures import (
    Chaoskit,
    ChaoskitResetWarning,
    Verdicts,
    WorkloadRun,
    chaos,
    chaoskit,
    chaoskit_exits,
    chaoskit_workload,
    chaoskit_world,
)
from chaoskit.pytest_plugin._playbooks import PlaybookFile, looks_like_playbook
from chaoskit.pytest_plugin._session import SESSION, ChaoskitSession, base_name, session_of
from chaoskit.pytest_plugin._sweep import MARKER, chaoskit_cell, chaoskit_sweep, generate_cells

#: The fixtures that need a world; a test using any of them gets the `chaos` marker.
WORLD_FIXTURES = frozenset(
    {"chaoskit_world", "chaoskit", "chaos", "chaoskit_workload", "chaoskit_exits", "chaoskit_sweep",
     "chaoskit_cell"}
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chaoskit", "chaoskit chaos testing")
    group.addoption(
        "--chaoskit-topology",
        default=None,
        metavar="FILE",
        help="topology of the world (default: $CHAOSKIT_TOPOLOGY, else the built-in two regions)",
    )
    group.addoption(
        "--chaoskit-world",
        default=None,
        metavar="NAME",
        help="world to use: attached to if running, else brought up (default: "
        "$CHAOSKIT_WORLD, else pytest-<pid>); NAME-gw0... per xdist worker",
    )
    group.addoption(
        "--chaoskit-keep",
        action="store_true",
        default=False,
        help="leave a world this session brought up running at the end",
    )
    group.addoption(
        "--chaoskit-images",
        default=None,
        choices=["auto", "local", "official"],
        help="which images a new world runs (default: $CHAOSKIT_IMAGES, else auto)",
    )
    group.addoption(
        "--chaoskit-report",
        default=None,
        metavar="DIR",
        help="where playbook reports go, one folder per playbook (default: a tmp dir)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "chaos: needs a running chaoskit world (set on every test using a chaoskit fixture "
        "and on playbook items; deselect with -m 'not chaos')",
    )
    config.addinivalue_line(
        "markers",
        f"{MARKER}(service, **options): with the `chaoskit_cell` fixture, one test item per cell "
        "(dependency x fault class) of a sweep of `service` (docs/pytest.md)",
    )
    config.stash[SESSION] = ChaoskitSession(config)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    generate_cells(metafunc)


def pytest_report_header(config: pytest.Config) -> list[str]:
    session = session_of(config)
    how = "attached to if running, else brought up" + (" and kept" if session.keep else "")
    if config.getoption("numprocesses", None):  # the xdist controller: its workers name the worlds
        return [
            f"chaoskit: one world per xdist worker, chaoskit-{base_name(config) or 'pytest-<run>'}-gwN: {how}"
        ]
    return [f"chaoskit: world chaoskit-{session.name}: {how}"]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> PlaybookFile | None:
    if looks_like_playbook(file_path):
        return PlaybookFile.from_parent(parent, path=file_path)
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if WORLD_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker("chaos")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if call.excinfo is not None and isinstance(call.excinfo.value, BaselineNotRestored):
        report.longrepr = str(call.excinfo.value)  # the message says it all; no fixture traceback
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    session_of(session.config).close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = session_of(terminalreporter.config).summary
    if lines:
        terminalreporter.section("chaoskit")
        for line in lines:
            terminalreporter.write_line(line)


__all__ = [
    "BaselineNotRestored",
    "Chaoskit",
    "ChaoskitResetWarning",
    "Verdicts",
    "WorkloadRun",
    "chaos",
    "chaoskit",
    "chaoskit_cell",
    "chaoskit_exits",
    "chaoskit_sweep",
    "chaoskit_workload",
    "chaoskit_world",
    "looks_like_playbook",
]
