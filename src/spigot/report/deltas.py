"""Differences between two runs: per region x sector and per commodity x zone price.

:func:`deltas` is the data behind ``spigot compare``, ``spigot run --against`` and the compare
views of the report and the dashboard. It reads whatever the two runs' Datasets have: a metric
that one run lacks (no market phase, no stoppage variable) gets a row with ``null`` on that side
and a note; a label present in only one run (a sector or commodity of another dataset) gets
``status`` ``only_a`` or ``only_b``. Nothing here raises for a missing variable.

Rows (one per place x metric), in this column order (:data:`COLUMNS`):

``group``
    ``sector`` (key: ``region``, ``sector``) or ``price`` (key: ``commodity``, ``zone``).
``metric``, ``unit``
    :data:`SECTOR_METRICS` or :data:`PRICE_METRICS` and their units.
``a``, ``b``
    The metric in run A and run B (NaN where that run lacks it).
``diff``
    ``b - a`` in the metric's unit.
``rel_diff``
    ``(b - a) / |a|`` (a fraction: 0.25 is +25 %); 0 where both are 0, NaN where ``a`` is 0 and
    ``b`` is not, or either side is missing.
``status``
    ``both``, ``only_a`` or ``only_b`` (the place, or the metric, exists in one run only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["COLUMNS", "PRICE_METRICS", "SECTOR_METRICS", "Deltas", "deltas", "price_frame",
           "sector_frame"]

#: Columns of :attr:`Deltas.rows` (stable: the JSON keys of ``spigot compare``).
COLUMNS: tuple[str, ...] = ("group", "region", "sector", "commodity", "zone", "metric", "unit",
                            "a", "b", "diff", "rel_diff", "status")
#: Region x sector metrics: name -> (unit, description).
SECTOR_METRICS: dict[str, tuple[str, str]] = {
    "stop_probability": ("1", "share of draws in which the sector stops at least once"),
    "lost_output_usd_mean": ("USD", "value of output lost over the horizon, mean over draws"),
    "lost_output_units_mean": ("unit", "output lost over the horizon (units of the sector's "
                                       "output), mean over draws"),
    "first_stop_week_p50": ("week", "median weeks from the start to the first stop, over the "
                                    "draws that stop"),
    "stopped_weeks_mean": ("week", "weeks stopped over the horizon, mean over draws"),
}
#: Commodity x zone price metrics: name -> (unit, description); the unit is the run's price unit.
PRICE_METRICS: dict[str, tuple[str, str]] = {
    "price_p50_end": ("USD/t", "median price over draws in the last week of the horizon"),
    "price_mean_peak": ("USD/t", "highest weekly mean price over draws"),
}
_DRAW, _QUANTILE, _TIME = "draw", "quantile", "time"


class _HasDataset(Protocol):
    @property
    def dataset(self) -> xr.Dataset: ...  # pragma: no cover - protocol


@dataclass
class Deltas:
    """The differences between run A and run B.

    Attributes
    ----------
    rows
        One row per place x metric, columns :data:`COLUMNS`.
    notes
        What could not be compared and why (a variable or labels in one run only).
    """

    rows: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def sector(self, metric: str) -> pd.DataFrame:
        """The rows of one region x sector metric."""
        rows = self.rows
        return rows[(rows["group"] == "sector") & (rows["metric"] == metric)].reset_index(drop=True)

    def price(self, metric: str) -> pd.DataFrame:
        """The rows of one price metric."""
        rows = self.rows
        return rows[(rows["group"] == "price") & (rows["metric"] == metric)].reset_index(drop=True)


def _dataset(run: xr.Dataset | _HasDataset) -> xr.Dataset:
    return run if isinstance(run, xr.Dataset) else run.dataset


# ----------------------------------------------------------------------------- per sector
def _places(da: xr.DataArray) -> tuple[np.ndarray, list[tuple[str, str]]] | None:
    """(draw, place) values of a per-draw, per-sector variable, and each place's (region, sector).

    Reads the engine's layout (dims ``draw, sector`` with coordinates ``sector_region`` and
    ``sector_name``) and a plain one (dims ``draw, region, sector``).
    """
    dims = [str(d) for d in da.dims]
    if _DRAW not in dims or "sector" not in dims:
        return None
    if "region" in dims:
        stacked = da.transpose(_DRAW, "region", "sector").stack(place=["region", "sector"])
        labels = [(str(r), str(s)) for r, s in zip(stacked["region"].values,
                                                    stacked["sector"].values, strict=True)]
        return np.asarray(stacked.values, dtype=float), labels
    if len(dims) != 2:
        return None
    values = np.asarray(da.transpose(_DRAW, "sector").values)
    sectors = da["sector"]
    regions = (sectors["sector_region"].values if "sector_region" in sectors.coords
               else ["" for _ in sectors.values])
    names = (sectors["sector_name"].values if "sector_name" in sectors.coords
             else [str(s).split(".")[-1] for s in sectors.values])
    return values, [(str(r), str(n)) for r, n in zip(regions, names, strict=True)]


def _first_var(ds: xr.Dataset, names: Sequence[str], needs: Sequence[str] = (_DRAW,)) -> str | None:
    for name in names:
        if name in ds.data_vars and set(needs) <= set(map(str, ds[name].dims)):
            return name
    return None


def _weeks(ds: xr.Dataset, da: xr.DataArray) -> xr.DataArray:
    if da.dtype.kind == "M":
        start = ds[_TIME].values[0] if _TIME in ds.coords else da.min().values
        return (da - start) / np.timedelta64(7, "D")
    return da.astype(float)


def sector_frame(run: xr.Dataset | _HasDataset) -> tuple[pd.DataFrame, list[str]]:
    """The region x sector metrics of one run (:data:`SECTOR_METRICS`).

    Returns
    -------
    (pandas.DataFrame, list of str)
        Index ``(region, sector)``, one column per metric found (units in
        :data:`SECTOR_METRICS`), and the metrics the run lacks.
    """
    ds = _dataset(run)
    columns: dict[str, pd.Series] = {}
    stop = next((str(v) for v in ds.data_vars if "first_stop" in str(v)
                 and _DRAW in ds[v].dims and "sector" in ds[v].dims), None)
    if stop is not None:
        found = _places(_weeks(ds, ds[stop]))
        if found is not None:
            values, labels = found
            values = np.where(values >= 0, values, np.nan)
            index = pd.MultiIndex.from_tuples(labels, names=["region", "sector"])
            stops = np.isfinite(values)
            columns["stop_probability"] = pd.Series(stops.mean(axis=0), index=index)
            p50 = [float(np.median(values[stops[:, i], i])) if stops[:, i].any() else np.nan
                   for i in range(values.shape[1])]
            columns["first_stop_week_p50"] = pd.Series(p50, index=index)
    for metric, names in (("lost_output_usd_mean", ("lost_output_usd", "lost_output_value")),
                          ("lost_output_units_mean", ("lost_output_units",)),
                          ("stopped_weeks_mean", ("stopped_weeks", "weeks_stopped"))):
        name = _first_var(ds, names, (_DRAW, "sector"))
        found = None if name is None else _places(ds[name].astype(float))
        if found is not None:
            values, labels = found
            index = pd.MultiIndex.from_tuples(labels, names=["region", "sector"])
            columns[metric] = pd.Series(values.mean(axis=0), index=index)
    frame = pd.DataFrame(columns)
    if frame.index.has_duplicates:  # two sector ids with one region and name: add them up
        frame = frame.groupby(level=["region", "sector"], sort=False).agg(
            {c: "sum" if c.startswith("lost") else "mean" for c in frame.columns})
    frame.index.names = ["region", "sector"]
    missing = [m for m in SECTOR_METRICS if m not in frame.columns]
    return frame, missing


# ----------------------------------------------------------------------------- per price
def _price_var(ds: xr.Dataset) -> str | None:
    """The price variable with quantiles (preferred) or draws, dims time, zone, commodity."""
    found = [str(v) for v in ds.data_vars
             if (str(v) == "price" or str(v).startswith("price_") or str(v).endswith("_price"))
             and {_TIME, "zone", "commodity"} <= set(map(str, ds[v].dims))
             and not str(v).startswith("mean_") and "spread" not in str(v)]
    with_q = [v for v in found if _QUANTILE in ds[v].dims]
    with_d = [v for v in found if _DRAW in ds[v].dims]
    return (with_q + with_d + [None])[0]


def _mean_price(ds: xr.Dataset) -> xr.DataArray | None:
    """The weekly mean price over draws: ``mean_price``, else the mean of a per-draw price."""
    if "mean_price" in ds.data_vars and {_TIME, "zone", "commodity"} <= set(
            map(str, ds["mean_price"].dims)):
        return ds["mean_price"]
    for v in ds.data_vars:
        name = str(v)
        if (name == "price" or name.startswith("price_")) and _DRAW in ds[v].dims and {
                _TIME, "zone", "commodity"} <= set(map(str, ds[v].dims)):
            return ds[v].mean(_DRAW)
    return None


def price_frame(run: xr.Dataset | _HasDataset) -> tuple[pd.DataFrame, list[str], str]:
    """The commodity x zone price metrics of one run (:data:`PRICE_METRICS`).

    Returns
    -------
    (pandas.DataFrame, list of str, str)
        Index ``(commodity, zone)``, one column per metric found; the metrics the run lacks; the
        price unit (``USD/t`` when the run does not say).
    """
    ds = _dataset(run)
    columns: dict[str, pd.Series] = {}
    unit = "USD/t"
    name = _price_var(ds)
    if name is not None:
        da = ds[name]
        unit = str(da.attrs.get("units", unit)) or unit
        last = da.isel({_TIME: -1})
        if _QUANTILE in da.dims:
            levels = np.asarray(da[_QUANTILE].values, dtype=float)
            mid = last.isel({_QUANTILE: int(np.argmin(np.abs(levels - 0.5)))})
        else:
            mid = last.median(_DRAW)
        series = mid.transpose("commodity", "zone").to_series()
        columns["price_p50_end"] = series.astype(float)
        mean = _mean_price(ds)
        if mean is not None:
            peak = mean.max(_TIME).transpose("commodity", "zone").to_series()
            columns["price_mean_peak"] = peak.astype(float)
    frame = pd.DataFrame(columns)
    frame.index = (frame.index.set_names(["commodity", "zone"]) if len(columns)
                   else pd.MultiIndex.from_tuples([], names=["commodity", "zone"]))
    frame.index = pd.MultiIndex.from_tuples([(str(c), str(z)) for c, z in frame.index],
                                            names=["commodity", "zone"])
    missing = [m for m in PRICE_METRICS if m not in frame.columns]
    return frame, missing, unit


# ----------------------------------------------------------------------------- the deltas
def _relative(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = (b - a) / np.abs(a)
    rel = np.where((a == 0) & (b == 0), 0.0, rel)
    return np.where(np.isfinite(rel), rel, np.nan)


def _join(group: str, keys: tuple[str, str], fa: pd.DataFrame, fb: pd.DataFrame,
          metrics: dict[str, tuple[str, str]], units: dict[str, str],
          notes: list[str], what: str) -> list[dict[str, Any]]:
    """Rows of one group: every place in either run x every metric in either run."""
    names = [m for m in metrics if m in fa.columns or m in fb.columns]
    for m in metrics:
        if m not in names and (len(fa.columns) or len(fb.columns)):
            notes.append(f"{what} metric {m!r} is in neither run")
        elif m in fa.columns and m not in fb.columns:
            notes.append(f"{what} metric {m!r} is only in run A; run B has no variable for it")
        elif m in fb.columns and m not in fa.columns:
            notes.append(f"{what} metric {m!r} is only in run B; run A has no variable for it")
    places = list(dict.fromkeys([*fa.index.tolist(), *fb.index.tolist()]))
    only_a = [p for p in places if p not in fb.index] if len(fb.columns) else []
    only_b = [p for p in places if p not in fa.index] if len(fa.columns) else []
    for side, found in (("A", only_a), ("B", only_b)):
        if found:
            shown = ", ".join(" · ".join(p) for p in found[:5]) + (" ..." if len(found) > 5 else "")
            notes.append(f"{len(found)} {what} label(s) only in run {side}: {shown}")
    rows: list[dict[str, Any]] = []
    for metric in names:
        a = np.array([fa[metric].get(p, np.nan) if metric in fa.columns else np.nan
                      for p in places], dtype=float)
        b = np.array([fb[metric].get(p, np.nan) if metric in fb.columns else np.nan
                      for p in places], dtype=float)
        rel = _relative(a, b)
        for i, place in enumerate(places):
            in_a = place in fa.index and metric in fa.columns
            in_b = place in fb.index and metric in fb.columns
            row: dict[str, Any] = {"group": group, "region": None, "sector": None,
                                   "commodity": None, "zone": None}
            row.update(dict(zip(keys, place, strict=True)))
            row.update({"metric": metric, "unit": units.get(metric, metrics[metric][0]),
                        "a": a[i], "b": b[i], "diff": b[i] - a[i], "rel_diff": rel[i],
                        "status": "both" if in_a and in_b else "only_a" if in_a else "only_b"})
            rows.append(row)
    return rows


def deltas(a: xr.Dataset | _HasDataset, b: xr.Dataset | _HasDataset) -> Deltas:
    """Differences B - A per region x sector and per commodity x zone price.

    Parameters
    ----------
    a, b
        The two runs: :class:`~spigot.store.StoredRun` objects (anything with a ``dataset``) or
        their ``xarray.Dataset``. A is the reference (the baseline); differences are B - A.

    Returns
    -------
    Deltas
        ``rows`` with the columns :data:`COLUMNS` (sector rows first, in run A's order, then
        labels only in B; then price rows) and ``notes`` on what could not be compared.
        Metrics: :data:`SECTOR_METRICS` (stop probability, lost output in USD and in units, P50
        weeks to the first stop, weeks stopped) and :data:`PRICE_METRICS` (P50 price at the end,
        peak of the mean price; USD/t).

    Notes
    -----
    Never raises for a variable or label that only one run has: its rows carry ``status``
    ``only_a``/``only_b`` and NaN on the other side, and ``notes`` says so. Runs on different
    horizons are compared as they are (the metrics are over each run's own horizon); ``notes``
    says so.
    """
    da_, db_ = _dataset(a), _dataset(b)
    notes: list[str] = []
    sa, _ = sector_frame(da_)
    sb, _ = sector_frame(db_)
    rows = _join("sector", ("region", "sector"), sa, sb, SECTOR_METRICS, {}, notes, "sector")
    pa, _, unit_a = price_frame(da_)
    pb, _, unit_b = price_frame(db_)
    if len(pa.columns) == 0 and len(pb.columns) == 0:
        notes.append("neither run has prices (no market phase): no price rows")
    elif len(pa.columns) == 0 or len(pb.columns) == 0:
        side = "A" if len(pa.columns) == 0 else "B"
        notes.append(f"run {side} has no prices (no market phase): its price values are null")
    if unit_a != unit_b and len(pa.columns) and len(pb.columns):
        notes.append(f"price units differ: run A {unit_a}, run B {unit_b}; differences are "
                     "not meaningful")
    unit = unit_a if len(pa.columns) else unit_b
    rows += _join("price", ("commodity", "zone"), pa, pb, PRICE_METRICS,
                  dict.fromkeys(PRICE_METRICS, unit), notes, "price")
    if not len(sa.columns) and not len(sb.columns):
        notes.append("neither run has per-sector stoppage or loss variables: no sector rows")
    times = [d.sizes.get(_TIME) for d in (da_, db_)]
    if times[0] != times[1]:
        notes.append(f"the runs cover different horizons ({times[0]} and {times[1]} steps): "
                     "totals and end values are over each run's own horizon")
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return Deltas(frame, notes)
