"""spigot: model the global critical-minerals supply system and stress-test it.

The public API (see docs/):

>>> import spigot as sp
>>> net = sp.datasets.load("base")
>>> net.validate().compile()  # doctest: +SKIP
"""

from spigot import datasets, errors, units
from spigot._version import __version__
from spigot.network import CompiledNetwork, SupplyNetwork

__all__ = [
    "CompiledNetwork",
    "SupplyNetwork",
    "__version__",
    "datasets",
    "errors",
    "units",
]
