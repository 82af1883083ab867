"""New capacity, recycling, substitution and diversified offtake (issue 19, item 1): each acts in
the full engine as its parameters say, costs what the cost model says (checked by hand), can
only improve the program's optimum, and bad input exits 2. Toy world, small draws."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import spigot as sp
from spigot.errors import InputError
from spigot.mitigation import check_menu, load_menu_text
from spigot.mitigation.engine_levers import apply_levers, offtake_base
from spigot.mitigation.frontier import _apply, options_of
from spigot.mitigation.levers import capital_recovery_factor
from spigot.mitigation.program import Option, evaluate, solve
from spigot.mitigation.sample import LossSample, holder_loss_by_draw, loss_sample
from spigot.testing import run, toy_scenario
from tests.clikit import cli

START = dt.date(2025, 1, 6)
#: USA cut off from both its magnet suppliers for the whole run: its weekly shortfall is its
#: sectors' whole need once their cover is spent.
CUT_OFF = """
name: cut-off
dataset: toy
horizon_weeks: 40
draws: 4
policies:
  - {type: ExportBan, id: ban_chn, exporter: CHN, commodities: [ndfeb_magnet], destinations: [USA],
     start: 2025-01-06}
  - {type: ExportBan, id: ban_jpn, exporter: JPN, commodities: [ndfeb_magnet], destinations: [USA],
     start: 2025-01-06}
"""
BAN = """
name: mit
dataset: toy
horizon_weeks: 40
draws: 16
markets: true
policies:
  - {type: ExportBan, id: ban, exporter: CHN, commodities: [ndfeb_magnet], destinations: [USA],
     start: 2025-01-06, duration_weeks: {dist: uniform, low: 10, high: 36}}
"""
#: A longer ban for capacity: a magnet plant counts for sectors only 24 weeks after its start.
LONG_BAN = BAN.replace("horizon_weeks: 40", "horizon_weeks: 60").replace(
    "low: 10, high: 36", "low: 20, high: 50")
MENU = """
name: all-kinds
dataset: toy
measures:
  - {kind: new_capacity, id: usa_project, project: magnet_usa, lead_time_weeks: 4}
  - {kind: new_capacity, id: usa_plant, region: USA, commodity: ndfeb_magnet,
     tonnes_per_year: 10, lead_time_weeks: 4, ramp_weeks: 4}
  - {kind: recycling, id: usa_recycling, region: USA, commodity: ndfeb_magnet,
     tonnes_per_year: 5, lead_time_weeks: 6, ramp_weeks: 1}
  - {kind: substitution, id: usa_thrift, region: USA, sector: automotive,
     commodity: ndfeb_magnet, share: 0.5, lead_time_weeks: 0}
  - {kind: diversified_offtake, id: usa_offtake, region: USA, commodity: ndfeb_magnet,
     share: 0.5}
"""
#: Largest amount of each measure of MENU, in its unit.
FULL = {"usa_project": 1.0, "usa_plant": 10.0, "usa_recycling": 5.0, "usa_thrift": 0.5,
        "usa_offtake": 0.5}


@functools.cache
def toy() -> sp.SupplyNetwork:
    return sp.datasets.load("toy")


@functools.cache
def menu() -> sp.mitigation.Menu:
    m = load_menu_text(MENU, "menu.yaml")
    check_menu(m, toy())
    return m


def _measure(mid: str) -> object:
    return next(m for m in menu().measures if m.id == mid)


def _weekly_shortfall(res: sp.Results) -> np.ndarray:
    return np.asarray(res.data["mean_shortfall"].sel(rc="USA/ndfeb_magnet").values, dtype=float)


# ----------------------------------------------------------------------------- the engine


@pytest.mark.parametrize("mid", list(FULL))
def test_each_kind_lowers_the_holders_loss_in_the_engine(mid: str) -> None:
    """The full engine (markets on, mass conserved by spigot.testing.run) with one measure at
    its largest amount loses less of USA's output than without it, on average."""
    scen = toy_scenario(LONG_BAN)
    plain = holder_loss_by_draw(run(scen, draws=16, seed=3), ["USA"])
    amounts = dict.fromkeys(FULL, 0.0) | {mid: FULL[mid]}
    mitigated, world = _apply(scen, toy(), menu(), amounts)
    with_it = holder_loss_by_draw(run(mitigated, draws=16, seed=3, network=world), ["USA"])
    assert plain.mean() > 0
    assert with_it.mean() < 0.95 * plain.mean()


