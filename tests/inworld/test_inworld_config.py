from __future__ import annotations

import pytest

from chaoskit.inworld.config import (
    EXITS,
    Config,
    ConfigError,
    Endpoint,
    ordered_exits,
    parse_endpoints,
    parse_exits,
    parse_regions,
    region_of,
)

EAST = "kv.us-east-1.chaoskit.internal:6379"
WEST = "kv.us-west-2.chaoskit.internal:6379"


def test_defaults_need_no_environment() -> None:
    config = Config.from_env({})
    assert config.port == 8080
    assert config.region == "unknown"
    assert config.exits == frozenset()
    assert config.kv_timeout == 0.5
    assert config.request_timeout == 1.0
    assert config.kv_write == (Endpoint("kv.us-east-1.chaoskit.internal", 6379, "us-east-1"),)
    assert config.kv_read == config.kv_write


def test_full_environment() -> None:
    config = Config.from_env(
        {
            "ORDERS_REGION": "us-west-2",
            "ORDERS_PORT": "9000",
            "ORDERS_KV_WRITE": EAST,
            "ORDERS_KV_READ": f"{WEST}, {EAST}",
            "ORDERS_EXITS": "failover, retries,breaker,stale-cache,write-queue",
            "ORDERS_KV_TIMEOUT": "0.25",
        }
    )
    assert config.region == "us-west-2"
    assert config.port == 9000
    assert [e.region for e in config.kv_read] == ["us-west-2", "us-east-1"]
    assert config.exits == frozenset(EXITS)
    assert config.request_timeout == 0.5  # twice the kv timeout


def test_region_is_the_second_dns_label_or_a_mapping_or_unknown() -> None:
    assert region_of("kv.eu-west-1.chaoskit.internal", 6379) == "eu-west-1"
    assert region_of("127.0.0.1", 6379) == "unknown"
    assert region_of("localhost", 6379) == "unknown"
    regions = parse_regions("127.0.0.1:6379=us-east-1, 127.0.0.1:6380=us-west-2")
    assert region_of("127.0.0.1", 6380, regions) == "us-west-2"
    env = {"ORDERS_KV_WRITE": "127.0.0.1:6379", "ORDERS_KV_REGIONS": "127.0.0.1:6379=us-east-1"}
    assert Config.from_env(env).kv_write[0].region == "us-east-1"


@pytest.mark.parametrize("text", ["", "none", " none ", ","])
def test_none_means_naive(text: str) -> None:
    assert parse_exits(text) == frozenset()


def test_exits_in_canonical_order() -> None:
    assert ordered_exits(parse_exits(["write-queue", "failover"])) == ["failover", "write-queue"]


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"ORDERS_EXITS": "failover,teleport"}, ["ORDERS_EXITS", "teleport"]),
        ({"ORDERS_EXITS": "none,failover"}, ["ORDERS_EXITS", "none"]),
        ({"ORDERS_KV_WRITE": "kv.us-east-1.chaoskit.internal"}, ["ORDERS_KV_WRITE", "host:port"]),
        ({"ORDERS_KV_READ": "host:99999"}, ["ORDERS_KV_READ"]),
        ({"ORDERS_KV_TIMEOUT": "soon"}, ["ORDERS_KV_TIMEOUT", "not a number"]),
        ({"ORDERS_KV_TIMEOUT": "0"}, ["ORDERS_KV_TIMEOUT"]),
        ({"ORDERS_PORT": "http"}, ["ORDERS_PORT"]),
        ({"ORDERS_PORT": "70000"}, ["ORDERS_PORT"]),
        ({"ORDERS_KV_REGIONS": "127.0.0.1:1"}, ["ORDERS_KV_REGIONS"]),
        ({"ORDERS_QUEUE_MAX": "0"}, ["ORDERS_QUEUE_MAX"]),
    ],
)
def test_errors_name_the_variable(env: dict[str, str], names: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        Config.from_env(env)
    for name in names:
        assert name in str(info.value)


def test_ipv6_endpoint() -> None:
    (endpoint,) = parse_endpoints("X", "[::1]:6379")
    assert (endpoint.host, endpoint.port) == ("::1", 6379)
