"""Separators smooth their run rate (issue 17, item 8, session 18; docs/model.md, "Joint products").

An operating joint-product node runs at least its quota rate: the exponential average of its
order rate (time constant ``separator_smoothing_weeks``) less its output stock worked off over
the same time. Checked here on the toy world (its light-REE separator makes NdPr and Dy oxide):

- the averaging rule itself (:func:`spigot.sim.phases.smooth_rate`, its Python body: it is
  compiled for calls from compiled code only);
- no shock: the rule changes nothing, to the bit;
- under a licence on Dy oxide it moves the results (so the checks below exercise it), both
  engines agree to 1e-9 and mass is conserved;
- under that licence China's Dy oxide price stays at or below base and its NdPr oxide price
  peaks no higher than without the rule.
"""

from __future__ import annotations

import numpy as np

import spigot as sp
from spigot.sim.phases import smooth_rate
from spigot.testing import assert_same, run, toy_scenario

#: A licence on Dy oxide and magnets to every destination; the smoothing time set per test.
LICENCE = """
name: dy-licence
dataset: toy
horizon_weeks: {weeks}
draws: {draws}
seed: 5
markets: true
market: {{overrides: {{separator_smoothing_weeks: {T}}}}}
policies:
  - type: ExportLicence
    id: lic
    exporter: CHN
    commodities: [dy_oxide, ndfeb_magnet]
    start: 2025-01-06
    processing_time:
      distribution: {{dist: lognormal, median: 45, sigma: 0.35, min: 5, max: 90}}
    approval: {{default: 0.7}}
"""

BASELINE = """
name: b
dataset: toy
horizon_weeks: 60
draws: 3
markets: true
market: {{overrides: {{separator_smoothing_weeks: {T}}}}}
"""


def china_price(res: sp.Results, commodity: str) -> np.ndarray:
    """Mean China price by step, relative to base."""
    ds = res.data
    rel = ds["mean_price"].values / ds["base_price"].values[None]
    return np.asarray(rel[:, 0, list(ds["commodity"].values).index(commodity)])


def test_smooth_rate_is_an_exponential_average_that_starts_at_the_first_rate() -> None:
    run_ = np.full((2, 3), -1.0)
    vec = np.array([2.0, 0.3, 7.0])
    smooth_rate.py_func(1, 0.25, run_, vec)  # first step: the rate itself
    np.testing.assert_array_equal(run_[1], [2.0, 0.3, 7.0])
    np.testing.assert_array_equal(run_[0], [-1.0, -1.0, -1.0])
    for _ in range(5):  # constant orders: the rate, to the bit
        vec = np.array([2.0, 0.3, 7.0])
        smooth_rate.py_func(1, 0.25, run_, vec)
    np.testing.assert_array_equal(vec, [2.0, 0.3, 7.0])
    for _ in range(4):  # a step to 0: the gap closes by 1 - 0.25 a step
        vec = np.zeros(3)
        smooth_rate.py_func(1, 0.25, run_, vec)
    np.testing.assert_allclose(vec, np.array([2.0, 0.3, 7.0]) * 0.75 ** 4, rtol=1e-14)


def test_no_shock_leaves_the_world_as_without_smoothing() -> None:
    on = run(toy_scenario(BASELINE.format(T=13)), engine="numba")
    off = run(toy_scenario(BASELINE.format(T=0)), engine="numba")
    assert_same(on, off)


def test_engines_agree_and_the_rule_moves_a_licensed_world() -> None:
    scen = toy_scenario(LICENCE.format(weeks=40, draws=3, T=13))
    fast = run(scen, engine="numba")
    assert_same(fast, run(scen, engine="reference"), rtol=1e-9)
    off = run(toy_scenario(LICENCE.format(weeks=40, draws=3, T=0)), engine="numba")
    moved = np.abs(fast.data["mean_price"].values - off.data["mean_price"].values).max()
    assert moved > 1e-6  # the check above exercised the rule


def test_a_separator_on_its_quota_keeps_chinas_oxide_prices_from_rising() -> None:
    """China's price of the controlled Dy oxide never rises above base, and the uncontrolled
    NdPr oxide, made with it, peaks no higher than without the rule (toy: 1.50 against 1.53)."""
    res = {T: run(toy_scenario(LICENCE.format(weeks=104, draws=8, T=T)), engine="numba")
           for T in (0, 13)}
    assert china_price(res[13], "dy_oxide").max() <= 1.0
    assert (china_price(res[13], "ndpr_oxide").max()
            <= china_price(res[0], "ndpr_oxide").max())
