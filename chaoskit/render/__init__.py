"""From a topology to files: the compose file, Corefiles and zones, Toxiproxy proxy lists."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from chaoskit.render.compose import render_compose
from chaoskit.render.coredns import render_corefile, render_zone, write_coredns
from chaoskit.render.plan import Plan, View, default_subnets
from chaoskit.render.toxiproxy import proxies


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: object) -> bool:
        return True


HEADER = "# Rendered by chaoskit from the topology; `chaoskit render` writes it again.\n"


def render_world(plan: Plan, directory: str | Path) -> Path:
    """Write every file of the world into `directory`; return the compose file's path."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    for region in plan.topology.regions:
        write_coredns(plan, region, root / "regions" / region / "coredns")
        tdir = root / "regions" / region / "toxiproxy"
        tdir.mkdir(parents=True, exist_ok=True)
        (tdir / "toxiproxy.json").write_text(json.dumps(proxies(plan, region), indent=2) + "\n")
    compose_path = root / "compose.yaml"
    text = yaml.dump(render_compose(plan), Dumper=_NoAliases, sort_keys=False, width=120)
    compose_path.write_text(HEADER + text)
    (root / "world.json").write_text(json.dumps(plan.to_json(), indent=2) + "\n")
    return compose_path


__all__ = ["Plan", "View", "default_subnets", "proxies", "render_compose", "render_corefile",
           "render_world", "render_zone"]
