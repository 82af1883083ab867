"""Scenarios: YAML files validated by pydantic (line numbers in every error message), and the
built-in ones, stored as YAML in ``builtin/`` (the historical replays in ``builtin/replays/``).

>>> import spigot as sp
>>> sp.scenarios.names()
('baseline', 'escalation-2025', 'licence-squeeze', 'magnet-embargo')
>>> sp.scenarios.load("licence-squeeze").name
'licence-squeeze'
"""

from __future__ import annotations

from pathlib import Path

from spigot.bundled import BundledCatalog
from spigot.errors import UnknownNameError
from spigot.scenarios.kinds import ImportTariff
from spigot.scenarios.loader import check_names, load_file, load_text
from spigot.scenarios.models import (
    ExportBan,
    ExportLicence,
    ExportQuota,
    ExportTax,
    Reaction,
    Scenario,
    Suspension,
)

__all__ = [
    "ExportBan",
    "ExportLicence",
    "ExportQuota",
    "ExportTax",
    "ImportTariff",
    "Reaction",
    "Scenario",
    "Suspension",
    "check_names",
    "json_schema",
    "load",
    "load_file",
    "load_text",
    "names",
    "path",
]


_CATALOG = BundledCatalog("spigot.scenarios", "scenario", "*.yaml", subfolder="builtin")


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


def json_schema() -> dict[str, object]:
    """JSON Schema of scenario files (for editors: ``spigot scenario schema > scenario.json``)."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "spigot scenario"
    return schema
