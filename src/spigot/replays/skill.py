"""Skill scores of a replay: hits, misses, false alarms and correct quiet for stoppages; errors and
P5-P95 coverage for exports and prices.

Quiet periods are data. The bundled record ``production_events`` lists, per replay, periods in
which production stoppages were reported (``observed = stoppage``) and periods in which none was
(``none``), each for a set of regions and sectors. A region x sector pair covered by a record is
*predicted to stop* when it stops in more than ``threshold_share`` of the draws by the end of the
record's period (a stop before the period's start counts too: the world before the measure was
quiet as well); it is then a **hit** (a stoppage was observed) or a **false alarm** (none was).
A pair not predicted to stop is a **miss** or **correct quiet**. Pairs that no record covers are
not scored; those that stop in more than ``threshold_share`` of the draws over the horizon are
listed as ``unscored_alarms`` so that nothing alarming is hidden.

>>> from spigot.replays.skill import classify
>>> classify(True, "none"), classify(False, "stoppage")
('false_alarm', 'miss')
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from spigot.replays.observed import load_observed
from spigot.results import Results

__all__ = ["THRESHOLD_SHARE", "classify", "export_skill", "price_skill", "production_records",
           "skill", "stoppage_skill"]

#: Share of draws above which a pair counts as predicted to stop.
THRESHOLD_SHARE = 0.5


def classify(predicted: bool, observed: str) -> str:
    """``hit``, ``miss``, ``false_alarm`` or ``correct_quiet``."""
    if observed == "stoppage":
        return "hit" if predicted else "miss"
    return "false_alarm" if predicted else "correct_quiet"


def production_records(replay: str) -> pd.DataFrame:
    """The bundled production records (stoppages and quiet periods) of ``replay``."""
    frame = load_observed("production_events")
    return frame[frame["replay"] == replay].reset_index(drop=True)


def _regions_match(spec: str, region: str) -> bool:
    spec = spec.strip()
    if spec == "all":
        return True
    if spec.startswith("all except "):
        return region not in {r.strip() for r in spec[len("all except "):].split(";")}
    return region in {r.strip() for r in spec.split(";")}


def stoppage_skill(results: Results, records: pd.DataFrame,
                   threshold_share: float = THRESHOLD_SHARE) -> dict[str, Any]:
    """Score the run's stoppages against observed ``records`` (see the module docstring).

    Parameters
    ----------
    results
        The replay's results (``first_stop_week`` per draw and sector, weeks from the start).
    records
        Rows of ``production_events``: ``id, period_start, period_end, regions, sectors,
        observed``.
    threshold_share
        Share of draws above which a pair counts as predicted to stop (0-1).

    Returns
    -------
    dict
        ``threshold_share``, ``records`` (ids scored), ``pairs_scored``, ``hits``, ``misses``,
        ``false_alarms``, ``correct_quiet``, ``pairs`` (one per scored pair: ``region, sector,
        predicted_share, observed, outcome, window_end, records``), ``alarms_over_horizon``
        (pairs, scored or not, that stop in more than ``threshold_share`` of the draws) and
        ``unscored_alarms`` (those of them that no record covers: ``region, sector,
        predicted_share``).
    """
    ds = results.data
    start = pd.Timestamp(ds["time"].values[0])
    step = float(ds.attrs.get("step_weeks", 1.0))
    end = pd.Timestamp(ds["time"].values[-1]) + pd.Timedelta(weeks=step)
    first = np.asarray(ds["first_stop_week"].values, dtype=float)  # (draw, sector), weeks
    regions = [str(r) for r in ds["sector_region"].values]
    sectors = [str(s) for s in ds["sector_name"].values]
    covering: dict[int, list[dict[str, Any]]] = {}
    used: list[str] = []
    for row in records.to_dict(orient="records"):
        rec = {str(k): v for k, v in row.items()}
        if pd.Timestamp(rec["period_start"]) >= end:
            continue  # the period starts after the horizon: nothing to score
        used.append(str(rec["id"]))
        names = {s.strip() for s in str(rec["sectors"]).split(";")}
        for i, (region, sector) in enumerate(zip(regions, sectors, strict=True)):
            if sector in names and _regions_match(str(rec["regions"]), region):
                covering.setdefault(i, []).append(rec)
    pairs = []
    for i, recs in sorted(covering.items()):
        window_end = min(max(pd.Timestamp(r["period_end"]) for r in recs), end)
        weeks = (window_end - start) / pd.Timedelta(weeks=1)
        share = float(np.mean(first[:, i] <= weeks))  # NaN (no stop) compares False
        observed = "stoppage" if any(r["observed"] == "stoppage" for r in recs) else "none"
        pairs.append({"region": regions[i], "sector": sectors[i], "predicted_share": share,
                      "observed": observed,
                      "outcome": classify(share > threshold_share, observed),
                      "window_end": window_end.date().isoformat(),
                      "records": [str(r["id"]) for r in recs]})
    over = np.mean(~np.isnan(first), axis=0) if first.size else np.zeros(len(sectors))
    alarms = [i for i in range(len(sectors)) if over[i] > threshold_share]
    counts = {"hits": sum(p["outcome"] == "hit" for p in pairs),
              "misses": sum(p["outcome"] == "miss" for p in pairs),
              "false_alarms": sum(p["outcome"] == "false_alarm" for p in pairs),
              "correct_quiet": sum(p["outcome"] == "correct_quiet" for p in pairs)}
    return {"threshold_share": threshold_share, "records": used, "pairs_scored": len(pairs),
            **counts, "pairs": pairs, "alarms_over_horizon": len(alarms),
            "unscored_alarms": [{"region": regions[i], "sector": sectors[i],
                                 "predicted_share": float(over[i])}
                                for i in alarms if i not in covering]}


def _weighted(frame: pd.DataFrame, column: str, weights: pd.Series) -> float:
    values = pd.to_numeric(frame[column], errors="coerce")
    ok = values.notna() & (weights > 0)
    if not ok.any():
        return math.nan
    return float(np.average(values[ok], weights=weights[ok]))


def export_skill(trade_errors: pd.DataFrame) -> dict[str, Any]:
    """Exports against the observed monthly trade: errors and coverage, month-weighted.

    ``series``, ``months``, ``mape_pct`` (mean |P50 - obs| / obs, %), ``abs_bias_log10`` (mean
    |log10(P50 / obs)| over series), ``coverage`` (share of months with obs within P5-P95).
    """
    if trade_errors is None or not len(trade_errors):
        return {"series": 0, "months": 0, "mape_pct": None, "abs_bias_log10": None,
                "coverage": None}
    months = pd.to_numeric(trade_errors["months"], errors="coerce").fillna(0)
    frame = trade_errors.assign(abs_bias=trade_errors["bias_log10"].abs())
    return {"series": len(frame), "months": int(months.sum()),
            "mape_pct": _none_if_nan(_weighted(frame, "mape_pct", months)),
            "abs_bias_log10": _none_if_nan(_weighted(frame, "abs_bias", months)),
            "coverage": _none_if_nan(_weighted(frame, "coverage", months))}


def price_skill(price_points: pd.DataFrame) -> dict[str, Any]:
    """Prices against observed price points (USD/kg): ``points``, ``mean_abs_log10_error``,
    ``coverage`` (share of points within the simulated P5-P95)."""
    if price_points is None or not len(price_points):
        return {"points": 0, "mean_abs_log10_error": None, "coverage": None}
    obs = price_points["observed_usd_kg"].to_numpy(dtype=float)
    inside = (obs >= price_points["simulated_p5"].to_numpy(dtype=float)) & (
        obs <= price_points["simulated_p95"].to_numpy(dtype=float))
    return {"points": len(price_points),
            "mean_abs_log10_error": float(np.abs(price_points["log10_error"]).mean()),
            "coverage": float(inside.mean())}


def _none_if_nan(value: float) -> float | None:
    return None if math.isnan(value) else value


def skill(replay: str, results: Results, trade_errors: pd.DataFrame, price_points: pd.DataFrame,
          threshold_share: float = THRESHOLD_SHARE) -> dict[str, Any]:
    """The ``skill`` object of ``spigot replay --format json``: ``stoppages``, ``exports``,
    ``prices`` (see :func:`stoppage_skill`, :func:`export_skill`, :func:`price_skill`)."""
    return {"stoppages": stoppage_skill(results, production_records(replay), threshold_share),
            "exports": export_skill(trade_errors), "prices": price_skill(price_points)}
