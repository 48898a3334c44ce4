"""A team's existing toxiproxy-python code and our client share one server, and see each other.

toxiproxy-python 0.1.1 keeps the server address in class attributes of
`toxiproxy.api.APIConsumer` (one server per process); the test sets them with
monkeypatch so they are restored afterwards.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from chaoskit.toxiproxy import Latency, Proxy, SlowClose, ToxiproxyClient

if TYPE_CHECKING:  # the fixtures' types; conftest is not imported at run time
    from conftest import Wire

with warnings.catch_warnings():
    # It imports `future` (a Python 2 compatibility layer), which may warn on newer Pythons.
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.simplefilter("ignore", PendingDeprecationWarning)
    pytest.importorskip("future", reason="toxiproxy-python 0.1.1 needs the 'future' package")
    legacy = pytest.importorskip("toxiproxy", reason="toxiproxy-python is not installed")
    legacy_api = pytest.importorskip("toxiproxy.api")


@pytest.fixture
def Toxiproxy(client: ToxiproxyClient, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """toxiproxy-python's `Toxiproxy` class, pointed at our server for this test only."""
    address = urlsplit(client.base_url)
    monkeypatch.setattr(legacy_api.APIConsumer, "host", address.hostname)
    monkeypatch.setattr(legacy_api.APIConsumer, "port", address.port)
    # requests honours proxy variables; the API is on loopback.
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield legacy.Toxiproxy


def fastest(wire: Wire, proxy: Proxy) -> float:
    """The fastest of three round trips: load slows some, never speeds one up. Without the
    test's 200 ms latency toxic it is well below 0.2 s."""
    return min(wire.roundtrip(proxy) for _ in range(3))


def test_legacy_code_and_our_client_see_each_other(
    Toxiproxy: Any, client: ToxiproxyClient, echo_address: str, wire: Wire
) -> None:
    name = f"chaoskit-test-legacy-{uuid.uuid4().hex[:6]}"
    proxy = Toxiproxy().create(upstream=echo_address, name=name)
    try:
        # What it made, we see.
        ours = client.get_proxy(name)
        assert ours.upstream == echo_address and ours.enabled and ours.listen == proxy.listen
        assert fastest(wire, ours) < 0.15

        # Its toxic (add_toxic returns nothing): we see it, typed, and feel it.
        assert proxy.add_toxic(type="latency", attributes={"latency": 200}) is None
        (toxic,) = client.list_toxics(name)
        assert toxic.name == "latency_downstream"
        assert toxic.attributes == Latency(latency=200, jitter=0)
        assert toxic.toxicity == 1.0
        assert wire.roundtrip(ours) >= 0.2

        assert proxy.destroy_toxic("latency_downstream") is True
        assert client.list_toxics(name) == []
        assert fastest(wire, ours) < 0.15

        # Its disable is a real disable; our enable is seen by it.
        proxy.disable()
        assert not client.get_proxy(name).enabled
        with pytest.raises(ConnectionRefusedError):
            wire.connect(ours).close()
        client.enable_proxy(name)
        assert Toxiproxy().get_proxy(name).enabled
        assert fastest(wire, ours) < 0.15
        proxy.disable()
        proxy.enable()
        assert client.get_proxy(name).enabled

        # What we add, it sees.
        client.add_toxic(name, SlowClose(delay=50), stream="upstream", name="ours")
        seen = proxy.toxics()
        assert set(seen) == {"ours"}
        assert seen["ours"].type == "slow_close"
        assert seen["ours"].stream == "upstream"
        assert seen["ours"].attributes == {"delay": 50}
        client.remove_toxic(name, "ours")
        assert proxy.get_toxic("ours") is None
    finally:
        proxy.destroy()
    assert name not in client.list_proxies()
