"""Per-draw values and the point fit (docs/mitigation.md, "Per-draw values", "Point fit"): a draw
whose every t short is supplied loses nothing; a point fit recovers the scale and tilt that made
a loss, and its fast closed form is :func:`evaluate`'s."""

from __future__ import annotations

import numpy as np
import pytest

import spigot as sp
from spigot.mitigation.pointfit import fit_point, sizes, with_point_fit
from spigot.mitigation.program import Option, evaluate
from spigot.mitigation.sample import LossSample
from spigot.testing import toy_scenario
from tests.mitigation.toyban import BAN, toy_ban_sample


def toy_sample() -> LossSample:
    return toy_ban_sample(11)


def _pile(sample: LossSample) -> list[Option]:
    cell = "USA/ndfeb_magnet"
    worst = float(sample.shortfall_t[:, :, sample.cells.index(cell)].sum(axis=1).max())
    return [Option("pile", "strategic_stockpile", "t", 2.0 * worst, 1_000.0, {cell: 1.0})]


def test_a_draw_supplied_every_t_it_lacks_loses_nothing() -> None:
    """Per-draw values: each draw's own loss per t short (by hand), so the largest stock avoids
    every draw's whole loss."""
    sample = toy_sample()
    assert sample.draw_scale is not None
    k = sample.cells.index("USA/ndfeb_magnet")
    explained = sample.value_per_t[k] * sample.shortfall_t[:, :, k].sum(axis=1)
    short = explained > 0
    assert np.any(short)
    np.testing.assert_allclose(sample.draw_scale[short, 0],
                               sample.lost_usd[short, :, 0].sum(axis=1) / explained[short])
    options = _pile(sample)
    full = evaluate(sample, options, {"pile": options[0].max_amount})
    np.testing.assert_allclose(full.lost_usd, 0.0, atol=1e-6 * sample.total_lost_usd.max())
    half = evaluate(sample, options, {"pile": 0.1 * options[0].max_amount})
    assert np.all(half.lost_usd <= sample.total_lost_usd + 1e-6)
    assert half.lost_usd_mean > 0


@pytest.mark.parametrize(("scale", "tilt"), [(1.0, 0.0), (1.4, 0.5), (0.7, -0.3)])
def test_a_point_fit_recovers_the_mean_and_p95_that_made_a_loss(scale: float,
                                                                 tilt: float) -> None:
    """A loss made by the abstraction with a known (scale, tilt): the fit matches its mean to
    0.1 % and its P95 at least as well as that (scale, tilt) does, and what the fit predicts
    through :func:`evaluate` is the closed form it fitted with."""
    sample = toy_sample()
    options = _pile(sample)
    amounts = {"pile": 0.15 * options[0].max_amount}
    reference = sample.weights @ sizes(sample)
    made = evaluate(with_point_fit(sample, options, amounts, (scale, tilt), reference), options,
                    amounts)
    fit = fit_point(sample, options, amounts, made.lost_usd, reference)
    got = evaluate(with_point_fit(sample, options, amounts, fit, reference), options, amounts)
    assert got.lost_usd_mean == pytest.approx(made.lost_usd_mean, rel=1e-3)
    assert abs(got.lost_usd_p95 - made.lost_usd_p95) <= 1e-3 * made.lost_usd_p95 + 1e-6
    assert fit[1] == pytest.approx(tilt, abs=0.011) or got.lost_usd_p95 == pytest.approx(
        made.lost_usd_p95, rel=1e-3)


def test_no_engine_run_or_nothing_bought_is_no_fit() -> None:
    sample = toy_sample()
    options = _pile(sample)
    reference = sample.weights @ sizes(sample)
    assert fit_point(sample, options, {"pile": 10.0}, None, reference) == (1.0, 0.0)
    assert fit_point(sample, options, {}, sample.total_lost_usd, reference) == (1.0, 0.0)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_point_is_verified_within_10pct_at_every_seed(seed: int) -> None:
    """The toy ban at three seeds (fitted and fresh draws differ with the seed): every point's
    mean and P95 on the fresh draws within 10 % of the point-fitted prediction, and the frontier
    monotone."""
    res = sp.mitigation.mitigate(toy_scenario(BAN), "USA", draws=64, points=5, seed=seed,
                                 marginal=False)
    doc = res.document()
    assert doc["verification"]["points_within_10pct"] == 5
    assert doc["verification"]["points_p95_within_10pct"] == 5
    f = res.frontier
    assert np.all(np.diff(f["cost_usd"]) > 0)
    assert np.all(np.diff(f["simulated_lost_usd_mean"]) <= 0)
    assert f["simulated_lost_usd_mean"].iloc[-1] < f["simulated_lost_usd_mean"].iloc[0]
