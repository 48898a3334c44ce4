"""The playbooks in playbooks/ validate, and the shipped JSON Schema is fresh and agrees."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from chaoskit.faults.registry import names as fault_names
from chaoskit.playbook import SCHEMA_PATH, Playbook, load_playbook, validate_playbook
from chaoskit.playbook.schema import main, schema_text

from .playbooks import PLAYBOOKS, REPO

EXPECTED = {
    "kv-dns-empty-record",
    "regional-latency-brownout",
    "replication-partition-then-primary-loss",
    "region-evacuation",
    "shared-auth-dependency-outage",
    "dns-failover-stale-ttl",
    "kv-promotion-rpo",
    "replication-lag",
    "long-tail",
}
def test_every_playbook_is_shipped() -> None:
    assert {p.stem for p in PLAYBOOKS} == EXPECTED


@pytest.mark.parametrize("path", PLAYBOOKS, ids=lambda p: p.stem)
def test_shipped_playbook_validates(path: Path) -> None:
    """Against the real fault registry and topology loader."""
    names = set(fault_names())
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    used = {s["inject"]["fault"] for s in data["method"] if "inject" in s}
    assert used <= names, f"the fault registry has no {', '.join(sorted(used - names))}"
    assert validate_playbook(path) == []
    playbook = load_playbook(path)
    assert playbook.name == path.stem
    assert playbook.story.strip()
    assert playbook.judged_fault in {f.id for f in playbook.faults}


@pytest.mark.parametrize("path", PLAYBOOKS, ids=lambda p: p.stem)
def test_shipped_playbook_story_is_also_its_opening_comment(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# yaml-language-server: $schema=../chaoskit/playbook/playbook.schema.json"
    assert lines[1] == "#" and lines[2].startswith("# ") and len(lines[2]) > 10


def test_schema_file_is_fresh() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        "stale: run python -m chaoskit.playbook.schema"
    )
    assert main(["--check"]) == 0


def test_schema_has_titles_and_descriptions() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["title"] == "chaoskit playbook"
    assert schema["$schema"].endswith("2020-12/schema")
    for name in ("method", "workload", "steady_state", "expectations", "rollbacks"):
        assert name in schema["properties"]
    assert schema["$defs"]["InjectSpec"]["properties"]["for"]["description"]
    assert "rto" in schema["properties"]["expectations"]["properties"]


@pytest.mark.parametrize("path", PLAYBOOKS, ids=lambda p: p.stem)
def test_shipped_playbook_matches_json_schema(path: Path) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)


def test_json_schema_rejects_what_the_models_reject() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    good = {"version": 1, "name": "t", "method": [{"at": "1s", "wait": "2s"}]}
    assert not list(validator.iter_errors(good))
    Playbook.model_validate(good)
    for bad in (
        {**good, "nmae": "t"},
        {**good, "method": [{"wait": "2s", "note": "two kinds"}]},
        {**good, "method": [{"wait": "two seconds"}]},
        {**good, "name": "Not A Slug"},
    ):
        assert list(validator.iter_errors(bad)), bad


def test_docs_show_the_schema_line() -> None:
    docs = (REPO / "docs" / "playbooks.md").read_text(encoding="utf-8")
    assert "# yaml-language-server: $schema=" in docs
    assert "python -m chaoskit.playbook.schema" in docs
