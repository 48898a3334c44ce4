"""The owners' modules are read lazily, and their absence or their bugs never reach the user."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import pytest

from chaoskit.errors import Problem
from chaoskit.playbook import _known, validate_playbook

from .playbooks import BASE, places


def _fake(monkeypatch: pytest.MonkeyPatch, name: str, **attrs: Any) -> None:
    real = _known._module
    module = types.SimpleNamespace(**attrs)
    monkeypatch.setattr(_known, "_module", lambda n: module if n == name else real(n))
    _known._LOADED.clear()


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pb.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_registry_parameters_are_reported_at_the_inject(tmp_path: Path) -> None:
    assert "net.latency" in _known.fault_names()
    text = BASE.replace(
        "inject: {id: f, fault: dns.nodata, target: kv.us-east-1.chaoskit.internal, for: 5s}",
        "inject: {id: f, fault: net.latency, target: kv, params: {mss: 5}, for: 5s}",
    )
    problems = validate_playbook(_write(tmp_path, text))
    assert places(problems) == ["6:5"]
    assert "mss" in problems[0].message


def test_a_registry_that_raises_is_a_problem_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(spec: Any, topology: Any, where: str = "") -> list[Problem]:
        raise KeyError("oops")

    _fake(monkeypatch, "chaoskit.faults.registry", names=lambda: ["dns.nodata"], check_spec=broken)
    problems = validate_playbook(_write(tmp_path, BASE))
    assert places(problems) == ["6:5"]
    assert problems[0].message.startswith("the fault registry could not check this fault: KeyError")


def test_a_registry_whose_families_do_not_import_falls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def names() -> list[str]:
        raise ModuleNotFoundError("chaoskit.faults.network")

    _fake(monkeypatch, "chaoskit.faults.registry", names=names)
    assert _known.fault_names() == list(_known.FALLBACK_FAULTS)
    assert validate_playbook(_write(tmp_path, BASE)) == []


def test_without_a_registry_targets_follow_the_fault_spec_rule(tmp_path: Path, fallback_faults: None) -> None:
    text = BASE.replace(
        "inject: {id: f, fault: dns.nodata, target: kv.us-east-1.chaoskit.internal, for: 5s}",
        "inject: {id: f, fault: region.outage, target: kv, for: 5s}",
    )
    problems = validate_playbook(_write(tmp_path, text))
    assert [p.message for p in problems] == ["unknown region 'kv'"]


def test_a_topology_loader_that_raises_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise RuntimeError("half written")

    _fake(monkeypatch, "chaoskit.topology", default_topology=broken, load_topology=broken)
    problems = validate_playbook(_write(tmp_path, BASE))
    assert [p.message for p in problems][-1] == "the topology loader failed: RuntimeError: half written"


def test_without_a_topology_module_the_defaults_and_a_minimal_reader_stand_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fallback_faults: None
) -> None:
    _fake(monkeypatch, "chaoskit.topology")
    assert _known.load_topology_names(None) == (
        _known.TopologyNames(_known.DEFAULT_REGIONS, _known.DEFAULT_ENDPOINTS),
        [],
    )
    topo = tmp_path / "t.yaml"
    topo.write_text("regions: [eu-west-1]\nservices: {auth: {port: 8081}}\n", encoding="utf-8")
    names, problems = _known.load_topology_names(topo)
    assert problems == [] and names is not None
    assert names.regions == ("eu-west-1",)
    assert names.endpoints == ("kv", "orders", "auth")


def test_expectation_names_come_from_the_checks_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fallback_faults: None
) -> None:
    text = BASE + "expectations: {recovery_time: 10s}\n"
    _fake(monkeypatch, "chaoskit.checks", known_expectations=lambda: ["rto", "time_to_recover"])
    problems = validate_playbook(_write(tmp_path, text))
    assert [p.message for p in problems] == ["unknown expectation 'recovery_time'"]
    _fake(monkeypatch, "chaoskit.checks")  # a checks module without the function: the fallback
    assert validate_playbook(_write(tmp_path, text)) == []


def test_the_checks_module_parses_bounds_without_raising(tmp_path: Path, fallback_faults: None) -> None:
    text = BASE + "expectations: {rto: " + "1" + "0" * 400 + "}\n"
    problems = validate_playbook(_write(tmp_path, text))
    assert places(problems) == ["7:21"]
    assert problems[0].message.startswith("expectations.rto:")
