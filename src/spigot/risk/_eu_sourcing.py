"""EU sourcing from a network: EU production plus imports into the EU, and the EU's import reliance.

The EU method's second term needs the shares of each country in *EU sourcing* (the EU's own
production plus its imports, by country of origin) and the EU's import reliance
:math:`IR = (I - E)/(P + I - E)`. A network carries both in its base-year flows: production is
the output of nodes in regions of the group ``EU27``, imports and exports are route volumes
crossing the group's border.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from spigot.network import SupplyNetwork
from spigot.risk._common import group_members, memo
from spigot.risk._flows import regional_production, route_flows

__all__ = ["eu_regions", "eu_sourcing"]

#: The group whose members are the EU.
EU_GROUP = "EU27"


def eu_regions(net: SupplyNetwork) -> list[str]:
    """Region ids of ``net`` that belong to the group ``EU27``."""
    return group_members(net, EU_GROUP)


def eu_sourcing(net: SupplyNetwork, commodities: Iterable[str]) -> tuple[pd.Series, float]:
    """EU-sourcing shares by region and the EU's import reliance for ``commodities``.

    Returns
    -------
    (pandas.Series, float)
        Shares (fractions) of EU production by producing EU region and of imports by origin,
        summing to 1 (empty without EU production or imports), and IR clipped to 0-1 (NaN
        without apparent consumption).
    """
    wanted = tuple(sorted({str(c) for c in commodities}))
    shares, ir = memo(net, f"eu_sourcing:{';'.join(wanted)}", lambda: _eu_sourcing(net, wanted))
    return shares.copy(), ir


def _eu_sourcing(net: SupplyNetwork, wanted: tuple[str, ...]) -> tuple[pd.Series, float]:
    members = set(eu_regions(net))
    if not members:
        return pd.Series(dtype=float), float("nan")
    flows = route_flows(net)
    flows = flows[flows["commodity"].isin(wanted)]
    inbound = flows[flows["destination"].isin(members) & ~flows["origin"].isin(members)]
    outbound = flows[flows["origin"].isin(members) & ~flows["destination"].isin(members)]
    prod = regional_production(net)
    prod = prod[prod["commodity"].isin(wanted) & prod["region"].isin(members)]
    produced = prod.groupby("region")["production"].sum()
    imports = inbound.groupby("origin")["volume"].sum()
    sourcing = pd.concat([produced, imports]).groupby(level=0).sum()
    sourcing = sourcing[sourcing > 0]
    total = float(sourcing.sum())
    exports = float(outbound["volume"].sum())
    consumption = float(produced.sum()) + float(imports.sum()) - exports
    ir = (float(imports.sum()) - exports) / consumption if consumption > 0 else float("nan")
    shares = sourcing / total if total > 0 else sourcing
    return shares.astype(float), min(max(ir, 0.0), 1.0) if ir == ir else ir
