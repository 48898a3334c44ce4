"""What faults use to reach the world: Toxiproxy clients, Docker, and DNS vantage points."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any, TypeVar

from chaoskit.errors import ConfirmTimeout
from chaoskit.render import Plan
from chaoskit.toxiproxy import ToxiproxyClient
from chaoskit.world import World
from chaoskit.world.resolver import ask_resolver, served_generation

T = TypeVar("T")


class Context:
    """A world as faults see it. One per controller; cheap to keep."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.topology = world.topology
        self._toxiproxy: dict[str, ToxiproxyClient] = {}

    @property
    def plan(self) -> Plan:
        return self.world.plan

    def toxiproxy(self, region: str) -> ToxiproxyClient:
        if region not in self._toxiproxy:
            self._toxiproxy[region] = ToxiproxyClient(self.world.toxiproxy_url(region), timeout=3.0)
        return self._toxiproxy[region]

    # --- DNS, as the host sees it (host view) or as a region's clients do ---
    def ask_host(self, region: str, name: str, qtype: str = "A", proto: str = "udp",
                 timeout: float = 1.0) -> dict[str, Any]:
        """Ask region's CoreDNS from the host, through its published port."""
        return ask_resolver(self.world, region, name, qtype, proto, timeout)

    def ask_agent(self, region: str, name: str, qtype: str = "A", proto: str = "udp",
                  timeout: float = 1.0) -> dict[str, Any]:
        """Ask from inside `region`, through the agent, with that region's resolver."""
        qs = urllib.parse.urlencode({"name": name, "type": qtype, "proto": proto,
                                     "timeout": timeout})
        with urllib.request.urlopen(f"{self.world.agent_url(region)}/dns?{qs}",
                                    timeout=timeout + 3) as resp:
            return dict(json.loads(resp.read()))

    def generation(self, region: str) -> int:
        return served_generation(self.world, region)


def eventually(check: Callable[[], T | None], what: str, timeout: float = 5.0,
               interval: float = 0.01) -> T:
    """Poll `check` until it returns something other than None, or raise ConfirmTimeout."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while True:
        try:
            result = check()
            if result is not None:
                return result
        except (OSError, ValueError) as exc:
            last = exc
        if time.monotonic() >= deadline:
            detail = f" (last error: {last})" if last else ""
            raise ConfirmTimeout(f"{what}: not observed within {timeout:.1f}s{detail}")
        time.sleep(interval)
