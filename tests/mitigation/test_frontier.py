"""The mitigation frontier (issue 19): monotone, its zero-cost point is the plain run, a larger
menu never does worse, and bad input exits 2 saying what and why. On the toy world (a magnet ban
on the USA of uncertain length), small draws."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import spigot as sp
from spigot.errors import InputError, UnknownNameError
from spigot.mitigation import InfeasibleTargetError, mitigate
from spigot.mitigation.program import Option, solve
from spigot.mitigation.sample import LossSample, holder_loss_by_draw, loss_sample
from spigot.testing import run, toy_scenario
from tests.clikit import cli

BAN = """
name: mit
dataset: toy
horizon_weeks: 30
draws: 32
policies:
  - {type: ExportBan, id: ban, exporter: CHN, commodities: [ndfeb_magnet], destinations: [USA],
     start: 2025-01-06, duration_weeks: {dist: uniform, low: 2, high: 24}}
"""
DRAWS, SEED = 32, 5


@pytest.fixture(scope="module")
def scen() -> sp.Scenario:
    return toy_scenario(BAN)


@pytest.fixture(scope="module")
def frontier(scen: sp.Scenario) -> sp.mitigation.MitigationResult:
    return mitigate(scen, "USA", draws=DRAWS, points=5, seed=SEED, refits=1)


@functools.cache
def toy_sample() -> LossSample:
    """The toy ban's loss sample (cached; not a fixture: hypothesis would print its repr)."""
    res = run(toy_scenario(BAN), draws=DRAWS, seed=SEED, keep_trajectories=DRAWS)
    return loss_sample([res], sp.datasets.load("toy"), ["USA"])


def test_the_frontier_is_monotone_cost_rises_risk_falls(
        frontier: sp.mitigation.MitigationResult) -> None:
    f = frontier.frontier
    assert len(f) == 5
    assert f["cost_usd"].iloc[0] == 0.0
    assert np.all(np.diff(f["cost_usd"]) > 0)
    assert np.all(np.diff(f["lost_usd_mean"]) <= 1e-6 * f["lost_usd_mean"].iloc[0])
    assert f["lost_usd_mean"].iloc[-1] < f["lost_usd_mean"].iloc[0]
    assert f["lost_usd_p95"].iloc[-1] <= f["lost_usd_p95"].iloc[0]
    # every point's portfolio costs what the frontier says
    for i in range(len(f)):
        assert frontier.portfolio(i)["cost_usd"].sum() == pytest.approx(f["cost_usd"].iloc[i])


def test_the_zero_cost_point_is_the_plain_run_exactly(
        frontier: sp.mitigation.MitigationResult, scen: sp.Scenario) -> None:
    plain = holder_loss_by_draw(run(scen, draws=DRAWS, seed=SEED), ["USA"])
    zero = frontier.points[0]
    assert frontier.portfolio(0).empty
    assert zero.cost_usd == 0.0
    np.testing.assert_array_equal(zero.lost_usd, plain)
    assert zero.lost_usd_mean == float(plain.mean())


def test_the_document_has_the_issue_keys(frontier: sp.mitigation.MitigationResult) -> None:
    doc = frontier.document()
    point = doc["frontier"][-1]
    assert {"cost_usd", "lost_usd_mean", "lost_usd_p95", "measures"} <= set(point)
    assert point["measures"]
    assert set(point["measures"][0]) == {"id", "kind", "amount", "unit", "cost_usd"}
    assert {"predicted_lost_usd_mean", "simulated_lost_usd_mean", "relative_error"} <= set(
        doc["verification"])
    # P95 verified as the mean is: the abstraction's P95 on the fresh draws against the engine's
    for p in doc["frontier"]:
        v = p["verification"]
        assert v["relative_error_p95"] == pytest.approx(
            (v["simulated_lost_usd_p95"] - v["predicted_lost_usd_p95"])
            / v["predicted_lost_usd_p95"])
    errors = [abs(p["verification"]["relative_error_p95"]) for p in doc["frontier"]]
    assert doc["verification"]["max_abs_relative_error_p95"] == max(errors)
    assert doc["verification"]["points_p95_within_10pct"] == sum(e <= 0.1 for e in errors)
    assert np.allclose(np.abs(frontier.frontier["relative_error_p95"]), errors)
    # the verification of point 0 compares the fresh draws' own run with itself
    assert doc["frontier"][0]["verification"]["relative_error"] == 0.0
    assert doc["marginal_values"]
    first = doc["marginal_values"][0]
    assert first["breakeven_cost_usd"] == first["avoided_lost_usd_mean"]


def _options(sample: LossSample, n: int) -> list[Option]:
    cell = sample.cells[0]
    worst = float(sample.shortfall_t[:, :, 0].sum(axis=1).max())
    return [Option(f"pile{i}", "strategic_stockpile", "t", worst * (i + 1) / n,
                   4_000.0 * (1 + i), {cell: 1.0}) for i in range(n)]


