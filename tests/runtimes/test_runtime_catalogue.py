"""The runtime matrix's pure parts: naming runtimes, the delay arithmetic, the image digest."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from chaoskit.errors import UserError
from chaoskit.runtimes import RUNTIMES, parse_only
from chaoskit.runtimes._images import digest
from chaoskit.runtimes._matrix import Sample, _notes, delay_after

ROOT = Path(__file__).resolve().parents[2]


def test_only_names_runtimes_in_the_catalogues_order() -> None:
    assert parse_only(None) == ["glibc", "musl", "go", "jvm", "node"]
    assert parse_only("go, glibc,musl") == ["glibc", "musl", "go"]
    assert parse_only("node,") == ["node"]


@pytest.mark.parametrize("bad, says", [
    ("glbc", "did you mean 'glibc'?"),
    ("python", "known: glibc, go, jvm, musl, node"),
    ("GLIBC", "unknown runtime 'GLIBC'"),  # full matches: names are exact
    ("go\nglibc", "unknown runtime"),
    (",", "names no runtime"),
    ("", "names no runtime"),
])
def test_an_unknown_runtime_is_one_problem_saying_where(bad: str, says: str) -> None:
    with pytest.raises(UserError) as err:
        parse_only(bad)
    assert len(err.value.problems) == 1
    assert err.value.problems[0].where == "--only" and says in str(err.value)


def test_every_runtime_has_a_client_and_a_dockerfile() -> None:
    for runtime in RUNTIMES.values():
        files = {p.name for p in runtime.folder.iterdir()}
        assert "Dockerfile" in files and len(files) == 2, (runtime.name, files)
    assert {r.name for r in RUNTIMES.values() if r.slow} == {"jvm", "node"}


def samples(*rows: tuple[float, str | None]) -> list[Sample]:
    return [Sample(t, 1.0, addr, None if addr else "no address") for t, addr in rows]


def test_delay_counts_from_the_confirmed_change_to_the_first_new_answer() -> None:
    seen = samples((100.0, "old"), (101.0, "old"), (102.0, "old"), (102.6, "old"), (103.2, "new"))
    # Changed between 102.0 and 102.5 (confirmed): the new answer came 0.7 s after.
    delay, held = delay_after(seen, 102.0, 102.5, lambda s: s.addr == "new")
    assert delay == pytest.approx(0.7) and held == pytest.approx(3.2)


def test_a_new_answer_before_the_confirmation_is_no_delay() -> None:
    seen = samples((100.0, "old"), (102.2, "new"), (102.7, "new"))
    assert delay_after(seen, 102.0, 102.5, lambda s: s.addr == "new")[0] == 0.0


def test_a_new_answer_begun_before_the_change_does_not_count() -> None:
    # A request that began before the fault was applied cannot have seen it.
    seen = samples((100.0, "new"), (101.0, "old"), (104.0, "new"))
    assert delay_after(seen, 102.0, 102.5, lambda s: s.addr == "new")[0] == pytest.approx(1.5)


def test_a_client_that_never_moves_on_has_no_delay_figure() -> None:
    seen = samples((100.0, "old"), (130.0, "old"))
    assert delay_after(seen, 102.0, 102.5, lambda s: s.addr == "new") == (None, None)


def test_notes_say_which_cache_held_what() -> None:
    assert _notes("x", 0.1, 2.0, 0.0, 1.5, 45) == "x; no answer cache; no failure cache"
    assert _notes("", 27.9, 30.0, 8.4, 10.0, 45) == ("kept its first answer 30.0s; "
                                                     "kept its first failure 10.0s")
    assert "still the old answer 45s after the flip" in _notes("", None, None, 0.0, 0.0, 45)


def test_the_image_digest_follows_the_client_and_the_base(tmp_path: Path) -> None:
    runtime = RUNTIMES["glibc"]
    same = digest(runtime, "sha256:a")
    assert same == digest(runtime, "sha256:a") and same != digest(runtime, "sha256:b")


def test_the_slow_marker_is_registered_and_documented() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    markers = config["tool"]["pytest"]["ini_options"]["markers"]
    assert any(m.startswith("runtimes_slow:") for m in markers)
    development = (ROOT / "README.md").read_text().split("## Development", 1)[1]
    assert "runtimes_slow" in development
    data = config["tool"]["setuptools"]["package-data"]["chaoskit.runtimes"]
    assert data == ["clients/*/*"]
