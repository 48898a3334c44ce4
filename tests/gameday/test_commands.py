"""What the facilitator types, parsed: commands, and a clear message for anything else."""

from __future__ import annotations

import pytest

from chaoskit.gameday import HELP, Command, parse_command


@pytest.mark.parametrize(("line", "verb"), [
    ("go", "go"), ("GO", "go"), ("  skip ", "skip"), ("abort", "abort"), ("done", "done"),
    ("status", "status"), ("help", "help"),
])
def test_the_commands(line: str, verb: str) -> None:
    cmd = parse_command(line)
    assert cmd.verb == verb and not cmd.message and not cmd.blank


def test_enter_means_go() -> None:
    assert parse_command("") == Command("go", blank=True)
    assert parse_command("   \t").blank


def test_a_note_keeps_its_text_as_typed() -> None:
    typed = parse_command("note  DNS flipped by hand, TTL 60 ")
    assert typed == Command("note", "DNS flipped by hand, TTL 60")
    assert parse_command("Note on-call paged").text == "on-call paged"


def test_a_note_without_text_says_what_to_type() -> None:
    assert "note <what happened>" in parse_command("note").message


def test_abort_may_say_why() -> None:
    assert parse_command("abort the pager is on fire") == Command("abort", "the pager is on fire")


@pytest.mark.parametrize("line", ["lunch", "gogo", "go now", "status please", "q", "skip 3"])
def test_anything_else_is_unknown_with_a_one_line_message(line: str) -> None:
    cmd = parse_command(line)
    assert cmd.verb == "unknown" and cmd.text == line
    assert "unknown command" in cmd.message and "help" in cmd.message and "\n" not in cmd.message


def test_unknown_suggests_a_close_command() -> None:
    assert "did you mean go?" in parse_command("gogo").message
    assert "did you mean status" in parse_command("sttaus").message
    assert "did you mean" not in parse_command("lunch").message


def test_help_lists_every_command() -> None:
    for word in ("go", "skip", "done", "abort", "note <text>", "status", "help", "Enter"):
        assert word in HELP
