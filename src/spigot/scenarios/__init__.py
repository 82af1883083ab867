"""Built-in scenarios, stored as YAML files in this package.

>>> import spigot as sp
>>> sp.scenarios.names()
('baseline', 'licence-squeeze', 'magnet-embargo')
>>> sp.scenarios.load("licence-squeeze").name
'licence-squeeze'
"""

from __future__ import annotations

from pathlib import Path

from spigot.data.bundled import BundledCatalog
from spigot.errors import UnknownNameError
from spigot.scenario.loader import load_file
from spigot.scenario.models import Scenario

__all__ = ["load", "names", "path"]


_CATALOG = BundledCatalog("spigot.scenarios", "scenario", "*.yaml")


def names() -> tuple[str, ...]:
    """Names of the built-in scenarios."""
    return _CATALOG.names()


def path(name: str) -> Path:
    """File of built-in scenario ``name``.

    Raises
    ------
    UnknownNameError
        If there is no such scenario.
    """
    return _CATALOG.path(name)


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
