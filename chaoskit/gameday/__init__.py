"""Game days: a facilitator runs a playbook step by step while the team watches a live dashboard.

The facilitator's terminal shows the next step and waits for ``go``, ``skip``
or ``abort`` (``done`` for a manual step); ``note <text>``, ``status`` and
``help`` work at any time. The team follows a page served on 127.0.0.1: the
report's timeline chart filling in, each region's health, active faults,
probes, notes and the current step, pushed by server-sent events. Afterwards
the run's report is the same as `chaoskit run`'s, notes on the timeline.

```python
from chaoskit.gameday import GameDay
from chaoskit.playbook import load_playbook
from chaoskit.world import World

playbook = load_playbook("playbooks/kv-dns-empty-record.yaml", interactive=True)
result = GameDay(playbook, World.open("demo"), port=8765, report_dir="reports/gd").run()
```

The pieces work alone too: `parse_command` for what is typed,
`GameDayFacilitator` for answering a `chaoskit.runner.Run`, `LiveState` and
`dashboard_app` for a live page over any run.
"""

from chaoskit.gameday._commands import HELP, Command, parse_command
from chaoskit.gameday._dashboard import DEFAULT_PORT, DashboardServer, dashboard_app
from chaoskit.gameday._facilitator import GameDayFacilitator, LineReader, Question
from chaoskit.gameday._gameday import GameDay
from chaoskit.gameday._live import ContainerWatch, LiveState, region_health
from chaoskit.gameday._terminal import TerminalView, status_block
from chaoskit.runner._events import describe_event

__all__ = [
    "Command",
    "ContainerWatch",
    "DEFAULT_PORT",
    "DashboardServer",
    "GameDay",
    "GameDayFacilitator",
    "HELP",
    "LineReader",
    "LiveState",
    "Question",
    "TerminalView",
    "dashboard_app",
    "describe_event",
    "parse_command",
    "region_health",
    "status_block",
]
