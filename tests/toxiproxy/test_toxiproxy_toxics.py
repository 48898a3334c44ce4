"""Toxic attributes are checked before anything is sent (no server needed)."""

from __future__ import annotations

import math

import pytest

from chaoskit.toxiproxy import (
    Bandwidth,
    Latency,
    LimitData,
    Noop,
    RawToxicAttributes,
    ResetPeer,
    Slicer,
    SlowClose,
    Timeout,
    Toxic,
    ToxiproxyClient,
    ToxiproxySpecError,
    parse_attributes,
)


def test_attributes_serialise_with_the_server_field_names() -> None:
    assert Latency(100, 10).to_json() == {"latency": 100, "jitter": 10}
    assert Bandwidth(rate=5).to_json() == {"rate": 5}
    assert SlowClose(delay=1).to_json() == {"delay": 1}
    assert Timeout(timeout=0).to_json() == {"timeout": 0}
    assert ResetPeer(timeout=0).to_json() == {"timeout": 0}
    assert Slicer(10, 5, 100).to_json() == {"average_size": 10, "size_variation": 5, "delay": 100}
    assert LimitData(bytes=0).to_json() == {"bytes": 0}
    assert Noop().to_json() == {}


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda: Latency(-1), "latency must be at least 0 ms"),
        (lambda: Latency(100, jitter=-5), "jitter must be at least 0 ms"),
        (lambda: Latency(1.5), "whole number of ms"),  # type: ignore[arg-type]
        (lambda: Latency(True), "whole number"),
        (lambda: Latency("100"), "whole number"),  # type: ignore[arg-type]
        (lambda: Latency(2**63), "too large"),
        (lambda: Bandwidth(0), "rate must be at least 1 KB/s"),
        (lambda: SlowClose(-1), "delay"),
        (lambda: Timeout(-1), "timeout"),
        (lambda: ResetPeer(-1), "timeout"),
        (lambda: Slicer(0), "average_size must be at least 1"),
        (lambda: Slicer(10, 10), "size_variation (10) must be less than average_size (10)"),
        (lambda: Slicer(10, 1, -1), "delay must be at least 0 µs"),
        (lambda: LimitData(-1), "bytes"),
    ],
)
def test_bad_attributes_are_refused(make: object, fragment: str) -> None:
    with pytest.raises(ToxiproxySpecError) as caught:
        make()  # type: ignore[operator]
    assert fragment in str(caught.value)


def test_parse_attributes_from_plain_data() -> None:
    assert parse_attributes("latency", {"latency": 100}) == Latency(100, 0)
    assert parse_attributes("slicer", {"average_size": 8}) == Slicer(8, 0, 0)
    with pytest.raises(ToxiproxySpecError, match="unknown toxic type 'lag'") as caught:
        parse_attributes("lag", {})
    assert "latency" in caught.value.problems[0].hint
    with pytest.raises(ToxiproxySpecError, match="unknown attribute.*latnecy"):
        parse_attributes("latency", {"latnecy": 100})
    with pytest.raises(ToxiproxySpecError, match="missing attribute.*rate"):
        parse_attributes("bandwidth", {})
    # What a newer server adds is dropped when reading its answers.
    assert parse_attributes("latency", {"latency": 1, "new": 2}, strict=False) == Latency(1)


def test_server_values_we_would_refuse_are_kept_raw() -> None:
    toxic = Toxic.from_api(
        {
            "name": "odd",
            "type": "latency",
            "stream": "UpStream",
            "toxicity": 1,
            "attributes": {"latency": -5, "jitter": 0},
        }
    )
    assert toxic.stream == "upstream"
    assert toxic.attributes == RawToxicAttributes("latency", {"latency": -5, "jitter": 0})
    future = Toxic.from_api({"name": "x", "type": "brand_new", "stream": "downstream", "toxicity": 0.5})
    assert future.attributes == RawToxicAttributes("brand_new", {})
    assert len({toxic, future}) == 2  # hashable like every other toxic
    assert future.to_dict()["attributes"] == {}


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"stream": "sideways"}, "unknown stream 'sideways'"),
        ({"stream": "UPSTREAM"}, "unknown stream"),
        ({"toxicity": 1.5}, "toxicity must be from 0 to 1"),
        ({"toxicity": -0.1}, "toxicity must be from 0 to 1"),
        ({"toxicity": math.nan}, "toxicity must be from 0 to 1"),
        ({"toxicity": "1"}, "toxicity must be a number"),
        ({"name": "a/b"}, "invalid toxic name"),
        ({"name": ""}, "invalid toxic name"),
        ({"name": "a b"}, "invalid toxic name"),
    ],
)
def test_add_toxic_checks_before_sending(kwargs: dict[str, object], fragment: str) -> None:
    # Nothing listens on port 1: reaching the network would be a connection error instead.
    with ToxiproxyClient("http://127.0.0.1:1", timeout=0.5) as client:
        with pytest.raises(ToxiproxySpecError) as caught:
            client.add_toxic("p", Latency(10), **kwargs)  # type: ignore[arg-type]
        assert fragment in str(caught.value)
        with pytest.raises(ToxiproxySpecError, match="not toxic attributes"):
            client.add_toxic("p", {"latency": 10})  # type: ignore[arg-type]
        with pytest.raises(ToxiproxySpecError, match="nothing to change"):
            client.update_toxic("p", "t")
        with pytest.raises(ToxiproxySpecError, match="nothing to change"):
            client.update_proxy("p")
        with pytest.raises(ToxiproxySpecError, match="invalid proxy name"):
            client.create_proxy("a/b", "127.0.0.1:1")
