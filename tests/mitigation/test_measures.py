"""Mitigation measures as data: the menu schema, the cost model on the toy world's prices, the
bundled cost priors, the StockpileRelease a stockpile becomes (and that it cuts the holder's
shortfall in the engine), and bad input as InputError."""

from __future__ import annotations

import pytest

import spigot as sp
from spigot.errors import InputError, UnknownNameError
from spigot.mitigation import (
    ExtraCover,
    StrategicStockpile,
    check_menu,
    load_menu_text,
    measure_cost,
    mitigation_table,
    shortfall_by_draw,
    with_stockpiles,
)
from spigot.testing import run, toy_scenario
from tests.policy.test_stockpile_release import BAN

MENU = """\
name: jpn-magnets
dataset: toy
measures:
  - kind: strategic_stockpile
    id: jpn_reserve
    holder: JPN
    commodity: ndfeb_magnet
    tonnes: 10
    release_t_per_week: 0.5
  - kind: extra_cover
    id: jpn_auto_cover
    region: JPN
    sector: automotive
    weeks: 4
    carrying_cost_share_per_year: 0.25
"""


@pytest.fixture(scope="module")
def toy() -> sp.SupplyNetwork:
    return sp.datasets.load("toy")


def test_costs_at_the_zone_price_with_the_bundled_priors(toy: sp.SupplyNetwork) -> None:
    menu = load_menu_text(MENU)
    check_menu(menu, toy)
    pile, cover = menu.measures
    assert isinstance(pile, StrategicStockpile)
    assert isinstance(cover, ExtraCover)
    c = measure_cost(pile, toy)  # JPN is ex_china: 60 USD/kg of magnet; prior 8 %/yr
    assert c.tonnes == {"ndfeb_magnet": 10.0}
    assert c.acquisition_usd == pytest.approx(600_000.0)
    assert c.holding_usd_per_year == pytest.approx(48_000.0)
    assert c.holding_usd_per_t_year["ndfeb_magnet"] == pytest.approx(4_800.0)
    assert c.holding_usd(26) == pytest.approx(24_000.0)
    k = measure_cost(cover, toy)  # 7,500 vehicles/yr x 2 kg, 4 weeks, at 25 %/yr
    t = 4 * 7_500 / 52 * 2 / 1000
    assert k.tonnes == {"ndfeb_magnet": pytest.approx(t)}
    assert k.holding_usd_per_year == pytest.approx(0.25 * t * 60_000)


def test_the_priors_table_is_documented() -> None:
    table = mitigation_table()
    assert set(table["kind"]) == {"strategic_stockpile", "extra_cover", "new_capacity", "recycling",
                                  "substitution", "diversified_offtake"}
    assert (table["value"] >= 0).all()
    assert table["source"].str.len().gt(0).all()
    assert set(table["confidence"]) <= {"H", "M", "L"}
    assumed = table[table["source"].str.contains("assumption")]
    assert assumed["note"].str.startswith("assumption").all()


def test_a_stockpile_becomes_a_stockpile_release_policy(toy: sp.SupplyNetwork) -> None:
    scen = with_stockpiles(toy_scenario(), load_menu_text(MENU))
    added = [p for p in scen.policies if p.id == "jpn_reserve"]
    assert len(added) == 1
    assert added[0].type == "StockpileRelease"
    assert (added[0].stock_t, added[0].release_t_per_week, added[0].release_below_cover_weeks) \
        == (10.0, 0.5, 4.0)
    assert len(scen.policies) == len(toy_scenario().policies) + 1


def test_a_negative_cost_names_the_line_and_field() -> None:
    text = MENU.replace("carrying_cost_share_per_year: 0.25", "carrying_cost_share_per_year: -0.1")
    with pytest.raises(InputError, match=r"line 15: field 'measures\[1\]\."
                       r"carrying_cost_share_per_year': .*greater than or equal to 0: got -0.1") as err:
        load_menu_text(text)
    assert err.value.exit_code == 2


def test_unknown_names_are_listed_with_a_suggestion(toy: sp.SupplyNetwork) -> None:
    text = MENU.replace("holder: JPN", "holder: JNP").replace("sector: automotive", "sector: auto")
    with pytest.raises(InputError) as err:
        check_menu(load_menu_text(text), toy)
    message = str(err.value)
    assert "line 6: field 'measures[0].holder': unknown region: got 'JNP'" in message
    assert "did you mean 'JPN'?" in message
    assert "field 'measures[1].sector': unknown sector: got 'auto'" in message
    assert err.value.exit_code == 2


def test_unknown_kind_and_commodity(toy: sp.SupplyNetwork) -> None:
    with pytest.raises(InputError, match=r"unknown kind.*strategic_stockpile"):
        load_menu_text(MENU.replace("kind: extra_cover", "kind: rationing"))  # no such kind
    pile = StrategicStockpile(kind="strategic_stockpile", id="x", holder="JPN",
                              commodity="ndfeb_magnets", tonnes=1, release_t_per_week=1)
    with pytest.raises(UnknownNameError, match="did you mean 'ndfeb_magnet'"):
        measure_cost(pile, toy)


def test_ids_must_be_unique() -> None:
    with pytest.raises(InputError, match="repeated: jpn_reserve"):
        load_menu_text(MENU.replace("id: jpn_auto_cover", "id: jpn_reserve"))


def test_a_menu_stockpile_runs_in_the_engine_and_cuts_the_holders_shortfall() -> None:
    ban = toy_scenario(BAN)  # magnets banned to the USA from 2025-01-06, 30 weeks
    menu = load_menu_text(MENU.replace("JPN", "USA").replace("release_t_per_week: 0.5",
                                                                  "release_t_per_week: 0.3"))
    without = shortfall_by_draw(run(ban, seed=1), "USA", "ndfeb_magnet")
    with_pile = shortfall_by_draw(run(with_stockpiles(ban, menu), seed=1), "USA", "ndfeb_magnet")
    assert without.mean() > 0
    assert with_pile.mean() < without.mean()
