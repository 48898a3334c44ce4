"""The orders service's runtime switches (``/admin/exits``, ``/admin/load``), read and set in
every region.

The one client of that switch: the runner and the pytest plugin both use it.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Sequence
from typing import Any

from chaoskit.world._world import World


def _ask(url: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        url, data=data, method="GET" if data is None else "POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


def _call(url: str, body: Any = None) -> list[str]:
    return list(_ask(url, body)["exits"])


def get_load(world: World, service: str) -> dict[str, str]:
    """The load setting (`default`, `naive`, `resilient`) of `service` in each region."""
    return {r: str(_ask(f"{world.service_url(service, r)}/admin/load")["load"])
            for r in world.topology.regions}


def set_load(world: World, service: str, load: str, regions: Sequence[str] | None = None) -> None:
    """Set the load setting of `service` in `regions` (default: every region)."""
    for r in regions or world.topology.regions:
        _ask(f"{world.service_url(service, r)}/admin/load", {"load": load})


def get_exits(world: World, service: str) -> dict[str, list[str]]:
    """The exits `service` takes in each region (an empty list: none)."""
    return {r: _call(f"{world.service_url(service, r)}/admin/exits") for r in world.topology.regions}


def set_exits(
    world: World, service: str, exits: Sequence[str] | str, regions: Sequence[str] | None = None
) -> None:
    """Set the exits of `service` in `regions` (default: every region); ``"none"`` for none."""
    wanted = [] if exits == "none" else [exits] if isinstance(exits, str) else list(exits)
    for r in regions or world.topology.regions:
        _call(f"{world.service_url(service, r)}/admin/exits", {"exits": wanted})
