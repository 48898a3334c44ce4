from __future__ import annotations

import chaoskit.checks


def test_all_is_sorted_and_complete() -> None:
    names = chaoskit.checks.__all__
    assert names == sorted(names)
    for name in names:
        assert hasattr(chaoskit.checks, name), name
    # "@py_builtins" and the like appear when pytest rewrites the package's asserts.
    public = {n for n in vars(chaoskit.checks) if not n.startswith(("_", "@"))}
    assert public == set(names)