@settings(max_examples=6, deadline=None, phases=(Phase.explicit, Phase.generate))
@given(n=st.integers(1, 3), budget_share=st.floats(0.05, 1.0), target_share=st.floats(0.2, 0.9))
def test_adding_a_measure_never_makes_the_optimum_worse(
        n: int, budget_share: float, target_share: float) -> None:
    sample = toy_sample()
    menu = _options(sample, n + 1)
    smaller, larger = menu[:n], menu
    budget = budget_share * sum(o.max_amount * o.cost_per_unit for o in menu)
    a = solve(sample, smaller, budget_usd=budget)
    b = solve(sample, larger, budget_usd=budget)
    assert b.lost_usd_mean <= a.lost_usd_mean * (1 + 1e-6) + 1e-3
    # the cheapest portfolio under a CVaR cap costs no more with the larger menu
    best = solve(sample, smaller, objective="cvar")
    cap = best.lost_usd_cvar95 + target_share * (float(sample.total_lost_usd.max())
                                                 - best.lost_usd_cvar95)
    c = solve(sample, smaller, cvar_cap_usd=cap, objective="cost")
    d = solve(sample, larger, cvar_cap_usd=cap, objective="cost")
    assert d.cost_usd <= c.cost_usd * (1 + 1e-6) + 1e-3
    assert c.lost_usd_p95 <= cap * (1 + 1e-6)


def test_an_unknown_holder_is_an_input_error(scen: sp.Scenario) -> None:
    with pytest.raises(UnknownNameError, match="holder") as err:
        mitigate(scen, "ATLANTIS", draws=4, points=2)
    assert err.value.exit_code == 2


def test_an_infeasible_target_says_the_best_reachable_p95_and_its_cost(scen: sp.Scenario) -> None:
    with pytest.raises(InfeasibleTargetError, match="best portfolio") as err:
        mitigate(scen, "USA", draws=DRAWS, points=3, seed=SEED, target_p95_usd=0.0,
                 menu=sp.mitigation.load_menu_text(MENU.replace("tonnes: 400", "tonnes: 1")))
    text = str(err.value)
    assert "P95 is USD" in text
    assert "at a cost of USD" in text
    assert err.value.exit_code == 2


MENU = """
name: usa
dataset: toy
measures:
  - kind: strategic_stockpile
    id: usa_magnets
    holder: USA
    commodity: ndfeb_magnet
    tonnes: 400
    release_t_per_week: 40
    release_below_cover_weeks: 8
"""


def test_cli_bad_input_exits_2_with_a_message(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path, scen: sp.Scenario) -> None:
    scen_file = tmp_path / "mit.yaml"
    scen_file.write_text(BAN)
    bad = tmp_path / "menu.yaml"
    bad.write_text(MENU + "    holding_cost_share_per_year: -0.1\n")
    code, _, err = cli(capsys, "mitigate", str(scen_file), "--for", "USA", "--menu", str(bad),
                         "--draws", "4", "--points", "2", "--no-save")
    assert code == 2
    assert "holding_cost_share_per_year" in err
    assert "greater than or equal to 0" in err
    assert "Traceback" not in err
    code, _, err = cli(capsys, "mitigate", str(scen_file), "--for", "ATLANTIS", "--draws", "4",
                         "--points", "2", "--no-save")
    assert code == 2
    assert "ATLANTIS" in err
    code, _out, err = cli(capsys, "mitigate", str(scen_file), "--for", "USA", "--menu",
                         str(tmp_path / "menu1.yaml"), "--draws", "4", "--no-save")
    assert code == 2


