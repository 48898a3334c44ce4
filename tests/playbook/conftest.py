"""Fixtures for playbook tests: a validator of texts, against the real fault registry and checks."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from chaoskit.errors import Problem
from chaoskit.playbook import validate_playbook

from .playbooks import Check


@pytest.fixture
def check(tmp_path: Path) -> Check:
    """validate_playbook on `text` (dedented) written to tmp_path/pb.yaml."""

    def run(text: str, *, interactive: bool = False, name: str = "pb.yaml") -> list[Problem]:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return validate_playbook(path, interactive=interactive)

    return run
