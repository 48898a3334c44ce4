"""Probes: questions a playbook asks the world, each with the answer it tolerates.

A probe passes or fails; it never changes the world. The same probe models
serve the steady-state hypothesis (checked before and after the method), probe
steps in the method and rollbacks (recorded in the journal), and stop
conditions (guards that abort the run). These are the models only; running a
probe against the world is the runner's business.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from chaoskit.names import host_problem
from chaoskit.playbook._values import DnsName, Duration


class _Probe(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, description="A label for the journal and reports.")
    timeout: Duration = Field(default=2.0, description="How long one attempt may take.")
    within: Duration | None = Field(
        default=None,
        description=(
            "Retry until the probe passes or this long has passed (e.g. to let the world "
            "recover after the method). Default: a single attempt."
        ),
    )


class HttpProbe(_Probe):
    """An HTTP request; passes when the status is one of `expect_status` within `timeout`
    (and, if `max_latency` is set, the response came that fast).

    The request goes to `url`, or to the endpoint of `service` in `region`
    (as the world publishes it) at `path`. Redirects are not followed.

        - type: http
          service: orders
          region: us-west-2
          path: /health
    """

    type: Literal["http"]
    url: str | None = Field(default=None, description="An http:// or https:// URL.")
    service: str | None = Field(default=None, description="A service of the topology, e.g. orders.")
    region: str | None = Field(default=None, description="The region whose `service` to ask.")
    path: str = Field(default="/", description="Path of the request when `service` is given.")
    method: Literal["GET", "HEAD", "POST", "PUT", "DELETE"] = "GET"
    expect_status: int | list[int] = Field(default=200, description="Status (or list of statuses) that pass.")
    max_latency: Duration | None = Field(default=None, description="Slower responses fail.")

    @model_validator(mode="after")
    def _target(self) -> HttpProbe:
        if (self.url is None) == (self.service is None):
            raise ValueError("an http probe needs either `url` or `service` (with `region`), not both")
        if self.url is not None:
            problem = _url_problem(self.url)
            if problem:
                raise ValueError(problem)
        elif self.region is None:
            raise ValueError("an http probe of a `service` needs the `region` to ask")
        if not self.path.startswith("/") or _unsafe(self.path):
            raise ValueError(
                f"path {self.path!r} must start with '/' and hold no spaces or control characters"
            )
        for status in self.statuses:
            if not 100 <= status <= 599:
                raise ValueError(f"{status} is not an HTTP status (100-599)")
        return self

    @property
    def statuses(self) -> list[int]:
        """`expect_status` as a list."""
        return [self.expect_status] if isinstance(self.expect_status, int) else self.expect_status


class TcpProbe(_Probe):
    """A TCP connection attempt; passes when connecting succeeds (or, with
    `expect_open: false`, when it is refused or times out).

    The connection goes to the `endpoint` in `region` (as the world publishes
    it), or to `address` (``host:port``).
    """

    type: Literal["tcp"]
    endpoint: str | None = Field(default=None, description="An endpoint of the topology, e.g. kv.")
    region: str | None = Field(default=None, description="The region whose `endpoint` to connect to.")
    address: str | None = Field(default=None, description="host:port, instead of endpoint and region.")
    expect_open: bool = Field(default=True, description="false: pass when the connection fails.")

    @model_validator(mode="after")
    def _target(self) -> TcpProbe:
        if (self.address is None) == (self.endpoint is None):
            raise ValueError("a tcp probe needs either `address` or `endpoint` (with `region`), not both")
        if self.address is not None:
            host, sep, port = self.address.rpartition(":")
            host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
            if not sep or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"address {self.address!r} is not host:port")
            problem = host_problem(host)
            if problem:
                raise ValueError(problem)
        elif self.region is None:
            raise ValueError("a tcp probe of an `endpoint` needs the `region` to connect to")
        return self


class DnsProbe(_Probe):
    """A DNS query for `name` sent to the CoreDNS of `region`; passes when the
    answer has `expect_rcode` (and contains `expect_address`, if given).

    ``NODATA`` stands for what resolvers see when a record is emptied: rcode
    ``NOERROR`` with no answer. So ``expect_rcode: NOERROR`` (the default) also
    requires at least one answer record.
    """

    type: Literal["dns"]
    name: DnsName = Field(description="The name to resolve, e.g. kv.us-east-1.chaoskit.internal.")
    region: str = Field(description="The region whose CoreDNS to ask.")
    record: Literal["A", "AAAA", "CNAME", "TXT", "SRV"] = Field(default="A", description="Query type.")
    expect_rcode: Literal["NOERROR", "NODATA", "NXDOMAIN", "SERVFAIL", "REFUSED"] = "NOERROR"
    expect_address: str | None = Field(default=None, description="An address the answer must contain.")

    @model_validator(mode="after")
    def _address(self) -> DnsProbe:
        if self.expect_address is not None:
            try:
                ipaddress.ip_address(self.expect_address)
            except ValueError:
                raise ValueError(f"expect_address {self.expect_address!r} is not an IP address") from None
            if self.expect_rcode != "NOERROR":
                raise ValueError("expect_address only makes sense with expect_rcode: NOERROR")
        return self


class KvProbe(_Probe):
    """A request to the key-value store of `region`: ``PING`` (passes on PONG),
    or ``GET key`` (passes when the key has `expect_value`, or, without
    `expect_value`, when it exists).
    """

    type: Literal["kv"]
    region: str = Field(description="The region whose key-value store to ask.")
    op: Literal["ping", "get"] = "ping"
    key: str | None = Field(default=None, description="The key to GET (op: get).")
    expect_value: str | None = Field(default=None, description="The value the key must hold.")

    @model_validator(mode="after")
    def _key(self) -> KvProbe:
        if self.op == "get" and not self.key:
            raise ValueError("a kv probe with op: get needs a `key`")
        if self.op == "ping" and (self.key is not None or self.expect_value is not None):
            raise ValueError("`key` and `expect_value` need op: get")
        return self


class CommandProbe(_Probe):
    """A program run on the host (no shell); passes when it exits with
    `expect_exit` within `timeout`. Its output goes to the journal.

        - type: command
          argv: [redis-cli, -p, "6390", ping]
    """

    type: Literal["command"]
    argv: list[str] = Field(min_length=1, description="The program and its arguments; no shell.")
    expect_exit: int = Field(default=0, ge=0, le=255)
    timeout: Duration = Field(default=10.0, description="The program is killed after this long.")

    @model_validator(mode="after")
    def _argv(self) -> CommandProbe:
        if any("\x00" in arg for arg in self.argv):
            raise ValueError("argv cannot hold NUL characters")
        if not self.argv[0].strip():
            raise ValueError("argv[0] must name a program")
        return self


_CALLABLE = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$"


def _callable(value: str) -> str:
    if not re.fullmatch(_CALLABLE, value):
        raise PydanticCustomError(
            "callable", "'{value}' is not package.module:function", {"value": value[:60]}
        )
    return value


FunctionName = Annotated[
    str, AfterValidator(_callable), WithJsonSchema({"type": "string", "pattern": _CALLABLE})
]


class PythonProbe(_Probe):
    """A Python function, named ``package.module:function``, called with
    `arguments` as keyword arguments; passes when it returns a true value
    without raising. The module is imported when the probe runs, not when the
    playbook is validated.
    """

    type: Literal["python"]
    function: FunctionName = Field(description="package.module:function")
    arguments: dict[str, Any] = Field(default_factory=dict, description="Keyword arguments.")


Probe = Annotated[
    HttpProbe | TcpProbe | DnsProbe | KvProbe | CommandProbe | PythonProbe,
    Field(discriminator="type"),
]
"""Any probe; `type` says which."""


def _unsafe(text: str) -> bool:
    return any(c.isspace() or not c.isprintable() for c in text)


def _url_problem(url: str) -> str | None:
    if _unsafe(url):
        return f"url {url[:60]!r} holds spaces or control characters"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"url {url[:60]!r} is not a URL: {exc}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"url {url[:60]!r} must be http://host[:port]/path or https://..."
    if port == 0:
        return f"url {url[:60]!r} has port 0"
    return host_problem(parts.hostname)
