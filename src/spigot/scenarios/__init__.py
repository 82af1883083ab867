"""Built-in scenarios, stored as YAML files in this package.

>>> import spigot as sp
>>> sp.scenarios.names()
('baseline', 'licence-squeeze', 'magnet-embargo')
>>> sp.scenarios.load("licence-squeeze").name
'licence-squeeze'
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from spigot.errors import UnknownNameError
from spigot.scenario.loader import load_file
from spigot.scenario.models import Scenario

__all__ = ["load", "names", "path"]


def _root() -> Path:
    return Path(str(resources.files("spigot.scenarios")))


def names() -> tuple[str, ...]:
    """Names of the built-in scenarios."""
    return tuple(sorted(p.stem for p in _root().glob("*.yaml")))


def path(name: str) -> Path:
    """File of built-in scenario ``name``.

    Raises
    ------
    UnknownNameError
        If there is no such scenario.
    """
    if name not in names():
        raise UnknownNameError("scenario", name, names())
    return _root() / f"{name}.yaml"


def load(name: str) -> Scenario:
    """Load built-in scenario ``name``, or a scenario file if ``name`` is a path to one.

    Raises
    ------
    UnknownNameError
        If ``name`` is neither a built-in scenario nor an existing file.
    ScenarioError
        If the file is invalid.
    """
    if name in names():
        return load_file(path(name))
    candidate = Path(name)
    if candidate.suffix.lower() in {".yaml", ".yml"} or candidate.exists():
        return load_file(candidate)
    raise UnknownNameError("scenario", name, names())