#: Market parameters under which a sector's need is its base need: no price-driven substitution,
#: no demand destruction, no price-driven recycling of magnets.
STILL = {"substitution_price_on": 999.0, "substitution_price_full": 1000.0,
         "demand_plan_floor": 1.0, "recycling_share:ndfeb_magnet": 0.0}
THRIFT = """
name: thrift
dataset: toy
measures:
  - {kind: substitution, id: thrift, region: USA, sector: automotive, commodity: ndfeb_magnet,
     share: 0.5, lead_time_weeks: 10}
"""


def _cut_off_still(engine: str = "numba") -> tuple[sp.Scenario, sp.Scenario]:
    scen = toy_scenario(CUT_OFF, markets=True, market={"overrides": STILL})
    thrift = load_menu_text(THRIFT)
    check_menu(thrift, toy())
    mitigated, world = _apply(scen, toy(), thrift, {"thrift": 0.5})
    assert world is toy()  # a substitution changes market parameters, not the world
    return scen, mitigated


def test_substitution_of_half_halves_the_sectors_need_after_its_lead_time() -> None:
    """Cut off from every supplier, USA's weekly shortfall is its sector's need once cover is
    spent; a thrift of half with a 10-week lead time leaves the first weeks bit for bit and
    halves the need from week 11 on (the market phase of week 10 sets week 11's intensity)."""
    scen, mitigated = _cut_off_still()
    plain = _weekly_shortfall(run(scen, draws=4, seed=1))
    half = _weekly_shortfall(run(mitigated, draws=4, seed=1))
    need = 7500 * 2 / 1000 / (365.25 / 7.0)  # vehicles x kg per vehicle / 1000, t per week
    np.testing.assert_array_equal(half[:11], plain[:11])
    late = slice(20, None)  # cover (4 weeks) and the pipeline spent
    np.testing.assert_allclose(plain[late], need, rtol=1e-6)
    np.testing.assert_allclose(half[late], 0.5 * need, rtol=1e-6)


def test_the_dated_thrift_is_the_same_in_both_engines() -> None:
    _, mitigated = _cut_off_still()
    a = run(mitigated, draws=2, seed=1, engine="numba")
    b = run(mitigated, draws=2, seed=1, engine="reference")
    for name in ("mean_shortfall", "lost_output_usd", "mean_demand_reduction"):
        np.testing.assert_allclose(a.data[name].values, b.data[name].values, rtol=1e-9,
                                   atol=1e-9)


def test_recycling_adds_its_capacity_from_the_lead_time_and_no_more() -> None:
    """A recycler of 5 t/yr with a 6-week lead time: no capacity before week 6, 5 t/yr from week 6
    on (ramp 1 week); USA's shortfall falls by at most 5 t/yr a week, and by something."""
    scen = toy_scenario(CUT_OFF, markets=True)
    plain = run(scen, draws=4, seed=1)
    world = apply_levers(toy(), [_measure("usa_recycling")], {"usa_recycling": 5.0}, START)  # type: ignore[list-item]
    res = run(scen, draws=4, seed=1, network=world)
    added = res.data["mean_capacity_added"].sel(node="usa_recycling").values
    per_week = 5.0 / (365.25 / 7.0)  # t/yr -> t per engine week
    assert np.all(added[:6] == 0.0)
    np.testing.assert_allclose(added[6:], per_week, rtol=1e-9)
    gain = _weekly_shortfall(plain) - _weekly_shortfall(res)
    assert np.all(gain[:6] <= 1e-9)
    # what it made before the sectors ran short is used later: bound the cumulative gain
    made = per_week * np.clip(np.arange(1, 41) - 6, 0, None)
    assert np.all(np.cumsum(gain) <= made * (1 + 1e-6) + 1e-9)
    assert gain.sum() > 0.5 * made[-1]  # most of it reaches USA's sectors


def test_a_committed_project_starts_at_its_lead_time_without_growth() -> None:
    """The toy's planned magnet plant (10 t/yr, ramp 26 weeks) committed with a 4-week lead
    time: no capacity before week 4, a linear ramp from week 4, although the scenario has no
    growth; the same world without the measure has none at all."""
    scen = toy_scenario(BAN)
    assert scen.growth.projects == "none"
    world = apply_levers(toy(), [_measure("usa_project")], {"usa_project": 1.0}, scen.start)  # type: ignore[list-item]
    assert world.nodes.set_index("id").loc["magnet_usa", "status"] == "committed"
    added = run(scen, draws=4, seed=2, network=world).data["mean_capacity_added"].sel(
        node="magnet_usa").values
    full = 10.0 / (365.25 / 7.0)
    assert np.all(added[:4] == 0.0)
    np.testing.assert_allclose(added[4:10], full * np.arange(1, 7) / 26.0, rtol=1e-9)
    plain = run(scen, draws=4, seed=2).data["mean_capacity_added"].sel(node="magnet_usa").values
    assert np.all(plain == 0.0)


