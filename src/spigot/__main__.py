"""``python -m spigot``: the command line."""

from spigot.cli.app import run

run()
