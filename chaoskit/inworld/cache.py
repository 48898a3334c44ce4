"""The stale-cache exit: a bounded memory of orders read or written, for when no store can serve."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True)
class CachedOrder:
    item: str
    #: The region whose store the order came from; None for a write still queued.
    region: str | None


class StaleCache:
    """Least-recently-used, at most `max_entries` orders; thread-safe."""

    def __init__(self, max_entries: int = 10_000) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be >= 1")
        self.max_entries = max_entries
        self._entries: OrderedDict[str, CachedOrder] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, order_id: str, item: str, region: str | None) -> None:
        with self._lock:
            self._entries[order_id] = CachedOrder(item, region)
            self._entries.move_to_end(order_id)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def get(self, order_id: str) -> CachedOrder | None:
        with self._lock:
            entry = self._entries.get(order_id)
            if entry is not None:
                self._entries.move_to_end(order_id)
            return entry

    def __len__(self) -> int:
        return len(self._entries)
