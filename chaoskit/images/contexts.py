"""Images of a topology's own services, built from their `build:` folders by `chaoskit up`.

Built with the Docker SDK from the local engine only (no registry: a ``FROM`` must name
an image present here), tagged per world (`built_image`) so two worlds never share one.
A failed build raises `ServiceBuildError` with its log's tail, and the images this call
tagged are removed again: nothing half-made is left for a later `up` to run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from chaoskit.errors import Problem, ServiceBuildError
from chaoskit.images.catalogue import built_image
from chaoskit.topology import Topology

Log = Callable[[str], None]
TAIL = 25  # lines of a failed build's log shown


def build_service_images(topology: Topology, project: str, log: Log = lambda s: None) -> dict[str, str]:
    """Build every service of `topology` that gives `build:`; return service -> image tag.

    Docker's layer cache makes an unchanged context a matter of a second; a changed one
    gets a new image under the same tag (so `up` can tell what changed by image id).
    """
    from chaoskit.engine import docker_client

    client = docker_client()
    contexts = {n: topology.build_context(n) for n in topology.services}
    wanted = {n: c for n, c in contexts.items() if c is not None}
    built: dict[str, str] = {}
    made: list[str] = []
    for name, context in wanted.items():
        tag = built_image(project, name)
        if not (context / "Dockerfile").is_file():
            raise ServiceBuildError(f"build context of service {name!r} has no Dockerfile: {context}")
        existed = _image_id(client, tag) is not None
        log(f"building {name} from {context} as {tag}")
        try:
            _build(client, str(context), tag, project, name)
        except ServiceBuildError:
            for done in made:
                _remove(client, done)
            raise
        if not existed:
            made.append(tag)
        built[name] = tag
    return built


def _build(client: Any, context: str, tag: str, project: str, service: str) -> None:
    import docker.errors

    lines: list[str] = []
    try:
        stream = client.api.build(path=context, tag=tag, rm=True, forcerm=True, pull=False, decode=True,
                                  labels={"io.chaoskit.world": project, "io.chaoskit.service": service})
        for chunk in stream:
            text = chunk.get("stream") or chunk.get("status") or ""
            lines.extend(line for line in text.splitlines() if line.strip())
            if "error" in chunk:
                lines.append(str(chunk["error"]).strip())
                raise ServiceBuildError(_failure(service, context, lines))
    except docker.errors.DockerException as exc:
        lines.append(str(exc))
        raise ServiceBuildError(_failure(service, context, lines)) from None


def _failure(service: str, context: str, lines: list[str]) -> list[Problem]:
    tail = "\n".join("    " + line for line in lines[-TAIL:])
    return [Problem(f"the image of service {service!r} did not build from {context}; "
                    f"the build log's last lines:\n{tail}",
                    hint="fix the Dockerfile (FROM must name an image present on this machine); "
                         "nothing was started")]


def _image_id(client: Any, tag: str) -> str | None:
    import docker.errors

    try:
        return str(client.images.get(tag).id)
    except docker.errors.ImageNotFound:
        return None


def _remove(client: Any, tag: str) -> None:
    import docker.errors

    with contextlib.suppress(docker.errors.DockerException):  # in use or gone: nothing to undo
        client.images.remove(tag, noprune=False)
