"""Pydantic's errors on a playbook as problems: `yamlsource.validation_problems`, told the
playbook's own error types and what its tagged unions hold."""

from __future__ import annotations

from pydantic import ValidationError

from chaoskit.errors import Problem
from chaoskit.playbook._model import Playbook
from chaoskit.yamlsource import Source, validation_problems

# The playbook's own error types, whose messages already show the value.
_SAYS_WHAT_IT_GOT = {
    "duration", "threshold", "slug", "fault_id", "dns_name", "callable", "step_kind",
    "template", "status", "header",
}  # fmt: skip


def playbook_problems(exc: ValidationError, src: Source) -> list[Problem]:
    """One problem per pydantic error (one per union), pointing at file:line:col in `src`."""
    return validation_problems(
        exc, src, Playbook,
        says_what_it_got=_SAYS_WHAT_IT_GOT,
        union_nouns={"'type'": "probe"},
        top_level="a playbook is a YAML mapping (version, name, method, ...)",
    )
