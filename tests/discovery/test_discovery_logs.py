"""The logs discovery reads, parsed without a world: CoreDNS's query log, Toxiproxy's."""

from __future__ import annotations

import pytest

from chaoskit.discovery import (
    NO_ANSWER,
    parse_accept_line,
    parse_metrics,
    parse_query_line,
    parse_timestamp,
    query_of,
)
from chaoskit.inworld.protocol.corefile import QUERY_LOG, QUERY_LOG_FIELDS, QUERY_LOG_MARK

STAMP = "2026-12-02T14:50:00.250000000Z"
LINE = (f"{STAMP} [INFO] chaoskit-query 10.213.0.40 41234 5521 A "
        "KV.us-east-1.chaoskit.internal. udp NOERROR qr,aa,rd 112 0.000183s")


def test_the_corefile_line_and_the_parser_share_one_field_list() -> None:
    assert QUERY_LOG.startswith(f'log . "{QUERY_LOG_MARK} ')
    assert QUERY_LOG.count("{") == len(QUERY_LOG_FIELDS)
    for field in QUERY_LOG_FIELDS:
        assert "{" + field + "}" in QUERY_LOG


def test_a_logged_question_is_parsed_field_by_field() -> None:
    parsed = parse_query_line(LINE, "us-east-1")
    assert parsed is not None
    when, fields = parsed
    assert when == pytest.approx(1796223000.25)
    assert fields == {"remote": "10.213.0.40", "port": "41234", "id": "5521", "type": "A",
                      "name": "KV.us-east-1.chaoskit.internal.", "proto": "udp",
                      "rcode": "NOERROR", "rflags": "qr,aa,rd", "rsize": "112",
                      "duration": "0.000183s"}
    q = query_of(when, fields, "us-east-1", "orders", "service")
    assert (q.region, q.client, q.client_ip, q.name, q.qtype, q.rcode, q.role, q.proto) == (
        "us-east-1", "orders", "10.213.0.40", "kv.us-east-1.chaoskit.internal", "A", "NOERROR",
        "service", "udp")


def test_the_mark_may_come_without_the_info_prefix() -> None:
    line = LINE.replace("[INFO] ", "")
    assert parse_query_line(line, "us-east-1") == parse_query_line(LINE, "us-east-1")


@pytest.mark.parametrize("line", [
    f"{STAMP} .:53",
    f"{STAMP} CoreDNS-1.14.7",
    f"{STAMP} [INFO] Reloading complete",
    f"{STAMP} [ERROR] plugin/errors: 2 kv.us-east-1.chaoskit.internal. A: read udp: i/o timeout",
    "",
    "not-a-time chaoskit-query 10.0.0.1 1 2 A a. udp NOERROR qr 10 0.1s",
    f"{STAMP} chaoskit-query 10.0.0.1 1 2 A a. udp NOERROR qr 10",  # a field short
    f"{STAMP} chaoskit-query 10.0.0.1 1 2 A a b. udp NOERROR qr 10 0.1s",  # a field too many
])
def test_lines_that_are_not_questions_are_skipped(line: str) -> None:
    assert parse_query_line(line, "us-east-1") is None


def test_a_question_answered_with_nothing_is_noanswer() -> None:
    # erratic's drop writes no reply: the log shows the recorder's zero rcode and 0 bytes.
    parsed = parse_query_line(LINE.replace(" 112 ", " 0 "), "us-east-1")
    assert parsed is not None
    assert query_of(*parsed, "us-east-1", "orders", "service").rcode == NO_ANSWER


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-02T14:50:00Z", 1796223000.0),
    ("2026-12-02T14:50:00.5Z", 1796223000.5),
    ("2026-12-02T15:50:00.000000001+01:00", 1796223000.000000001),
])
def test_docker_timestamps(text: str, expected: float) -> None:
    assert parse_timestamp(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["2026-12-02", "yesterday", "2026-12-02T14:50:00", ""])
def test_bad_timestamps_raise(text: str) -> None:
    with pytest.raises(ValueError, match="not a timestamp"):
        parse_timestamp(text)


def test_an_accepted_connection_from_toxiproxys_log() -> None:
    line = (f'{STAMP} {{"level":"info","name":"kv","listen":"[::]:6379","upstream":'
            '"10.213.0.30:6379","client":"10.213.0.40:51234","time":"2026-12-02T14:50:00Z",'
            '"caller":"proxy.go:204","message":"Accepted client"}')
    c = parse_accept_line(line)
    assert c is not None
    assert (c.proxy, c.client_ip) == ("kv", "10.213.0.40")
    assert c.time == pytest.approx(1796223000.25)


@pytest.mark.parametrize("line", [
    f'{STAMP} {{"level":"info","name":"kv","message":"Started proxy"}}',
    f'{STAMP} {{"level":"info","name":"kv","message":"Accepted client"}}',  # no client
    f"{STAMP} Accepted client from somewhere",  # not JSON
    f'{STAMP} ["Accepted client"]',
    f'{STAMP} {{"name":"kv","client":"10.0.0.1:1","message":"Accepted client, then more"}}',
])
def test_other_toxiproxy_lines_are_skipped(line: str) -> None:
    assert parse_accept_line(line) is None


KV_LABELS = 'listener="[::]:6379",proxy="kv",upstream="10.213.0.30:6379"'
METRICS = "\n".join([
    "# HELP toxiproxy_proxy_received_bytes_total",
    "# TYPE toxiproxy_proxy_received_bytes_total counter",
    f'toxiproxy_proxy_received_bytes_total{{direction="upstream",{KV_LABELS}}} 300',
    f'toxiproxy_proxy_received_bytes_total{{direction="downstream",{KV_LABELS}}} 999',
    f'toxiproxy_proxy_sent_bytes_total{{direction="downstream",{KV_LABELS}}} 1.5e+03',
    f'toxiproxy_proxy_sent_bytes_total{{direction="upstream",{KV_LABELS}}} 7',
    'toxiproxy_proxy_received_bytes_total{direction="upstream",listener="[::]:8080",proxy="orders",'
    'upstream="10.213.0.40:8080"} 12',
    "go_goroutines 12",
])


def test_bytes_per_proxy_from_prometheus_text() -> None:
    assert parse_metrics(METRICS) == {"kv": (300, 1500), "orders": (12, 0)}
    assert parse_metrics("") == {}
