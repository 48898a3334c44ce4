"""The public surface: `__all__`, `validate_paths` for the CLI, the schema command."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import chaoskit.playbook
from chaoskit.playbook import validate_paths

from .playbooks import BASE, PLAYBOOKS


def test_all_is_sorted_and_complete() -> None:
    names = chaoskit.playbook.__all__
    assert names == sorted(names)
    for name in names:
        assert hasattr(chaoskit.playbook, name), name
    public = {
        n
        for n, v in vars(chaoskit.playbook).items()
        if not n.startswith(("_", "@")) and not isinstance(v, types.ModuleType)
    }
    assert public == set(names)


def test_validate_paths_ok_and_bad(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(BASE, encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE.replace("rate: 10", "rate: 0"), encoding="utf-8")
    assert validate_paths([str(good)]) == (0, [])
    code, problems = validate_paths([str(good), str(bad), str(tmp_path / "missing.yaml")])
    assert code == 2
    assert [p.where.rsplit(":", 2)[0] for p in problems] == [str(bad), str(tmp_path / "missing.yaml")]


def test_validate_paths_takes_directories(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "b.yml").write_text("version: 1\n", encoding="utf-8")
    code, problems = validate_paths([tmp_path])
    assert code == 2
    assert {p.where.split(":")[0] for p in problems} == {str(tmp_path / "b.yml")}
    empty = tmp_path / "empty"
    empty.mkdir()
    assert validate_paths([empty])[0] == 2
    assert validate_paths([]) == (2, validate_paths([])[1])
    assert "no playbook given" in validate_paths([])[1][0].message


def test_validate_paths_on_the_shipped_folder_names_only_playbooks() -> None:
    code, problems = validate_paths([PLAYBOOKS[0].parent])
    # playbooks/topologies/ is not read as playbooks; only the with-auth topology may object.
    assert all("with-auth" in p.where or "topology" in p.message for p in problems), problems


def test_schema_command_checks_freshness() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "chaoskit.playbook.schema", "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "up to date" in done.stdout
    assert "Warning" not in done.stderr
