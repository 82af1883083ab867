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


def test_capacity_stopped_adds_up_to_each_sector_s_lost_output_and_stopped_weeks(
        squeeze: sp.Results) -> None:
    frame = squeeze.metrics.capacity_stopped()
    ds = squeeze.data
    assert not frame.empty
    assert frame["capacity_stopped"].between(0.0, 1.0 + 1e-12).all()
    assert frame["share_stopped"].between(0.0, 1.0).all()
    for sector, rows in frame.groupby("id"):
        out = float(ds["sector_output"].sel(sector=sector))
        # the weekly means, summed over the weeks, are the mean over draws of the run's totals
        assert rows["capacity_stopped"].sum() * out == pytest.approx(
            float(ds["lost_output_units"].sel(sector=sector).mean()), rel=1e-9)
        assert rows["share_stopped"].sum() == pytest.approx(
            float(ds["stopped_weeks"].sel(sector=sector).mean()), rel=1e-9)
    # every sector that loses output is listed, and only those
    lost = ds["lost_output_units"].values.sum(axis=0) > 0
    assert set(frame["id"]) == {str(s) for s, x in zip(ds["sector"].values, lost, strict=True)
                                if x}


def test_capacity_stopped_is_whole_once_a_ban_cuts_every_supplier() -> None:
    text = """
name: cut
dataset: toy
horizon_weeks: 40
draws: 1
policies:
  - {type: ExportBan, id: cn, exporter: CHN, commodities: [ndfeb_magnet], destinations: [USA],
     start: 2025-01-06}
  - {type: ExportBan, id: jp, exporter: JPN, commodities: [ndfeb_magnet], destinations: [USA],
     start: 2025-01-06}
"""
    res = simulate(sp.scenarios.load_text(text).with_options(markets=False))
    rows = res.metrics.capacity_stopped().query("id == 'USA.automotive'")
    # nothing arrives once the pipelines are empty and the cover is used: the line stands whole
    assert rows["capacity_stopped"].iloc[-5:].tolist() == pytest.approx([1.0] * 5, abs=1e-12)
    assert rows["share_stopped"].iloc[-5:].tolist() == [1.0] * 5
    assert rows["capacity_stopped"].iloc[0] == 0.0