def test_offtake_swaps_flows_and_keeps_every_balance() -> None:
    """Half of USA's 10 t/yr from China moves to Japan's plant, whose own market takes 5 t/yr
    from China instead: every node ships and every region receives what it did."""
    world = apply_levers(toy(), [_measure("usa_offtake")], {"usa_offtake": 0.5}, START)  # type: ignore[list-item]
    world.validate()
    before, after = toy().routes, world.routes

    def flow(r: object, origin: str, dest: str) -> float:
        rows = r[(r["origin"] == origin) & (r["destination"] == dest)]  # type: ignore[index]
        return float(rows["volume"].sum())

    assert flow(after, "magnet_chn", "USA") == pytest.approx(5.0)
    assert flow(after, "magnet_jpn", "USA") == pytest.approx(10.0)
    assert flow(after, "magnet_jpn", "JPN") == pytest.approx(10.0)
    assert flow(after, "magnet_chn", "JPN") == pytest.approx(5.0)
    for col in ("origin", "destination"):
        a, b = before.groupby(col)["volume"].sum(), after.groupby(col)["volume"].sum()
        assert set(a.index) == set(b.index)
        np.testing.assert_allclose(b[a.index].to_numpy(), a.to_numpy(), rtol=1e-12)
    assert offtake_base(world, "USA", "ndfeb_magnet")[0] == pytest.approx(5.0)


def test_nothing_bought_changes_nothing() -> None:
    world = toy()
    assert apply_levers(world, list(menu().measures), {}, START) is world  # type: ignore[arg-type]
    scen = toy_scenario(BAN)
    same_scen, same_world = _apply(scen, world, menu(), dict.fromkeys(FULL, 0.0))
    assert same_scen is scen
    assert same_world is world


# ----------------------------------------------------------------------------- costs


def test_costs_are_the_documented_formulas_checked_by_hand() -> None:
    """40 weeks; capital recovery 8 %/yr over 20 years (plants), 15 (recycling), 10 (R&D)."""
    weeks = 40.0
    years = weeks / 52.0
    opts = {o.id: o for o in options_of(menu(), toy(), weeks, START)}
    crf20 = 0.08 / (1 - 1.08 ** -20)
    assert capital_recovery_factor(0.08, 20) == pytest.approx(0.1018522)
    # the project: 10 t/yr, no prior for the toy's recipe or stage -> fallback 50,000 USD per
    # t/yr; made from week 4 + 24 weeks of magnet qualification, ramped over 26 weeks from week 4
    t = np.arange(40)
    ramp = np.clip((t - 4 + 1) / 26, 0, 1) * (t >= 28)
    delivered = float((ramp * 10 / 52).sum())
    project = opts["usa_project"]
    assert project.integer
    assert project.unit == "project"
    assert sum(project.rate_t_per_week["USA/ndfeb_magnet"]) == pytest.approx(delivered)
    price = 60_000.0  # toy ndfeb_magnet, ex_china, USD/t
    assert project.cost_per_unit == pytest.approx(50_000 * 10 * crf20 * years
                                                  + 0.2 * price * delivered)
    # recycling: 20,000 USD per t/yr (ndfeb_magnet prior), 30 % premium on what it recovers
    crf15 = 0.08 / (1 - 1.08 ** -15)
    recovered = float(((t >= 6) * 1 / 52).sum())  # per t/yr, ramp of one week
    rec = opts["usa_recycling"]
    assert sum(rec.rate_t_per_week["USA/ndfeb_magnet"]) == pytest.approx(recovered)
    assert rec.cost_per_unit == pytest.approx(20_000 * crf15 * years + 0.3 * price * recovered)
    # substitution: use 15 t/yr; R&D = 2 years of its value per unit share
    crf10 = 0.08 / (1 - 1.08 ** -10)
    sub = opts["usa_thrift"]
    assert sub.cost_per_unit == pytest.approx(2.0 * price * 15.0 * crf10 * years)
    assert sum(sub.rate_t_per_week["USA/ndfeb_magnet"]) == pytest.approx(15.0 / 52 * 40)
    # offtake: 10 t/yr from China; premium 13.6 % of the price per t moved
    off = opts["usa_offtake"]
    assert off.cost_per_unit == pytest.approx(0.136 * price * 10.0 / 52 * 40)


# ----------------------------------------------------------------------------- the program


