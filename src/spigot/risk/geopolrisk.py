r"""GeoPolRisk: import-weighted, governance-weighted supply risk of one importer.

Gemechu et al. (2016), *J. Ind. Ecol.* 20(1):154-165, doi:10.1111/jiec.12279; Santillán-Saldivar
et al. (2021), *Resour. Conserv. Recycl.* 164:105108, doi:10.1016/j.resconrec.2020.105108;
Koyamparambath et al. (2024) and its implementation ``geopolrisk-py`` 2.0.1:

.. math::

    HHI = \frac{\sum_i P_i^2}{(\sum_i P_i)^2}, \qquad
    WTA_m = \frac{\sum_j g_j \, f_{j \to m}}{\sum_j f_{j \to m} + P_m}, \qquad
    GeoPolRisk_m = HHI \cdot WTA_m,

    CF_m = \frac{GeoPolRisk_m \cdot \bar p}{CF_{Cu}},

with :math:`P_i` the production of country :math:`i` (world production, one year),
:math:`f_{j \to m}` the imports of importer :math:`m` from :math:`j` (tonnes), :math:`P_m` the
importer's domestic production (no geopolitical risk: it only dilutes the import risk),
:math:`g_j = \mathrm{clip}((2.5 - PS_j)/5, 0, 1)` the WGI political-stability estimate of the
trade year rescaled to 0-1 (0.5 for a partner without an estimate, listed, never silent),
:math:`\bar p` the average import price (USD/kg) and :math:`CF_{Cu} = 0.409412948` the average
score x price of copper for OECD countries 2017-2021 that geopolrisk-py divides by, so that the
characterisation factor is in kg Cu-eq/kg. For an importer that is a group of countries, trade
between its members is counted with :math:`g = 0` and the members' production is :math:`P_m`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from spigot.errors import InputError, Problem
from spigot.network import SupplyNetwork
from spigot.risk._common import (
    Importer,
    basis_unit,
    commodity_groups,
    resolve_commodity,
    resolve_importer,
    shared_table,
    tidy,
)
from spigot.risk._flows import as_importer, regional_production, route_flows
from spigot.risk.concentration import stage_shares, statistics_years
from spigot.risk.governance import (
    DEFAULT_G,
    political_stability,
    political_stability_scaled,
)

__all__ = ["CF_COPPER", "geopolrisk", "geopolrisk_from_inputs", "geopolrisk_score"]

REFERENCE = ("Gemechu et al. (2016) doi:10.1111/jiec.12279; Santillán-Saldivar et al. (2021) "
             "doi:10.1016/j.resconrec.2020.105108; geopolrisk-py 2.0.1 (GeoPolRisk = HHI x WTA, "
             "WTA = sum_j g_j f_j / (sum_i f_i + P); CF = GeoPolRisk x price / CF_Cu)")

#: geopolrisk-py 2.0.1's normaliser of the characterisation factor: the average GeoPolRisk x price
#: of copper for OECD countries, 2017-2021 (``core.GeoPolRisk``).
CF_COPPER = 0.409412948


def _series(values: Mapping[str, float] | pd.Series, field: str) -> pd.Series:
    s = pd.Series(values, dtype=float)
    s.index = s.index.astype(str)
    bad = s[~np.isfinite(s.to_numpy()) | (s.to_numpy() < 0)]
    if len(bad):
        raise InputError(Problem("invalid GeoPolRisk input", field=field, value=bad.to_dict(),
                                 expected="finite, non-negative tonnes"))
    return s.groupby(level=0).sum()


def geopolrisk_from_inputs(production: Mapping[str, float] | pd.Series,
                           imports: Mapping[str, float] | pd.Series,
                           political_stability: Mapping[str, float] | pd.Series,
                           importer: str | Iterable[str], *,
                           domestic_production: float | None = None,
                           price: float | None = None,
                           world_production: float | None = None) -> dict[str, Any]:
    r"""GeoPolRisk of one importer and raw material from explicit inputs (one year).

    Parameters
    ----------
    production
        World production by country (tonnes; aggregates such as "world" left out). The HHI is
        taken over these countries.
    imports
        The importer's imports by partner country (tonnes).
    political_stability
        WGI political-stability estimate (raw, about -2.5 to 2.5) by country, of the trade year.
    importer
        ISO3 code, or the member codes of a group: imports from a member count with g = 0.
    domestic_production
        The importer's production (tonnes); the members' entries of ``production`` if ``None``.
    price
        Average import price, USD/kg (= kUSD/t); the characterisation factor is NaN without it.
    world_production
        Denominator of the production shares; the sum of ``production`` if ``None``. Give it when
        ``production`` lists only the main producers (the unlisted rest is then atomistic and
        adds nothing to the HHI, a lower bound).

    Returns
    -------
    dict
        ``hhi, domestic_production, imports, numerator, wta, geopolrisk, price, cf`` (kg Cu-eq/kg),
        ``default_wgi_partners`` (partners scored with g = 0.5, no estimate) and
        ``default_wgi_share`` (their share of the imports, 0-1).

    Raises
    ------
    InputError
        If a quantity is negative or not finite, or the production is all zero.

    Examples
    --------
    >>> out = geopolrisk_from_inputs({"A": 3, "B": 1}, {"A": 60, "B": 40},
    ...                              {"A": -0.5, "B": 1.5}, "C", price=2.0)
    >>> round(out["hhi"], 4), round(out["wta"], 4), round(out["geopolrisk"], 4)
    (0.625, 0.44, 0.275)
    """
    prod = _series(production, "production")
    flows = _series(imports, "imports")
    members = {importer} if isinstance(importer, str) else {str(m) for m in importer}
    total_prod = float(prod.sum()) if world_production is None else float(world_production)
    if not total_prod > 0 or total_prod < float(prod.sum()) * (1 - 1e-9):
        raise InputError(Problem("invalid GeoPolRisk input", field="production",
                                 value=prod.to_dict(),
                                 expected="some production, at most world_production"))
    hhi_value = float((prod**2).sum()) / total_prod**2
    own = float(prod[prod.index.isin(members)].sum()) if domestic_production is None \
        else float(domestic_production)
    if not np.isfinite(own) or own < 0:
        raise InputError(Problem("invalid GeoPolRisk input", field="domestic_production",
                                 value=own, expected="finite, non-negative tonnes"))
    ps = pd.Series(political_stability, dtype=float)
    ps.index = ps.index.astype(str)
    ps = ps[np.isfinite(ps.to_numpy())]
    g = pd.Series(np.clip((2.5 - ps.to_numpy()) / 5, 0, 1), index=ps.index)
    partners = [p for p in flows.index if p not in members]
    missing = sorted(p for p in partners if p not in g.index and flows[p] > 0)
    weights = pd.Series([0.0 if p in members else float(g.get(p, DEFAULT_G))
                         for p in flows.index], index=flows.index)
    total_imports = float(flows.sum())
    numerator = float((flows * weights).sum())
    denominator = total_imports + own
    wta = numerator / denominator if denominator > 0 else float("nan")
    score = hhi_value * wta
    p = float("nan") if price is None else float(price)
    return {
        "hhi": hhi_value, "domestic_production": own, "imports": total_imports,
        "numerator": numerator, "wta": wta, "geopolrisk": score, "price": p,
        "cf": score * p / CF_COPPER,
        "default_wgi_partners": missing,
        "default_wgi_share": (float(flows[missing].sum()) / total_imports
                              if total_imports > 0 else 0.0),
    }


def geopolrisk_score(hhi_value: float, imports: Mapping[str, float] | pd.Series,
                     g: Mapping[str, float] | pd.Series | None = None,
                     domestic_production: float = 0.0) -> float:
    r"""GeoPolRisk :math:`HHI \cdot \sum_j g_j f_j / (\sum_i f_i + P)` from a given HHI and g.

    Parameters
    ----------
    hhi_value
        HHI of global production, 0-1.
    imports
        Imports per origin country (any consistent unit).
    g
        Political-stability risk per country, 0-1 (already scaled); a country not given gets 0.5;
        the bundled WGI of 2022 (:func:`~spigot.risk.governance.political_stability_scaled`) if
        ``None``.
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
    weighted = float((f * gg.reindex(f.index).fillna(DEFAULT_G)).sum())
    return hhi_value * weighted / total


