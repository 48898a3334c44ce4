"""An order, as the orders service stores it: key ``order:<id>`` and a member of set ``orders``."""

from __future__ import annotations

import json
from dataclasses import dataclass

#: The set that holds every stored order id: the final read of a run reads it.
ORDERS_SET = "orders"
MAX_ID_LENGTH = 200


@dataclass(frozen=True)
class Order:
    id: str
    item: str

    @property
    def key(self) -> str:
        return f"order:{self.id}"

    def to_json(self) -> str:
        return json.dumps({"id": self.id, "item": self.item}, separators=(",", ":"))

    @classmethod
    def from_json(cls, order_id: str, text: str) -> Order:
        obj = json.loads(text)
        return cls(order_id, str(obj.get("item", "")) if isinstance(obj, dict) else str(obj))


def valid_id(order_id: object) -> bool:
    """Ids are short printable strings without '/' or spaces, so they fit in a URL path."""
    return (
        isinstance(order_id, str)
        and 0 < len(order_id) <= MAX_ID_LENGTH
        and order_id.isprintable()
        and not any(c in order_id for c in " /?#%")
    )


def key_of(order_id: str) -> str:
    return f"order:{order_id}"
