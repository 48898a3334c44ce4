"""Discovery: what a service really depends on, seen from the world's own traffic.

Every region's CoreDNS logs each question it answers (who asked, which name, what
answer); every Toxiproxy logs each connection it accepts and counts bytes per proxy.
`queries` reads the query log and names each client from the world's address plan and
Docker networks; `observe` aggregates one service's names and proxies into
`Dependencies`, whose `endpoints()` are the topology endpoints it was seen to use.

```python
import time
from chaoskit.discovery import observe, queries
from chaoskit.world import World

world = World.open()
deps = observe(world, "orders", since=time.time() - 60)
print(deps.endpoints())                      # ['kv']
for name in deps.names:
    print(name.region, name.name, name.queries, name.rcodes, name.in_topology)
never = [q for q in queries(world) if q.rcode != "NOERROR"]
```

The records are plain data; `Query` is `chaoskit.history.Query`, so a run's history
carries the questions asked during it and the checks judge them without a world.
"""

from chaoskit.discovery._clients import AddressBook, Holder
from chaoskit.discovery._model import (
    Dependencies,
    NameSeen,
    ProxySeen,
    endpoint_of,
    names_seen,
    proxies_seen,
)
from chaoskit.discovery._proxylog import Connection, parse_accept_line, parse_metrics
from chaoskit.discovery._querylog import NO_ANSWER, parse_query_line, parse_timestamp, query_of
from chaoskit.discovery._world import connections, observe, proxy_bytes, queries
from chaoskit.history import Query

__all__ = [
    "AddressBook",
    "Connection",
    "Dependencies",
    "Holder",
    "NO_ANSWER",
    "NameSeen",
    "ProxySeen",
    "Query",
    "connections",
    "endpoint_of",
    "names_seen",
    "observe",
    "parse_accept_line",
    "parse_metrics",
    "parse_query_line",
    "parse_timestamp",
    "proxies_seen",
    "proxy_bytes",
    "queries",
    "query_of",
]
