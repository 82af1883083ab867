"""The point fit of the weekly-flow measures (docs/mitigation.md, "Point fit"): a portfolio with
new capacity, recycling, substitution or offtake is run on the fitted draws and its prediction
fitted there; the fit's closed form is what the program finds with the amounts fixed. Toy
world, small draws."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import spigot as sp
from spigot.mitigation import check_menu, load_menu_text, mitigate
from spigot.mitigation.frontier import _simulate_portfolio
from spigot.mitigation.pointfit import MAX_POINT_SCALE, fit_point, predict, sizes
from spigot.mitigation.program import Option, evaluate
from spigot.mitigation.sample import LossSample, loss_sample
from spigot.sim import simulate
from spigot.testing import run, toy_scenario

BAN = """
name: mit-pointfit-flows
dataset: toy
horizon_weeks: 40
draws: 16
policies:
  - {type: ExportBan, id: ban, exporter: CHN, commodities: [ndfeb_magnet], destinations: [USA],
     start: 2025-01-06, duration_weeks: {dist: uniform, low: 4, high: 36}}
"""
MENU = """
name: flows
dataset: toy
measures:
  - {kind: strategic_stockpile, id: usa_magnets, holder: USA, commodity: ndfeb_magnet,
     tonnes: 400, release_t_per_week: 40, release_below_cover_weeks: 8}
  - {kind: recycling, id: usa_recycling, region: USA, commodity: ndfeb_magnet,
     tonnes_per_year: 400, lead_time_weeks: 2, ramp_weeks: 1, capex_usd_per_t_year: 1}
  - {kind: diversified_offtake, id: usa_offtake, region: USA, commodity: ndfeb_magnet,
     share: 0.2}
"""
CELL = "USA/ndfeb_magnet"


@functools.cache
def toy_sample() -> LossSample:
    res = run(toy_scenario(BAN), draws=16, seed=11, keep_trajectories=16)
    return loss_sample([res], sp.datasets.load("toy"), ["USA"])


def _options(sample: LossSample, scale: float = 1.0) -> list[Option]:
    """A stockpile and a flow starting in week 3, their supply times ``scale``."""
    worst = float(sample.shortfall_t[:, :, sample.cells.index(CELL)].sum(axis=1).max())
    rate = tuple(0.0 if t < 3 else scale * worst / 40 for t in range(40))
    return [Option("pile", "strategic_stockpile", "t", worst, 1_000.0, {CELL: scale}),
            Option("plant", "recycling", "t/yr", 1.0, 5_000.0, {}, rate_t_per_week={CELL: rate})]


@pytest.mark.parametrize("amounts", [{"plant": 0.3}, {"pile": 0.1, "plant": 0.2}])
def test_the_flows_closed_form_is_the_programs_optimum(amounts: dict[str, float]) -> None:
    """With the amounts fixed, the closed form a flow's point fit uses (flows in their week, the
    stock on what they leave short) gives the loss per draw that HiGHS finds."""
    sample = toy_sample()
    options = _options(sample)
    reference = sample.weights @ sizes(sample)
    lp = evaluate(sample, options, amounts)  # flows bought: the program with amounts fixed
    assert lp.variables > 0
    closed = predict(sample, options, amounts, (1.0 + 1e-12, 0.0), reference)
    assert closed.variables == 0
    np.testing.assert_allclose(closed.lost_usd, lp.lost_usd,
                               atol=1e-6 * float(sample.total_lost_usd.max()))
    assert lp.lost_usd_mean < float(sample.weights @ sample.total_lost_usd)


@pytest.mark.parametrize("scale", [0.6, 1.5])
def test_a_flows_point_fit_recovers_a_known_scale(scale: float) -> None:
    """A loss made by the program (HiGHS) with every supply times ``scale``: the point fit of a
    portfolio with a flow matches its mean to 0.1 % and its P95 at least as well as the scale."""
    sample = toy_sample()
    amounts = {"pile": 0.1, "plant": 0.2}
    reference = sample.weights @ sizes(sample)
    made = evaluate(sample, _options(sample, scale), amounts)
    fit = fit_point(sample, _options(sample), amounts, made.lost_usd, reference)
    got = predict(sample, _options(sample), amounts, fit, reference)
    assert got.lost_usd_mean == pytest.approx(made.lost_usd_mean, rel=1e-3)
    assert abs(got.lost_usd_p95 - made.lost_usd_p95) <= 1e-3 * made.lost_usd_p95 + 1e-6
    assert fit[1] == pytest.approx(0.0, abs=0.011) or got.lost_usd_p95 == pytest.approx(
        made.lost_usd_p95, rel=1e-3)


def test_a_flow_point_is_fitted_to_the_engine_on_the_fitted_draws() -> None:
    """The toy ban with a stockpile, recycling and offtake: every frontier point that buys a
    flow was run through the engine on the fitted draws (never the fresh ones), and its
    point-fitted prediction there has the engine's expected loss to 0.1 %."""
    scen = toy_scenario(BAN)
    world = sp.datasets.load("toy")
    menu = load_menu_text(MENU, "menu.yaml")
    check_menu(menu, world)
    res = mitigate(scen, "USA", menu=menu, draws=16, points=4, seed=4, refits=0,
                   marginal=False)
    flows = {o.id for o in res.options if o.rate_t_per_week}
    unmitigated = res.points[0].lost_usd_mean
    checked = 0
    for i, point in enumerate(res.points):
        if not any(point.amounts.get(m, 0.0) > 1e-6 for m in flows):
            continue
        bought = {m: a for m, a in point.amounts.items() if a > 1e-6}
        engine = _simulate_portfolio([scen], world, menu, bought, 16, 4, ("USA",), "numba",
                                     simulate)
        scale = res.fit["point_scales"][i]
        assert scale != 1.0
        if scale < MAX_POINT_SCALE * (1 - 1e-6):
            assert point.lost_usd_mean == pytest.approx(float(engine.mean()), rel=1e-3,
                                                        abs=1e-6 * unmitigated)
        checked += 1
    assert checked >= 1
    # the fit was made on the fitted draws: a fresh-draw run at the same portfolio differs
    assert res.verification[-1].simulated_lost_usd_mean != pytest.approx(res.points[-1].lost_usd_mean,
                                                          rel=1e-9)
