"""Catalog columns taken from a run's manifest (tolerant of nested or missing keys)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from spigot._version import __version__

__all__ = ["manifest_columns"]


def _first(mapping: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        value = mapping.get(key)
        if value is not None and value != "":
            return value
    return None


def _as_int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def manifest_columns(manifest: Mapping[str, Any], scenario_text: str) -> dict[str, Any]:
    """The catalog columns taken from a manifest (tolerant of nested or missing keys)."""
    scenario = manifest.get("scenario")
    scenario_map = scenario if isinstance(scenario, Mapping) else {}
    dataset = manifest.get("dataset")
    dataset_map = dataset if isinstance(dataset, Mapping) else {}
    timings = _first(manifest, "timings", "timings_s")
    run_seconds = None
    if isinstance(timings, Mapping):
        total = _first(timings, "total", "total_s", "total_seconds", "wall", "wall_s")
        numbers = [v for v in timings.values() if isinstance(v, int | float)]
        run_seconds = float(total) if isinstance(total, int | float) else (
            float(sum(numbers)) if numbers else None)
    elif isinstance(timings, int | float):
        run_seconds = float(timings)
    scenario_hash = _first(manifest, "scenario_hash") or _first(scenario_map, "hash")
    return {
        "scenario": str(_first(scenario_map, "name") or (scenario if isinstance(scenario, str)
                        else None) or _first(manifest, "scenario_name", "name") or "") or None,
        "spigot_version": str(_first(manifest, "spigot_version", "version") or __version__),
        "dataset": (str(_first(dataset_map, "name") or (dataset if isinstance(dataset, str) else None)
                    or _first(manifest, "dataset_name") or "") or None),
        "dataset_hash": _first(manifest, "dataset_hash") or _first(dataset_map, "hash"),
        "scenario_hash": str(scenario_hash or hashlib.sha256(scenario_text.encode()).hexdigest()),
        "seed": _as_int(_first(manifest, "seed")),
        "draws": _as_int(_first(manifest, "draws")),
        "run_seconds": run_seconds,
    }
