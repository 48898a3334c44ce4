"""The `chaoskit` command: worlds, faults, playbooks and game days.

Exit codes: 0 success; 1 an expectation failed or the world misbehaved;
2 bad input (one clear message each, no traceback, nothing touched); 130 interrupted.
"""

from __future__ import annotations

import sys

import typer

try:  # Typer 0.29 vendors its own copy of click
    from typer import _click as click  # type: ignore[attr-defined,unused-ignore]  # absent before Typer 0.29
except ImportError:  # pragma: no cover
    import click  # type: ignore[no-redef]

from chaoskit.cli._app import app, console, err_console
from chaoskit.errors import ChaoskitError, UserError, WorldError

# Importing the command modules registers their commands on `app`.
from chaoskit.cli import world as _world  # noqa: E402,F401  isort: skip
from chaoskit.cli import faults as _faults  # noqa: E402,F401  isort: skip
from chaoskit.cli import playbooks as _playbooks  # noqa: E402,F401  isort: skip
from chaoskit.cli import gameday as _gameday  # noqa: E402,F401  isort: skip
from chaoskit.cli import deps as _deps  # noqa: E402,F401  isort: skip
from chaoskit.cli import sweep as _sweep  # noqa: E402,F401  isort: skip
from chaoskit.cli import runtimes as _runtimes  # noqa: E402,F401  isort: skip


def main(argv: list[str] | None = None) -> int:
    try:
        result = app(args=argv, prog_name="chaoskit", standalone_mode=False)
        return int(result or 0)
    except UserError as exc:
        for p in exc.problems:
            err_console.print(f"[bold red]error:[/] {_escape(str(p))}")
        return 2
    except WorldError as exc:
        err_console.print(f"[bold red]world error:[/] {_escape(str(exc))}")
        return 1
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        return 130
    except click.ClickException as exc:
        message = _shorten(exc.format_message())
        exc.format_message = lambda: message  # type: ignore[method-assign]
        exc.show()
        return 2
    except KeyboardInterrupt:
        err_console.print("interrupted; faults were reverted")
        return 130
    except ChaoskitError as exc:
        err_console.print(f"[bold red]error:[/] {_escape(str(exc))}")
        return 1
    except Exception as exc:  # an engine error: one line, not a traceback
        import docker.errors

        if isinstance(exc, docker.errors.DockerException):
            err_console.print(f"[bold red]docker error:[/] {_escape(str(exc))}")
            return 1
        raise


# A value longer than this is quoted by its start and its length (a 5000-digit number is
# one line of message, not a screenful); Python's own int-conversion limit note is dropped.
_LONG = 60


def _shorten(text: str) -> str:
    import re

    text = re.sub(r"\s*\(?Exceeds the limit \(\d+ digits\)[^)]*set_int_max_str_digits\(\)[^)]*\)\)?",
                  "", text)
    return re.sub(rf"[^\s']{{{_LONG},}}",
                  lambda m: f"{m.group()[:12]}... ({len(m.group())} characters)", text)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def entry() -> None:
    sys.exit(main())


__all__ = ["app", "console", "entry", "main", "typer"]
