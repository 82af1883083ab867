"""Readers for supply-network tables: strict by default, units normalised at the boundary.

The names below load on first use (PEP 562), so that importing a light sub-module such as
:mod:`spigot.data.files` does not import pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spigot.data.readers import read_table, read_table_file
    from spigot.data.regions import is_iso3, suggest_region

__all__ = ["is_iso3", "read_table", "read_table_file", "suggest_region"]

_WHERE = {"read_table": "spigot.data.readers", "read_table_file": "spigot.data.readers",
          "is_iso3": "spigot.data.regions", "suggest_region": "spigot.data.regions"}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'spigot.data' has no attribute {name!r}")