@functools.cache
def toy_sample() -> LossSample:
    res = run(toy_scenario(BAN), draws=16, seed=5, keep_trajectories=16)
    return loss_sample([res], toy(), ["USA"])


def _lever_options(sample: LossSample) -> list[Option]:
    return [o for o in options_of(menu(), toy(), float(sample.steps), START)]


def test_a_flow_option_in_the_program_avoids_what_its_rate_allows() -> None:
    """Substitution of half the share, valued at the draw's value per t: the program's avoided
    loss equals the closed form (each week min of the rate and the shortfall, summed, times the
    draw's value per t, never more than the draw's loss)."""
    sample = toy_sample()
    sub = next(o for o in _lever_options(sample) if o.id == "usa_thrift")
    sol = evaluate(sample, [sub], {"usa_thrift": 0.5})
    k = sample.cells.index("USA/ndfeb_magnet")
    v = sample.value_per_t[k] * sample.draw_scale[:, 0]
    assert np.any(np.abs(sample.draw_scale[:, 0] - 1.0) > 1e-3)  # draws differ from the fit
    rate = 0.5 * np.asarray(sub.rate_t_per_week["USA/ndfeb_magnet"])[:sample.steps]
    lost = sample.lost_usd[:, :, 0].sum(axis=1)
    used = np.minimum(rate[None, :], sample.shortfall_t[:, :, k]).sum(axis=1)
    assert np.any(used > 0)
    np.testing.assert_allclose(sol.lost_usd, sample.total_lost_usd - np.minimum(v * used, lost),
                               rtol=1e-6, atol=1e-6 * float(sample.total_lost_usd.max()))


@settings(max_examples=6, deadline=None, phases=(Phase.explicit, Phase.generate))
@given(n=st.integers(0, 4), budget_share=st.floats(0.05, 1.0))
def test_adding_a_lever_never_makes_the_optimum_worse(n: int, budget_share: float) -> None:
    """A stockpile plus the first ``n`` levers, against the same plus one more: the larger menu's
    optimum loses no more under the same budget (MILP with the project's binary)."""
    sample = toy_sample()
    levers = _lever_options(sample)
    worst = float(sample.shortfall_t.sum(axis=1).max())
    pile = Option("pile", "strategic_stockpile", "t", worst, 8_000.0,
                  {"USA/ndfeb_magnet": 1.0})
    smaller, larger = [pile, *levers[:n]], [pile, *levers[:n + 1]]
    budget = budget_share * sum(o.max_amount * o.cost_per_unit for o in larger)
    a = solve(sample, smaller, budget_usd=budget)
    b = solve(sample, larger, budget_usd=budget)
    assert b.lost_usd_mean <= a.lost_usd_mean * (1 + 1e-6) + 1e-3
    assert b.cost_usd <= budget * (1 + 1e-6)
    x = b.amounts["usa_project"]  # the project is in every larger menu: built or not
    assert min(abs(x), abs(x - 1.0)) < 1e-6


def test_the_frontier_runs_every_kind_through_the_engine() -> None:
    from spigot.mitigation import mitigate

    result = mitigate(toy_scenario(BAN), "USA", menu=menu(), draws=8, points=3, seed=4,
                      refits=0, marginal=False)
    f = result.frontier
    assert f["cost_usd"].iloc[0] == 0.0
    assert f["lost_usd_mean"].iloc[-1] < f["lost_usd_mean"].iloc[0]
    assert f["simulated_lost_usd_mean"].iloc[-1] < f["simulated_lost_usd_mean"].iloc[0]
    kinds = {o.kind for o in result.options}
    assert kinds == {"new_capacity", "recycling", "substitution", "diversified_offtake"}


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(("line", "where", "field", "message"), [
    ("  - {kind: recycling, id: r, region: USA, commodity: ndfeb_magnet, tonnes_per_year: 5,\n"
     "     capex_usd_per_t_year: -1}", 5, "capex_usd_per_t_year", "greater than or equal to 0"),
    ("  - {kind: diversified_offtake, id: o, region: USA, commodity: ndfeb_magnet, share: 0.5,\n"
     "     premium_share: -0.1}", 5, "premium_share", "greater than or equal to 0"),
    ("  - {kind: substitution, id: s, region: USA, sector: automotive, commodity: ndfeb_magnet,\n"
     "     share: 1.5}", 5, "share", "less than or equal to 0.99"),
    ("  - {kind: new_capacity, id: p, region: USA}", 4, "measures[0]", "give either 'project'"),
])
def test_bad_numbers_name_the_line_and_field(line: str, where: int, field: str,
                                             message: str) -> None:
    text = "name: bad\ndataset: toy\nmeasures:\n" + line + "\n"
    with pytest.raises(InputError) as err:
        load_menu_text(text, "bad.yaml")
    assert err.value.exit_code == 2
    text_err = str(err.value)
    assert f"bad.yaml, line {where}:" in text_err
    assert field in text_err
    assert message in text_err


