"""What the facilitator types at the game-day prompt, parsed into commands.

One line, one command: ``go`` (or Enter), ``skip``, ``abort``, ``done``,
``note <text>``, ``status``, ``help``. Anything else parses to ``unknown``
with a message to show: a typo must never end a game day.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from chaoskit.names import close_matches

Verb = Literal["go", "skip", "abort", "done", "note", "status", "help", "unknown"]
VERBS: tuple[Verb, ...] = ("go", "skip", "abort", "done", "note", "status", "help")
_BY_NAME: dict[str, Verb] = {v: v for v in VERBS}

HELP = """\
commands (one a line):
  go | Enter      run the step shown (a timed step still waits for its time)
  skip            do not run the step shown
  done            a manual step has been done
  abort [why]     stop now: every fault is reverted at once, the run fails
  note <text>     write a note in the journal and on the timeline (any time)
  status          show regions, faults, success rate and latency
  help            this list"""


@dataclass(frozen=True)
class Command:
    """One parsed line. `text` is a note's text, an abort's reason, or the line itself when
    `verb` is unknown."""

    verb: Verb
    text: str = ""
    #: True for an empty line (Enter), which means `go` at a step's prompt only.
    blank: bool = False

    @property
    def message(self) -> str:
        """What to tell the facilitator about a line that is not a command ('' when it is)."""
        if self.verb == "unknown":
            word = self.text.split()[0].lower()
            close = close_matches(word, VERBS, n=2)
            hint = f" (did you mean {' or '.join(close)}?)" if close else ""
            return f"unknown command {self.text!r}{hint}; type help for the commands"
        if self.verb == "note" and not self.text:
            return "a note needs text: note <what happened>"
        return ""


def parse_command(line: str) -> Command:
    """Parse one line typed at the prompt.

    >>> parse_command("note DNS flipped by hand")
    Command(verb='note', text='DNS flipped by hand', blank=False)
    >>> parse_command("").verb
    'go'
    >>> parse_command("lunch").verb
    'unknown'
    """
    stripped = line.strip()
    if not stripped:
        return Command("go", blank=True)
    word, _, rest = stripped.partition(" ")
    verb = _BY_NAME.get(word.lower())
    if verb in ("note", "abort"):
        return Command(verb, rest.strip())
    if verb is not None and not rest.strip():
        return Command(verb)
    return Command("unknown", stripped)
