r"""GeoPolRisk: import-weighted, governance-weighted supply risk of one importer.

Gemechu et al. (2016), *J. Ind. Ecol.* 20(1):154-165, doi:10.1111/jiec.12279; Santillán-Saldivar
et al. (2021), *Resour. Conserv. Recycl.* 164:105108, doi:10.1016/j.resconrec.2020.105108; as
implemented in ``geopolrisk-py`` (Koyamparambath et al.; ``GeoPolRisk = HHI x WTA``):

.. math::

    GeoPolRisk_{m} = HHI \cdot \frac{\sum_j g_j \, f_{j \to m}}{\sum_i f_{i \to m} + P_m},

with :math:`HHI` the concentration of global production (0-1), :math:`f_{j \to m}` the imports
of importer :math:`m` from country :math:`j`, :math:`P_m` the importer's domestic production
(``geopolrisk-py`` adds it to the denominator; it carries no geopolitical risk) and
:math:`g_j = (2.5 - PS_j)/5` the WGI political-stability estimate rescaled to 0-1
(:func:`~spigot.risk.governance.political_stability_scaled`). With :math:`P_m = 0` this is
:math:`HHI \sum_j g_j f_j / \sum_i f_i`. The characterisation factor multiplies by a price;
spigot reports the dimensionless score.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from spigot.errors import InputError, Problem
from spigot.network import SupplyNetwork
from spigot.risk._common import commodity_groups, resolve_commodity, resolve_region, tidy
from spigot.risk._flows import regional_production, route_flows
from spigot.risk.concentration import hhi, stage_shares
from spigot.risk.governance import political_stability_scaled

__all__ = ["geopolrisk", "geopolrisk_score"]

REFERENCE = ("Gemechu et al. (2016) doi:10.1111/jiec.12279; Santillán-Saldivar et al. (2021) "
             "doi:10.1016/j.resconrec.2020.105108; geopolrisk-py (GeoPolRisk = HHI x WTA, "
             "WTA = sum_j g_j f_j / (sum_i f_i + P))")


def geopolrisk_score(hhi_value: float, imports: Mapping[str, float] | pd.Series,
                     g: Mapping[str, float] | pd.Series | None = None,
                     domestic_production: float = 0.0) -> float:
    r"""GeoPolRisk :math:`HHI \cdot \sum_j g_j f_j / (\sum_i f_i + P)`.

    Parameters
    ----------
    hhi_value
        HHI of global production, 0-1.
    imports
        Imports per origin country (any consistent unit).
    g
        Political-stability risk per country, 0-1; the bundled WGI (``(2.5 - PS)/5``) if ``None``.
    domestic_production
        The importer's own production, same unit as ``imports``.

    Returns
    -------
    float
        Dimensionless, 0-1; NaN without imports or production.

    Raises
    ------
    InputError
        If ``hhi_value`` is outside 0-1 or a flow is negative.

    Examples
    --------
    >>> round(geopolrisk_score(0.5, {"A": 60, "B": 40}, {"A": 0.6, "B": 0.2}), 6)
    0.22
    """
    f = pd.Series(imports, dtype=float)
    if not 0 <= hhi_value <= 1 or (f < 0).any() or domestic_production < 0:
        raise InputError(Problem("invalid GeoPolRisk input", field="hhi/imports",
                                 value={"hhi": hhi_value, "imports": f.to_dict(),
                                        "domestic_production": domestic_production},
                                 expected="HHI in 0-1 and non-negative flows"))
    gg = political_stability_scaled(f.index) if g is None else pd.Series(g, dtype=float)
    total = float(f.sum()) + domestic_production
    if total <= 0:
        return float("nan")
    weighted = float((f * gg.reindex(f.index).fillna(0.5)).sum())
    return hhi_value * weighted / total


def geopolrisk(net: SupplyNetwork, importer: str | None = None, commodity: str | None = None,
               year: int | None = None) -> pd.DataFrame:
    """GeoPolRisk per importer and commodity from the network's routes and statistics.

    The HHI is that of the commodity's own stage (its ``stage`` in the commodities table), from
    the production statistics or node outputs (:func:`~spigot.risk.concentration.stage_shares`);
    imports are the base-year route volumes crossing into the importer; domestic production is the
    output of the importer's nodes.

    Returns
    -------
    pandas.DataFrame
        ``importer, commodity, stage, hhi, imports, domestic_production, wta, geopolrisk``.

    Raises
    ------
    UnknownNameError
        For an unknown importer or commodity.
    """
    if importer is not None:
        resolve_region(net, importer)
    groups = commodity_groups(net)
    if commodity is not None:
        resolve_commodity(net, commodity)
    commodities = net.commodities.set_index("id")
    stats = {str(c) for c in net.production["commodity"]}
    flows = route_flows(net)
    flows = flows[flows["origin"] != flows["destination"]]
    prod = regional_production(net).set_index(["region", "commodity"])["production"]
    if importer is not None:
        flows = flows[flows["destination"] == importer]
    if commodity is not None:
        flows = flows[(flows["commodity"] == commodity) | (flows["commodity"].map(groups)
                                                           == commodity)]
    rows = []
    for (dest, comm), block in flows.groupby(["destination", "commodity"], sort=True):
        stage = str(commodities.loc[comm, "stage"]) if comm in commodities.index else ""
        # the commodity's own statistics, else its group's at the same stage (statistics or
        # node outputs)
        key = str(comm) if str(comm) in stats else groups.get(str(comm), str(comm))
        try:
            shares = stage_shares(net, key, stage)
        except LookupError:
            continue
        h = hhi(shares.loc[~shares["aggregate"], "share"].to_numpy(dtype=float))
        f = block.groupby("origin")["volume"].sum()
        p = float(prod.get((dest, comm), 0.0))
        g = political_stability_scaled(f.index)
        total = float(f.sum()) + p
        wta = float((f * g).sum()) / total if total > 0 else np.nan
        rows.append({"importer": dest, "commodity": comm, "stage": stage, "hhi": h,
                     "imports": float(f.sum()), "domestic_production": p, "wta": wta,
                     "geopolrisk": geopolrisk_score(h, f, g, p)})
    frame = pd.DataFrame(rows, columns=["importer", "commodity", "stage", "hhi", "imports",
                                        "domestic_production", "wta", "geopolrisk"])
    return tidy(frame, {"hhi": "1 (0-1)", "imports": "t/yr", "domestic_production": "t/yr",
                        "wta": "1 (0-1)", "geopolrisk": "1 (0-1)"}, REFERENCE)
