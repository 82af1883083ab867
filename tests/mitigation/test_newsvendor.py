"""The newsvendor hand check (issue 19, first done-when): the sample-average program's optimal
stockpile equals the critical-fractile quantile of the shortfall distribution within 1 %, and
doubling the holding cost moves it down to the quantile at 1 - 2h/v, as the formula says."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pytest

from spigot.errors import InputError
from spigot.mitigation import (
    critical_fractile,
    optimal_stockpile,
    sample_quantile,
    shortfall_by_draw,
)
from spigot.testing import run, toy_scenario

#: Shortfall S ~ lognormal(mu, sigma), t over the horizon: its quantiles are known in closed form.
MU, SIGMA = np.log(40.0), 0.5
LOST = 24_000.0  # USD of output lost per t short


def lognormal_quantile(p: float) -> float:
    return float(np.exp(MU + SIGMA * NormalDist().inv_cdf(p)))


@pytest.fixture(scope="module")
def sample() -> np.ndarray:
    return np.random.default_rng(19).lognormal(MU, SIGMA, 20_001)


@pytest.mark.parametrize("holding", [1_200.0, 4_800.0])
def test_optimum_is_the_critical_fractile_quantile_and_doubling_holding_cost_moves_it(
        sample: np.ndarray, holding: float) -> None:
    one = optimal_stockpile(sample, holding, LOST)
    two = optimal_stockpile(sample, 2 * holding, LOST)
    for sol, h in ((one, holding), (two, 2 * holding)):
        fractile = 1.0 - h / LOST
        assert sol.fractile == pytest.approx(fractile)
        assert sol.stock_t == pytest.approx(lognormal_quantile(fractile), rel=0.01)
        assert sol.stock_t == pytest.approx(sol.quantile_t, rel=0.01)
        assert sol.variables == sample.size + 1
        assert sol.constraints == sample.size
    # dearer holding: a lower fractile, so a smaller stock and more expected loss
    assert two.stock_t < one.stock_t
    assert two.expected_lost_usd > one.expected_lost_usd
    assert two.stock_t == pytest.approx(
        lognormal_quantile(1 - 2 * holding / LOST) / lognormal_quantile(1 - holding / LOST)
        * one.stock_t, rel=0.01)


def test_the_program_beats_every_other_stock_on_the_sample(sample: np.ndarray) -> None:
    sol = optimal_stockpile(sample[:2001], 3_000.0, LOST)
    s = sample[:2001]

    def cost(q: float) -> float:
        return 3_000.0 * q + LOST * float(np.maximum(s - q, 0).mean())

    assert sol.expected_cost_usd == pytest.approx(cost(sol.stock_t), rel=1e-9)
    for q in np.linspace(0, s.max(), 101):
        assert sol.expected_cost_usd <= cost(float(q)) + 1e-6


def test_holding_dearer_than_the_loss_buys_nothing_and_weights_count(sample: np.ndarray) -> None:
    assert optimal_stockpile(sample[:101], 30_000.0, LOST).stock_t == pytest.approx(0.0, abs=1e-9)
    assert critical_fractile(30_000.0, LOST) == 0.0
    # two draws with weights 0.9/0.1 behave as 9 copies of one and 1 of the other
    s, w = np.array([10.0, 50.0]), np.array([0.9, 0.1])
    weighted = optimal_stockpile(s, 1_000.0, 8_000.0, weights=w)  # fractile 0.875
    copies = optimal_stockpile(np.repeat(s, [9, 1]), 1_000.0, 8_000.0)
    assert weighted.stock_t == pytest.approx(copies.stock_t) == pytest.approx(10.0)
    assert sample_quantile(s, 0.95, w) == 50.0


def test_on_engine_draws_of_the_toy_world() -> None:
    """A ban of magnets to the USA of uncertain length: the shortfall drawn by the engine."""
    scen = toy_scenario("""
name: nv
dataset: toy
horizon_weeks: 30
draws: 64
policies:
  - {type: ExportBan, id: ban, exporter: CHN, commodities: [ndfeb_magnet], destinations: [USA],
     start: 2025-01-06, duration_weeks: {dist: uniform, low: 2, high: 24}}
""")
    s = shortfall_by_draw(run(scen, seed=3), "USA", "ndfeb_magnet")
    assert s.shape == (64,)
    assert s.max() > 0
    sol = optimal_stockpile(s, 0.3 * LOST, LOST)  # fractile 0.7: 44.8 of 64 draws, a unique optimum
    assert sol.stock_t == pytest.approx(sample_quantile(s, 0.7), rel=0.01)
    assert sol.stock_t == pytest.approx(float(np.quantile(s, 0.7, method="inverted_cdf")), rel=0.01)


@pytest.mark.parametrize(("args", "field"), [
    (([1.0, 2.0], -1.0, LOST), "holding_usd_per_t"),
    (([1.0, 2.0], 1.0, 0.0), "lost_usd_per_t"),
    (([1.0, -2.0], 1.0, LOST), "shortfall_t"),
    (([], 1.0, LOST), "shortfall_t"),
])
def test_bad_input_is_an_input_error_naming_the_field(args: tuple, field: str) -> None:
    with pytest.raises(InputError, match=field) as err:
        optimal_stockpile(*args)
    assert err.value.exit_code == 2


def test_weights_must_be_probabilities() -> None:
    with pytest.raises(InputError, match="weights"):
        optimal_stockpile([1.0, 2.0], 1.0, LOST, weights=[0.5, 0.6])
