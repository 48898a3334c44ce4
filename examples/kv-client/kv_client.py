"""A workload client of your own, for a protocol that is not HTTP: the store's, with redis-py.

A playbook names it as ``target: kv_client:KvClient`` with ``service: kv``; chaoskit makes
one per worker thread with the store's ``host:port`` in each region (the topology's
region order: the primary first) and records what each call returns, exactly as for an
HTTP service. Any protocol works the same way: gRPC, SQL, a queue.
"""

from __future__ import annotations

from collections.abc import Mapping

import redis

from chaoskit.workload import Result


class KvClient:
    """Writes to the primary region's store, reads in the region asked, lists from any."""

    def __init__(self, addresses: Mapping[str, str], timeout: float) -> None:
        self.primary = next(iter(addresses))
        self.stores = {}
        for region, address in addresses.items():
            host, _, port = address.rpartition(":")
            self.stores[region] = redis.Redis(
                host=host, port=int(port), socket_timeout=timeout, socket_connect_timeout=timeout
            )

    def write(self, region: str, key: str) -> Result:
        try:
            with self.stores[self.primary].pipeline(transaction=True) as tx:
                tx.set(f"item:{key}", key).sadd("items", key).execute()
        except redis.TimeoutError as e:
            return Result("unknown", error=f"timed out: {e}")  # it may have been done
        except (redis.ConnectionError, redis.ResponseError) as e:
            return Result("fail", error=str(e))
        return Result("ok", self.primary, key)

    def read(self, region: str, key: str) -> Result:
        try:
            found = self.stores[region].get(f"item:{key}")
        except redis.RedisError as e:
            return Result("fail", error=str(e))
        return Result("ok", region, key if found is not None else None)

    def read_all(self, region: str) -> Result:
        try:
            members = self.stores[region].smembers("items")
        except redis.RedisError as e:
            return Result("fail", error=str(e))
        return Result("ok", region, sorted(m.decode() for m in members))

    def close(self) -> None:
        for store in self.stores.values():
            store.close()
