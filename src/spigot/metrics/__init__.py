"""Static risk metrics: concentration, chokepoints, import reliance, EU supply risk, GeoPolRisk,
exposure to export controls.

Every function takes a :class:`~spigot.network.SupplyNetwork` (or plain numbers for the
closed-form ones), never mutates it, and returns a tidy :class:`pandas.DataFrame` with units in
``attrs["units"]`` and the method's reference in ``attrs["reference"]``. Equations, references
and worked examples: ``docs/metrics.md``.

>>> import spigot as sp
>>> from spigot import metrics
>>> net = sp.datasets.load("toy")
>>> metrics.chokepoints(net, "rare_earths").query("chokepoint")["stage"].tolist()
['separation']
"""

from __future__ import annotations

from spigot.metrics.chokepoint import chain_members, chains, chokepoints
from spigot.metrics.concentration import concentration, concentration_indices, hhi, stage_shares
from spigot.metrics.eu_supply_risk import (
    eu_2023_results,
    eu_supply_risk,
    hhi_wgi_t,
    reproduce_eu_2023,
    supply_risk,
    trade_parameter,
)
from spigot.metrics.exposure import covers_destination, exposure, measures_in_force
from spigot.metrics.geopolrisk import geopolrisk, geopolrisk_score
from spigot.metrics.governance import political_stability_scaled, wgi_scaled
from spigot.metrics.reliance import (
    import_sources,
    net_import_reliance,
    nir,
    usgs_published_reliance,
)

__all__ = [
    "chain_members",
    "chains",
    "chokepoints",
    "concentration",
    "concentration_indices",
    "covers_destination",
    "eu_2023_results",
    "eu_supply_risk",
    "exposure",
    "geopolrisk",
    "geopolrisk_score",
    "hhi",
    "hhi_wgi_t",
    "import_sources",
    "measures_in_force",
    "net_import_reliance",
    "nir",
    "political_stability_scaled",
    "reproduce_eu_2023",
    "stage_shares",
    "supply_risk",
    "trade_parameter",
    "usgs_published_reliance",
    "wgi_scaled",
]
