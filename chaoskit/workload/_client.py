"""Protocols other than HTTP: a team's own Python class as a workload target.

A playbook names it as ``target: package.module:Class`` (with ``service:`` saying whose
addresses it gets). The class is made once per worker thread with the service's
``host:port`` in each region and the operation timeout, and sends the operations
itself (gRPC, SQL, a queue, anything)::

    class CartClient:
        def __init__(self, addresses: Mapping[str, str], timeout: float) -> None: ...
        def write(self, region: str, key: str) -> Result | Outcome: ...
        def read(self, region: str, key: str) -> Result | Outcome: ...
        def read_all(self, region: str) -> Result: ...   # optional: every id present
        def close(self) -> None: ...                      # optional

`write` and `read` return a `Result` (or only its outcome: ``"ok"``, ``"fail"``,
``"unknown"``); a read answering ``"ok"`` found the id, one that found nothing returns
``Result("ok", value=None)``. An exception is recorded as ``unknown``.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ._targets import Result, _regions

CLASS_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$"
_CLASS = re.compile(CLASS_PATTERN)
_REQUIRED = ("write", "read")
_OUTCOMES = ("ok", "fail", "unknown")


@runtime_checkable
class Client(Protocol):
    """What a class named as a workload target provides (`read_all` and `close` are optional)."""

    def write(self, region: str, key: str) -> Result | str: ...
    def read(self, region: str, key: str) -> Result | str: ...


class ClientClassError(ValueError):
    """A class named as a target cannot be imported, or lacks `write` / `read`."""


def is_class_reference(target: str) -> bool:
    """Does `target` name a Python class (``package.module:Class``) rather than a service?"""
    return ":" in target


def load_client_class(reference: str, search: Sequence[Path] = ()) -> type[Any]:
    """The class named ``package.module:Class``, imported with `search` folders first on the path.

    Raises `ClientClassError` saying what is wrong: not such a reference, the module
    does not import (and why), no such class, or a required method missing.
    """
    if not _CLASS.fullmatch(reference):
        raise ClientClassError(f"{reference!r} is not package.module:Class")
    module_name, _, class_name = reference.partition(":")
    added = [str(p) for p in search if str(p) not in sys.path]
    sys.path[:0] = added
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # whatever the user's module raises, say it in one line
        raise ClientClassError(
            f"cannot import {module_name!r} for target {reference!r}: {type(exc).__name__}: {exc}"
        ) from None
    finally:
        for p in added:
            if p in sys.path:
                sys.path.remove(p)
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type):
        raise ClientClassError(f"module {module_name!r} has no class {class_name!r}")
    missing = [m for m in _REQUIRED if not callable(getattr(cls, m, None))]
    if missing:
        raise ClientClassError(
            f"class {reference!r} has no {' or '.join(missing)} method; a target class has "
            "write(region, key) and read(region, key) (read_all(region) optional)"
        )
    return cls


class ClassTarget:
    """A target driven by a user's class (see the module's documentation).

    `addresses` are the ``host:port`` of the service in each region, handed to the
    class; writes and reads go to every region in turn unless told otherwise.
    """

    def __init__(
        self,
        cls: type[Any] | str,
        addresses: Mapping[str, str],
        *,
        name: str | None = None,
        write_regions: Sequence[str] | None = None,
        read_regions: Sequence[str] | None = None,
        search: Sequence[Path] = (),
    ) -> None:
        self.cls = load_client_class(cls, search) if isinstance(cls, str) else cls
        self.name = name or (cls if isinstance(cls, str) else f"{cls.__module__}:{cls.__qualname__}")
        self.addresses = dict(addresses)
        if not self.addresses:
            raise ValueError("ClassTarget needs at least one region's address")
        self.write_regions = _regions(write_regions, list(self.addresses), self.addresses)
        self.read_regions = _regions(read_regions, list(self.addresses), self.addresses)
        #: The final read lists every id in one call (else it reads each id written).
        self.lists = callable(getattr(self.cls, "read_all", None))

    def session(self, timeout: float) -> ClassSession:
        return ClassSession(self.cls(dict(self.addresses), timeout))


class ClassSession:
    """One instance of the user's class, its answers turned into `Result`s."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def write(self, region: str, key: str, *, seq: int = 0) -> Result:
        return _result(self.client.write(region, key), key)

    def read(self, region: str, key: str, *, seq: int = 0) -> Result:
        return _result(self.client.read(region, key), key)

    def read_all(self, region: str) -> Result:
        read_all = getattr(self.client, "read_all", None)
        if not callable(read_all):
            raise NotImplementedError("the class has no read_all: the final read reads each id")
        result = _result(read_all(region), None)
        if result.outcome == "ok" and not isinstance(result.value, list):
            return Result("fail", error="read_all returned no list of ids")
        return result

    def close(self) -> None:
        close = getattr(self.client, "close", None)
        if callable(close):
            close()


def _result(answer: Any, value: Any) -> Result:
    if isinstance(answer, Result):
        return answer
    if isinstance(answer, str) and answer in _OUTCOMES:
        return Result(answer, value=value if answer == "ok" else None)  # type: ignore[arg-type]
    return Result("unknown", error=f"the client returned {answer!r}, not a Result or an outcome")
