from __future__ import annotations

import json

import pytest

from chaoskit.history import Event, History, Op
from chaoskit.reports import chart_data, chart_json, timeline_script, window_for


def small_history() -> History:
    h = History()
    h.event(Event(1.0, "fault-applied", "dns.nxdomain", "dns-1"))
    h.event(Event(1.5, "note", "clients see NXDOMAIN"))
    h.record(Op(0, "p", "read", "orders", 0.1, 0.2, "ok"))
    h.record(Op(1, "p", "read", "orders", 1.1, 1.15, "fail"))
    h.record(Op(2, "p", "read", "orders", 1.2, 1.3, "unknown"))
    h.record(Op(3, "p", "read", "orders", 2.4, 2.5, "ok"))
    return h


def test_chart_data_has_series_fault_bands_and_notes() -> None:
    data = chart_data(small_history(), window=0.5)
    json.dumps(data, allow_nan=False)
    assert data["window"] == 0.5
    assert data["end"] == 2.5
    assert [(w["t"], w["ok"], w["fail"], w["unknown"]) for w in data["series"]] == [
        (0.0, 1, 0, 0),
        (0.5, 0, 0, 0),
        (1.0, 0, 1, 1),
        (1.5, 0, 0, 0),
        (2.0, 1, 0, 0),
        (2.5, 0, 0, 0),
    ]
    assert data["series"][0]["p50"] == pytest.approx(0.1)
    assert data["series"][1]["success_rate"] is None
    assert data["series"][2]["success_rate"] == 0.0
    assert data["faults"] == [{"id": "dns-1", "name": "dns.nxdomain", "start": 1.0, "end": None}]
    assert data["notes"] == [{"time": 1.5, "text": "clients see NXDOMAIN"}]


def test_explicit_notes_replace_the_historys_and_end_stretches_the_axis() -> None:
    data = chart_data(small_history(), notes=[(2.0, "b"), (0.5, "a")], end=10.0)
    assert data["notes"] == [{"time": 0.5, "text": "a"}, {"time": 2.0, "text": "b"}]
    assert data["end"] == 10.0
    assert data["window"] == 0.1
    assert len(data["series"]) == 101


@pytest.mark.parametrize(
    ("span", "window"),
    [(0.0, 0.05), (6.0, 0.05), (30.0, 0.25), (60.0, 0.5), (120.0, 1.0), (3600.0, 30.0)],
)
def test_window_for_picks_round_sizes(span: float, window: float) -> None:
    assert window_for(span) == window


def test_chart_json_cannot_close_its_script_element() -> None:
    text = chart_json({"notes": [{"time": 1, "text": "</script><script>alert(1)</script> & co"}]})
    assert "</script>" not in text and "<" not in text and "&" not in text
    assert json.loads(text)["notes"][0]["text"] == "</script><script>alert(1)</script> & co"


def test_the_script_draws_without_fetching_anything() -> None:
    script = timeline_script()
    assert "ChaoskitTimeline" in script
    for needle in ("fetch(", "XMLHttpRequest", "import(", "https://", ".src"):
        assert needle not in script
