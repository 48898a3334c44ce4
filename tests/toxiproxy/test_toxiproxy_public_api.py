"""The package's public surface: a sorted `__all__`, typed, errors in chaoskit's tree."""

from __future__ import annotations

from importlib import resources

import chaoskit.toxiproxy as toxiproxy
from chaoskit.errors import FaultSpecError, UserError, WorldError


def test_all_is_sorted_and_complete() -> None:
    assert toxiproxy.__all__ == sorted(toxiproxy.__all__)
    for name in toxiproxy.__all__:
        assert hasattr(toxiproxy, name), name
    # "@py_builtins" and the like: pytest rewrites asserts in packages that ship a plugin.
    public = {n for n in vars(toxiproxy) if not n.startswith(("_", "@"))}
    assert public == set(toxiproxy.__all__)


def test_ships_py_typed() -> None:
    assert resources.files("chaoskit.toxiproxy").joinpath("py.typed").is_file()


def test_errors_sit_in_chaoskit_tree() -> None:
    assert issubclass(toxiproxy.ToxiproxySpecError, FaultSpecError)
    assert issubclass(toxiproxy.ToxiproxySpecError, UserError)
    assert issubclass(toxiproxy.ToxiproxyError, WorldError)
    assert issubclass(toxiproxy.ToxiproxyTimeout, toxiproxy.ToxiproxyConnectionError)
    assert issubclass(toxiproxy.ToxiproxyNotFound, toxiproxy.ToxiproxyAPIError)
    assert issubclass(toxiproxy.ToxiproxyConflict, toxiproxy.ToxiproxyAPIError)
    assert issubclass(toxiproxy.BaselineNotReached, toxiproxy.ToxiproxyError)


def test_every_server_toxic_type_is_known() -> None:
    # toxics/*.go in toxiproxy v2.12.0 registers exactly these.
    assert set(toxiproxy.TOXIC_TYPES) == {
        "bandwidth",
        "latency",
        "limit_data",
        "noop",
        "reset_peer",
        "slicer",
        "slow_close",
        "timeout",
    }
