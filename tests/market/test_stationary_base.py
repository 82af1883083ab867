"""The bundled world is an equilibrium of the model's rules: with no measure and no growth input,
prices stay at base and nothing stops (issue 17, item 1); growth is an explicit input."""

from __future__ import annotations

import numpy as np
import pytest

import spigot as sp
from spigot.sim import simulate


@pytest.fixture(scope="module")
def baseline() -> sp.Results:
    # the issue's own check: spigot run baseline --draws 300 --weeks 520 (markets on)
    return simulate(sp.scenarios.load("baseline"), draws=300, weeks=520)


def test_no_policy_prices_stay_within_their_bands_in_both_zones(baseline: sp.Results) -> None:
    ds = baseline.data
    rel = ds["price"] / ds["base_price"]
    p50 = rel.sel(quantile=0.5).values
    p95 = rel.sel(quantile=0.95).values
    p5 = rel.sel(quantile=0.05).values
    assert np.abs(p50 - 1.0).max() <= 0.10
    assert np.abs(p95 - 1.0).max() <= 0.25
    assert np.abs(p5 - 1.0).max() <= 0.25


def test_no_policy_nothing_stops_in_any_draw(baseline: sp.Results) -> None:
    ds = baseline.data
    assert np.isnan(ds["first_stop_week"].values).all()
    assert float(ds["lost_output_usd"].values.max()) == pytest.approx(0.0, abs=1e-6)
    assert baseline.manifest["growth"] == {"projects": "none"}


def test_scheduled_projects_are_growth_that_moves_prices() -> None:
    # the announced projects, as an input, add capacity; without matching demand growth they
    # push the world off its base balance (which is why the built-in scenarios leave them out)
    scen = sp.scenarios.load("baseline").with_options(growth={"projects": "scheduled"})
    res = simulate(scen, draws=20, weeks=260)
    ds = res.data
    assert np.abs(ds["mean_capacity_added"].values).max() > 0.0
    rel = ds["mean_price"].values / ds["base_price"].values[None]
    assert np.abs(np.log(rel)).max() > np.log(1.1)
    assert res.manifest["growth"] == {"projects": "scheduled"}


def test_replays_keep_the_projects_history_brought() -> None:
    for name in sp.replays.replay_names():
        assert sp.replays.load_replay(name).growth.projects == "scheduled", name
