"""The Typer application and the consoles every command prints to."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from rich.table import Table

app = typer.Typer(
    name="chaoskit",
    help="Chaos testing for local failover: a world of regions on one machine, broken the ways "
         "real regions break.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
console = Console()
# Errors are not wrapped by Rich: a path or a file:line:col stays whole in logs and for grep.
err_console = Console(stderr=True, soft_wrap=True)


def table(**options: Any) -> Table:
    """A rich table (imported on first use: `chaoskit --help` draws none)."""
    from rich.table import Table

    return Table(**options)


def emit_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


WorldOpt = typer.Option(None, "--world", "-w", envvar="CHAOSKIT_WORLD",
                        help="world name (default: the topology's name)")
TopologyOpt = typer.Option(None, "--topology", "-t", envvar="CHAOSKIT_TOPOLOGY",
                           help="topology file (default: the built-in two-region world)")
JsonOpt = typer.Option(False, "--json", help="print JSON")
