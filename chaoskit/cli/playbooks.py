"""Commands about playbooks: validate and run."""

from __future__ import annotations

import typer

from chaoskit.cli._app import app, console


@app.command()
def validate(paths: list[str] = typer.Argument(..., help="playbook files")) -> None:
    """Check playbooks; report every problem with file:line:column."""
    from chaoskit.errors import PlaybookError
    from chaoskit.playbook import validate_paths

    code, problems = validate_paths(paths)
    if problems:
        raise PlaybookError(problems)
    console.print(f"{len(paths)} playbook(s) valid")
