"""Results of a simulation: an xarray Dataset with units, a manifest, and metrics."""

from spigot.results.metrics import Metrics
from spigot.results.results import Results

__all__ = ["Metrics", "Results"]
