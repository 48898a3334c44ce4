from __future__ import annotations

import chaoskit.reports


def test_all_is_sorted_and_complete() -> None:
    names = chaoskit.reports.__all__
    assert names == sorted(names)
    for name in names:
        assert hasattr(chaoskit.reports, name), name
    # "@py_builtins" and the like appear when pytest rewrites the package's asserts.
    public = {n for n in vars(chaoskit.reports) if not n.startswith(("_", "@"))}
    assert public == set(names)
