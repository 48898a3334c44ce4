"""Declared operations: templates, statuses, and the checks that refuse bad ones when read."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from chaoskit.workload import ORDERS_OPERATIONS, HttpOperation, Operations, template_problem
from chaoskit.workload._operations import fill, status_matches


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("/carts/{id}", None),
        ('{"item": "{id}", "n": {seq}, "r": "{region}"}', None),  # JSON braces are literal
        ("{}", None),
        ("{ id }", None),  # not a placeholder: spaces
        ("/carts/{idd}", "unknown placeholder '{idd}' at character 8"),
        ("{user}", "unknown placeholder '{user}' at character 1"),
    ],
)
def test_template_placeholders(text: str, problem: str | None) -> None:
    found = template_problem(text)
    if problem is None:
        assert found is None
    else:
        assert found is not None and found.startswith(problem) and "{id}, {region}, {seq}" in found


def test_fill_replaces_every_placeholder_and_nothing_else() -> None:
    values = {"id": "run-7", "region": "us-east-1", "seq": "7"}
    assert fill('{"a": {"id": "{id}"}, "r": "{region}/{seq}"}', values) == (
        '{"a": {"id": "run-7"}, "r": "us-east-1/7"}'
    )


@pytest.mark.parametrize(
    ("status", "outcome", "found"),
    [
        (200, "ok", True),
        (201, "ok", True),
        (299, "ok", True),
        (404, "ok", False),
        (408, "unknown", False),
        (504, "unknown", False),
        (500, "fail", False),
        (503, "fail", False),
        (409, "fail", False),
        (302, "fail", False),
    ],
)
def test_default_status_classification(status: int, outcome: str, found: bool) -> None:
    op = HttpOperation(path="/x")
    assert op.outcome(status) == (outcome, found)


def test_declared_statuses_replace_the_defaults() -> None:
    op = HttpOperation.model_validate(
        {"path": "/x", "ok": [201, "3xx"], "unknown": [503], "not_found": [410]}
    )
    assert op.outcome(201) == ("ok", True)
    assert op.outcome(307) == ("ok", True)
    assert op.outcome(200) == ("fail", False)  # 2xx is no longer ok
    assert op.outcome(503) == ("unknown", False)
    assert op.outcome(504) == ("fail", False)
    assert op.outcome(410) == ("ok", False)
    assert op.outcome(404) == ("fail", False)
    assert status_matches(599, ["5xx"]) and not status_matches(499, ["5xx"])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"write": {"path": "/c/{nope}"}, "read": {"path": "/c/{id}"}}, "unknown placeholder '{nope}'"),
        ({"write": {"path": "c/{id}"}, "read": {"path": "/c/{id}"}}, "is not a path"),
        ({"write": {"path": "/c", "ok": [600]}, "read": {"path": "/c"}}, "600 is not an HTTP status"),
        ({"write": {"path": "/c", "ok": ["2xy"]}, "read": {"path": "/c"}}, "is not an HTTP status"),
        ({"write": {"path": "/c", "headers": {"X Bad": "1"}}, "read": {"path": "/c"}}, "header name"),
        ({"write": {"path": "/c", "headers": {"X-A": "a\nb"}}, "read": {"path": "/c"}}, "line break"),
        ({"write": {"path": "/c"}, "read": {"path": "/c", "method": "POST"}}, "a read is GET or HEAD"),
        ({"write": {"path": "/c", "method": "FETCH"}, "read": {"path": "/c"}}, "method"),
        ({"write": {"path": "/c"}}, "read"),
        ({"write": {"path": "/c"}, "read": {"path": "/c"}, "list": {"path": "/c", "ids": "a..b"}}, "ids"),
        ({"write": {"path": "/c"}, "read": {"path": "/c"}, "delete": {"path": "/c"}}, "delete"),
    ],
)
def test_bad_operations_are_refused_when_read(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace("{", r"\{")):
        Operations.model_validate(data)


def test_orders_shorthand_is_declared_like_any_service() -> None:
    assert ORDERS_OPERATIONS.write.method == "POST" and ORDERS_OPERATIONS.write.path == "/orders"
    assert ORDERS_OPERATIONS.list_ is not None and ORDERS_OPERATIONS.list_.pending == "pending"
    assert ORDERS_OPERATIONS.write.outcome(202) == ("ok", True)
    assert ORDERS_OPERATIONS.write.outcome(200) == ("fail", False)
