"""Skill scores on synthetic runs: hits, misses, false alarms and correct quiet, the window of a
record, region scopes, unscored alarms, and the error and coverage figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from spigot.replays.skill import classify, export_skill, price_skill, stoppage_skill
from spigot.results import Results

SECTORS = [("USA", "semiconductors"), ("JPN", "semiconductors"), ("CHN", "semiconductors"),
           ("USA", "batteries"), ("DEU", "wind")]


def _results(first_stop_weeks: list[list[float]]) -> Results:
    """4 draws x 5 sectors, weekly from 2023-01-02 over 104 weeks."""
    data = xr.Dataset(
        {"first_stop_week": (("draw", "sector"), np.array(first_stop_weeks, dtype=float))},
        coords={"draw": np.arange(4), "time": pd.date_range("2023-01-02", periods=104, freq="7D"),
                "sector": [f"{r}.{s}" for r, s in SECTORS],
                "sector_region": ("sector", [r for r, _ in SECTORS]),
                "sector_name": ("sector", [s for _, s in SECTORS])},
        attrs={"step_weeks": 1.0})
    return Results(data, {})


def _records(*rows: tuple[str, str, str, str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["id", "period_start", "period_end", "regions", "sectors",
                                       "observed"])


NAN = float("nan")
# weeks from 2023-01-02: 2023-08-01 is week 30.1, 2024-01-01 week 52, 2024-06-30 week 78.9
STOPS = [[40, 10, 5, 90, NAN],
         [45, NAN, 5, 95, 20],
         [60, NAN, 5, NAN, 20],
         [NAN, NAN, 5, NAN, 20]]


def test_classify() -> None:
    assert [classify(True, "stoppage"), classify(False, "stoppage"), classify(True, "none"),
            classify(False, "none")] == ["hit", "miss", "false_alarm", "correct_quiet"]


def test_quiet_record_scores_false_alarms_and_correct_quiet() -> None:
    records = _records(("ga", "2023-08-01", "2024-03-31", "all except CHN", "semiconductors",
                        "none"))
    out = stoppage_skill(_results(STOPS), records)
    pairs = {(p["region"], p["sector"]): p for p in out["pairs"]}
    assert set(pairs) == {("USA", "semiconductors"), ("JPN", "semiconductors")}  # CHN excluded
    assert pairs[("USA", "semiconductors")]["predicted_share"] == pytest.approx(0.75)
    assert pairs[("USA", "semiconductors")]["outcome"] == "false_alarm"
    # a stop before the period's start counts: JPN stops in week 10 in one draw of four
    assert pairs[("JPN", "semiconductors")]["predicted_share"] == pytest.approx(0.25)
    assert pairs[("JPN", "semiconductors")]["outcome"] == "correct_quiet"
    assert (out["false_alarms"], out["correct_quiet"], out["hits"], out["misses"]) == (1, 1, 0, 0)
    # alarms over the horizon: USA semis (3/4), CHN semis (4/4), DEU wind (3/4); USA batteries 2/4
    assert out["alarms_over_horizon"] == 3
    assert {(u["region"], u["sector"]) for u in out["unscored_alarms"]} == {
        ("CHN", "semiconductors"), ("DEU", "wind")}


def test_window_ends_at_the_record_end() -> None:
    # USA batteries stop in weeks 90 and 95: after a record ending 2024-06-30 (week ~79)
    early = _records(("gr", "2023-12-01", "2024-06-30", "USA", "batteries", "stoppage"))
    pair = stoppage_skill(_results(STOPS), early)["pairs"][0]
    assert pair["predicted_share"] == 0.0
    assert pair["outcome"] == "miss"
    late = _records(("gr", "2023-12-01", "2024-12-31", "USA;JPN", "batteries", "stoppage"))
    pair = stoppage_skill(_results(STOPS), late, threshold_share=0.4)["pairs"][0]
    assert pair["predicted_share"] == pytest.approx(0.5)
    assert pair["window_end"] == "2024-12-30"  # cut at the end of the horizon
    assert pair["outcome"] == "hit"


def test_record_after_the_horizon_is_not_scored() -> None:
    out = stoppage_skill(_results(STOPS), _records(
        ("sb", "2025-09-15", "2025-12-31", "all", "wind", "none")))
    assert out["records"] == []
    assert out["pairs_scored"] == 0


def test_export_and_price_skill() -> None:
    errors = pd.DataFrame({"months": [10, 30], "mape_pct": [10.0, 50.0],
                           "bias_log10": [-0.2, 0.1], "coverage": [1.0, 0.5]})
    out = export_skill(errors)
    assert out["months"] == 40
    assert out["mape_pct"] == pytest.approx((10 * 10 + 30 * 50) / 40)
    assert out["abs_bias_log10"] == pytest.approx((10 * 0.2 + 30 * 0.1) / 40)
    assert out["coverage"] == pytest.approx((10 + 15) / 40)
    assert export_skill(pd.DataFrame())["series"] == 0
    points = pd.DataFrame({"observed_usd_kg": [10.0, 100.0], "simulated_p5": [5.0, 10.0],
                           "simulated_p95": [20.0, 50.0], "log10_error": [0.1, -0.5]})
    out = price_skill(points)
    assert out == {"points": 2, "mean_abs_log10_error": pytest.approx(0.3), "coverage": 0.5}
