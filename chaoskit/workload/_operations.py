"""A service's operations, declared: how a write, a read and a list are sent over HTTP.

    write: {method: PUT, path: "/carts/{id}", body: '{"item": "{id}"}'}
    read:  {method: GET, path: "/carts/{id}"}
    list:  {method: GET, path: "/carts", ids: ids}

Text may hold placeholders: ``{id}`` (the operation's id), ``{region}`` (the client's
region) and ``{seq}`` (the operation's sequence number). Any other ``{word}`` is refused
when the operations are read, not when a request is sent; every other brace is literal,
so a JSON body is written as it is. Statuses are sorted into outcomes: the declared ok
ones, ``unknown`` ones (the service may have acted: 408 and 504 by default), and every
other answer fails.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from chaoskit.history import Outcome

#: What a template may name, and what each stands for.
PLACEHOLDERS = {
    "id": "the operation's id: unique per write, the id of an acknowledged write for a read",
    "region": "the region of the client sending it",
    "seq": "the operation's sequence number in the run",
}
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_STATUS = re.compile(r"^([1-5])xx$")
# A header's name and value go into an HTTP request as they are: no line breaks.
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$")


def _error(kind: str, reason: str) -> PydanticCustomError:
    return PydanticCustomError(kind, "{reason}", {"reason": reason})


def template_problem(text: str) -> str | None:
    """Why `text` is not a valid template (an unknown placeholder), or None."""
    for m in _PLACEHOLDER.finditer(text):
        if m[1] not in PLACEHOLDERS:
            known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            return f"unknown placeholder {m[0]!r} at character {m.start() + 1}; known: {known}"
    return None


def fill(text: str, values: Mapping[str, str]) -> str:
    """`text` with each placeholder replaced by its value (the template was checked when read)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), text)


def _template(value: Any) -> str:
    if not isinstance(value, str):
        raise _error("template", f"expected text, got {type(value).__name__}")
    problem = template_problem(value)
    if problem:
        raise _error("template", problem)
    if any(c in value for c in "\r\n\0"):
        raise _error("template", "holds a line break or NUL")
    return value


Template = Annotated[
    str,
    BeforeValidator(_template),
    WithJsonSchema({"type": "string", "description": "Text with {id}, {region} or {seq}."}),
]


def _path(value: Any) -> str:
    text = _template(value)
    if not text.startswith("/") or " " in text or "#" in text:
        raise _error("template", f"{text!r} is not a path: it starts with '/' and has no spaces or '#'")
    return text


PathTemplate = Annotated[
    str,
    BeforeValidator(_path),
    WithJsonSchema({"type": "string", "pattern": "^/[^ #]*$", "examples": ["/carts/{id}"]}),
]


def _header_name(value: Any) -> str:
    if not isinstance(value, str) or not _TOKEN.fullmatch(value):
        raise _error("header", f"{value!r} is not an HTTP header name")
    return value


HeaderName = Annotated[str, BeforeValidator(_header_name)]


def _status(value: Any) -> int | str:
    if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
        return value
    if isinstance(value, str) and _STATUS.fullmatch(value):
        return value
    raise _error("status", f"{value!r} is not an HTTP status: write e.g. 200, 404 or 2xx")


Status = Annotated[
    int | str,
    BeforeValidator(_status),
    WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 100, "maximum": 599},
                              {"type": "string", "pattern": "^[1-5]xx$"}]}),
]


def _statuses(*statuses: int | str) -> list[int | str]:
    return list(statuses)


def status_matches(status: int, statuses: tuple[int | str, ...] | list[int | str]) -> bool:
    """Is `status` one of `statuses` (numbers, or classes such as ``2xx``)?"""
    return any(s == status or (isinstance(s, str) and str(status)[0] == s[0]) for s in statuses)


class HttpOperation(BaseModel):
    """One request a client sends, and how its answer's status becomes an outcome.

    An answer with an `ok` status is ``ok``; one with an `unknown` status is ``unknown``
    (the service may have acted: a gateway timeout); with a `not_found` status (reads
    only), the read is ``ok`` and found nothing. Every other answer is ``fail``; a
    timeout after the request was sent is ``unknown``.
    """

    model_config = ConfigDict(extra="forbid")

    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] = Field(
        default="GET", description="The HTTP method."
    )
    path: PathTemplate = Field(description="The path, with placeholders, e.g. /carts/{id}.")
    body: Template | None = Field(default=None, description="The request body, with placeholders.")
    headers: dict[HeaderName, Template] = Field(
        default_factory=dict, description="Request headers (values may hold placeholders)."
    )
    ok: list[Status] = Field(default_factory=lambda: _statuses("2xx"), min_length=1,
                             description="Statuses that count as ok (default 2xx).")
    unknown: list[Status] = Field(default_factory=lambda: _statuses(408, 504),
                                  description="Statuses whose outcome is unknown (default 408, 504).")
    not_found: list[Status] = Field(
        default_factory=lambda: _statuses(404),
        description="For a read: statuses that mean the id is not there (an ok read that found nothing).",
    )

    def outcome(self, status: int) -> tuple[Outcome, bool]:
        """The outcome of an answer with `status`, and whether it found the id (for reads)."""
        if status_matches(status, self.ok):
            return "ok", True
        if status_matches(status, self.not_found):
            return "ok", False
        if status_matches(status, self.unknown):
            return "unknown", False
        return "fail", False


class ListOperation(HttpOperation):
    """A list endpoint: its answer (JSON) holds every id the service has.

    `ids` says where the list is in the answer: ``ids`` for ``{"ids": [...]}``, empty
    for an answer that is the list itself; `pending` names a count of acknowledged
    writes not stored yet (a write queue), waited for before the list is trusted.
    """

    ids: str = Field(default="", pattern=r"^([A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*)?$",
                     description="Dotted key of the id list in the JSON answer; empty: the answer.")
    pending: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$",
                                description="Dotted key of a count of writes still queued.")
    not_found: list[Status] = Field(default_factory=list, description="Not used for a list.")


class Operations(BaseModel):
    """The operations a workload sends to a service: a write, a read and, optionally, a list.

    The final read proves which acknowledged writes survived: with `list`, one request
    returns every id; without it, the final read reads each written id with `read`.
    `served_by` names a response header saying which region's store answered.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    write: HttpOperation = Field(description="Store the id: e.g. PUT /carts/{id}.")
    read: HttpOperation = Field(description="Read the id back: e.g. GET /carts/{id} (404: not there).")
    list_: ListOperation | None = Field(
        default=None, alias="list", description="Every id at once, for the final read."
    )
    served_by: HeaderName | None = Field(
        default=None, description="A response header naming the region that served the request."
    )

    @model_validator(mode="after")
    def _reads_are_safe(self) -> Operations:
        # A read is repeated and sent anywhere; it must not be a write in disguise.
        if self.read.method not in ("GET", "HEAD"):
            raise ValueError(f"read: the method is {self.read.method}; a read is GET or HEAD")
        return self


#: The reference orders service's operations (docs/orders.md): the shorthand for `target: orders`.
ORDERS_OPERATIONS = Operations.model_validate(
    {
        "write": {"method": "POST", "path": "/orders", "body": '{"id": "{id}", "item": "{id}"}',
                  "ok": [201, 202]},
        "read": {"method": "GET", "path": "/orders/{id}", "ok": [200]},
        "list": {"method": "GET", "path": "/orders", "ids": "ids", "pending": "pending", "ok": [200]},
        "served_by": "X-Served-From",
    }
)
