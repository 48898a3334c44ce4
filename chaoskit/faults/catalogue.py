"""The kinds tables in the docs, generated from the registry (as the playbook schema is).

    python -m chaoskit.faults.catalogue          # rewrite the tables in docs/
    python -m chaoskit.faults.catalogue --check  # exit 1 if a table is stale
    chaoskit kinds --markdown                    # the table of every kind, printed

Each table sits between ``<!-- kinds:NAME -->`` and ``<!-- /kinds:NAME -->``
markers, so the prose around it stays hand-written.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from chaoskit.faults.base import Fault
from chaoskit.faults.registry import kinds

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _params(model: type[BaseModel]) -> str:
    out = []
    for name, field in model.model_fields.items():
        default = "" if field.is_required() else f" ({field.get_default(call_default_factory=True)})"
        out.append(f"`{name}`{default}")
    return ", ".join(out) or "—"


def _options(cls: type[Fault]) -> str:
    return ", ".join(f"`{o.replace('_', '-')}`" for o in sorted(cls.options)) or "—"


def kinds_markdown() -> str:
    """Every kind: name, what it does, parameters (defaults), the options it takes."""
    rows = ["| kind | what it does | parameters (default) | options | module |",
            "|---|---|---|---|---|"]
    for name, cls in kinds().items():
        module = cls.__module__.replace("chaoskit.", "").replace(".", "/") + ".py"
        rows.append(f"| `{name}` | {cls.summary} | {_params(cls.Params)} | {_options(cls)} "
                    f"| `{module}` |")
    return "\n".join(rows) + "\n"


def dns_markdown() -> str:
    """Every DNS kind: its CoreDNS block, what it adds to the view, what a client must see."""
    from chaoskit.faults.dns import DnsFault

    parts = []
    for name, cls in kinds().items():
        if not issubclass(cls, DnsFault):
            continue
        select = " && ".join(f"`{s}`" for s in cls.select)
        sees = "; ".join(f"over {p.proto.upper()}: {p.sees}" for p in cls.expect)
        summary = cls.summary[0].upper() + cls.summary[1:]
        block = cls.block.replace("{% raw %}", "").replace("{% endraw %}", "")
        parts.append(f"### `{name}`\n\n{summary}. Confirmed when a client asking sees, "
                     f"{sees}." + (f" The view also selects {select}." if select else "")
                     + f"\n\n```\n{block}\n```\n")
    return "\n".join(parts)


TABLES: dict[str, tuple[str, Callable[[], str]]] = {
    "all": ("faults.md", kinds_markdown),
    "dns": ("dns-faults.md", dns_markdown),
}


def refreshed(text: str, table: str, body: str) -> str:
    """`text` with the table between its markers replaced by `body`; ValueError if no markers."""
    start, end = f"<!-- kinds:{table} -->", f"<!-- /kinds:{table} -->"
    pattern = re.compile(re.escape(start) + r"\n.*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise ValueError(f"no {start} ... {end} markers")
    return pattern.sub(lambda _: f"{start}\n{body}{end}", text, count=1)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    stale = []
    for table, (file, render) in TABLES.items():
        path = DOCS / file
        text = path.read_text(encoding="utf-8")
        fresh = refreshed(text, table, render())
        if fresh == text:
            continue
        if "--check" in args:
            stale.append(f"{path}: the {table} kinds table is stale: "
                         "run python -m chaoskit.faults.catalogue")
        else:
            path.write_text(fresh, encoding="utf-8")
            print(f"wrote {path}")
    for line in stale:
        print(line)
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
