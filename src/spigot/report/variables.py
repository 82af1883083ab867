"""Finding a run's variables by name and summarising them over draws (bands, stoppage times).

A base name ``X`` matches a variable ``X``, ``X_*`` or ``*_X`` (so ``mean_exports`` and
``traj_exports`` are exports). A variable may come as precomputed quantiles (dimension
``quantile``; preferred, they cover all draws), per draw (``draw``), as the trajectories of a few
kept draws (``sample``), or as a mean over draws (none of these).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import xarray as xr
import yaml

from spigot.network import SupplyNetwork
from spigot.results.metrics import draw_quantiles
from spigot.store import StoredRun

__all__ = ["BAND", "band", "controlled_commodities", "cross_border_by_commodity", "pick",
           "stoppage_table", "unit_of"]

#: Quantiles of the fan charts' band and line.
BAND: tuple[float, float, float] = (0.05, 0.5, 0.95)
_DRAW, _SAMPLE, _QUANTILE, _TIME = "draw", "sample", "quantile", "time"
_SAMPLED = (_DRAW, _SAMPLE)


def _matches(name: str, names: Sequence[str]) -> bool:
    return name in names or any(name.startswith(n + "_") or name.endswith("_" + n) for n in names)


def _candidates(ds: xr.Dataset, names: Sequence[str], needs: Iterable[str]) -> list[str]:
    need = set(needs)
    return [str(v) for v in ds.data_vars
            if _matches(str(v), names) and need <= set(map(str, ds[v].dims))
            and ds[v].dtype.kind in "fiub"]


def _covers_band(da: xr.DataArray) -> bool:
    levels = np.asarray(da[_QUANTILE].values, dtype=float)
    return all(np.isclose(levels, q, atol=0.011).any() for q in BAND)


def pick(ds: xr.Dataset, names: Sequence[str], needs: Iterable[str]) -> str | None:
    """The variable to chart among ``names``: precomputed quantiles first, then per-draw values,
    then kept trajectories, then means over draws."""
    found = _candidates(ds, names, needs)

    def rank(name: str) -> int:
        dims = ds[name].dims
        if _QUANTILE in dims:
            return 0 if _covers_band(ds[name]) else 9
        return 1 if _DRAW in dims else 2 if _SAMPLE in dims else 3

    ranked = sorted((rank(v), i, v) for i, v in enumerate(found))
    return ranked[0][2] if ranked and ranked[0][0] < 9 else None


def band(da: xr.DataArray, keep: Sequence[str] = (_TIME,)) -> tuple[xr.DataArray, str]:
    """P5, P50, P95 of ``da`` over draws (or its stored quantiles), other dims summed first.

    Returns
    -------
    (xarray.DataArray, str)
        Dims ``("quantile", *keep)`` with quantile = :data:`BAND`, and a note on what it covers.
    """
    extra = [str(d) for d in da.dims if d not in (*keep, *_SAMPLED, _QUANTILE)]
    sampled = next((d for d in _SAMPLED if d in da.dims), None)
    if sampled is not None:
        total = da.sum(extra, min_count=1) if extra else da
        result = total.quantile(list(BAND), dim=sampled)
        note = (f"quantiles over {da.sizes[sampled]} draws" if sampled == _DRAW else
                f"quantiles over the {da.sizes[sampled]} kept trajectories")
    elif _QUANTILE not in da.dims:
        total = da.sum(extra, min_count=1) if extra else da
        result = xr.concat([total] * len(BAND), dim=_QUANTILE).assign_coords(
            {_QUANTILE: list(BAND)})
        note = "mean over draws (this run stores no spread)"
    else:
        levels = np.asarray(da[_QUANTILE].values, dtype=float)
        picks = [int(np.argmin(np.abs(levels - q))) for q in BAND]
        result = da.isel({_QUANTILE: picks}).assign_coords({_QUANTILE: list(BAND)})
        note = "quantiles over all draws"
        if extra:
            result = result.sum(extra, min_count=1)
            note += f" (summed over {', '.join(extra)}: an approximation)"
    return result.transpose(_QUANTILE, *keep), note


def unit_of(da: xr.DataArray) -> str:
    return str(da.attrs.get("units", da.attrs.get("unit", "")))


def cross_border_by_commodity(da: xr.DataArray) -> xr.DataArray:
    """Per-route values summed by the route's commodity, over cross-border routes only."""
    if "route" not in da.dims or "route_commodity" not in da.coords:
        return da
    if "route_exporter" in da.coords and "route_destination" in da.coords:
        crossing = (da["route_exporter"] != da["route_destination"]).values
        da = da.isel(route=np.flatnonzero(crossing))
    grouped = da.groupby("route_commodity").sum("route")
    return grouped.rename({"route_commodity": "commodity"})


