"""Simulated beside observed: the calibration targets of 2010 and the bundled observed series.

Every comparison is explicit about what it compares (``docs/validation.md``, section Method):

* **Prices** (``prices_2010_2015``): observed ex-China prices in USD/kg (oxides; Nd metal as the
  proxy for ``ndpr_metal``) beside the simulated ex-China monthly P5/P50/P95 of the same commodity,
  USD/kg (the engine's USD/t / 1000). China's domestic prices (CNY/kg) enter only as ratios.
* **Japan** (``japan_imports_2010``): Japan's monthly imports from China, t of product, beside the
  simulated ``rare_earths`` flow China -> Japan (t REO and t metal of the quota products; magnets
  excluded) counted on arrival (shifted by each route's transit time, as Japan's customs count
  it), and Japan's imports from all origins beside the simulated arrivals from every origin.
* **Quotas** (``china_re_export_quotas``): quota and full-year exports beside simulated annual
  exports of the ``rare_earths`` group from China.
* **Monthly trade 2017-2024** (``china_exports_monthly``): China's rare-earth group (HS 280530 +
  284690 + 850511, t of product) beside ``rare_earths_hs`` (the commodities whose HS codes are in that
  group, t of their basis); natural graphite (HS 250410) beside ``graphite_natural``; per destination
  where the source is complete (single countries and ``WLD`` -> ``ALL``).
* **Targets** (``calibration_targets_2010``): each target's metric on the simulated paths with its
  own tolerance (``log10``: |log10(sim / obs)|; ``abs``: |sim - obs|; ``months``: |sim - obs| in
  months); a target passes when the error is within the tolerance and a ratio moves in the stated
  direction.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from spigot.replays.monthly import ALL
from spigot.replays.observed import load_observed
from spigot.results.metrics import draw_quantiles

__all__ = ["Context", "compare_exports", "compare_japan", "compare_prices", "compare_quotas",
           "evaluate_targets"]

FloatArray = npt.NDArray[np.float64]

#: Observed monthly trade commodity -> the simulated flow it is compared with.
TRADE_MAP: dict[str, str] = {"rare_earths_total": "rare_earths_hs",
                             "graphite_natural": "graphite_natural"}
#: Observed partners left out of trade comparisons: a residual mix, Hong Kong, a partial ROW.
TRADE_SKIP: frozenset[str] = frozenset({"OTHER", "CHN", "ROW"})
#: Pseudo-destination labels of Japan's imports (counted on arrival) from every origin and from
#: China.
JPN_ALL_ORIGINS = "JPN<-ALL"
JPN_IMPORTS_FROM_CHINA = "JPN<-CHN"


@dataclass
class Context:
    """What the comparisons read from a replay run.

    Attributes
    ----------
    months
        First days of the reported months.
    flows
        ``(commodity, destination) -> (draws, months)`` monthly t per draw.
    prices
        Monthly price quantiles (``month, zone, commodity, p5, p50, p95``; USD/t) or None.
    measure_starts
        Commodity -> start dates of the replay's trade measures that cover it.
    """

    months: pd.DatetimeIndex
    flows: Mapping[tuple[str, str], FloatArray]
    prices: pd.DataFrame | None
    measure_starts: Mapping[str, list[pd.Timestamp]]

    def month_index(self, label: str) -> int | None:
        """Index of month ``YYYY-MM`` in :attr:`months`, or None outside the horizon."""
        stamp = pd.Timestamp(label[:7] + "-01")
        hits = np.flatnonzero(self.months == stamp)
        return int(hits[0]) if len(hits) else None

    def price_path(self, zone: str, commodity: str, quantile: str = "p50") -> pd.Series | None:
        """Monthly price (USD/t) indexed by ``YYYY-MM``, or None."""
        if self.prices is None:
            return None
        sel = self.prices[(self.prices["zone"] == zone) & (self.prices["commodity"] == commodity)]
        if sel.empty:
            return None
        return pd.Series(sel[quantile].to_numpy(dtype=float), index=sel["month"].to_numpy())


def _q(values: FloatArray) -> tuple[float, float, float]:
    finite = values[np.isfinite(values)]
    if not finite.size:
        return (math.nan, math.nan, math.nan)
    p5, p50, p95 = draw_quantiles(finite)
    return float(p5), float(p50), float(p95)


def _decimal_year(label: str) -> float:
    return int(label[:4]) + (int(label[5:7]) - 1) / 12.0


# ---------------------------------------------------------------------------------- targets
def _price_metric(ctx: Context, target: Mapping[Any, Any], commodity: str) -> float:
    zone = str(target["region"])
    path = ctx.price_path(zone, commodity)
    if path is None:
        return math.nan
    start, end = str(target["window_start"]), str(target["window_end"])
    ident = str(target["id"])
    if start not in path.index or end not in path.index or not np.isfinite(path.to_numpy()).all():
        return math.nan
    if ident == "peak_month":
        window = path.loc[start:end]
        return _decimal_year(str(window.idxmax()))
    if ident.endswith("_peak_ratio"):
        return float(path.loc[start:end].max() / path[start])
    return float(path[end] / path[start])


def _flow_metric(ctx: Context, target: Mapping[Any, Any]) -> FloatArray:
    """Per-draw value of a flow target (Japan, China's exports)."""
    region, partner = str(target["region"]), str(target["partner"])
    if region == "JPN" and partner == "CHN":
        key = ("rare_earths", JPN_IMPORTS_FROM_CHINA)
    elif region == "JPN":
        key = ("rare_earths", JPN_ALL_ORIGINS)
    else:
        key = ("rare_earths", ALL)
    if key not in ctx.flows:
        return np.array([math.nan])
    values = ctx.flows[key]
    start, end = str(target["window_start"]), str(target["window_end"])
    i0, i1 = ctx.month_index(start), ctx.month_index(end)
    if i0 is None or i1 is None:
        return np.array([math.nan])
    unit = str(target["unit"])
    if unit == "t":
        return values[:, i0:i1 + 1].sum(axis=1)
    if unit == "%":
        total = ctx.flows.get(("rare_earths", JPN_ALL_ORIGINS))
        if total is None:
            return np.array([math.nan])
        return 100.0 * values[:, i1] / np.maximum(total[:, i1], 1e-12)
    if str(target["metric"]).startswith("use ratio"):
        year0 = [i for i, m in enumerate(ctx.months) if m.year == int(start[:4])]
        year1 = [i for i, m in enumerate(ctx.months) if m.year == int(end[:4])]
        return values[:, year1].sum(axis=1) / np.maximum(values[:, year0].sum(axis=1), 1e-12)
    return values[:, i1] / np.maximum(values[:, i0], 1e-12)


def _fmt_metric(value: float, kind: str) -> str:
    """A per-commodity value for a note: ``YYYY-MM`` for a month target, else 4 digits."""
    if kind == "months" and np.isfinite(value):
        month = round((value - math.floor(value)) * 12.0)
        return f"{math.floor(value)}-{month + 1:02d}"
    return f"{value:.4g}"


def _error(sim: float, obs: float, kind: str) -> float:
    if not (np.isfinite(sim) and np.isfinite(obs)):
        return math.nan
    if kind == "log10":
        return abs(math.log10(max(sim, 1e-12) / obs))
    if kind == "months":
        return abs(sim - obs) * 12.0
    return abs(sim - obs)


def evaluate_targets(ctx: Context) -> pd.DataFrame:
    """Every target of ``calibration_targets_2010`` that the replay's horizon covers.

    Columns: ``id, target, metric, commodity, region, unit, direction, observed, observed_low,
    observed_high, simulated, simulated_p5, simulated_p95, error, tolerance, tolerance_kind,
    direction_ok, passed, status, note``. ``status`` is ``ok`` or ``n/a`` (with the reason in
    ``note``: no prices in the run, window outside the horizon); no rows if the horizon covers
    none of the targets (the 2023 and 2025 replays). For targets on two commodities
    (``peak_month``, ``cn_domestic_fall``) the simulated value is their mean and the error the
    larger of the two. Flow targets give the median over draws with P5/P95; price targets use the
    P50 price path.
    """
    targets = load_observed("calibration_targets_2010")
    rows = []
    for target in targets.to_dict(orient="records"):
        start, end = str(target["window_start"]), str(target["window_end"])
        row: dict[str, object] = {k: target[k] for k in ("id", "target", "metric", "commodity",
                                                         "region", "unit", "direction")}
        row.update(observed=float(target["value"]), observed_low=float(target["value_low"]),
                   observed_high=float(target["value_high"]), tolerance=float(target["tolerance"]),
                   tolerance_kind=str(target["tolerance_kind"]))
        sim = lo = hi = err = math.nan
        note = ""
        covered = ctx.month_index(start) is not None and ctx.month_index(end) is not None
        is_price = str(target["region"]) in ("ex_china", "china")
        if not covered:
            note = "window outside the replay's horizon"
        elif is_price and ctx.prices is None:
            note = "prices: not available in this run"
        elif is_price:
            values = [_price_metric(ctx, target, c) for c in str(target["commodity"]).split(";")]
            sim = float(np.mean(values))
            errs = [_error(v, row["observed"], row["tolerance_kind"]) for v in values]  # type: ignore[arg-type]
            err = max(errs)
            if len(values) > 1:
                kind = str(row["tolerance_kind"])
                note = "; ".join(f"{c}: {_fmt_metric(v, kind)}" for c, v in
                                 zip(str(target["commodity"]).split(";"), values, strict=True))
        else:
            lo, sim, hi = _q(_flow_metric(ctx, target))
            err = _error(sim, row["observed"], row["tolerance_kind"])  # type: ignore[arg-type]
            if str(target["metric"]).startswith("use ratio"):
                note = "proxy: Japan's imports of the rare_earths group from every origin"
        direction_ok: bool | None = None
        if row["unit"] == "ratio" and np.isfinite(sim) and row["direction"] in ("up", "down"):
            direction_ok = bool(sim > 1.0) if row["direction"] == "up" else bool(sim < 1.0)
        status = "ok" if np.isfinite(err) else "n/a"
        passed: bool | None = None if status == "n/a" else bool(
            err <= row["tolerance"] + 1e-12 and direction_ok is not False)  # type: ignore[operator]
        row.update(simulated=sim, simulated_p5=lo, simulated_p95=hi, error=err,
                   direction_ok=direction_ok, passed=passed, status=status, note=note)
        rows.append(row)
    frame = pd.DataFrame(rows)
    if len(frame) and (frame["note"] == "window outside the replay's horizon").all():
        return frame.iloc[0:0]
    return frame


# ---------------------------------------------------------------------------------- series
def _at(ctx: Context, key: tuple[str, str], label: str) -> tuple[float, float, float]:
    i = ctx.month_index(label)
    if i is None or key not in ctx.flows:
        return (math.nan, math.nan, math.nan)
    return _q(ctx.flows[key][:, i])


def compare_japan(ctx: Context) -> pd.DataFrame:
    """Japan's monthly imports (Sep-Nov 2010) beside the simulated flows, t/month."""
    obs = load_observed("japan_imports_2010")
    obs = obs[(obs["series"] == "imports") & (obs["date_precision"] == "month")]
    rows = []
    for r in obs.to_dict(orient="records"):
        label = pd.Timestamp(r["date"]).strftime("%Y-%m")
        key = ("rare_earths", JPN_IMPORTS_FROM_CHINA if r["partner"] == "CHN" else JPN_ALL_ORIGINS)
        p5, p50, p95 = _at(ctx, key, label)
        if not np.isfinite(p50):
            continue
        rows.append({"month": label, "origin": "CHN" if r["partner"] == "CHN" else "all",
                     "observed_t": float(r["value"]), "simulated_p5": p5, "simulated_p50": p50,
                     "simulated_p95": p95, "observed_unit": "t product",
                     "simulated_unit": "t REO/metal (rare_earths group)"})
    return pd.DataFrame(rows)


def compare_prices(ctx: Context) -> pd.DataFrame:
    """Observed ex-China prices beside simulated monthly ex-China prices, USD/kg."""
    if ctx.prices is None:
        return pd.DataFrame()
    obs = load_observed("prices_2010_2015")
    obs = obs[(obs["series"] == "price") & (obs["spigot_commodity"] != "")]
    rows = []
    for r in obs.to_dict(orient="records"):
        label = pd.Timestamp(r["date"]).strftime("%Y-%m")
        commodity = str(r["spigot_commodity"])
        paths = [ctx.price_path("ex_china", commodity, q) for q in ("p5", "p50", "p95")]
        if paths[1] is None or label not in paths[1].index:
            continue
        sim = [float(p[label]) / 1000.0 if p is not None else math.nan for p in paths]
        rows.append({"date": pd.Timestamp(r["date"]).date().isoformat(), "month": label,
                     "commodity": commodity, "observed_as": f"{r['commodity']} ({r['form']})",
                     "observed_usd_kg": float(r["value"]), "simulated_p5": sim[0],
                     "simulated_p50": sim[1], "simulated_p95": sim[2],
                     "log10_error": math.log10(max(sim[1], 1e-12) / float(r["value"]))})
    return pd.DataFrame(rows)


def compare_quotas(ctx: Context) -> pd.DataFrame:
    """Quotas and full-year exports beside simulated annual exports of quota products, t/yr."""
    key = ("rare_earths", ALL)
    if key not in ctx.flows:
        return pd.DataFrame()
    obs = load_observed("china_re_export_quotas")
    years = sorted({m.year for m in ctx.months})
    rows = []
    for year in years:
        idx = [i for i, m in enumerate(ctx.months) if m.year == year]
        if len(idx) < 12:
            continue
        sub = obs[obs["date"].dt.year == year]
        quota = sub[sub["series"] == "export_quota"]["value"]
        full = sub[(sub["series"] == "exports") & (sub["period"] == str(year))]["value"]
        p5, p50, p95 = _q(ctx.flows[key][:, idx].sum(axis=1))
        rows.append({"year": year, "quota_t": float(quota.iloc[0]) if len(quota) else math.nan,
                     "observed_exports_t": float(full.iloc[0]) if len(full) else math.nan,
                     "simulated_p5": p5, "simulated_p50": p50, "simulated_p95": p95})
    frame = pd.DataFrame(rows)
    if not frame.empty and frame["quota_t"].isna().all() and frame["observed_exports_t"].isna().all():
        return pd.DataFrame()
    return frame


def compare_exports(ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Monthly trade 2017-2024 beside simulated exports: monthly rows and per-series errors.

    Errors per (commodity, destination): ``months`` compared, ``mape_pct`` (mean |P50 - obs| /
    obs, %), ``bias_log10`` (mean log10(P50 / obs): level error of the base-year world),
    ``coverage`` (share of months with obs within P5-P95) and, where one of the replay's measures
    starts inside the observed months, ``change_observed`` / ``change_simulated``: mean of the six
    months from the measure's start over the mean of the six months before.
    """
    obs = load_observed("china_exports_monthly")
    obs = obs[(obs["series"] == "exports") & obs["commodity"].isin(list(TRADE_MAP))
              & ~obs["partner"].isin(list(TRADE_SKIP))]
    labels = [m.strftime("%Y-%m") for m in ctx.months]
    obs = obs[obs["date"].dt.strftime("%Y-%m").isin(labels)]
    monthly, errors = [], []
    for (commodity, partner), sub in obs.groupby(["commodity", "partner"], sort=True):
        key = (TRADE_MAP[str(commodity)], ALL if partner == "WLD" else str(partner))
        if key not in ctx.flows:
            continue
        sub = sub.sort_values("date")
        idx = [ctx.month_index(d.strftime("%Y-%m")) for d in sub["date"]]
        values = ctx.flows[key][:, [i for i in idx if i is not None]]
        q = draw_quantiles(values)
        o = sub["value"].to_numpy(dtype=float)
        months = [d.strftime("%Y-%m") for d in sub["date"]]
        for j, month in enumerate(months):
            monthly.append({"month": month, "commodity": key[0], "destination": key[1],
                            "observed_t": o[j], "simulated_p5": q[0, j], "simulated_p50": q[1, j],
                            "simulated_p95": q[2, j]})
        ok = o > 0
        row: dict[str, object] = {
            "commodity": key[0], "destination": key[1], "observed_as": str(commodity),
            "months": int(ok.sum()),
            "mape_pct": float(np.mean(np.abs(q[1, ok] - o[ok]) / o[ok]) * 100) if ok.any() else math.nan,
            "bias_log10": float(np.mean(np.log10(np.maximum(q[1, ok], 1e-12) / o[ok])))
            if ok.any() else math.nan,
            "coverage": float(np.mean((o >= q[0]) & (o <= q[2]))),
            "change_from": None, "change_observed": math.nan, "change_simulated": math.nan}
        for start in ctx.measure_starts.get(key[0], []):
            first = start.strftime("%Y-%m")
            if first in months and months.index(first) >= 6 and months.index(first) + 6 <= len(months):
                k = months.index(first)
                row["change_from"] = first
                row["change_observed"] = float(o[k:k + 6].mean() / max(o[k - 6:k].mean(), 1e-12))
                row["change_simulated"] = float(q[1, k:k + 6].mean() / max(q[1, k - 6:k].mean(), 1e-12))
                break
        errors.append(row)
    return pd.DataFrame(monthly), pd.DataFrame(errors)

