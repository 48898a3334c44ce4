from __future__ import annotations

import chaoskit.gameday


def test_all_is_sorted_and_complete() -> None:
    names = chaoskit.gameday.__all__
    assert names == sorted(names)
    for name in names:
        assert hasattr(chaoskit.gameday, name), name
    # "@py_builtins" and the like appear when pytest rewrites the package's asserts.
    public = {n for n in vars(chaoskit.gameday) if not n.startswith(("_", "@"))}
    assert public == set(names)
