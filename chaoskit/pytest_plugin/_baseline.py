"""The world's baseline between tests: confirmed quickly, restored without restarting anything.

After a test the `chaos` fixture reverts the test's faults (each revert is
confirmed on the wire), then looks at the whole world once: no fault in the
journal, DNS answering as rendered, every proxy present, enabled and without
toxics, every container running. Only if something is off does it run
`Faults.reset()`; if even that cannot be confirmed, the test errors with
`BaselineNotRestored` and the chaos tests after it error too, until the
baseline is back.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from chaoskit.engine import docker_client
from chaoskit.errors import ChaoskitError, WorldError
from chaoskit.faults import Faults
from chaoskit.region import World
from chaoskit.render import proxies


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
        # Three independent looks, each waiting on a server: side by side, the slowest sets the time.
        with ThreadPoolExecutor(3, thread_name_prefix="chaoskit-baseline") as pool:
            looks = [
                pool.submit(self._faults_and_wire, faults),
                pool.submit(self._missing_proxies, faults),
                pool.submit(self._stopped_containers),
            ]
            found: list[str] = []
            for look in looks:
                try:
                    found += look.result()
                except Exception as exc:  # a server that does not answer is off the baseline too
                    found.append(f"could not look: {type(exc).__name__}: {exc}")
            return found

    @staticmethod
    def _faults_and_wire(faults: Faults) -> list[str]:
        found = [
            f"fault {f['id']} ({f.get('describe', '?')}) still in the journal, held by {f.get('holder')}"
            for f in faults.listing()
        ]
        try:
            faults.confirm_baseline()  # DNS as rendered, no toxics, every proxy enabled
        except ChaoskitError as exc:
            found.append(str(exc))
        return found

    def _missing_proxies(self, faults: Faults) -> list[str]:
        found = []
        for region in self.world.topology.regions:
            expected = {p["name"] for p in proxies(self.world.plan, region)}
            try:
                present = set(faults.ctx.toxiproxy(region).list_proxies())
            except ChaoskitError as exc:
                found.append(f"Toxiproxy of {region}: {exc}")
                continue
            found += [f"proxy {name} of {region} is missing" for name in sorted(expected - present)]
        return found

    def _stopped_containers(self) -> list[str]:
        # The low-level list is one request; the high-level one inspects every container.
        flt = {"label": f"com.docker.compose.project={self.world.project}"}
        rows = docker_client().api.containers(all=True, filters=flt)
        return [
            f"container {row['Labels'].get('com.docker.compose.service')} is {row['State']}"
            for row in rows
            if row["Labels"].get("io.chaoskit.role") != "tools" and row["State"] != "running"
        ]

    def before(self, faults: Faults, test: str) -> None:
        """Before a test: confirm the baseline once per session, or again after a failed reset."""
        if self.checked and self.broken is None:
            return
        found = [f"not restored since {self.broken}"] if self.broken else self.problems(faults)
        if found:
            self._reset(faults, test, found, when="before")
        self.checked = True

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
        took = self._reset(faults, test, found, when="after")
        return (
            f"world {self.world.project} was off its baseline after the test:\n{_bullets(found)}\n"
            f"restored and confirmed by a reset in {took:.1f} s"
        )

    def _reset(self, faults: Faults, test: str, found: list[str], *, when: str) -> float:
        started = time.monotonic()
        try:
            faults.reset()
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
        return time.monotonic() - started
