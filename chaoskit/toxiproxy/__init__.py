"""A thin typed client for the Toxiproxy v2 HTTP API, one server per client.

chaoskit puts a Toxiproxy server in each region; faults add and remove toxics
through this client and revert with `ensure_baseline`.

```python
from chaoskit.toxiproxy import Latency, ToxiproxyClient

with ToxiproxyClient("http://127.0.0.1:8474", timeout=2.0) as toxiproxy:
    toxic = toxiproxy.add_toxic("orders-db", Latency(latency=100, jitter=10))
    toxiproxy.disable_proxy("kv")            # connection refused, open connections cut
    journal = toxiproxy.snapshot()           # plain data
    report = toxiproxy.ensure_baseline(["orders-db", "kv"])
```

See docs/toxiproxy-client.md for why this is not toxiproxy-python.
"""

from chaoskit.toxiproxy._client import DEFAULT_TIMEOUT, ToxiproxyClient
from chaoskit.toxiproxy._exceptions import (
    BaselineNotReached,
    ToxiproxyAPIError,
    ToxiproxyConflict,
    ToxiproxyConnectionError,
    ToxiproxyError,
    ToxiproxyNotFound,
    ToxiproxySpecError,
    ToxiproxyTimeout,
)
from chaoskit.toxiproxy._local import BINARY_ENV, LocalToxiproxyServer, find_server_binary
from chaoskit.toxiproxy._models import BaselineReport, Proxy, ProxySpec, Toxic
from chaoskit.toxiproxy._toxics import (
    STREAMS,
    TOXIC_TYPES,
    Bandwidth,
    Latency,
    LimitData,
    Noop,
    RawToxicAttributes,
    ResetPeer,
    Slicer,
    SlowClose,
    Stream,
    Timeout,
    ToxicAttributes,
    parse_attributes,
)

__all__ = [
    "BINARY_ENV",
    "Bandwidth",
    "BaselineNotReached",
    "BaselineReport",
    "DEFAULT_TIMEOUT",
    "Latency",
    "LimitData",
    "LocalToxiproxyServer",
    "Noop",
    "Proxy",
    "ProxySpec",
    "RawToxicAttributes",
    "ResetPeer",
    "STREAMS",
    "Slicer",
    "SlowClose",
    "Stream",
    "TOXIC_TYPES",
    "Timeout",
    "Toxic",
    "ToxicAttributes",
    "ToxiproxyAPIError",
    "ToxiproxyClient",
    "ToxiproxyConflict",
    "ToxiproxyConnectionError",
    "ToxiproxyError",
    "ToxiproxyNotFound",
    "ToxiproxySpecError",
    "ToxiproxyTimeout",
    "find_server_binary",
    "parse_attributes",
]
