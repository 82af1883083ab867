"""A world against independent totals: figures that can show the data wrong (issue 17, item 10).

The bundled worlds are balanced by construction (BOM intensities are derived from supply), so a
balance check of a world against itself cannot catch a wrong route or capacity. This module
compares a world's base-year flows with totals published independently of it, one row per
comparison in ``src/spigot/risk/data/independent_totals.csv`` (each with its source):

- ``china_import_share``: China's share of an importer's imports of the listed commodities
  (USGS import sources), tolerance in fraction points;
- ``production``: production of the listed commodities in a region (``WLD``: the world), t/yr
  (USGS mine and primary production), relative tolerance;
- ``china_production_share``: China's share of world production of the listed commodities,
  tolerance in fraction points;
- ``china_exports``: China's exports of the listed commodities to every region outside China,
  t/yr (customs), relative tolerance.

>>> import spigot as sp
>>> from spigot.risk.audit import audit
>>> table = audit(sp.datasets.load("base"))
>>> sorted(table.columns)[:3]
['commodities', 'confidence', 'error']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spigot.network import SupplyNetwork
from spigot.risk._common import commodity_groups, reference_table, tidy
from spigot.risk._flows import regional_production, route_flows

__all__ = ["KINDS", "YEARS_APART", "audit", "model_value"]

#: A fact is compared with a world whose base year is at most this many years away.
YEARS_APART = 3

#: The comparison kinds and whether their tolerance is relative (else in fraction points).
KINDS: dict[str, bool] = {"china_import_share": False, "production": True,
                          "china_production_share": False, "china_exports": True}

REFERENCE = ("independent totals bundled in src/spigot/risk/data/independent_totals.csv "
             "(USGS Mineral Commodity Summaries 2026, China customs); each row names its source")


def _share(part: float, whole: float) -> float:
    return part / whole if whole > 0 else float("nan")


def model_value(net: SupplyNetwork, kind: str, commodities: list[str], region: str) -> float:
    """The world's base-year figure for one comparison (NaN where the world has no such flow).

    Parameters
    ----------
    net
        The world.
    kind
        One of :data:`KINDS`.
    commodities
        Commodity ids whose flows are summed (in the world's units, t/yr of each basis).
    region
        The importer (``china_import_share``), the producer or ``WLD`` (``production``).
    """
    if kind in ("production", "china_production_share"):
        prod = regional_production(net)
        by_region = prod[prod["commodity"].isin(commodities)].groupby("region")["production"].sum()
        world = float(by_region.sum())
        if kind == "china_production_share":
            return _share(float(by_region.get("CHN", 0.0)), world)
        return world if region == "WLD" else float(by_region.get(region, 0.0))
    flows = route_flows(net)
    flows = flows[flows["commodity"].isin(commodities) & (flows["origin"] != flows["destination"])]
    if kind == "china_import_share":
        into = flows[flows["destination"] == region]
        return _share(float(into.loc[into["origin"] == "CHN", "volume"].sum()),
                      float(into["volume"].sum()))
    if kind == "china_exports":
        return float(flows.loc[(flows["origin"] == "CHN") & (flows["destination"] != "CHN"),
                               "volume"].sum())
    raise ValueError(f"unknown comparison kind {kind!r}; expected one of {sorted(KINDS)}")


def audit(net: SupplyNetwork) -> pd.DataFrame:
    """Every bundled comparison of ``net`` with an independent total.

    Returns
    -------
    pandas.DataFrame
        ``id, kind, commodities, region, year, fact, model, unit, error, tolerance, within,
        source, confidence, note``. ``error`` is ``model / fact - 1`` for totals and
        ``model - fact`` for shares; ``within`` is ``|error| <= tolerance`` (False where the
        error is not finite: a share of nothing). Comparisons whose commodities the world does not have, or
        whose year is more than :data:`YEARS_APART` years from the world's base year (the
        latest ``year`` of its nodes), are left out.
    """
    facts = reference_table("independent_totals")
    known = set(net.commodities["id"].astype(str))
    years = pd.to_numeric(net.nodes["year"], errors="coerce").dropna()
    base_year = int(years.max()) if len(years) else None
    rows = []
    for fact in facts.to_dict(orient="records"):
        commodities = _expand(net, str(fact["commodities"]))
        if not set(commodities) <= known:
            continue
        if base_year is None or abs(int(fact["year"]) - base_year) > YEARS_APART:
            continue
        value = model_value(net, str(fact["kind"]), commodities, str(fact["region"]))
        target = float(fact["value"])
        relative = KINDS[str(fact["kind"])]
        error = value / target - 1.0 if relative else value - target
        tolerance = float(fact["tolerance"])
        rows.append({"id": fact["id"], "kind": fact["kind"], "commodities": ";".join(commodities),
                     "region": fact["region"], "year": int(fact["year"]), "fact": target,
                     "model": value, "unit": fact["unit"], "error": error,
                     "tolerance": tolerance,
                     "within": bool(np.isfinite(error) and abs(error) <= tolerance),
                     "source": fact["source"], "confidence": fact["confidence"],
                     "note": "" if pd.isna(fact["note"]) else str(fact["note"])})
    return tidy(pd.DataFrame(rows), {"fact": "see unit", "model": "see unit"}, REFERENCE)


def _expand(net: SupplyNetwork, listed: str) -> list[str]:
    """Commodity ids of a ``;``-separated list of ids and groups (a name the world does not
    know stays as it is)."""
    groups = commodity_groups(net)
    out: list[str] = []
    for name in listed.split(";"):
        out.extend([c for c, g in groups.items() if name in (c, g)] or [name])
    return out
