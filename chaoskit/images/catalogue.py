"""Which image each part of the world runs.

Every part defaults to a pinned official image. Where nothing can be pulled
(no registry, air-gapped), `chaoskit images build` builds a local equivalent
of the same version, and `chaoskit up` uses it when the official image is not
present and cannot be pulled, or when ``CHAOSKIT_IMAGES=local``. Each image is
also overridable on its own by environment (``CHAOSKIT_IMAGE_COREDNS=...``) or
by the topology's ``images:`` section.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from chaoskit import __version__

COREDNS_VERSION = "1.14.7"
TOXIPROXY_VERSION = "2.12.0"
REDIS_VERSION = "7.0.15"  # Debian bookworm's redis-server, so the local build matches
PYTHON_VERSION = "3.11"


@dataclass(frozen=True)
class ImageSpec:
    """One part's image: the official reference and the locally built stand-in."""

    role: str
    official: str
    local: str
    env: str  # environment variable that overrides it


IMAGES: dict[str, ImageSpec] = {
    "coredns": ImageSpec("coredns", f"coredns/coredns:{COREDNS_VERSION}",
                         f"chaoskit/coredns:{COREDNS_VERSION}", "CHAOSKIT_IMAGE_COREDNS"),
    "toxiproxy": ImageSpec("toxiproxy", f"ghcr.io/shopify/toxiproxy:{TOXIPROXY_VERSION}",
                           f"chaoskit/toxiproxy:{TOXIPROXY_VERSION}", "CHAOSKIT_IMAGE_TOXIPROXY"),
    "kv": ImageSpec("kv", f"redis:{REDIS_VERSION}", f"chaoskit/redis:{REDIS_VERSION}",
                    "CHAOSKIT_IMAGE_KV"),
    "python": ImageSpec("python", f"python:{PYTHON_VERSION}-slim-bookworm",
                        "chaoskit/base:bookworm", "CHAOSKIT_IMAGE_PYTHON"),
}
# Always built locally: it carries chaoskit's own in-world code (orders, agent, reaper).
SERVICES_IMAGE = f"chaoskit/services:{__version__}"
SERVICES_ENV = "CHAOSKIT_IMAGE_SERVICES"
MODES = ("auto", "local", "official")


def resolve_images(mode: str | None = None, overrides: dict[str, str | None] | None = None,
                   present: set[str] | None = None) -> dict[str, str]:
    """Pick the image of every role.

    `mode` is ``official``, ``local`` or ``auto`` (default, from ``CHAOSKIT_IMAGES``):
    auto takes the official image when it is present locally, else the local
    build when present, else the official one (to be pulled).
    """
    mode = (mode or os.environ.get("CHAOSKIT_IMAGES") or "auto").lower()
    if mode not in MODES:
        from chaoskit.errors import EnvironmentProblem

        raise EnvironmentProblem(f"images mode {mode!r} is not one of {', '.join(MODES)}",
                                 where="--images / CHAOSKIT_IMAGES")
    overrides = overrides or {}
    out: dict[str, str] = {}
    for role, spec in IMAGES.items():
        chosen = os.environ.get(spec.env) or overrides.get(role)
        if not chosen:
            if mode == "local":
                chosen = spec.local
            elif mode == "official":
                chosen = spec.official
            elif present is not None and spec.official not in present and spec.local in present:
                chosen = spec.local
            else:
                chosen = spec.official
        out[role] = chosen
    out["services"] = os.environ.get(SERVICES_ENV) or SERVICES_IMAGE
    return out


def built_image(project: str, service: str) -> str:
    """The tag `chaoskit up` gives the image it builds for a topology service of a world."""
    return f"{project}/{service}:built"
