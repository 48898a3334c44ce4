from chaoskit.cli import entry

entry()
