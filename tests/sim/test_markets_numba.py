"""The market phase in the numba kernel: the reference engine's results, chunk-invariant, conserved.

The reference engine (``spigot.sim.reference``) is the specification; the kernel runs the same
rules on lanes of draws. Every run goes through ``spigot.testing.run``, which checks conservation
(``Results.check_conservation``: recycling counts as a source).
"""

from __future__ import annotations

import numpy as np
import pytest

import spigot as sp
from spigot.testing import TOY_LICENCE, assert_same, run, toy_scenario, toy_with_stockpile

#: Quotas and bans (no licence): Japan loses its Chinese oxide, the USA a share of its Dy.
QUOTA_BAN = """
name: quota-ban
dataset: toy
horizon_weeks: 60
draws: 6
keep_trajectories: 2
markets: true
policies:
  - {type: ExportBan, id: b, exporter: CHN, commodities: [ndpr_oxide, dy_oxide],
     destinations: [JPN], start: 2025-02-03, probability: 0.8,
     duration_weeks: {dist: uniform, low: 10, high: 40}}
  - {type: ExportQuota, id: q, exporter: CHN, commodities: [dy_oxide, ndfeb_magnet],
     annual_t: 0.5}
"""

#: Recycling and the price trigger of stockpile releases switched on, with a long ban.
RESPONSES = QUOTA_BAN + """market:
  overrides: {recycling_price_on: 1.05, recycling_price_full: 1.5, recycling_lag_weeks: 4,
              'recycling_share:dy_oxide': 0.3, 'recycling_share:ndpr_oxide': 0.2,
              stockpile_price_trigger: 1.1, safety_stock_extra: 0.5}
"""


def _both(scen: sp.Scenario, **kwargs: object) -> tuple[sp.Results, sp.Results]:
    fast = run(scen, engine="numba", **kwargs)
    slow = run(scen, engine="reference", **kwargs)
    assert fast.manifest["markets"] is True
    assert slow.manifest["markets"] is True
    return fast, slow


@pytest.mark.parametrize("seed", [0, 5])
def test_numba_agrees_with_reference_on_the_toy_licence(seed: int) -> None:
    fast, slow = _both(toy_scenario(TOY_LICENCE, markets=True, seed=seed))
    assert_same(fast, slow, rtol=1e-9)
    ds = fast.data
    assert "price" in ds
    dy = list(ds["commodity"].values).index("dy_oxide")
    rel = ds["mean_price"].values / ds["base_price"].values[None]
    assert rel[:, 1, dy].max() > 1.05  # the licence moves the ex-China price


def test_numba_agrees_with_reference_with_quotas_and_bans() -> None:
    fast, slow = _both(toy_scenario(QUOTA_BAN))
    assert_same(fast, slow, rtol=1e-9)
    assert fast.data["shortfall_t"].values.sum() > 0


def test_numba_agrees_with_reference_with_recycling_stockpiles_and_safety_stocks() -> None:
    fast, slow = _both(toy_scenario(RESPONSES), network=toy_with_stockpile(5.0, 0.5))
    assert_same(fast, slow, rtol=1e-9)
    ds = fast.data
    assert ds["recycled_total"].values.sum() > 0.1
    assert ds["mean_stockpile_release"].values.sum() > 0.1
    assert ds["mean_demand_reduction"].values.max() > 0.0
    assert np.abs(ds["mean_safety_multiplier"].values - 1.0).max() > 1e-3


def test_numba_agrees_with_reference_on_base_with_projects() -> None:
    """A short base run: licences, projects that ramp and weighted orders (few draws, weeks)."""
    scen = sp.scenarios.load("licence-squeeze").with_options(
        draws=2, horizon_weeks=12, keep_trajectories=1, growth={"projects": "scheduled"})
    fast, slow = _both(scen)
    assert_same(fast, slow, rtol=1e-9)
    assert np.abs(fast.data["mean_capacity_added"].values).max() > 0.0


@pytest.mark.parametrize("chunk", [64, 128])
def test_numba_with_markets_does_not_depend_on_the_chunking(chunk: int) -> None:
    scen = toy_scenario(TOY_LICENCE, markets=True, draws=150, horizon_weeks=20,
                        keep_trajectories=70)
    assert_same(run(scen, chunk_size=chunk), run(scen, chunk_size=192))


def test_numba_with_markets_same_seed_same_results() -> None:
    scen = toy_scenario(QUOTA_BAN, draws=20)
    assert_same(run(scen, seed=3), run(scen, seed=3))


def test_numba_without_a_shock_keeps_prices_at_base() -> None:
    scen = toy_scenario("name: b\ndataset: toy\nhorizon_weeks: 104\ndraws: 20\nmarkets: true\n")
    res = run(scen)
    rel = res.data["mean_price"].values / res.data["base_price"].values[None]
    np.testing.assert_allclose(rel, 1.0, rtol=0, atol=1e-12)
    flows = run(scen.with_options(markets=False))
    for name in ("mean_exports", "mean_sector_stock", "mean_producer_stock", "lost_output_usd"):
        np.testing.assert_allclose(res.data[name].values, flows.data[name].values, rtol=1e-12,
                                   atol=1e-12, err_msg=name)
