"""Every error chaoskit raises on purpose, in one tree.

    ChaoskitError
    ├── UserError              bad input: exit code 2, nothing touched
    │   ├── TopologyError      a topology file that does not hold together
    │   ├── PlaybookError      a playbook that does not validate
    │   ├── FaultSpecError     an unknown fault, parameter, name or duration
    │   ├── EnvironmentProblem the machine lacks something (engine, Compose, images, a port)
    │   ├── OffBaseline        the world is off its baseline; a run would measure a broken world
    │   └── ServiceBuildError  a topology service's `build:` failed (with its log's tail)
    └── WorldError             the world misbehaved while we drove it
        └── ConfirmTimeout     a fault, revert or probe was not observed in time

A `UserError` carries one or more `Problem`s, each saying what is wrong and
where (file:line:column, fault name, service), so the CLI can print them all
at once without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, and where."""

    message: str
    where: str = ""
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class ChaoskitError(Exception):
    """Base of every error chaoskit raises on purpose."""


class UserError(ChaoskitError):
    """Bad input. The CLI prints every problem and exits with code 2."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | str, *, where: str = "", hint: str = "") -> None:
        if isinstance(problems, str):
            problems = [Problem(problems, where, hint)]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class TopologyError(UserError):
    """A topology file that does not hold together."""


class PlaybookError(UserError):
    """A playbook that does not validate."""


class FaultSpecError(UserError):
    """An unknown fault or parameter, an invalid DNS name, an absurd duration."""


class EnvironmentProblem(UserError):
    """Something this machine lacks: the Docker engine, Compose v2, images, a free port."""


class OffBaseline(UserError):
    """The world is off its baseline (drift, or faults still journaled): a run would measure a
    broken world. `chaoskit reset` (or `--reset`) brings the baseline back."""


class ServiceBuildError(UserError):
    """A topology service's `build:` context did not build; carries the build log's tail."""


class WorldError(ChaoskitError):
    """The world misbehaved while chaoskit drove it (exit code 1)."""

    exit_code = 1


class ConfirmTimeout(WorldError):
    """A fault, a revert or a probe was not observed within its bound."""
