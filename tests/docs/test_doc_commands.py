"""Docs that are tested: every `chaoskit` command line in README.md and docs/*.md is parsed
against the real CLI (its Click commands, as Typer builds them), so a renamed command or
option fails here before a reader trips on it. Placeholders (`FILE`, `ID`, `[--json]`) stand
for values; what is checked is the command path, every option, and that a command which takes
no argument is shown with none."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer

from chaoskit.cli import app

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CLI = typer.main.get_command(app)

_FENCE = re.compile(r"^\s*```")
_INLINE = re.compile(r"`([^`\n]+)`")
_START = re.compile(r"^(?:\$\s+)?(?:python3? -m )?chaoskit(?=\s|$)")


def command_lines(text: str) -> list[tuple[int, str]]:
    """(line number, command) for each chaoskit command shown in a Markdown text."""
    found: list[tuple[int, str]] = []
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        candidates = [line.strip()] if fenced or line.startswith("    ") else _INLINE.findall(line)
        for candidate in candidates:
            for part in candidate.split("&&"):
                part = part.strip()
                if _START.match(part):
                    found.append((number, part.split(" #")[0].strip()))
    return found


def problems_of(line: str) -> list[str]:
    """What the real CLI would refuse in `line` (an empty list when it parses)."""
    words = [w for w in shlex.split(_START.sub("chaoskit", line))[1:] if w not in ("|", "...")]
    words = [w for w in words if w != "[options]"]
    words = [w.strip("[]").removesuffix("...") for w in words]
    # Typer 0.29 builds its commands from its own copy of click: read them by their interface.
    cmd: Any = CLI
    path = ["chaoskit"]
    positionals: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word.startswith("-"):
            name, _, inline_value = word.partition("=")
            if name == "--help":
                continue
            option = next((p for p in cmd.params if p.param_type_name == "option"
                           and name in (*p.opts, *p.secondary_opts)), None)
            if option is None:
                return [f"{' '.join(path)} has no option {name}"]
            if not (option.is_flag or option.count) and not inline_value:
                i += 1  # its value
            continue
        if hasattr(cmd, "list_commands") and not positionals:
            sub = cmd.get_command(None, word)
            if sub is None:
                return [f"{' '.join(path)} has no command {word!r}"]
            cmd, path = sub, [*path, word]
            continue
        positionals.append(word)
    arguments = [p for p in cmd.params if p.param_type_name == "argument"]
    if not any(a.nargs == -1 for a in arguments) and len(positionals) > sum(a.nargs for a in arguments):
        return [f"{' '.join(path)} takes {sum(a.nargs for a in arguments)} argument(s), "
                f"shown with {positionals}"]
    return []


ALL = [(doc, number, line) for doc in DOCS
       for number, line in command_lines(doc.read_text(encoding="utf-8"))]


def test_the_docs_show_commands() -> None:
    assert len(ALL) > 40
    assert {doc.name for doc, _, _ in ALL} >= {"README.md", "faults.md", "gameday.md", "pytest.md"}


@pytest.mark.parametrize(("doc", "number", "line"), ALL,
                         ids=[f"{d.name}:{n}" for d, n, _ in ALL])
def test_every_command_line_in_the_docs_parses(doc: Path, number: int, line: str) -> None:
    assert problems_of(line) == [], f"{doc.relative_to(ROOT)}:{number}: {line}"


@pytest.mark.parametrize(("line", "problem"), [
    ("chaoskit faults kinds", "chaoskit faults takes 0 argument(s), shown with ['kinds']"),
    ("chaoskit teleport", "chaoskit has no command 'teleport'"),
    ("chaoskit up --no-such-option", "chaoskit up has no option --no-such-option"),
    ("chaoskit images bake", "chaoskit images has no command 'bake'"),
])
def test_the_check_refuses_what_the_cli_refuses(line: str, problem: str) -> None:
    assert problems_of(line) == [problem]


def test_the_check_reads_placeholders_and_values() -> None:
    assert problems_of("chaoskit up [--topology FILE] [--world NAME]") == []
    assert problems_of("chaoskit inject dns nodata NAME [--region R] [--for 30s]") == []
    assert problems_of("chaoskit images build --mode auto") == []
    assert command_lines("run `pip install -e . && chaoskit doctor --fix` first") == [
        (1, "chaoskit doctor --fix")]
