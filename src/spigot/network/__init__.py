"""Supply networks: table schemas and readers, validated tables, their checks, and their compiled
form for the engine.

The names below load on first use (PEP 562), so that importing a light sub-module such as
:mod:`spigot.network.files` does not import pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spigot.network.compiled import STAGES, STATUSES, ZONES, CompiledNetwork
    from spigot.network.supply_network import SupplyNetwork

__all__ = ["STAGES", "STATUSES", "ZONES", "CompiledNetwork", "SupplyNetwork"]

_WHERE = {"STAGES": "spigot.network.compiled", "STATUSES": "spigot.network.compiled",
          "ZONES": "spigot.network.compiled", "CompiledNetwork": "spigot.network.compiled",
          "SupplyNetwork": "spigot.network.supply_network"}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'spigot.network' has no attribute {name!r}")