@pytest.mark.parametrize(("line", "wrong", "suggestion"), [
    ("{kind: new_capacity, id: p, project: magnet_uas}", "magnet_uas", "magnet_usa"),
    ("{kind: recycling, id: r, region: USB, commodity: ndfeb_magnet, tonnes_per_year: 1}", "USB",
     "USA"),
    ("{kind: substitution, id: s, region: USA, sector: automotiv, commodity: ndfeb_magnet, "
     "share: 0.2}", "automotiv", "automotive"),
    ("{kind: diversified_offtake, id: o, region: USA, commodity: ndfeb_magnt, share: 0.2}",
     "ndfeb_magnt", "ndfeb_magnet"),
])
def test_unknown_names_are_input_errors_with_a_suggestion(line: str, wrong: str,
                                                          suggestion: str) -> None:
    m = load_menu_text(f"name: bad\ndataset: toy\nmeasures:\n  - {line}\n", "bad.yaml")
    with pytest.raises(InputError) as err:
        check_menu(m, toy())
    assert err.value.exit_code == 2
    assert wrong in str(err.value)
    assert suggestion in str(err.value)
    assert "line 4" in str(err.value)


def test_a_sector_that_does_not_use_the_commodity_is_refused() -> None:
    m = load_menu_text("name: bad\ndataset: toy\nmeasures:\n  - {kind: substitution, id: s, "
                       "region: USA, sector: automotive, commodity: dy_oxide, share: 0.2}\n")
    with pytest.raises(InputError, match="does not use the commodity"):
        check_menu(m, toy())


def test_cli_a_negative_capex_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    scen_file = tmp_path / "mit.yaml"
    scen_file.write_text(BAN)
    bad = tmp_path / "menu.yaml"
    bad.write_text("name: bad\ndataset: toy\nmeasures:\n  - {kind: new_capacity, id: p, "
                   "project: magnet_usa, capex_usd: -5}\n")
    code, _, err = cli(capsys, "mitigate", str(scen_file), "--for", "USA", "--menu", str(bad),
                       "--draws", "4", "--points", "2", "--no-save")
    assert code == 2
    assert "capex_usd" in err
    assert "Traceback" not in err


def test_the_bundled_example_menu_fits_the_base_world() -> None:
    from importlib import resources

    text = (resources.files("spigot.mitigation") / "data" / "menu-usa-all-kinds.yaml").read_text(
        encoding="utf-8")
    m = load_menu_text(text, "menu-usa-all-kinds.yaml")
    base = sp.datasets.load("base")
    check_menu(m, base)
    kinds = {x.kind for x in m.measures}
    assert {"new_capacity", "recycling", "substitution", "diversified_offtake",
            "strategic_stockpile"} <= kinds
    opts = options_of(m, base, 104.0, START)
    assert all(o.cost_per_unit > 0 for o in opts)


def test_an_offtake_larger_than_other_regions_non_china_supply_is_refused() -> None:
    """USA imports 10 t/yr from China; Japan's plant ships 15 t/yr to Japan: a share above 1.5
    cannot be, and the check says the most it could be."""
    world = toy().add("routes", [{
        "id": "extra_chn_usa", "commodity": "ndfeb_magnet", "origin": "magnet_chn",
        "destination": "USA", "volume": 0.0, "unit": "t product/yr", "transit_weeks": 5,
        "year": 2024, "source": "test", "confidence": "L", "note": ""}])
    assert offtake_base(world, "USA", "ndfeb_magnet") == (10.0, 15.0)
    # the toy's share is at most 1 by the model; a region that imports more than others can give
    routes = world.tables["routes"]
    routes.loc[routes["id"] == "mag_chn_usa", "volume"] = 40.0
    routes.loc[routes["id"] == "mag_chn_chn", "volume"] = 20.0
    tables = world.tables
    tables["routes"] = routes
    bigger = sp.SupplyNetwork(tables, name="toy")
    m = load_menu_text("name: o\ndataset: toy\nmeasures:\n  - {kind: diversified_offtake, id: o, "
                       "region: USA, commodity: ndfeb_magnet, share: 0.5}\n")
    with pytest.raises(InputError, match=r"at most 0.375"):
        check_menu(m, bigger)