def _price(net: SupplyNetwork, commodity: str) -> float:
    """The dataset's ex-China price of ``commodity`` (USD/kg, latest year), NaN without one."""
    prices = shared_table(net, "prices")
    if not len(prices):
        return float("nan")
    rows = prices[(prices["commodity"].astype(str) == commodity)
                  & (prices["zone"].astype(str) == "ex_china")]
    if not len(rows):
        return float("nan")
    return float(rows.sort_values("year")["price"].iloc[-1])


def geopolrisk(net: SupplyNetwork, importer: str | Importer | None = None,
               commodity: str | None = None, year: int | None = None,
               wgi_year: int | None = None) -> pd.DataFrame:
    """GeoPolRisk per importer and commodity from the network's routes and statistics.

    Each row is :func:`geopolrisk_from_inputs` on: the production shares of the commodity's own
    stage (its ``stage`` in the commodities table; statistics or node outputs, see
    :func:`~spigot.risk.concentration.stage_shares`; aggregate regions such as ``ROW`` left out of
    the HHI), the base-year route volumes into the importer by origin region, the output of the
    importer's nodes as domestic production, the WGI political stability of ``wgi_year`` and the
    dataset's ex-China price. Imports from an origin without a WGI estimate (``ROW``,
    ``EU_OTHER``) are scored 0.5; their share is the column ``default_wgi_share``.

    Parameters
    ----------
    net
        The world.
    importer
        A region id, a group (``EU27``) or a list ``DEU,FRA,ITA``; every region that receives
        imports if ``None``. For a group, shipments between members are internal: they are not
        imports, and the members' production is the domestic production :math:`P_m`.
    commodity
        A commodity id or group; all if ``None``.
    year
        Year of the production statistics (exactly; a commodity whose stage has no statistics
        of the year is left out and listed in ``attrs["missing"]``); the latest if ``None``.
    wgi_year
        Year of the WGI political stability; ``year``, else 2022, if ``None``.

    Returns
    -------
    pandas.DataFrame
        ``importer, commodity, stage, year, wgi_year, unit, hhi, imports, domestic_production, wta,
        geopolrisk, price, cf, default_wgi_share, default_wgi_partners``; ``unit`` is the flows'
        unit and basis (``t REO/yr``, ``t metal/yr``, ``t product/yr``).

    Raises
    ------
    UnknownNameError
        For an unknown importer or commodity.
    InputError
        For a year without WGI data.
    """
    who = None if importer is None else resolve_importer(net, importer)
    groups = commodity_groups(net)
    if commodity is not None:
        resolve_commodity(net, commodity)
    ps = political_stability(year if wgi_year is None else wgi_year)
    commodities = shared_table(net, "commodities").set_index("id")
    stats = {str(c) for c in shared_table(net, "production")["commodity"]}
    flows = route_flows(net)
    prod = regional_production(net)
    if who is not None:
        flows = as_importer(flows, who)
        prod = as_importer(prod, who, ("region",))
        flows = flows[flows["destination"] == who.label]
    flows = flows[flows["origin"] != flows["destination"]]
    produced = prod.groupby(["region", "commodity"])["production"].sum()
    if commodity is not None:
        flows = flows[(flows["commodity"] == commodity) | (flows["commodity"].map(groups)
                                                           == commodity)]
    rows = []
    missing: list[dict[str, object]] = []
    for (dest, comm_key), block in flows.groupby(["destination", "commodity"], sort=True):
        comm = str(comm_key)
        stage = str(commodities.loc[comm, "stage"]) if comm in commodities.index else ""
        basis = str(commodities.loc[comm, "basis"]) if comm in commodities.index else ""
        # the commodity's own statistics, else its group's at the same stage (statistics or
        # node outputs)
        key = str(comm) if str(comm) in stats else groups.get(str(comm), str(comm))
        try:
            shares = stage_shares(net, key, stage, year=year)
        except LookupError:
            missing.extend({"commodity": str(comm), **m} for m in _missing(net, key, stage, year))
            continue
        listed = shares.loc[~shares["aggregate"]].set_index("region")["share"].astype(float)
        out = geopolrisk_from_inputs(listed, block.groupby("origin")["volume"].sum(), ps,
                                     str(dest),
                                     domestic_production=float(produced.get((dest, comm), 0.0)),
                                     price=_price(net, str(comm)),
                                     world_production=max(1.0, float(listed.sum())))
        rows.append({"importer": dest, "commodity": comm, "stage": stage,
                     "year": int(shares["year"].max()), "wgi_year": int(ps.attrs["year"]),
                     "unit": basis_unit(basis),
                     **{k: out[k] for k in ("hhi", "imports", "domestic_production", "wta",
                                            "geopolrisk", "price", "cf", "default_wgi_share")},
                     "default_wgi_partners": ";".join(out["default_wgi_partners"])})
    frame = pd.DataFrame(rows, columns=[
        "importer", "commodity", "stage", "year", "wgi_year", "unit", "hhi", "imports",
        "domestic_production", "wta", "geopolrisk", "price", "cf", "default_wgi_share",
        "default_wgi_partners"])
    return tidy(frame, {"hhi": "1 (0-1)", "imports": "per row (column unit)",
                        "domestic_production": "per row (column unit)", "wta": "1 (0-1)",
                        "geopolrisk": "1 (0-1)", "price": "USD/kg", "cf": "kg Cu-eq/kg",
                        "default_wgi_share": "fraction of imports"}, REFERENCE,
                wgi_year=int(ps.attrs["year"]), missing=missing)


def _missing(net: SupplyNetwork, commodity: str, stage: str,
             year: int | None) -> list[dict[str, object]]:
    """The production input of (commodity, stage) that ``year`` lacks (empty if none)."""
    years = statistics_years(net).get((commodity, stage), [])
    if year is None or not years or year in years:
        return []
    return [{"stage": stage, "input": "production", "year": year, "years_available": years}]
