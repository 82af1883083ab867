"""spigot: model the global critical-minerals supply system and stress-test it.

The public API (see docs/):

>>> import spigot as sp
>>> net = sp.datasets.load("base")
>>> net.validate().compile()  # doctest: +SKIP

Sub-packages and the top-level names are imported on first use (PEP 562), so ``import spigot``
and the CLI's ``--help`` stay fast; ``sp.risk``, ``sp.replays``, ``sp.store`` and
``sp.report`` and ``sp.sweep`` work like the other sub-packages after ``import spigot as sp``; ``sp.strategy``
is a sub-package that can also be called (``sp.strategy("licence-squeeze", exporter="CHN",
target="USA")``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from spigot._version import __version__

if TYPE_CHECKING:  # what the lazy names resolve to, for type checkers and editors
    from spigot import (
        datasets,
        errors,
        exposure,
        network,
        replays,
        report,
        results,
        risk,
        scenarios,
        sim,
        store,
        strategy,
        sweep,
        units,
    )
    from spigot.mitigation import mitigate
    from spigot.network import CompiledNetwork, SupplyNetwork
    from spigot.results import Results
    from spigot.scenarios import Scenario
    from spigot.sim import simulate

#: Sub-packages reachable as ``sp.<name>``.
_SUBPACKAGES = ("datasets", "errors", "exposure", "market", "mitigation", "network", "policy",
                "replays", "report", "results", "risk", "scenarios", "sim", "store", "strategy", "sweep",
                "testing", "units", "validation")
#: Top-level names -> the module that defines them.
_NAMES = {"CompiledNetwork": "spigot.network", "SupplyNetwork": "spigot.network",
          "mitigate": "spigot.mitigation",
          "Results": "spigot.results", "Scenario": "spigot.scenarios", "simulate": "spigot.sim"}

__all__ = [
    "CompiledNetwork",
    "Results",
    "Scenario",
    "SupplyNetwork",
    "__version__",
    "datasets",
    "errors",
    "exposure",
    "mitigate",
    "network",
    "replays",
    "report",
    "results",
    "risk",
    "scenarios",
    "sim",
    "simulate",
    "store",
    "strategy",
    "sweep",
    "units",
]


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        module = importlib.import_module(f"spigot.{name}")
        globals()[name] = module
        return module
    if name in _NAMES:
        value = getattr(importlib.import_module(_NAMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'spigot' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
