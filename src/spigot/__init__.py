"""spigot: model the global critical-minerals supply system and stress-test it.

The public API (see docs/):

>>> import spigot as sp
>>> net = sp.datasets.load("base")
>>> net.validate().compile()  # doctest: +SKIP
"""

from spigot import datasets, errors, scenarios, units
from spigot._version import __version__
from spigot.network import CompiledNetwork, SupplyNetwork
from spigot.results import Results
from spigot.scenario import Scenario
from spigot.sim import simulate

__all__ = [
    "CompiledNetwork",
    "Results",
    "Scenario",
    "SupplyNetwork",
    "__version__",
    "datasets",
    "errors",
    "scenarios",
    "simulate",
    "units",
]
