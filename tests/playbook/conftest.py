"""Fixtures for playbook tests: a fault catalogue that holds still, and a validator of texts."""

from __future__ import annotations

import textwrap
from pathlib import Path
from types import ModuleType

import pytest

from chaoskit.errors import Problem
from chaoskit.playbook import _known, validate_playbook

from .playbooks import Check


@pytest.fixture
def fallback_faults(monkeypatch: pytest.MonkeyPatch) -> None:
    """Judge fault kinds by the playbook package's own list, not the registry (which moves)."""
    real = _known._module

    def without_registry(name: str) -> ModuleType | None:
        return None if name == "chaoskit.faults.registry" else real(name)

    monkeypatch.setattr(_known, "_module", without_registry)


@pytest.fixture
def check(tmp_path: Path, fallback_faults: None) -> Check:
    """validate_playbook on `text` (dedented) written to tmp_path/pb.yaml."""

    def run(text: str, *, interactive: bool = False, name: str = "pb.yaml") -> list[Problem]:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return validate_playbook(path, interactive=interactive)

    return run
