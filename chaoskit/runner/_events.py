"""One line of text for each event a run emits (terminal views, dashboards, logs)."""

from __future__ import annotations

from typing import Any


def describe_event(event: dict[str, Any]) -> str:
    """One line for a run's event, as the terminal and the dashboard's journal print it."""
    kind, state = event["kind"], event.get("state")
    if kind == "step":
        return f"step {event['index'] + 1}: {event['describe']}"
    if kind == "fault":
        if state != "applied":
            return f"fault {event['id']} {state}"
        return f"fault {event['id']} applied: {event.get('describe') or event.get('fault', '')}"
    if kind in ("probe", "guard"):
        verdict = "pass" if event["ok"] else "FAIL"
        where = event.get("phase") or "stop condition"
        return f"probe ({where}) {verdict} {event['probe']}: {event.get('detail', '')}"
    if kind == "decision":
        return f"facilitator: {event['decision']} step {event['step'] + 1} ({event['describe']})"
    if kind == "manual":
        return f"manual step {event.get('decision', '')}: {event['describe']}"
    if kind == "note":
        by = event.get("by", "")
        return f"note{f' ({by})' if by and by != 'facilitator' else ''}: {event['text']}"
    if kind in ("abort", "error"):
        return f"{kind}: {event.get('reason') or event.get('message', '')}"
    if kind == "verdict":
        return f"{'pass' if event['passed'] else 'FAIL'} {event['name']}: {event['measured_text']}"
    if kind == "run":
        if state == "started":
            return f"run of {event.get('playbook', '')} on {event.get('world', '')} started"
        return f"run {event.get('outcome', '')}" + (f": {event['reason']}" if event.get("reason") else "")
    if kind == "workload":
        return f"workload {state}"
    if kind == "method":
        return f"method {state}"
    if kind == "rollback":
        return f"rollback {event['index'] + 1}: {event['describe']}"
    if kind == "configure":
        return f"{event['service']}: exits {event['exits']}"
    return f"{kind} {state}" if state else str(kind)
