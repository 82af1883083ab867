"""Export bands over all draws: ``cross_border_exports`` holds exact quantiles of every draw's
cross-border exports per commodity (not of the few kept trajectories)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from spigot.results.results import PRICE_QUANTILES
from spigot.sim.totals import quantiles_by_step as _quantiles_by_step
from spigot.testing import run, toy_scenario


def test_export_quantiles_cover_every_draw() -> None:
    draws = 70
    res = run(toy_scenario(draws=draws, horizon_weeks=20, keep_trajectories=draws))
    ds = res.data
    q = ds["cross_border_exports"]
    assert q.dims == ("time", "commodity", "quantile")
    assert q.attrs["units"] == "t/step"
    # every draw kept: rebuild each draw's cross-border exports per commodity from the
    # trajectories and take the quantiles directly
    traj = ds["traj_exports"]
    cross = (ds["route_exporter"] != ds["route_destination"]).values
    per_draw = traj.isel(route=np.flatnonzero(cross)).groupby(
        ds["route_commodity"].isel(route=np.flatnonzero(cross))).sum("route")
    expected = per_draw.quantile(list(PRICE_QUANTILES), dim="sample")
    for commodity in q["commodity"].values:
        got = q.sel(commodity=commodity).transpose("quantile", "time").values
        if commodity in expected["route_commodity"].values:
            want = expected.sel(route_commodity=commodity).transpose("quantile", "time").values
        else:
            want = np.zeros_like(got)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9, err_msg=str(commodity))
    spread = q.sel(quantile=0.95) - q.sel(quantile=0.05)
    assert float(spread.max()) > 0  # the draws differ: a real band


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 3), st.integers(1, 60), st.integers(1, 3), st.integers(0, 2**32 - 1),
       st.sampled_from(["normal", "ties", "zeros", "nan", "inf"]))
def test_compiled_quantiles_equal_numpy(steps: int, draws: int, commodities: int, seed: int,
                                        kind: str) -> None:
    """The engine's compiled quantiles over draws are numpy's (linear method) bit for bit,
    ties, NaN (the band is NaN) and infinities included."""
    rng = np.random.default_rng(seed)
    values = rng.lognormal(size=(steps, draws, commodities))
    if kind == "ties":
        values = np.round(values, 0)
    elif kind == "zeros":
        values[:, : draws // 2] = 0.0
    elif kind == "nan":
        values[0, rng.integers(draws), 0] = np.nan
    elif kind == "inf":
        values[-1, rng.integers(draws), -1] = np.inf
    with np.errstate(invalid="ignore"):  # numpy's lerp of inf with inf
        want = np.quantile(values, PRICE_QUANTILES, axis=1)
    got = _quantiles_by_step(values.copy())
    assert np.array_equal(got, want, equal_nan=True)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 400), st.integers(0, 2**32 - 1), st.floats(0.0, 0.5),
       st.sampled_from(["walk", "ties", "jumps", "nan"]))
def test_quantiles_of_slowly_moving_draws_equal_numpy(draws: int, seed: int, step: float,
                                                      kind: str) -> None:
    """Draws that move a little from step to step, with ties, a jump and a NaN step: numpy's
    quantiles bit for bit."""
    rng = np.random.default_rng(seed)
    steps = 40
    values = np.cumsum(rng.normal(0.0, step, size=(steps, draws, 2)), axis=0) + 10.0
    if kind == "ties":
        values = np.round(values, 1)
    elif kind == "jumps":
        values[steps // 2:] += rng.normal(0.0, 5.0, size=(1, draws, 2))
    elif kind == "nan":
        values[steps // 3, rng.integers(draws), 1] = np.nan
    want = np.quantile(values, PRICE_QUANTILES, axis=1)
    got = _quantiles_by_step(values.copy())
    assert np.array_equal(got, want, equal_nan=True)
