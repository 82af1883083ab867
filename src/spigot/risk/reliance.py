r"""Net import reliance (USGS definition) and import sources per importer and commodity.

USGS Mineral Commodity Summaries (Appendix C):

.. math::

    NIR = \frac{I - E + \Delta S^{-}}{AC}, \qquad AC = P + I - E + \Delta S^{-},

with production :math:`P`, imports :math:`I`, exports :math:`E` and :math:`\Delta S^{-}` the
adjustment for government and industry stock changes (positive when stocks are drawn down).
A negative NIR means a net exporter (USGS prints "E"). From a network, :math:`P` is the base-year
output of the region's nodes, :math:`I`/:math:`E` the route volumes crossing its border, and the
stock adjustment is zero (the base year has no stock change).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spigot.network import SupplyNetwork
from spigot.risk._common import (
    Importer,
    reference_table,
    resolve_commodity,
    resolve_importer,
    shared_table,
    tidy,
    with_unit,
)
from spigot.risk._flows import as_importer, regional_production, route_flows

__all__ = ["import_sources", "net_import_reliance", "nir", "usgs_published_reliance"]

REFERENCE = ("USGS Mineral Commodity Summaries 2026, Appendix C (net import reliance = "
             "(imports - exports + adjustments for government and industry stock changes) / "
             "apparent consumption)")

_PER_ROW = "per row (column unit)"
UNITS = {"production": _PER_ROW, "imports": _PER_ROW, "exports": _PER_ROW,
         "stock_release": _PER_ROW, "apparent_consumption": _PER_ROW,
         "nir": "fraction of apparent consumption", "top_source_share": "fraction of imports"}


def nir(production: float, imports: float, exports: float, stock_release: float = 0.0) -> float:
    r"""Net import reliance :math:`(I - E + \Delta S^-) / (P + I - E + \Delta S^-)`.

    Parameters
    ----------
    production, imports, exports
        Tonnes per year.
    stock_release
        Net draw-down of government and industry stocks (t/yr; negative when stocks grow).

    Returns
    -------
    float
        Fraction of apparent consumption; negative for a net exporter; NaN if apparent
        consumption is not positive.

    Examples
    --------
    >>> nir(production=20, imports=100, exports=40)
    0.75
    """
    consumption = production + imports - exports + stock_release
    if consumption <= 0:
        return float("nan")
    return (imports - exports + stock_release) / consumption


def _balance(net: SupplyNetwork, flows: pd.DataFrame, prod: pd.DataFrame) -> pd.DataFrame:
    cross = flows[flows["origin"] != flows["destination"]]
    imports = cross.groupby(["destination", "commodity"])["volume"].sum().rename("imports")
    exports = cross.groupby(["origin", "commodity"])["volume"].sum().rename("exports")
    imports.index = imports.index.set_names(["region", "commodity"])
    exports.index = exports.index.set_names(["region", "commodity"])
    produced = prod.groupby(["region", "commodity"])["production"].sum()
    frame = pd.concat([produced, imports, exports], axis=1).fillna(0.0).reset_index()
    return frame


def net_import_reliance(net: SupplyNetwork, importer: str | Importer | None = None,
                        commodity: str | None = None) -> pd.DataFrame:
    """Net import reliance per region and commodity, from the network's base-year flows.

    Parameters
    ----------
    net
        The world.
    importer
        A region id, a group of the regions table (``EU27``) or a comma-separated list of region
        ids (``DEU,FRA,ITA``); all regions with flows if ``None``. For a group, flows between
        its members are internal (neither imports nor exports) and production is the members'.
    commodity
        A commodity id or group (all members of a group); all if ``None``.

    Returns
    -------
    pandas.DataFrame
        ``region, commodity, unit, production, imports, exports, stock_release,
        apparent_consumption, nir, net_exporter, top_source, top_source_share``; ``unit`` is the
        volumes' unit and basis; other units in ``attrs["units"]``. For a
        net exporter ``nir`` is NaN and ``net_exporter`` true (the USGS prints "E"); the signed
        value is ``nir(production, imports, exports)``.

    Raises
    ------
    UnknownNameError
        For an unknown importer or commodity.
    """
    members = _members(net, commodity)
    flows, prod = route_flows(net), regional_production(net)
    who = None
    if importer is not None:
        who = resolve_importer(net, importer)
        flows = as_importer(flows, who)
        prod = as_importer(prod, who, ("region",))
    frame = _balance(net, flows, prod)
    if who is not None:
        frame = frame[frame["region"] == who.label]
    if members is not None:
        frame = frame[frame["commodity"].isin(members)]
    frame = frame.assign(stock_release=0.0)
    frame["apparent_consumption"] = (frame["production"] + frame["imports"] - frame["exports"]
                                     + frame["stock_release"])
    frame["nir"] = [nir(p, i, e, s) for p, i, e, s in zip(
        frame["production"], frame["imports"], frame["exports"], frame["stock_release"],
        strict=True)]
    frame["net_exporter"] = frame["exports"] > frame["imports"]
    frame.loc[frame["net_exporter"], "nir"] = np.nan  # the USGS prints "E"
    cross = flows[flows["origin"] != flows["destination"]]
    by_origin = cross.groupby(["destination", "commodity", "origin"])["volume"].sum()
    pairs = {(str(d), str(c)) for d, c, _ in by_origin.index}
    tops: list[tuple[str, float]] = []
    for region, comm, imported in zip(frame["region"], frame["commodity"], frame["imports"],
                                      strict=True):
        key = (str(region), str(comm))
        if float(imported) > 0 and key in pairs:
            block = by_origin.loc[key].sort_values(ascending=False)
            tops.append((str(block.index[0]), float(block.iloc[0]) / float(imported)))
        else:
            tops.append(("", float("nan")))
    frame["top_source"] = [t[0] for t in tops]
    frame["top_source_share"] = [t[1] for t in tops]
    frame = with_unit(frame.sort_values(["region", "commodity"]), net)
    return tidy(frame, UNITS, REFERENCE)


def import_sources(net: SupplyNetwork, importer: str | Importer,
                   commodity: str | None) -> pd.DataFrame:
    """Where an importer's imports of a commodity (id or group; all if ``None``) come from.

    ``importer`` is a region id, a group (``EU27``) or a list ``DEU,FRA,ITA``; for a group,
    shipments between its members are internal and not listed.

    Returns
    -------
    pandas.DataFrame
        ``importer, commodity, unit, origin, volume, share`` sorted by volume (share of imports);
        ``unit`` is the volume's unit and basis (``t REO/yr``, ``t metal/yr``, ``t product/yr``).
    """
    members = _members(net, commodity)
    who = resolve_importer(net, importer)
    flows = as_importer(route_flows(net), who)
    mask = (flows["destination"] == who.label) & (flows["origin"] != who.label)
    if members is not None:
        mask &= flows["commodity"].isin(members)
    chosen = pd.DataFrame(flows[mask].groupby(["commodity", "origin"], as_index=False)["volume"]
                          .sum())
    total = chosen.groupby("commodity")["volume"].transform("sum")
    chosen["share"] = np.where(total > 0, chosen["volume"] / total.where(total > 0, 1), np.nan)
    chosen.insert(0, "importer", who.label)
    chosen = with_unit(chosen.sort_values(["commodity", "volume"], ascending=[True, False]), net)
    return tidy(chosen, {"volume": "per row (column unit)", "share": "fraction of imports"},
                REFERENCE)


def usgs_published_reliance(commodity: str | None = None,
                            importer: str = "USA") -> pd.DataFrame:
    """USGS-published net import reliance (bundled; MCS2026 salient statistics, the US only).

    Returns
    -------
    pandas.DataFrame
        ``commodity, importer, item, year, nir, qualifier, source, note``; ``nir`` as a fraction,
        ``qualifier`` such as ``>95`` where the USGS gives a bound.
    """
    table = reference_table("usgs_net_import_reliance")
    table = table[table["importer"] == importer]
    if commodity is not None:
        table = table[table["commodity"] == commodity]
    return tidy(table, {"nir": "fraction of apparent consumption"},
                "USGS Mineral Commodity Summaries 2026 (salient statistics)")


def _members(net: SupplyNetwork, commodity: str | None) -> list[str] | None:
    if commodity is None:
        return None
    resolve_commodity(net, commodity)
    table = shared_table(net, "commodities")
    ids = [str(c) for c, g in zip(table["id"], table["group"], strict=True)
           if c == commodity or g == commodity]
    return ids or [commodity]