def controlled_commodities(stored: StoredRun, network: SupplyNetwork | None = None) -> list[str]:
    """The commodities the run's policies name, in the order named (groups expanded).

    Read from the run's scenario text (``policies[].commodities``); a group name (such as
    ``rare_earths``) stands for the run's commodities of that group in ``network``. Only
    commodities the run's Dataset has are returned; an unreadable scenario gives ``[]``.
    """
    try:
        doc = yaml.safe_load(stored.scenario_text or "") or {}
    except yaml.YAMLError:
        return []
    policies = doc.get("policies") if isinstance(doc, dict) else None
    ds = stored.dataset
    known = [str(c) for c in ds["commodity"].values] if "commodity" in ds.coords else []
    groups: dict[str, list[str]] = {}
    if network is not None and "group" in network.commodities:
        for ident, group in zip(network.commodities["id"], network.commodities["group"],
                                strict=True):
            groups.setdefault(str(group), []).append(str(ident))
    out: list[str] = []
    for policy in policies if isinstance(policies, list) else []:
        names = policy.get("commodities", []) if isinstance(policy, dict) else []
        for name in names if isinstance(names, list) else [names]:
            for c in groups.get(str(name), [str(name)]) if str(name) not in known else [str(name)]:
                if c in known and c not in out:
                    out.append(c)
    return out


def stoppage_table(ds: xr.Dataset) -> tuple[pd.DataFrame, str, str] | None:
    """First stoppage per region · sector: stop probability and P5, P50, P95 of its time.

    Returns
    -------
    (pandas.DataFrame, str, str) or None
        Rows ``label, probability, p5, p50, p95`` (``p*`` NaN where no draw stops), the unit of
        the times, and the variable used; ``None`` if the run has no first-stoppage variable.
    """
    names = [str(v) for v in ds.data_vars if "first_stop" in str(v)]
    names = [n for n in names if _DRAW in ds[n].dims] + [n for n in names if _QUANTILE in ds[n].dims]
    if not names:
        return None
    name = names[0]
    da = ds[name].astype(float) if ds[name].dtype.kind != "M" else _weeks_since(ds, ds[name])
    unit = "week" if ds[name].dtype.kind == "M" else unit_of(ds[name]) or "step"
    da = da.where(da >= 0)
    groups = [str(d) for d in da.dims if d not in (_DRAW, _QUANTILE)]
    stacked = da.stack(place=groups) if groups else da.expand_dims(place=[0])
    rows = []
    probability = _stop_probability(ds, groups)
    for i in range(stacked.sizes["place"]):
        cell = stacked.isel(place=i)
        label = _place_label(stacked, groups, i)
        if _DRAW in cell.dims:
            values = cell.values[np.isfinite(cell.values)]
            prob = values.size / cell.sizes[_DRAW]
            qs = [float(q) for q in draw_quantiles(values)]
        else:
            levels = np.asarray(cell[_QUANTILE].values, dtype=float)
            qs = [float(cell.values[int(np.argmin(np.abs(levels - q)))]) for q in BAND]
            prob = probability.get(label, np.nan)
        rows.append({"label": label, "probability": float(prob), "p5": float(qs[0]),
                     "p50": float(qs[1]), "p95": float(qs[2])})
    return pd.DataFrame(rows), unit, name


def _weeks_since(ds: xr.Dataset, da: xr.DataArray) -> xr.DataArray:
    start = ds[_TIME].values[0] if _TIME in ds.coords else da.min().values
    return (da - start) / np.timedelta64(7, "D")


def _place_label(stacked: xr.DataArray, groups: Sequence[str], i: int) -> str:
    """``region · sector`` of cell ``i``, from the dims or from ``sector_region``/``sector_name``."""
    if not groups:
        return "all"
    parts = []
    for g in groups:
        value = str(stacked[g].values[i])
        if g == "sector" and "region" not in groups and "sector_region" in stacked.coords:
            name = (str(stacked["sector_name"].values[i]) if "sector_name" in stacked.coords
                    else value.split(".")[-1])
            value = f"{stacked['sector_region'].values[i]} · {name}"
        parts.append(value)
    return " · ".join(parts)


def _stop_probability(ds: xr.Dataset, groups: Sequence[str]) -> dict[str, float]:
    for name in ("stop_probability", "p_stop", "stoppage_probability"):
        if name in ds.data_vars and set(map(str, ds[name].dims)) == set(groups) and groups:
            stacked = ds[name].transpose(*groups).stack(place=list(groups))
            return {_place_label(stacked, groups, i): float(stacked.values[i])
                    for i in range(stacked.sizes["place"])}
    return {}
