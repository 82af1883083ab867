"""The effective-amount curves of the calibration (docs/mitigation.md, "Calibration"): the
concave majorant, the curve through measured points, the inversion, and the program buying
through a curve exactly as the closed form evaluates it."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spigot as sp
from spigot.mitigation.curve import StockCurve, concave_majorant, invert
from spigot.mitigation.program import Option, evaluate, solve
from spigot.mitigation.sample import LossSample, loss_sample
from spigot.testing import run, toy_scenario
from tests.mitigation.toyban import BAN, toy_ban_sample


def toy_sample() -> LossSample:
    return toy_ban_sample(7)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0.1, 100.0), st.floats(0.0, 100.0)), min_size=1,
                max_size=8))
def test_the_concave_majorant_is_concave_and_above_every_point(
        points: list[tuple[float, float]]) -> None:
    x = np.array([0.0] + [p[0] for p in points])
    y = np.array([0.0] + [p[1] for p in points])
    hx, hy = concave_majorant(x, y)
    slopes = np.diff(hy) / np.diff(hx)
    assert np.all(np.diff(slopes) <= 1e-9 * (1 + np.abs(slopes[1:])))
    assert np.all(slopes >= -1e-12)
    curve = StockCurve(hx, hy) if len(hx) > 1 else None
    if curve is not None:  # above the (non-decreasing) points, through the highest
        top = np.maximum.accumulate(y[np.argsort(x, kind="stable")])
        assert np.all(curve(np.sort(x)) >= top - 1e-9 * (1 + top))


def test_a_curve_interpolates_its_points_and_extends_at_its_last_slope() -> None:
    c = StockCurve.through(np.array([10.0, 40.0, 20.0]), np.array([2.0, 30.0, 4.0]))
    np.testing.assert_array_equal(c.knots, [0.0, 10.0, 20.0, 40.0])
    np.testing.assert_array_equal(c.effective, [0.0, 2.0, 4.0, 30.0])
    assert float(c(15.0)) == pytest.approx(3.0)
    assert float(c(50.0)) == pytest.approx(30.0 + 1.3 * 10.0)
    # the LP's curve: the concave majorant (0 -> 40 in one chord here)
    k = c.concave()
    np.testing.assert_array_equal(k.knots, [0.0, 40.0])
    assert k.widths[-1] == np.inf
    # nothing measured: the identity
    ident = StockCurve.through(np.array([]), np.array([]))
    assert float(ident(7.0)) == 7.0


def test_invert_finds_the_smallest_amount_that_avoids_a_target() -> None:
    f = lambda e: 100.0 * min(e, 3.0)  # noqa: E731 - saturates at 300
    assert invert(f, 150.0, 10.0) == pytest.approx(1.5, rel=1e-5)
    assert invert(f, 0.0, 10.0) == 0.0
    assert invert(f, 500.0, 10.0) == 10.0  # never reached: the top


@pytest.mark.parametrize("share", [0.1, 0.45, 0.9])
def test_the_program_buys_through_a_concave_curve_as_the_closed_form_evaluates(
        share: float) -> None:
    s = toy_sample()
    cell = "USA/ndfeb_magnet"
    worst = float(s.shortfall_t[:, :, s.cells.index(cell)].sum(axis=1).max())
    pile = Option("pile", "strategic_stockpile", "t", worst, 3_000.0, {cell: 1.0})
    # concave: the first half of the stock counts in full, the rest at a third
    curve = StockCurve(np.array([0.0, worst / 2, worst]),
                       np.array([0.0, worst / 2, worst / 2 + worst / 6]))
    model = s.calibrated(np.ones(len(s.cells)), {"pile": curve})
    amounts = {"pile": share * worst}
    closed = evaluate(model, [pile], amounts)
    program = solve(model, [pile], fixed=amounts, weekly=True)
    np.testing.assert_allclose(closed.lost_usd, program.lost_usd, rtol=1e-6,
                               atol=1e-6 * float(s.total_lost_usd.max()))
    # and a curve below the identity predicts a larger loss than the identity
    plain = evaluate(s, [pile], amounts)
    assert closed.lost_usd_mean >= plain.lost_usd_mean
    if share > 0.5:
        assert closed.lost_usd_mean > plain.lost_usd_mean


def test_mitigate_calibrates_each_measure_on_the_fitted_draws() -> None:
    res = sp.mitigate(toy_scenario(BAN), "USA", draws=16, points=3, seed=4, refits=0,
                      marginal=False)
    fit = res.document()["fit"]
    assert fit["calibration_runs"] >= 4  # four amounts of at least one measure
    assert fit["curves"]
    for c in fit["curves"].values():
        assert c["amount"][0] == 0.0
        assert c["effective"][0] == 0.0
        assert np.all(np.diff(c["effective"]) >= 0)
    # every record is a portfolio the engine ran, credited to one of its measures
    for rec in fit["calibration"]:
        assert rec["credited_to"] in rec["amounts"]


@pytest.mark.parametrize("mode", ["budget", "cvar"])
def test_the_per_draw_program_has_the_weekly_programs_optimum(mode: str) -> None:
    """One valued cell per region: the per-draw closed form (draws x cells variables) and the
    week-by-week releases (draws x weeks x cells) find the same optimum, with and without a
    curve."""
    s = toy_sample()
    cell = "USA/ndfeb_magnet"
    worst = float(s.shortfall_t[:, :, s.cells.index(cell)].sum(axis=1).max())
    menu = [Option("pile", "strategic_stockpile", "t", worst, 3_000.0, {cell: 1.0}),
            Option("cover", "extra_cover", "week", 10.0, 0.5 * 3_000.0 * worst / 10.0,
                   {cell: worst / 20.0})]
    curve = StockCurve(np.array([0.0, worst / 3, worst]),
                       np.array([0.0, worst / 2, 0.6 * worst]))
    for model in (s, s.calibrated(np.ones(len(s.cells)), {"pile": curve})):
        zero = evaluate(model, menu, {})
        if mode == "budget":
            kw = {"budget_usd": 0.3 * worst * 3_000.0}
        else:
            best = solve(model, menu, objective="cvar")
            kw = {"cvar_cap_usd": 0.5 * (zero.lost_usd_cvar95 + best.lost_usd_cvar95),
                  "objective": "cost"}
        fast = solve(model, menu, **kw)  # type: ignore[arg-type]
        slow = solve(model, menu, weekly=True, **kw)  # type: ignore[arg-type]
        assert fast.variables < slow.variables
        scale = zero.lost_usd_mean
        if mode == "budget":
            assert fast.lost_usd_mean == pytest.approx(slow.lost_usd_mean, abs=1e-5 * scale)
        else:
            assert fast.cost_usd == pytest.approx(slow.cost_usd, rel=1e-5, abs=1e-3)


def test_p95_target_frontier_keeps_the_programs_cvar_under_each_cap() -> None:
    """The LP buys through the curves' concave majorants; the frontier's points, predicted
    through the curves themselves, still keep CVaR95 (so P95) under their caps. (The program's
    figures: :func:`sp.mitigate` then reports each point fitted to the engine, which may miss
    the cap; its verification says by how much.)"""
    from spigot.mitigation.calibrate import Calibrator, calibration_targets
    from spigot.mitigation.frontier import _frontier, _simulate_portfolio, default_menu, options_of
    from spigot.sim import simulate

    scen = toy_scenario(BAN)
    world = sp.datasets.load("toy")
    sample = loss_sample([run(scen, draws=16, seed=4, keep_trajectories=16)], world, ["USA"])
    menu = default_menu(sample, world)
    options = options_of(menu, world, float(sample.steps), scen.start)
    cal = Calibrator(sample, options, calibration_targets(sample, options), functools.partial(
        _simulate_portfolio, [scen], world, menu, draws=16, seed=4, members=("USA",),
        engine="numba", simulate=simulate))
    cal.start(None)
    factor, curves = cal.fit()
    assert curves
    fitted = sample.calibrated(factor, curves)
    top = evaluate(fitted, options, {}).lost_usd_p95
    target = 0.5 * top
    lp = {"variables": 0, "constraints": 0, "solve_seconds": 0.0, "solves": 0}
    points = _frontier(fitted, options, None, target, 4, lp)
    caps = np.linspace(top, target, 4)[1:]
    for point, cap in zip(points[1:], caps, strict=True):
        assert point.lost_usd_cvar95 <= cap * (1 + 1e-6)
        assert point.lost_usd_p95 <= cap * (1 + 1e-6)
    assert np.all(np.diff([p.cost_usd for p in points]) >= 0)


def test_calibrate_false_keeps_the_constant_value_abstraction() -> None:
    res = sp.mitigate(toy_scenario(BAN), "USA", draws=16, points=3, seed=4, refits=0,
                      marginal=False, calibrate=False)
    fit = res.document()["fit"]
    assert fit["curves"] == {}
    assert fit["calibration_runs"] == 0
    assert fit["calibration"] == []
