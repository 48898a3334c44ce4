"""The playbook's JSON Schema, for editors: generated from the models, shipped as a file.

    python -m chaoskit.playbook.schema          # rewrite playbook.schema.json
    python -m chaoskit.playbook.schema --check  # exit 1 if the file is stale

In a playbook, the first line
``# yaml-language-server: $schema=<path or URL of playbook.schema.json>``
gives completion and checks in editors that use the YAML language server.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from chaoskit.checks import known_expectations
from chaoskit.playbook import SCHEMA_PATH, Playbook
from chaoskit.playbook._values import ID_PATTERN

_BOUND = "An upper bound, e.g. 10s, 5% or 0 (definitions: docs/checks.md)."


def playbook_schema() -> dict[str, Any]:
    """The JSON Schema of `Playbook`, with titles and descriptions.

    Expectation names come from `chaoskit.checks` (when it changes them,
    regenerate the file). Fault kinds are not listed: the registry checks them.
    """
    schema = Playbook.model_json_schema()
    expectations = schema["properties"]["expectations"]
    bound = expectations.pop("additionalProperties")
    during = {
        "description": "The id of the fault whose window is judged; default: the first injected.",
        "pattern": ID_PATTERN,
        "type": "string",
    }
    expectations["properties"] = {
        **{name: {**bound, "description": f"{name}: at most this"} for name in known_expectations()},
        "during": during,
    }
    expectations["additionalProperties"] = False
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def schema_text() -> str:
    """The schema as the shipped file holds it."""
    return json.dumps(playbook_schema(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = schema_text()
    if "--check" in args:
        fresh = SCHEMA_PATH.is_file() and SCHEMA_PATH.read_text(encoding="utf-8") == text
        state = "up to date" if fresh else "stale: run python -m chaoskit.playbook.schema"
        print(f"{SCHEMA_PATH}: {state}")
        return 0 if fresh else 1
    SCHEMA_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
