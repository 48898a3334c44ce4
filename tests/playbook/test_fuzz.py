"""Fuzzing the loader: thousands of broken playbooks get problems (or a model), never a traceback.

Mutants of the shipped playbooks, from a fixed seed, bounded in count and time:
byte flips, truncations, lines deleted or duplicated (duplicate keys), values
swapped for other types, keys renamed or added, deep nesting, huge numbers,
unicode, YAML tags and aliases.
"""

from __future__ import annotations

import copy
import random
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from chaoskit.errors import Problem
from chaoskit.playbook import Playbook, load_playbook, validate_playbook

from .playbooks import PLAYBOOKS

SEED = 20251020
MAX_CASES = 2500
# CPU seconds, so that a busy machine runs the same cases, only slower; the wall clock
# bound keeps the test finite there all the same.
MAX_CPU_SECONDS = 15.0
MAX_WALL_SECONDS = 90.0

VALUES: list[Any] = [
    None, True, False, 0, -1, 1.5, 10**400, -(10**30), 1e308, float("nan"), float("inf"),
    "", " ", "x" * 5000, "ünïcødé ☃ 𝔘𝔫𝔦", "\u202e\u0000\t\r\n", "5s", "-5s", "0", "1e3", "5%",
    "all", "none", "*.chaoskit.internal", "kv.us-east-1.chaoskit.internal\n}", "{{ x }}",
    "%s%n", "../../etc/passwd", [], {}, [1, [2, [3]]], {"a": {"b": {"c": None}}},
    {"type": "http"}, {"inject": {}}, [{"wait": "1s"}],
]  # fmt: skip
WORDS = ["version", "name", "method", "inject", "fault", "target", "for", "at", "type", "revert",
         "workload", "rate", "expectations", "during", "probe", "steady_state", "params", "id"]  # fmt: skip
SNIPPETS = [
    "\n<<: *nope\n", "\n!!binary aGVsbG8=\n", "!!python/object:os.system x", "&a [*a]",
    "\n---\nname: second\n", "\t", "{", "]", "\"", "'", "- - - -", "? [a]\n: b\n", "%YAML 1.1\n",
    "key: !!set {a, b}\n", "at: 2025-10-20\n", "\ufeff", "\x00",
]  # fmt: skip


def _paths(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(data, dict):
        for k, v in data.items():
            out.extend(_paths(v, (*path, k)))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out.extend(_paths(v, (*path, i)))
    return out


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for x in path:
        data = data[x]
    return data


def _deep(rng: random.Random) -> Any:
    value: Any = rng.choice(VALUES[:12])
    for _ in range(rng.randint(10, 300)):
        value = [value] if rng.random() < 0.5 else {"k": value}
    return value


def _mutate_data(rng: random.Random, data: Any) -> str:
    data = copy.deepcopy(data)
    path = rng.choice(_paths(data)[1:])
    parent, key = _get(data, path[:-1]), path[-1]
    op = rng.randrange(6)
    if op == 0:
        del parent[key]
    elif op == 1:
        parent[key] = rng.choice(VALUES)
    elif op == 2:
        parent[key] = _deep(rng)
    elif op == 3 and isinstance(parent, dict):
        value = parent.pop(key)
        parent[rng.choice(WORDS) + rng.choice(["", "s", "_", "x"])] = value
    elif op == 4:
        other = _get(data, rng.choice(_paths(data)))
        parent[key] = copy.deepcopy(other)  # a value of another type from elsewhere
    else:
        parent[key] = [parent[key]] if rng.random() < 0.5 else {"wrapped": parent[key]}
    try:
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    except (yaml.YAMLError, RecursionError):
        return yaml.safe_dump({"version": 1, "name": "t", "method": "x"})


def _mutate_text(rng: random.Random, text: str) -> bytes:
    lines = text.splitlines(keepends=True)
    op = rng.randrange(8)
    if op == 0:  # byte flips
        raw = bytearray(text.encode("utf-8"))
        for _ in range(rng.randint(1, 8)):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        return bytes(raw)
    if op == 1:  # truncation
        return text[: rng.randrange(len(text))].encode("utf-8")
    if op == 2:  # delete, duplicate or swap lines
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        choice = rng.randrange(3)
        if choice == 0:
            del lines[i]
        elif choice == 1:
            lines.insert(i, lines[i])
        else:
            lines[i], lines[j] = lines[j], lines[i]
        return "".join(lines).encode("utf-8")
    if op == 3:  # re-indent a line
        i = rng.randrange(len(lines))
        lines[i] = " " * rng.randint(0, 9) + lines[i].lstrip(" ")
        return "".join(lines).encode("utf-8")
    if op == 4:  # huge or odd numbers
        odd = rng.choice(["1" + "0" * rng.randint(20, 600), "1e999", "-0", ".nan", "-.inf", "0x1F"])
        return re.sub(r"\b\d+(\.\d+)?", lambda m: odd if rng.random() < 0.3 else m[0], text).encode()
    if op == 5:  # unicode and YAML syntax in odd places
        at = rng.randrange(len(text) + 1)
        return (text[:at] + rng.choice(SNIPPETS + ["☃", "𝔘", "\u202e", "é"]) + text[at:]).encode()
    if op == 6:  # deep nesting, in flow style
        n = rng.randint(50, 4000)
        return (text + "\nsteady_state: " + "[" * n + "]" * n + "\n").encode()
    return text.replace(": ", ":", 1).encode() if rng.random() < 0.5 else text.upper().encode()


def _check(path: Path) -> Playbook | None:
    problems = validate_playbook(path)
    assert isinstance(problems, list)
    for p in problems:
        assert isinstance(p, Problem)
        assert "internal error" not in p.message, p
        assert p.where, p
        assert p.where.startswith(str(path.parent)), p
    if not problems:
        return load_playbook(path)
    return None


def test_fuzzed_playbooks_get_problems_never_a_traceback(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    shutil.copytree(PLAYBOOKS[0].parent / "topologies", tmp_path / "topologies")
    seeds = [(p.read_text(encoding="utf-8"), yaml.safe_load(p.read_text(encoding="utf-8")))
             for p in PLAYBOOKS]  # fmt: skip
    target = tmp_path / "fuzzed.yaml"
    mutators: list[Callable[[str, Any], bytes]] = [
        lambda text, data: _mutate_text(rng, text),
        lambda text, data: _mutate_data(rng, data).encode("utf-8"),
        lambda text, data: _mutate_text(rng, _mutate_data(rng, data)),
    ]
    start, cpu = time.monotonic(), time.process_time()
    cases = valid = 0
    while (
        cases < MAX_CASES
        and time.process_time() - cpu < MAX_CPU_SECONDS
        and time.monotonic() - start < MAX_WALL_SECONDS
    ):
        text, data = rng.choice(seeds)
        content = rng.choice(mutators)(text, data)
        target.write_bytes(content)
        try:
            if _check(target) is not None:
                valid += 1
        except AssertionError:
            raise
        except Exception as exc:  # pragma: no cover - what this test exists to catch
            raise AssertionError(f"case {cases} raised {exc!r} on:\n{content[:2000]!r}") from exc
        cases += 1
    took = time.monotonic() - start
    print(f"{cases} fuzzed playbooks, {valid} valid, in {took:.1f} s ({time.process_time() - cpu:.1f} s CPU)")
    assert cases >= 500 or took >= MAX_WALL_SECONDS, f"only {cases} cases"
    assert 0 < valid < cases  # some mutants still validate; most do not
