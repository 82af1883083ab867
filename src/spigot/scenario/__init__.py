"""Scenarios: YAML files validated by pydantic, with line numbers in every error message."""

from spigot.scenario.loader import check_names, load_file, load_text
from spigot.scenario.models import (
    ExportBan,
    ExportLicence,
    ExportQuota,
    ExportTax,
    Scenario,
    Suspension,
)

__all__ = [
    "ExportBan",
    "ExportLicence",
    "ExportQuota",
    "ExportTax",
    "Scenario",
    "Suspension",
    "check_names",
    "json_schema",
    "load_file",
    "load_text",
]


def json_schema() -> dict[str, object]:
    """JSON Schema of scenario files (for editors: ``spigot scenario schema > scenario.json``)."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "spigot scenario"
    return schema
