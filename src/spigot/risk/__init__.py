"""Risk metrics: concentration, chokepoints, import reliance, EU supply risk, GeoPolRisk,
exposure to export controls; the same indices over a run's periods and the EU CRMA benchmarks
(:mod:`spigot.risk.dynamic`, :mod:`spigot.risk.crma`).

Every function takes a :class:`~spigot.network.SupplyNetwork` (or plain numbers for the
closed-form ones), never mutates it, and returns a tidy :class:`pandas.DataFrame` with units in
``attrs["units"]`` and the method's reference in ``attrs["reference"]``. Equations, references
and worked examples: ``docs/metrics.md``.

>>> import spigot as sp
>>> from spigot import risk
>>> net = sp.datasets.load("toy")
>>> risk.chokepoints(net, "rare_earths").query("chokepoint")["stage"].tolist()
['separation']
"""

from __future__ import annotations

from spigot.risk.chokepoint import chain_members, chains, chokepoints
from spigot.risk.concentration import concentration, concentration_indices, hhi, stage_shares
from spigot.risk.crma import crma_benchmarks
from spigot.risk.dynamic import (
    criticality,
    dynamic_concentration,
    dynamic_reliance,
    dynamic_supply_risk,
)
from spigot.risk.eu_supply_risk import (
    eu_2023_results,
    eu_supply_risk,
    hhi_wgi_t,
    implied_hhi,
    reproduce_eu_2023,
    stage_supply_risk,
    supply_risk,
    trade_parameter,
)
from spigot.risk.exposure import covers_destination, exposure, measures_in_force
from spigot.risk.geopolrisk import geopolrisk, geopolrisk_from_inputs, geopolrisk_score
from spigot.risk.governance import political_stability, political_stability_scaled, wgi_scaled
from spigot.risk.reliance import (
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
    "criticality",
    "crma_benchmarks",
    "dynamic_concentration",
    "dynamic_reliance",
    "dynamic_supply_risk",
    "eu_2023_results",
    "eu_supply_risk",
    "exposure",
    "geopolrisk",
    "geopolrisk_from_inputs",
    "geopolrisk_score",
    "hhi",
    "hhi_wgi_t",
    "implied_hhi",
    "import_sources",
    "measures_in_force",
    "net_import_reliance",
    "nir",
    "political_stability",
    "political_stability_scaled",
    "reproduce_eu_2023",
    "stage_shares",
    "stage_supply_risk",
    "supply_risk",
    "trade_parameter",
    "usgs_published_reliance",
    "wgi_scaled",
]
