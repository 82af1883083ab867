"""Weekly results to calendar months: per-draw monthly exports and monthly price quantiles.

Calendar months: a step of ``step_weeks`` weeks starting on day ``d`` covers the days
``[d, d + 7 * step_weeks)``; its flow is spread evenly over those days and summed by calendar month
(:func:`month_weights`). Only months the horizon covers completely are reported.

Quantiles of exports are taken across draws from each draw's monthly total (exact over the kept
trajectories; replays keep every draw). Prices come from the engine's weekly quantiles over all
draws (variable ``price``; ``docs/model.md``): the monthly value of each quantile is the day-weighted
mean of its weekly values (a quantile of a monthly mean would need every draw's prices).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from spigot.results import Results
from spigot.results.metrics import QUANTILES as RUN_QUANTILES
from spigot.results.metrics import draw_quantiles

__all__ = ["ALL", "QUANTILES", "Flow", "month_weights", "monthly_flows", "monthly_prices",
           "quantile_frame"]

#: Destination label of the total over every destination outside the exporting zone.
ALL = "ALL"
#: Quantiles over draws reported for every monthly figure (name, percent).
QUANTILES = RUN_QUANTILES

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Flow:
    """A set of routes summed into one monthly series (t/month).

    Attributes
    ----------
    commodity
        Commodity id or group label (``rare_earths``, ``rare_earths_hs``).
    destination
        Destination region id, or :data:`ALL`.
    routes
        Indices into the ``route`` dimension of the results.
    arrivals
        Count the flow when it arrives (shifted by each route's transit time: what the importer's
        customs record) instead of when it leaves the exporter.
    """

    commodity: str
    destination: str
    routes: tuple[int, ...]
    arrivals: bool = False


def month_weights(start: dt.date, steps: int, step_weeks: float) -> tuple[pd.DatetimeIndex, FloatArray]:
    """Share of each step's days that falls in each calendar month the horizon covers fully.

    Returns
    -------
    months
        First days of the fully covered months.
    weights
        Shape (steps, months): ``weights[t, m]`` is the share of step ``t`` in month ``m``;
        a step's monthly shares sum to 1 unless part of it lies in an uncovered month.
    """
    days_per_step = 7.0 * step_weeks
    horizon_end = pd.Timestamp(start) + pd.Timedelta(days=days_per_step * steps)
    first = pd.Timestamp(start)
    m0 = first if first.day == 1 else (first + pd.offsets.MonthBegin(1))
    months = pd.date_range(m0, horizon_end, freq="MS")
    months = months[(months + pd.offsets.MonthBegin(1)) <= horizon_end]
    weights = np.zeros((steps, len(months)))
    if not len(months):
        return months, weights
    edges = np.array([(m - first).days for m in [*months, months[-1] + pd.offsets.MonthBegin(1)]],
                     dtype=float)
    for t in range(steps):
        a, b = t * days_per_step, (t + 1) * days_per_step
        overlap = np.clip(np.minimum(b, edges[1:]) - np.maximum(a, edges[:-1]), 0.0, None)
        weights[t] = overlap / days_per_step
    return pd.DatetimeIndex(months), weights


def monthly_flows(res: Results, flows: Sequence[Flow], weights: FloatArray,
                  transit: Sequence[int] | None = None) -> FloatArray:
    """Per-draw monthly totals of ``flows`` from the kept trajectories, t/month.

    ``transit`` gives each route's transit time in steps, used by flows counted on arrival
    (material still in transit at the end of the horizon is not counted).

    Returns
    -------
    Array of shape (draws kept, months, flows).

    Raises
    ------
    ValueError
        If the results kept no trajectories.
    """
    if "traj_exports" not in res.data:
        raise ValueError("the run kept no trajectories; replays need keep_trajectories > 0")
    traj = np.asarray(res.data["traj_exports"].values, dtype=float)  # (S, T, R)
    per_route = np.einsum("str,tm->smr", traj, weights, optimize=True)
    select = np.zeros((traj.shape[2], len(flows)))
    for j, flow in enumerate(flows):
        if not flow.arrivals:
            select[list(flow.routes), j] = 1.0
    out = per_route @ select
    lagged = [j for j, f in enumerate(flows) if f.arrivals]
    if lagged:
        if transit is None:
            raise ValueError("flows counted on arrival need the routes' transit times")
        routes = sorted({k for j in lagged for k in flows[j].routes})
        shifted = np.zeros((traj.shape[0], traj.shape[1], len(routes)))
        for i, k in enumerate(routes):
            lag = int(transit[k])
            if lag < traj.shape[1]:
                shifted[:, lag:, i] = traj[:, :traj.shape[1] - lag, k]
        monthly = np.einsum("str,tm->smr", shifted, weights, optimize=True)
        for j in lagged:
            cols = [routes.index(k) for k in flows[j].routes]
            out[:, :, j] = monthly[:, :, cols].sum(axis=2)
    return np.asarray(out, dtype=float)


def quantile_frame(values: FloatArray, months: pd.DatetimeIndex,
                   labels: Sequence[Mapping[str, str]]) -> pd.DataFrame:
    """Long frame of P5/P50/P95 and the mean across draws (axis 0) of ``values`` (S, M, F)."""
    q = draw_quantiles(values)
    mean = values.mean(axis=0) if values.shape[0] else np.full(values.shape[1:], np.nan)
    rows = []
    month_text = [m.strftime("%Y-%m") for m in months]
    for j, label in enumerate(labels):
        for i, month in enumerate(month_text):
            row: dict[str, object] = {"month": month, **label}
            for k, (name, _) in enumerate(QUANTILES):
                row[name] = float(q[k, i, j])
            row["mean"] = float(mean[i, j])
            rows.append(row)
    return pd.DataFrame(rows)


def monthly_prices(res: Results, months: pd.DatetimeIndex, weights: FloatArray) -> pd.DataFrame | None:
    """Monthly P5/P50/P95 of prices per zone and commodity (USD/t), or None without prices.

    Reads the engine's ``price`` variable (dims ``time, zone, commodity, quantile``; quantile
    labels ``p5``/``p50``/``p95`` or fractions 0.05/0.5/0.95) and averages each quantile over the
    month's days.
    """
    if "price" not in res.data:
        return None
    price = res.data["price"].transpose("time", "zone", "commodity", "quantile")
    values = np.asarray(price.values, dtype=float)
    norm = weights / np.maximum(weights.sum(axis=0, keepdims=True), 1e-12)
    monthly = np.einsum("tzcq,tm->mzcq", values, norm)
    coords = list(price["quantile"].values)

    def _index(name: str, pct: float) -> int | None:
        for i, q in enumerate(coords):  # names ("p5") or fractions (0.05)
            if str(q) == name or (not isinstance(q, str) and abs(float(q) - pct / 100) < 1e-9):
                return i
        return None

    where = {name: _index(name, pct) for name, pct in QUANTILES}
    zones = [str(z) for z in price["zone"].values]
    commodities = [str(c) for c in price["commodity"].values]
    rows = []
    for i, month in enumerate(months):
        for z, zone in enumerate(zones):
            for c, commodity in enumerate(commodities):
                row: dict[str, object] = {"month": month.strftime("%Y-%m"), "zone": zone,
                                          "commodity": commodity}
                for name, _ in QUANTILES:
                    k = where[name]
                    row[name] = float(monthly[i, z, c, k]) if k is not None else float("nan")
                rows.append(row)
    return pd.DataFrame(rows)
