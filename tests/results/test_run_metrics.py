"""`Results.metrics`: the summaries the CLI prints, from one quantile rule."""

from __future__ import annotations

import numpy as np
import pytest

import spigot as sp
from spigot.results.metrics import QUANTILES, draw_quantiles
from spigot.sim import simulate


def test_draw_quantiles_are_numpy_percentiles_and_nan_on_no_draws() -> None:
    values = np.random.default_rng(1).lognormal(size=(200, 3))
    expected = np.percentile(values, [q for _, q in QUANTILES], axis=0)
    np.testing.assert_array_equal(draw_quantiles(values), expected)
    assert draw_quantiles(values).shape == (3, 3)
    empty = draw_quantiles(np.zeros((0, 4)))
    assert empty.shape == (3, 4)
    assert np.isnan(empty).all()


@pytest.fixture(scope="module")
def squeeze() -> sp.Results:
    scen = sp.scenarios.load("licence-squeeze").with_options(horizon_weeks=52)
    return simulate(scen, draws=40, seed=11)


def test_summary_is_computed_from_each_draw_s_total(squeeze: sp.Results) -> None:
    summary = squeeze.metrics.summary()
    totals = squeeze.data["lost_output_usd"].values.sum(axis=1)
    assert summary["draws"] == 40
    assert summary["lost_output_usd_mean"] == pytest.approx(totals.mean())
    assert summary["lost_output_usd_p95"] == pytest.approx(np.percentile(totals, 95))
    assert summary["lost_output_usd_p5"] <= summary["lost_output_usd_p50"] <= \
        summary["lost_output_usd_p95"]
    stopped = (~np.isnan(squeeze.data["first_stop_week"].values)).any(axis=1).mean()
    assert summary["share_draws_with_stoppage"] == pytest.approx(stopped)


def test_prices_lists_moved_commodities_largest_first(squeeze: sp.Results) -> None:
    prices = squeeze.metrics.prices()
    assert len(prices) > 0
    ds = squeeze.data
    base = ds["base_price"].values
    moves = [float(np.abs(np.log(ds["mean_price"].sel(commodity=c).values / base[:, i])).max())
             for c in prices["commodity"]
             for i in [list(ds["commodity"].values).index(c)]]
    assert moves == sorted(moves, reverse=True)
    assert all(m >= 0.01 for m in moves)
    assert squeeze.metrics.prices(moved_above=np.inf).empty
