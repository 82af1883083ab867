"""Production statistics of a network: production and shares by country, with sources."""

from __future__ import annotations

import numpy as np
import pandas as pd

from spigot.errors import UnknownNameError
from spigot.network.supply_network import SupplyNetwork

__all__ = ["production_shares"]


def production_shares(net: SupplyNetwork, commodity: str | None = None, stage: str | None = None,
                      year: int | None = None) -> pd.DataFrame:
    """Production and world shares by country, one block per (commodity, stage), with sources.

    Parameters
    ----------
    net
        The network whose ``production`` table is read.
    commodity
        A commodity id or group (``rare_earths``); all if ``None``.
    stage
        ``mining``, ``separation``, ``refining``, ``metal``, ``magnet``; all if ``None``.
    year
        The year; the latest year with data for each block if ``None``.

    Returns
    -------
    pandas.DataFrame
        Columns ``commodity, stage, region, year, value, unit, share, source, confidence, note``,
        sorted by share; ``share`` is the country's share of the world total (the ``WLD`` row if
        present, else the sum of the countries). ``value`` is NaN where only a share is published.
        ``attrs["units"]`` states units.

    Raises
    ------
    UnknownNameError
        If the commodity, stage or year has no statistics.
    """
    table = net.production
    if commodity is not None:
        known = sorted(set(table["commodity"].astype(str)))
        if commodity not in known:
            raise UnknownNameError("commodity in the production statistics", commodity, known,
                                   field="commodity")
        table = table[table["commodity"] == commodity]
    if stage is not None:
        known = sorted(set(table["stage"].astype(str)))
        if stage not in known:
            raise UnknownNameError(f"stage for {commodity or 'any commodity'}", stage, known,
                                   field="stage")
        table = table[table["stage"] == stage]
    blocks = []
    for (comm, stg), block in table.groupby(["commodity", "stage"], sort=True):
        years = sorted({int(y) for y in block["year"]})
        chosen = year if year is not None else years[-1]
        if chosen not in years:
            raise UnknownNameError(f"year for {comm}/{stg}",
                                   str(chosen), [str(y) for y in years], field="year")
        blocks.append(_shares(block[block["year"] == chosen].copy()))
    if not blocks:
        raise UnknownNameError("statistics", f"{commodity}/{stage}", [], field="commodity")
    out = pd.concat(blocks, ignore_index=True)
    out.attrs["units"] = {"value": "t/yr in the unit column's basis", "share": "fraction of world"}
    return out


def _shares(block: pd.DataFrame) -> pd.DataFrame:
    world = block[block["region"] == "WLD"]
    countries = block[block["region"] != "WLD"].copy()
    values = countries["value"].to_numpy(dtype=float)
    total = float(world["value"].iloc[0]) if len(world) and np.isfinite(world["value"].iloc[0]) \
        else float(np.nansum(values))
    computed = values / total if total > 0 else np.full_like(values, np.nan)
    published = countries["share"].to_numpy(dtype=float)
    countries["share"] = np.where(np.isfinite(published), published, computed)
    return countries.sort_values("share", ascending=False, na_position="last")


