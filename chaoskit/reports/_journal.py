"""journal.json: everything a run recorded, for machines; the ops go to history.jsonl beside it."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from chaoskit.checks import dns_windows, fault_windows
from chaoskit.reports._run import RunReport

FORMAT_VERSION = 1
HISTORY_FILE = "history.jsonl"


def journal_document(report: RunReport, summary: dict[str, Any] | None = None) -> dict[str, Any]:
    """The journal as one JSON-ready dict (non-finite numbers become null)."""
    if summary is None:
        summary = report.summary()
    document = {
        "format": "chaoskit-journal",
        "version": FORMAT_VERSION,
        "playbook": report.playbook,
        "title": report.title,
        "story": report.story,
        "started_at": report.started_at,
        "duration": report.duration,
        "outcome": report.outcome,
        "verdicts": [v.to_dict() for v in report.verdicts],
        "summary": summary,
        "faults": [f.to_dict() for f in fault_windows(report.history)],
        # Per DNS fault window: how often each client service asked the broken names.
        "dns": [w.to_dict() for w in dns_windows(report.history)],
        "notes": [{"time": t, "text": text} for t, text in report.notes],
        "events": [
            {"time": e.time, "kind": e.kind, "name": e.name, "id": e.id, "detail": e.detail}
            for e in report.history.events
        ],
        "journal": sorted(report.journal, key=_time_of),
        "history": HISTORY_FILE,
    }
    plain: dict[str, Any] = _plain(document)
    return plain


def _time_of(entry: dict[str, Any]) -> float:
    t = entry.get("time")
    return float(t) if isinstance(t, (int, float)) and math.isfinite(t) else math.inf


def _plain(value: Any) -> Any:
    # json.dumps would write NaN and Infinity, which are not JSON and break
    # strict readers (jq, browsers' JSON.parse).
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)


def write_journal(
    report: RunReport, directory: Path, summary: dict[str, Any] | None = None
) -> tuple[Path, Path]:
    """Write journal.json and history.jsonl into `directory`; return both paths."""
    journal = directory / "journal.json"
    journal.write_text(
        json.dumps(journal_document(report, summary), indent=2, ensure_ascii=False, allow_nan=False) + "\n",
        encoding="utf-8",
    )
    history = directory / HISTORY_FILE
    report.history.dump(history)
    return journal, history
