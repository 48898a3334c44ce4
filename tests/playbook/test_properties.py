"""Property tests of the playbook loader (Hypothesis): a shipped playbook with one value swapped
for a hostile one, or arbitrary bytes, gets problems at file:line:col or a model; never a
traceback (the loader's "internal error" net counts as one), never a hang."""

from __future__ import annotations

import copy
import re
import shutil
import tempfile
from pathlib import Path

import yaml
from hostile import FUZZ, bounded, value
from hypothesis import given, settings
from hypothesis import strategies as st

from chaoskit.errors import Problem
from chaoskit.playbook import load_playbook, validate_playbook

from .playbooks import PLAYBOOKS
from .test_fuzz import _paths

SHIPPED = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in PLAYBOOKS]


@st.composite
def swapped(draw: st.DrawFn) -> str:
    """A shipped playbook with the value at one place replaced (or a key added there)."""
    data = copy.deepcopy(draw(st.sampled_from(SHIPPED)))
    path = draw(st.sampled_from(_paths(data)[1:]))
    parent = data
    for x in path[:-1]:
        parent = parent[x]
    new = draw(value())
    if isinstance(parent, dict) and draw(st.booleans()):
        parent[draw(st.text(max_size=12))] = new
    else:
        parent[path[-1]] = new
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def check(path: Path) -> None:
    with bounded():
        problems = validate_playbook(path)
        for p in problems:
            assert isinstance(p, Problem) and p.message
            assert "internal error" not in p.message, p
            assert p.where == str(path) or re.fullmatch(rf"{re.escape(str(path))}:\d+:\d+", p.where), p
            assert "\n" not in p.message, p
        if not problems:
            load_playbook(path)


def _in_dir(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(PLAYBOOKS[0].parent / "topologies", Path(tmp) / "topologies")
        path = Path(tmp) / "fuzzed.yaml"
        path.write_bytes(content)
        check(path)


# The loader reads the topology and the fault registry for each case: fewer examples keep CI
# fast (test_fuzz.py runs thousands of seeded mutants besides).
@settings(FUZZ, max_examples=40)
@given(swapped())
def test_a_hostile_value_anywhere_is_a_located_problem_or_accepted(text: str) -> None:
    _in_dir(text.encode("utf-8"))


@settings(FUZZ, max_examples=40)
@given(st.binary(max_size=600))
def test_arbitrary_bytes_are_a_located_problem(raw: bytes) -> None:
    _in_dir(raw)


def test_a_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    with bounded(30):
        (p,) = validate_playbook(fifo)
    assert p.where == str(fifo) and "it is a FIFO, not a regular file" in p.message
