"""Game-day fixtures: a small playbook, and a real `Run` on no world for tests that need none."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaoskit.runner import Run

from .offline import offline_run, small_playbook


@pytest.fixture
def playbook_path(tmp_path: Path) -> Path:
    path = tmp_path / "gd-small.yaml"
    path.write_text(small_playbook())
    return path


@pytest.fixture
def run(playbook_path: Path) -> Run:
    return offline_run(playbook_path)
