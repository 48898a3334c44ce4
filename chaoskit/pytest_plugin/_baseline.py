"""The world's baseline between tests: confirmed quickly, restored without restarting anything.

After a test the `chaos` fixture reverts the test's faults (each revert is
confirmed on the wire), then looks at the whole world once, as `chaoskit
status` does: no fault in the journal, no drift (`chaoskit/faults/drift.py`: no
foreign toxic, every proxy present and enabled, Corefiles as rendered and
served, every container running on its networks) and DNS answering as
rendered. Only if something is off does it run `Faults.reset()`, the same reset
as `chaoskit reset`, and the test's report says what was off and what the reset
changed; if even that cannot be confirmed, the test errors with
`BaselineNotRestored` and the chaos tests after it error too, until the
baseline is back.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from chaoskit.errors import ChaoskitError, WorldError
from chaoskit.faults import Faults
from chaoskit.region import World


class BaselineNotRestored(WorldError):
    """The world could not be brought back to its baseline: the tests after this one cannot trust it."""


def _bullets(lines: list[str]) -> str:
    return "\n".join(f"  - {line}" for line in lines)


class Baseline:
    """Confirms and restores one world's baseline around the tests that use `chaos`."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.checked = False  # confirmed at least once since the session (or a playbook) changed it
        self.broken: str | None = None  # the test after which a reset failed, while it stays failed
        self.timings: list[float] = []  # seconds of each teardown that found the baseline at once

    @property
    def short_name(self) -> str:
        return self.world.project.removeprefix("chaoskit-")

    def problems(self, faults: Faults) -> list[str]:
        """What is off the baseline right now; empty when everything is as rendered."""
        # Two independent looks, each waiting on servers: side by side, the slowest sets the time.
        with ThreadPoolExecutor(2, thread_name_prefix="chaoskit-baseline") as pool:
            looks = [pool.submit(faults.off_baseline), pool.submit(self._wire, faults)]
            found: list[str] = []
            for look in looks:
                try:
                    found += look.result()
                except Exception as exc:  # a server that does not answer is off the baseline too
                    found.append(f"could not look: {type(exc).__name__}: {exc}")
            return found

    @staticmethod
    def _wire(faults: Faults) -> list[str]:
        try:
            faults.confirm_baseline()  # DNS as rendered, no toxics, every proxy enabled
        except ChaoskitError as exc:
            return [str(exc)]
        return []

    def before(self, faults: Faults, test: str) -> str:
        """Before a test: confirm the baseline once per session, or again after a failed reset.

        Returns a note saying what was off and what the reset changed (empty when nothing was).
        """
        if self.checked and self.broken is None:
            return ""
        found = [f"not restored since {self.broken}"] if self.broken else self.problems(faults)
        self.checked = True
        if not found:
            return ""
        took, changes = self._reset(faults, test, found, when="before")
        return (
            f"world {self.world.project} was off its baseline before the test:\n{_bullets(found)}\n"
            f"restored and confirmed by a reset in {took:.1f} s, which changed:\n"
            f"{_bullets(changes or ['nothing (it went back by itself)'])}"
        )

    def after(self, faults: Faults, test: str) -> str:
        """After a test: revert its faults and confirm the baseline; reset only what is off.

        Returns a note when a reset was needed (empty when the baseline was found
        at once); raises `BaselineNotRestored` when the reset cannot be confirmed.
        """
        started = time.monotonic()
        found: list[str] = []
        try:
            faults.close()
        except Exception as exc:  # the whole-world reset below is the fallback
            found.append(f"reverting the test's faults failed: {exc}")
        found += self.problems(faults)
        if not found:
            self.timings.append(time.monotonic() - started)
            return ""
        took, changes = self._reset(faults, test, found, when="after")
        return (
            f"world {self.world.project} was off its baseline after the test:\n{_bullets(found)}\n"
            f"restored and confirmed by a reset in {took:.1f} s, which changed:\n"
            f"{_bullets(changes or ['nothing (it went back by itself)'])}"
        )

    def _reset(self, faults: Faults, test: str, found: list[str], *,
               when: str) -> tuple[float, list[str]]:
        started = time.monotonic()
        try:
            done = faults.reset()
        except Exception as exc:
            self.broken = self.broken or test
            raise BaselineNotRestored(
                f"chaoskit: the baseline of world {self.world.project} could not be restored "
                f"{when} {test}.\n"
                f"Off the baseline:\n{_bullets(found)}\n"
                f"The reset (no restarts) failed: {type(exc).__name__}: {exc}\n"
                "The chaos tests after this one will error until the baseline is back: fix the cause, "
                f"then run `chaoskit reset --world {self.short_name}` "
                f"(or start afresh: `chaoskit down --world {self.short_name}`)."
            ) from None
        self.broken = None
        return time.monotonic() - started, list(done["changes"])
