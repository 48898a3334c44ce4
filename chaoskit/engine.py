"""The Docker engine and Compose v2, with one clear message when either is missing."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from chaoskit.errors import EnvironmentProblem

DOCTOR = "run `chaoskit doctor` to see what is missing, `chaoskit doctor --fix` to install it"


@lru_cache(maxsize=1)
def docker_client() -> Any:
    """A Docker SDK client for the local engine, or EnvironmentProblem."""
    import docker
    import docker.errors

    try:
        client = docker.from_env(timeout=60)
        client.ping()
    except docker.errors.DockerException as exc:
        raise EnvironmentProblem(
            f"the Docker engine is not reachable ({_short(exc)})", hint=DOCTOR) from None
    return client


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def compose_version() -> str | None:
    """Compose v2's version, or None when `docker compose` is not available."""
    if not shutil.which("docker"):
        return None
    try:
        proc = subprocess.run(["docker", "compose", "version", "--short"], capture_output=True,
                              text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    version = proc.stdout.strip().lstrip("v")
    return version if version and not version.startswith("1.") else None


def require_compose() -> str:
    version = compose_version()
    if version is None:
        raise EnvironmentProblem("Docker Compose v2 (`docker compose`) is not available", hint=DOCTOR)
    return version


def engine_request() -> Callable[[str, str, Any], tuple[int, Any]]:
    """Raw Docker Engine API requests, (method, path, JSON body) -> (status, decoded body),
    over the SDK's connection: the shape the in-world undo path (`inworld/undo.py`) takes."""
    api = docker_client().api

    def request(method: str, path: str, body: Any = None) -> tuple[int, Any]:
        resp = api.request(method, api.base_url + path, json=body, timeout=60)
        if not resp.content:
            return int(resp.status_code), None
        try:
            return int(resp.status_code), resp.json()
        except ValueError:
            return int(resp.status_code), resp.text

    return request
