"""The summary outputs of a sweep point, read from the point's :class:`~spigot.results.Results`.

Output names (keys of ``points[].outputs`` in ``spigot sweep --format json``):

``lost_output_usd_mean``, ``lost_output_usd_p95``
    Lost output over the horizon, all sectors, USD: mean and P95 over draws
    (``Results.metrics.summary()``).
``first_stop_week_p50:REGION.SECTOR``
    Median over the draws that stop of the first stopped week of that region x sector
    (``Results.metrics.first_stoppage()``); NaN when no draw stops it.
``peak_price_ex_china:COMMODITY``
    Highest weekly P50 (over draws) of the ex-China price, relative to base: the peak over the
    horizon of the ``price`` P50 that ``spigot run`` reports; NaN without a market phase.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from spigot.errors import InputError, Problem, did_you_mean
from spigot.results import Results

__all__ = ["LOST_OUTPUTS", "check_outputs", "output_names", "point_outputs"]

#: The lost-output outputs, always computed.
LOST_OUTPUTS: tuple[str, ...] = ("lost_output_usd_mean", "lost_output_usd_p95")
#: Index of the ex-China zone on the results' ``zone`` dimension.
_EX_CHINA = 1


def output_names(pairs: Sequence[str], commodities: Sequence[str]) -> list[str]:
    """The outputs of a sweep with these region.sector pairs and commodities, in order."""
    return [*LOST_OUTPUTS, *(f"first_stop_week_p50:{p}" for p in pairs),
            *(f"peak_price_ex_china:{c}" for c in commodities)]


def check_outputs(res: Results, pairs: Sequence[str], commodities: Sequence[str]) -> None:
    """Check that every pair and commodity exists in the world of ``res``.

    Raises
    ------
    InputError
        Naming the unknown pair or commodity and suggesting a close one.
    """
    ds = res.data
    known = [f"{r}.{s}" for r, s in zip(ds["sector_region"].values, ds["sector_name"].values,
                                       strict=True)]
    for pair in pairs:
        if pair not in known:
            raise InputError(Problem("unknown region.sector pair", field="--pair", value=pair,
                                     expected="REGION.SECTOR of the dataset, e.g. " + known[0],
                                     hint=did_you_mean(pair, known) or None))
    names = [str(c) for c in ds["commodity"].values]
    for c in commodities:
        if c not in names:
            raise InputError(Problem("unknown commodity", field="--commodity", value=c,
                                     expected="a commodity of the dataset",
                                     hint=did_you_mean(c, names) or None))


def point_outputs(res: Results, pairs: Sequence[str], commodities: Sequence[str]
                  ) -> dict[str, float]:
    """The outputs (:func:`output_names`) of one point's results."""
    summary = res.metrics.summary()
    out = {name: float(summary[name]) for name in LOST_OUTPUTS}
    if pairs:
        stops = res.metrics.first_stoppage()
        key = stops["region"] + "." + stops["sector"]
        for pair in pairs:
            row = stops.loc[key == pair, "first_stop_week_p50"]
            out[f"first_stop_week_p50:{pair}"] = float(row.iloc[0]) if len(row) else math.nan
    ds = res.data
    if commodities:
        names = [str(c) for c in ds["commodity"].values]
        if "price" in ds:
            base = ds["base_price"].values[_EX_CHINA]
            p50 = ds["price"].sel(quantile=0.5).values[:, _EX_CHINA, :] / base[None]  # (T, C)
        for c in commodities:
            value = math.nan
            if "price" in ds and c in names:
                value = float(np.max(p50[:, names.index(c)]))
            out[f"peak_price_ex_china:{c}"] = value
    return out
