"""The built-in replay scenarios: YAML files ``replay-*.yaml`` in
``spigot/scenarios/builtin/replays/``.

A replay is an ordinary scenario file (``docs/scenarios.md``) whose policies encode one historical
episode as announced, each with a comment naming its row of the project's export-control
timeline. ``spigot replay NAME`` runs it and compares it with the observed series
(:mod:`spigot.replays.runner`).

>>> from spigot.replays import replay_names
>>> replay_names()
('replay-2010', 'replay-2023-gallium', 'replay-2025')
"""

from __future__ import annotations

from pathlib import Path

from spigot.bundled import BundledCatalog
from spigot.scenarios.loader import load_file
from spigot.scenarios.models import Scenario

__all__ = ["load_replay", "replay_names", "replay_path"]


_CATALOG = BundledCatalog("spigot.scenarios", "replay", "replay-*.yaml", subfolder="builtin/replays")


def replay_names() -> tuple[str, ...]:
    """Names of the built-in replays, sorted."""
    return _CATALOG.names()


def replay_path(name: str) -> Path:
    """The YAML file of built-in replay ``name``.

    Raises
    ------
    UnknownNameError
        If there is no such replay (the message suggests the closest name).
    """
    return _CATALOG.path(name)


def load_replay(name: str) -> Scenario:
    """The scenario of built-in replay ``name`` (validated).

    Raises
    ------
    UnknownNameError
        If there is no such replay.
    """
    return load_file(replay_path(name))
