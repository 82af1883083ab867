"""The exporter's objective, part by part, checked by hand on tiny cases."""

from __future__ import annotations

import numpy as np
import pytest

import spigot as sp
from spigot.scenarios import load_text
from spigot.strategy import Weights, objective_table
from spigot.strategy.importer import AnswerContext, stockpile_answer, use_of, with_answer
from spigot.strategy.objective import RunValues, WorldFacts, outcome, projects_usd_per_yr, run_values
from spigot.testing import run

#: China stops every export from the start: its cross-border revenue falls to zero.
FULL_BAN = """\
name: full-ban
dataset: toy
horizon_weeks: 40
markets: false
policies:
  - type: ExportBan
    id: ban
    exporter: CHN
    commodities: [ndfeb_magnet, ndpr_oxide, dy_oxide]
"""


def _values(harm: float, revenue: float, capacity: float, n: int = 3) -> RunValues:
    return RunValues(np.full(n, harm), np.full(n, revenue), np.full(n, capacity), {})


def test_the_score_adds_the_weighted_parts() -> None:
    w = Weights(harm_weight=0.1, revenue_weight=1.0, share_weight=2.0, share_pv_years=5.0)
    policy = _values(harm=1_000.0, revenue=300.0, capacity=10.0)
    without = _values(harm=100.0, revenue=520.0, capacity=0.0)
    o = outcome(policy, without, w, horizon_weeks=365.25 / 14)  # half a year
    assert o.harm_usd == pytest.approx([900.0] * 3)
    assert o.revenue_lost_usd == pytest.approx([220.0] * 3)
    assert o.share_lost_usd == pytest.approx([50.0] * 3)  # 10 USD/yr x 5 yr
    assert o.share_lost == pytest.approx([10.0 / (520.0 * 2)] * 3)  # over 1,040 USD/yr base revenue
    assert o.score_usd == pytest.approx([0.1 * 900 - 220 - 2.0 * 50] * 3)


def test_revenue_lost_by_a_full_ban_is_the_base_export_bill() -> None:
    world = sp.datasets.load("toy")
    facts = WorldFacts.of(world, "CHN", ("USA",))
    scen = load_text(FULL_BAN)
    ban = run_values(run(scen, draws=3, keep_trajectories=3), facts, Weights())
    free = run_values(run(scen.with_options(policies=[]), draws=3, keep_trajectories=3), facts,
                      Weights())
    # base flows out of China (t/yr) x ex-China prices (USD/t) over 40 weeks of the engine's
    # year of 365.25 / 7 weeks
    bill = (10 * 60_000 + 6 * 57_000 + 0.3 * 270_000) * 40 / (365.25 / 7)
    assert free.revenue_usd == pytest.approx([bill] * 3, rel=1e-9)
    assert ban.revenue_usd == pytest.approx([0.0] * 3, abs=1e-6)
    assert np.all(ban.harm_usd > 0)
    assert np.all(free.harm_usd == 0)
    assert np.all(ban.new_capacity_usd_per_yr == 0)  # no market phase: prices never move


def test_projects_come_forward_with_the_mean_price() -> None:
    facts = WorldFacts.of(sp.datasets.load("toy"), "CHN", ("USA",))
    assert facts.projects == (("ex_china", "ndfeb_magnet", 10.0),)  # magnet_usa, 10 t/yr planned
    base = np.array([[50_000.0], [60_000.0]])  # (zone, commodity) USD/t
    path = np.repeat(base[None], 4, axis=0)
    path[:, 1, 0] = [60_000.0, 90_000.0, 90_000.0, 120_000.0]  # ex-China mean 1.5 x base
    value = projects_usd_per_yr(path, base, ["china", "ex_china"], {"ndfeb_magnet": 0}, facts, 2.0)
    assert value == pytest.approx(10 * 60_000 * 0.5)  # half-way from 1 to the full price 2
    assert projects_usd_per_yr(path, base, ["china", "ex_china"], {"ndfeb_magnet": 0}, facts,
                               1.25) == pytest.approx(10 * 60_000)  # capped at the whole project


def test_the_importer_holds_the_newsvendor_quantile() -> None:
    world = sp.datasets.load("toy")
    used, v = use_of(world, "USA", "ndfeb_magnet")
    assert used == pytest.approx(7_500 * 2 / 1000)  # 7,500 vehicles x 2 kg
    assert v == pytest.approx(48_000 / 0.002)  # USD per vehicle / t per vehicle
    shortfall = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    (stock,) = stockpile_answer(AnswerContext(world, ("USA",), {"USA/ndfeb_magnet": shortfall,
                                                                "JPN/ndfeb_magnet": shortfall},
                                              40.0))
    h = 0.08 * 60_000 * 40 / 52  # bundled holding share x ex-China price, over 40 weeks
    assert stock.fractile == pytest.approx(1 - h / v)
    assert stock.tonnes == pytest.approx(4.0)  # the largest draw: P(S <= 4) = 1 >= fractile
    assert stock.holding_usd == pytest.approx(4.0 * h)
    assert stock.release_t_per_week == pytest.approx(used / 52)
    scen = with_answer(load_text(FULL_BAN), (stock,))
    added = [p for p in scen.policies if p.id == "answer_USA_ndfeb_magnet"]
    assert added
    assert added[0].stock_t == pytest.approx(4.0)


def test_every_prior_has_a_unit_and_a_source() -> None:
    table = objective_table()
    assert set(table["parameter"]) == {"harm_weight", "revenue_weight", "share_weight",
                                       "share_pv_years", "bring_forward_full_price"}
    assert table["unit"].str.len().gt(0).all()
    assert table["source"].str.len().gt(0).all()
    defaults = Weights()
    for row in table.itertuples():
        assert getattr(defaults, str(row.parameter)) == pytest.approx(row.value)
