"""The bundled world ``base-2010``: the starting state of the 2010 replay."""

from __future__ import annotations

import pandas as pd
import pytest

import spigot as sp
from spigot.network.schema import TABLE_ORDER, schema
from spigot.units import parse_unit

RE_CHAIN = {"re_concentrate", "re_concentrate_ionic", "la_oxide", "ce_oxide", "ndpr_oxide", "sm_oxide",
            "gd_oxide", "tb_oxide", "dy_oxide", "y_oxide", "other_ree_oxide", "ndpr_metal", "ndfeb_magnet"}
# REO-equivalent factors for comparing flows across bases (metal -> oxide; ~1/3 RE in a magnet)
REO = {"ndpr_metal": 1 / 0.857, "ndfeb_magnet": 0.33}


@pytest.fixture(scope="module")
def net() -> sp.SupplyNetwork:
    return sp.datasets.load("base-2010")


def _mining(net: sp.SupplyNetwork) -> pd.Series:
    nodes = net.nodes
    mines = nodes[nodes["stage"] == "mining"]
    return mines.groupby("region")["output"].sum()


def test_loads_from_the_package(net: sp.SupplyNetwork) -> None:
    assert "base-2010" in sp.datasets.names()
    assert net.name == "base-2010"
    meta = sp.datasets.describe("base-2010")
    assert meta["base_year"] == 2010
    assert meta["sources"]
    assert net.compile().base_year == 2010


@pytest.mark.parametrize("table", [t for t in TABLE_ORDER if t != "stockpiles"])
def test_every_row_has_provenance(net: sp.SupplyNetwork, table: str) -> None:
    frame = net.table(table)
    names = schema(table).names
    assert len(frame) > 0, table
    assert frame["source"].astype(str).str.strip().ne("").all(), f"{table}: row without source"
    if "confidence" in names:
        assert frame["confidence"].isin(["H", "M", "L"]).all(), f"{table}: confidence not H/M/L"
    if "year" in names and table not in ("controls", "production"):
        assert (frame["year"] == 2010).all(), f"{table}: figures not for 2010"
    if schema(table).unit_column is not None:
        assert None not in {parse_unit(u).basis for u in frame["unit"]}


def test_figures_outside_the_facts_are_marked(net: sp.SupplyNetwork) -> None:
    for table in ("nodes", "routes", "bom", "prices", "sectors", "production"):
        frame = net.table(table)
        low = frame[frame["confidence"] == "L"]
        marked = low["note"].astype(str).str.strip().ne("") | low["source"].str.contains(
            "derived|assumption|recalled", regex=True)
        assert marked.all(), f"{table}: low-confidence rows without a note"
        recalled = frame[frame["source"].str.contains("recalled")]
        assert (recalled["confidence"] == "L").all(), f"{table}: recalled figures must be confidence L"


def test_balances(net: sp.SupplyNetwork) -> None:
    balance = net.balance()
    bad = balance[~balance["ok"]]
    assert bad.empty, bad.to_string()


def test_rare_earth_chain_only(net: sp.SupplyNetwork) -> None:
    assert set(net.commodities["id"]) == RE_CHAIN
    prices = net.prices
    for commodity in RE_CHAIN:
        zones = set(prices.loc[prices["commodity"] == commodity, "zone"])
        assert zones == {"china", "ex_china"}, commodity
    assert (prices["price"] > 0).all()


def test_china_dominates_mining(net: sp.SupplyNetwork) -> None:
    mined = _mining(net)
    assert mined["CHN"] / mined.sum() > 0.9
    prod = net.production.set_index(["region", "year"])["value"]
    assert prod[("CHN", 2010)] / prod[("WLD", 2010)] > 0.95


def test_2010_structure(net: sp.SupplyNetwork) -> None:
    nodes = net.nodes.set_index("id")
    assert nodes.loc["mountain_pass", "status"] == "idle"
    assert nodes.loc["mountain_pass", "output"] == 0
    assert str(nodes.loc["mountain_pass", "start"]).startswith("2012")
    for lynas in ("lynas_mount_weld", "lynas_kuantan"):
        assert nodes.loc[lynas, "status"] == "planned"
        assert nodes.loc[lynas, "output"] == 0
    magnets = net.nodes[net.nodes["stage"] == "magnet"].groupby("region")["output"].sum()
    assert (magnets["CHN"] + magnets["JPN"]) / magnets.sum() > 0.95
    assert magnets.sort_values().index[-2] == "JPN"
    assert set(net.sectors["sector"]).isdisjoint({"batteries", "semiconductors", "carbide_tools"})


def test_japan_imports_from_china(net: sp.SupplyNetwork) -> None:
    """~20 kt from China in 2010 (Minister Ohata); Japan's 2010-11 market ~30 kt."""
    routes, nodes = net.routes, net.nodes.set_index("id")
    origin = routes["origin"].map(nodes["region"])
    dest = routes["destination"].map(lambda d: nodes["region"].get(d, d))
    reo = routes["volume"] * routes["commodity"].map(lambda c: REO.get(c, 1.0))
    from_china = reo[(origin == "CHN") & (dest == "JPN")].sum()
    into_japan = reo[(origin != "JPN") & (dest == "JPN")].sum()
    assert 15000 <= from_china <= 30000
    assert from_china / into_japan > 0.85


def test_controls_are_the_quota_era(net: sp.SupplyNetwork) -> None:
    controls = net.table("controls").set_index("id")
    assert controls.loc["cn_2010_re_quota", "parameter"] == pytest.approx(30258)
    assert controls.loc["cn_2010_jpn_re_halt", "destinations"] == "JPN"
    assert (controls["start"] < "2016").all()
