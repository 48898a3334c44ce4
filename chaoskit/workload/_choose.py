"""From a workload's options (a playbook's `workload:`, the pytest fixture's arguments) to a target.

One place decides what `target` means, so a playbook and a test drive a service alike:
``kv`` is the store itself; ``package.module:Class`` a team's own client class; any
other name a service of the topology over HTTP, with its declared `operations`
(``orders`` has them built in).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ._client import ClassTarget, is_class_reference
from ._http import HttpTarget
from ._operations import ORDERS_OPERATIONS, Operations
from ._targets import KvTarget, Target

#: ``address(endpoint, region)`` -> ``host:port`` where a client on the host reaches it.
AddressOf = Callable[[str, str], str]


def choose_target(
    target: str,
    *,
    address: AddressOf,
    regions: Sequence[str],
    operations: Operations | Mapping[str, Any] | None = None,
    service: str | None = None,
    failover: bool = False,
    search: Sequence[Path] = (),
) -> Target:
    """The target `target` names, reached in `regions` at the addresses `address` gives.

    Raises `ValueError` for options that do not go together (a playbook's model has
    refused them already, with their place in the file).
    """
    if is_class_reference(target):
        if service is None:
            raise ValueError(f"workload target {target!r} is a class: say whose addresses it gets "
                             "with `service` (a service of the topology, or kv)")
        addresses = {r: address(service, r) for r in regions}
        return ClassTarget(target, addresses, name=target, search=search)
    if service is not None:
        raise ValueError("`service` goes with a class target (package.module:Class)")
    if target == "kv":
        if operations is not None:
            raise ValueError("the kv target has its own operations; `operations` is for HTTP services")
        return KvTarget({r: address("kv", r) for r in regions})
    if operations is None:
        if target != "orders":
            raise ValueError(f"workload target {target!r}: declare its `operations` (write, read)")
        operations = ORDERS_OPERATIONS
    urls = {r: f"http://{address(target, r)}" for r in regions}
    return HttpTarget(target, urls, operations, failover=failover)
