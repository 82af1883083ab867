"""Replay grading on synthetic series: a target passes when the model is within tolerance on either
side, and fails when it under- or over-predicts by more."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spigot.replays.compare import Context, evaluate_targets

MONTHS = pd.date_range("2010-01-01", "2012-12-01", freq="MS")


def _context(rise_by_july: float) -> Context:
    """Ex-China Dy and Nd prices growing geometrically so that Jul-2010 / Jan-2010 = ``rise_by_july``."""
    growth = rise_by_july ** (np.arange(len(MONTHS)) / 6.0)
    rows = [{"month": m.strftime("%Y-%m"), "zone": zone, "commodity": comm,
             "p5": 0.9 * g, "p50": g, "p95": 1.1 * g}
            for zone in ("ex_china", "china") for comm in ("dy_oxide", "ndpr_oxide")
            for m, g in zip(MONTHS, growth, strict=True)]
    return Context(months=MONTHS, flows={}, prices=pd.DataFrame(rows), measure_starts={})


def _dy_rise(rise_by_july: float) -> pd.Series:
    frame = evaluate_targets(_context(rise_by_july)).set_index("id")
    return frame.loc["dy_rise_by_jul2010"]


@pytest.mark.parametrize(("rise", "passes"), [(2.0, True), (2.5, True), (1.7, True),
                                               (1.05, False), (4.5, False)])
def test_log_error_is_symmetric(rise: float, passes: bool) -> None:
    # observed ratio 2, tolerance 0.2 in log10: 2 / 10**0.2 = 1.26 to 2 * 10**0.2 = 3.17 pass
    row = _dy_rise(rise)
    assert row["simulated"] == pytest.approx(rise)
    assert row["error"] == pytest.approx(abs(np.log10(rise / 2.0)))
    assert row["error"] >= 0
    assert bool(row["passed"]) is passes


def test_wrong_direction_fails_even_within_tolerance() -> None:
    # nd_fall_2012 (observed 0.4, abs tolerance 0.35): a rising path is within 0.35 of 0.4 at
    # ratio 0.74 but has the wrong direction when it rises above 1
    frame = evaluate_targets(_context(1.02)).set_index("id")
    row = frame.loc["nd_fall_2012"]
    assert row["simulated"] > 1.0
    assert row["direction_ok"] is not None
    assert not bool(row["direction_ok"])
    assert not bool(row["passed"])
