"""Under pytest-xdist each worker brings up a world of its own and takes it down at the end.

Brings up two worlds at once: minutes on a loaded machine. Deselect with
``-m 'not xdist_worlds'``.
"""

from __future__ import annotations

import secrets

import pytest

from chaoskit.world import World

pytestmark = [pytest.mark.world, pytest.mark.xdist_worlds]

TIMEOUT_S = 600


def test_each_worker_brings_up_its_own_world_and_takes_it_down(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"xd{secrets.token_hex(2)}"
    log = pytester.path / "worlds.log"
    monkeypatch.setenv("CHAOSKIT_STATE", str(pytester.path / "state"))
    monkeypatch.setenv("WORLDS_LOG", str(log))
    pytester.makepyfile("""
        import os
        import pytest

        @pytest.mark.parametrize("n", range(4))
        def test_world(chaoskit_world, worker_id, n):
            assert chaoskit_world.is_running()
            with open(os.environ["WORLDS_LOG"], "a") as f:
                f.write(f"{worker_id} {chaoskit_world.project}\\n")
    """)
    worlds = [World.define(None, f"{name}-gw{i}") for i in range(2)]
    try:
        result = pytester.runpytest_subprocess("-n", "2", "--chaoskit-world", name, "-p", "no:cacheprovider",
                                               timeout=TIMEOUT_S)
        result.assert_outcomes(passed=4)
        used = {tuple(line.split()) for line in log.read_text().splitlines()}
        assert used == {("gw0", worlds[0].project), ("gw1", worlds[1].project)}
        for w in worlds:  # brought up by the session, so taken down by it
            assert not w.containers(), f"{w.project} left behind"
            assert not w.dir.exists()
    finally:
        for w in worlds:
            if w.containers():
                w.down()