def test_cli_json_is_pure_json_and_saved(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    scen_file = tmp_path / "mit.yaml"
    scen_file.write_text(BAN)
    menu = tmp_path / "menu.yaml"
    menu.write_text(MENU)
    code, out, err = cli(capsys, "mitigate", str(scen_file), "--for", "USA", "--menu", str(menu),
                         "--draws", "16", "--points", "3", "--seed", "2", "--format", "json",
                         "--store", str(tmp_path / "store"), "--quiet", "--verbose")
    assert code == 0, err
    doc = json.loads(out)
    assert [p["point"] for p in doc["frontier"]] == [0, 1, 2]
    assert doc["frontier"][-1]["measures"][0]["id"] == "usa_magnets"
    assert "LP:" in err
    assert "HiGHS" in err
    store = sp.store.RunStore(tmp_path / "store")
    info = store.info(doc["run_id"])
    assert info.kind == "mitigate"


def test_negative_numbers_are_refused(scen: sp.Scenario) -> None:
    with pytest.raises(InputError, match="budget"):
        mitigate(scen, "USA", draws=4, points=2, budget_usd=-1.0)


def test_a_portfolio_enters_the_engine_as_policies_and_cover_weeks(scen: sp.Scenario) -> None:
    from spigot.mitigation.frontier import _apply

    toy = sp.datasets.load("toy")
    menu = sp.mitigation.load_menu_text(MENU + """  - kind: extra_cover
    id: usa_auto_cover
    region: USA
    sector: automotive
    weeks: 26
""")
    new_scen, world = _apply(scen, toy, menu, {"usa_magnets": 12.5, "usa_auto_cover": 3.0})
    piles = [p for p in new_scen.policies if p.type == "StockpileRelease"]
    assert [(p.id, p.stock_t) for p in piles] == [("usa_magnets", 12.5)]
    # the trigger rises by the cover bought: automotive is the USA's only magnet user in toy
    assert piles[0].release_below_cover_weeks == pytest.approx(8.0 + 3.0)
    before = toy.sectors.set_index("id")["cover_weeks"]
    after = world.sectors.set_index("id")["cover_weeks"]
    assert after["USA.automotive"] == pytest.approx(before["USA.automotive"] + 3.0)
    assert (after.drop("USA.automotive") == before.drop("USA.automotive")).all()
    # nothing bought: the scenario and world unchanged
    same_scen, same_world = _apply(scen, toy, menu, {"usa_magnets": 0.0, "usa_auto_cover": 0.0})
    assert same_scen is scen
    assert same_world is toy


def test_the_cover_trigger_shift_weights_the_cover_by_each_sectors_use() -> None:
    """By hand on toy: CHN uses magnets in automotive (15,000 vehicles/yr x its kg) and wind
    (40 MW/yr x its kg); 2 weeks of automotive cover raise CHN's magnet cover by 2 weeks times
    automotive's share of the use; a sector that uses no magnets moves nothing."""
    from spigot.mitigation.frontier import cover_trigger_shift

    toy = sp.datasets.load("toy")
    bom = toy.bom.set_index(["sector", "commodity"])["intensity"]
    auto = 15_000.0 * float(bom["CHN.automotive", "ndfeb_magnet"])
    wind = 40.0 * float(bom["CHN.wind", "ndfeb_magnet"])
    assert auto > 0
    assert wind > 0
    assert cover_trigger_shift(toy, "CHN", "ndfeb_magnet", {"CHN.automotive": 2.0}) == \
        pytest.approx(2.0 * auto / (auto + wind))
    assert cover_trigger_shift(toy, "CHN", "ndfeb_magnet", {"USA.automotive": 5.0}) == 0.0
    assert cover_trigger_shift(toy, "USA", "dy_oxide", {"USA.automotive": 5.0}) == 0.0


@pytest.mark.parametrize("share", [0.0, 0.3, 1.0])
def test_the_closed_form_of_a_fixed_portfolio_equals_the_program(share: float) -> None:
    from spigot.mitigation.program import evaluate

    sample = toy_sample()
    menu = _options(sample, 2)
    amounts = {o.id: share * o.max_amount for o in menu}
    closed = evaluate(sample, menu, amounts)
    program = solve(sample, menu, fixed=amounts, weekly=True)
    assert closed.cost_usd == pytest.approx(program.cost_usd)
    np.testing.assert_allclose(closed.lost_usd, program.lost_usd, rtol=1e-6,
                               atol=1e-6 * float(sample.total_lost_usd.max()))


def test_the_default_frontier_stops_at_5pct_of_the_expected_loss() -> None:
    """Without a budget the top point is the cheapest portfolio leaving 5 % of the unmitigated
    expected loss (the stockpiles could avoid all of it: per-draw values)."""
    from spigot.mitigation.frontier import DEFAULT_TOP_RESIDUAL_SHARE, _frontier
    from spigot.mitigation.program import evaluate

    sample = toy_sample()
    options = _options(sample, 2)
    zero = evaluate(sample, options, {}).lost_usd_mean
    everything = evaluate(sample, options, {o.id: o.max_amount for o in options}).lost_usd_mean
    assert everything < 1e-6 * zero
    lp = {"variables": 0, "constraints": 0, "solve_seconds": 0.0, "solves": 0}
    points = _frontier(sample, options, None, None, 4, lp)
    assert points[-1].lost_usd_mean == pytest.approx(DEFAULT_TOP_RESIDUAL_SHARE * zero, rel=1e-3)
    assert points[-1].cost_usd < sum(o.cost_per_unit * o.max_amount for o in options)


def test_efficient_points_drop_what_another_point_beats() -> None:
    from spigot.mitigation.frontier import efficient_points

    # the flows-only frontier of session 16: costlier points predicted to lose more
    assert efficient_points([0, 90e6, 103e6, 181e6], [120e9, 105e9, 106e9, 107e9]) == [0, 1]
    # a monotone frontier keeps every point; a duplicate keeps the first
    assert efficient_points([0, 1, 2, 3], [4, 3, 2, 1]) == [0, 1, 2, 3]
    assert efficient_points([0, 5, 5], [9, 7, 7]) == [0, 1]
    # a cheaper later point with the same loss beats an earlier one; point 0 always stays
    assert efficient_points([0, 6, 5], [9, 7, 7]) == [0, 2]
    assert efficient_points([0, 1], [1, 5]) == [0]
    assert efficient_points([0], [3]) == [0]
