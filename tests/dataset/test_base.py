"""The bundled world ``base``: provenance of every row, coverage, balance and size."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import spigot as sp
from spigot.cli.app import main
from spigot.network.schema import TABLE_ORDER, schema
from spigot.units import parse_unit

REQUIRED_COMMODITIES = {"re_concentrate", "ndpr_oxide", "dy_oxide", "tb_oxide", "ndfeb_magnet",
                        "tungsten_apt", "gallium", "germanium", "graphite_natural", "graphite_anode",
                        "antimony", "la_oxide", "ce_oxide", "sm_oxide", "gd_oxide", "y_oxide"}
REQUIRED_SECTORS = {"automotive", "wind", "defence", "electronics", "industrial_motors", "catalysts",
                    "glass_polishing", "phosphors", "semiconductors", "optics", "batteries",
                    "carbide_tools", "flame_retardants"}
CONSUMING_REGIONS = {"USA", "JPN", "KOR", "DEU", "FRA", "ITA", "IND", "VNM", "CHN", "EU_OTHER", "ROW"}
NAMED_FACILITIES = {
    "mountain_pass": "operating", "mp_mountain_pass_sep": "operating", "mp_independence": "planned",
    "mp_independence_metal": "planned", "lynas_kuantan_heavy": "planned",
    "lynas_mount_weld": "operating", "lynas_kuantan": "operating", "iluka_eneabba": "planned",
    "energy_fuels_white_mesa": "ramping", "solvay_la_rochelle": "planned", "neo_silmet": "operating",
    "neo_narva": "planned", "noveon": "operating", "vulcan_elements": "planned",
    "usa_rare_earth_stillwater": "planned", "niocorp_elk_creek": "planned",
    "white_mesa_monazite_feed": "ramping", "solvay_la_rochelle_feed": "planned",
    "iluka_eneabba_feed": "planned",
}
# The base dataset's own tables; controls.csv is maintained separately (export controls).
OWN_TABLES = [t for t in TABLE_ORDER if t != "controls"]


@pytest.fixture(scope="module")
def base() -> sp.SupplyNetwork:
    return sp.datasets.load("base")


def test_loads_from_the_package(base: sp.SupplyNetwork) -> None:
    assert "base" in sp.datasets.names()
    assert base.name == "base"
    meta = sp.datasets.describe("base")
    assert meta["base_year"] == 2024
    assert meta["balance_tolerance"] == {"relative": 0.05, "absolute_t_per_yr": 1.0}
    assert meta["sources"]


@pytest.mark.parametrize("table", OWN_TABLES)
def test_every_row_has_provenance(base: sp.SupplyNetwork, table: str) -> None:
    frame = base.table(table)
    names = schema(table).names
    assert len(frame) > 0
    assert frame["source"].astype(str).str.strip().ne("").all(), f"{table}: row without source"
    if "year" in names:
        assert frame["year"].notna().all(), f"{table}: row without year"
        assert frame["year"].between(2020, 2026).all()
    if "confidence" in names:
        assert frame["confidence"].isin(["H", "M", "L"]).all(), f"{table}: confidence not H/M/L"
    if schema(table).unit_column is not None:
        bases = {parse_unit(u).basis for u in frame["unit"]}
        assert None not in bases, f"{table}: unit without basis"


def test_derived_and_assumed_figures_say_so(base: sp.SupplyNetwork) -> None:
    for table in ("nodes", "routes", "bom", "prices", "stockpiles", "sectors"):
        frame = base.table(table)
        low = frame[frame["confidence"] == "L"]
        explained = low["note"].astype(str).str.strip().ne("") | low["source"].str.contains(
            "derived|assumption", regex=True)
        assert explained.all(), f"{table}: low-confidence rows without a note"


def test_required_ids_are_present(base: sp.SupplyNetwork) -> None:
    assert set(base.commodities["id"]) >= REQUIRED_COMMODITIES
    assert set(base.sectors["sector"]) >= REQUIRED_SECTORS
    regions = base.regions.set_index("id")
    assert set(regions.index) >= CONSUMING_REGIONS
    assert set(base.sectors["region"]) == CONSUMING_REGIONS
    assert regions.loc["EU_OTHER", "groups"] == "EU27"
    assert regions.loc["ROW", "members"] == "*"
    for code in ("DEU", "FRA", "ITA", "EST"):
        assert "EU27" in regions.loc[code, "groups"]
    assert (regions["zone"] == "china").sum() == 1
    assert regions.loc["CHN", "zone"] == "china"


def test_magnet_chain_stages_exist(base: sp.SupplyNetwork) -> None:
    stages = base.nodes.groupby("stage")["id"].count()
    for stage in ("mining", "separation", "refining", "metal", "magnet"):
        assert stages[stage] > 0
    recipes = base.recipes
    separation = recipes[recipes["recipe"].str.startswith("sep_")]
    for recipe, rows in separation.groupby("recipe"):
        out = rows[rows["role"] == "output"]["coefficient"].sum()
        assert out <= 1.0 + 1e-9, f"{recipe}: outputs exceed the REO fed"


def test_prices_for_every_commodity_in_both_zones(base: sp.SupplyNetwork) -> None:
    prices = base.prices
    for commodity in base.commodities["id"]:
        zones = set(prices.loc[prices["commodity"] == commodity, "zone"])
        assert zones == {"china", "ex_china"}, commodity
    assert (prices["price"] > 0).all()


def test_every_stage_balances(base: sp.SupplyNetwork) -> None:
    balance = base.balance()
    bad = balance[~balance["ok"]]
    assert bad.empty, bad.to_string()
    assert set(balance["kind"]) == {"node output", "node input", "region use"}


def test_world_supply_equals_world_use(base: sp.SupplyNetwork) -> None:
    nodes, recipes, routes = base.nodes, base.recipes, base.routes
    flows = nodes.merge(recipes, on="recipe")
    flows["t"] = flows["output"] * flows["coefficient"]
    made = flows[flows["role"] == "output"].groupby("commodity")["t"].sum()
    used_by_nodes = flows[flows["role"] == "input"].groupby("commodity")["t"].sum()
    use = base.bom.merge(base.sectors, left_on="sector", right_on="id")
    use["t"] = use["output"] * use["intensity"] / 1000
    final = use.groupby("commodity")["t"].sum()
    total_use = used_by_nodes.add(final, fill_value=0.0)
    assert made.index.equals(total_use.sort_index().index) or set(made.index) == set(total_use.index)
    pd.testing.assert_series_equal(made.sort_index(), total_use.sort_index(), rtol=0.01,
                                   check_names=False)
    idle = set(base.nodes.loc[base.nodes["output"] == 0, "id"])
    zero = routes[routes["volume"] == 0]
    assert (zero["origin"].isin(idle) | zero["destination"].isin(idle)).all()
    assert routes["volume"].ge(0).all()


def test_mining_shares_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["data", "show", "--commodity", "rare_earths", "--stage", "mining", "--format",
                 "json"])
    out, _ = capsys.readouterr()
    assert code == 0
    doc = json.loads(out)
    assert doc["dataset"] == "base"
    block = doc["blocks"][0]
    assert block["year"] == 2025
    rows = {r["region"]: r for r in block["rows"]}
    assert sum(r["share"] for r in block["rows"]) == pytest.approx(1.0, abs=1e-6)
    assert 0.65 <= rows["CHN"]["share"] <= 0.75
    assert all(r["source"] for r in block["rows"])


def test_production_statistics_cover_every_group(base: sp.SupplyNetwork) -> None:
    prod = base.production
    blocks = set(zip(prod["commodity"], prod["stage"], strict=True))
    for block in [("rare_earths", "mining"), ("tungsten", "mining"), ("gallium", "refining"),
                  ("graphite", "mining"), ("antimony", "mining"), ("germanium", "refining"),
                  ("rare_earths", "separation"), ("ndfeb_magnet", "magnet")]:
        assert block in blocks
    china_2024 = prod[(prod["commodity"] == "rare_earths") & (prod["stage"] == "mining")
                      & (prod["year"] == 2024)].set_index("region")["value"]
    assert china_2024["CHN"] / china_2024["WLD"] == pytest.approx(0.71, abs=0.01)


def test_named_facilities(base: sp.SupplyNetwork) -> None:
    nodes = base.nodes.set_index("id")
    for node, status in NAMED_FACILITIES.items():
        assert nodes.loc[node, "kind"] == "facility", node
        assert nodes.loc[node, "status"] == status, node
        if status in ("planned", "ramping"):
            assert str(nodes.loc[node, "start"]).strip(), f"{node}: planned without a start date"
    assert nodes.loc["mountain_pass", "output"] == pytest.approx(45500)
    assert (nodes.loc[nodes["status"] == "planned", "output"] == 0).all()


def test_new_separators_bring_their_own_feed(base: sp.SupplyNetwork) -> None:
    # a new separator fed from a mine that runs at capacity drains the existing separators
    # (docs/design.md, Data layer: new separators bring their own feed)
    nodes = base.nodes.set_index("id")
    routes = base.routes
    for sep, feed in [("energy_fuels_white_mesa", "white_mesa_monazite_feed"),
                      ("solvay_la_rochelle", "solvay_la_rochelle_feed"),
                      ("iluka_eneabba", "iluka_eneabba_feed")]:
        for col in ("capacity", "status", "start", "ramp_weeks"):
            assert nodes.loc[feed, col] == nodes.loc[sep, col], (feed, col)
        assert nodes.loc[feed, "output"] == 0
        into = routes[(routes["destination"] == sep) & (routes["commodity"] == "re_concentrate")]
        assert feed in set(into["origin"]), sep
        fixed = nodes.loc[into["origin"], "status"] == "operating"
        assert not fixed.any(), (sep, list(into["origin"][fixed.values]))
        out = routes[routes["origin"] == feed]
        assert list(out["destination"]) == [sep]


def test_lynas_heavy_concentrate_is_separated_in_china(base: sp.SupplyNetwork) -> None:
    # Lynas sold its mixed heavy (SEGH) concentrate to China for separation; booked as a final
    # use it left China short once Lynas's own heavy circuit kept it (docs/design.md, Data layer)
    nodes = base.nodes.set_index("id")
    routes = base.routes
    segh = routes[(routes["origin"] == "lynas_kuantan") & (routes["commodity"] == "other_ree_oxide")]
    assert set(segh["destination"]) == {"re_sep_chn_segh", "lynas_kuantan_heavy"}
    node = nodes.loc["re_sep_chn_segh"]
    assert (node["region"], node["stage"], node["recipe"]) == ("CHN", "separation", "sep_lynas_heavy")
    assert node["output"] == pytest.approx(segh["volume"].sum(), rel=1e-6)
    assert node["capacity"] >= node["output"]
    # appended after every other node: the engine samples project starts in node order
    assert base.nodes["id"].iloc[-1] == "re_sep_chn_segh"
    made = set(routes.loc[routes["origin"] == "re_sep_chn_segh", "commodity"])
    assert made == {"sm_oxide", "gd_oxide", "dy_oxide", "tb_oxide", "y_oxide"}


def test_india_has_a_second_ce_supplier_and_eneabba_a_second_ndpr_buyer(
        base: sp.SupplyNetwork) -> None:
    # with IREL its only Ce supplier and Japan Eneabba's only NdPr outlet, India's catalysts
    # stopped in years 4-5 of the no-policy run (docs/model.md, Known limits)
    routes = base.routes
    ce = routes[(routes["commodity"] == "ce_oxide") & (routes["destination"] == "IND")
                & (routes["volume"] > 0)]
    assert {"re_sep_ind", "re_sep_chn_light"} <= set(ce["origin"])
    ndpr = routes[(routes["origin"] == "iluka_eneabba") & (routes["commodity"] == "ndpr_oxide")]
    assert set(ndpr["destination"]) == {"met_jpn", "met_vnm"}


def test_defence_only_users_of_gallium_and_germanium_buy_outside_china(
        base: sp.SupplyNetwork) -> None:
    # China's Ga/Ge licences have denied military end use since Aug 2023, so in the 2024 base
    # year a region whose only use is defence did not buy from China (docs/data.md)
    region = dict(zip(base.nodes["id"], base.nodes["region"], strict=True))
    bom = base.bom.copy()
    bom["region"] = bom["sector"].str.split(".").str[0]
    bom["kind"] = bom["sector"].str.split(".").str[1]
    routes = base.routes[base.routes["volume"] > 0]
    checked = 0
    for c in ("gallium", "germanium"):
        uses = bom[(bom["commodity"] == c) & (bom["intensity"] > 0)]
        for reg, kinds in uses.groupby("region")["kind"]:
            if set(kinds) != {"defence"} or reg == "USA":
                continue
            into = routes[(routes["commodity"] == c) & (routes["destination"] == reg)]
            assert not into.empty, (c, reg)
            assert {region[o] for o in into["origin"]}.isdisjoint({"CHN"}), (c, reg)
            checked += 1
    assert checked >= 3  # FRA, ITA and IND for gallium


def test_engine_budget(base: sp.SupplyNetwork) -> None:
    compiled = base.compile()
    assert len(compiled.nodes) <= 110
    assert len(compiled.routes) <= 350
    assert len(compiled.sectors) <= 130
    assert compiled.base_year == 2024


def test_no_node_runs_above_capacity(base: sp.SupplyNetwork) -> None:
    nodes = base.nodes
    over = nodes[nodes["output"] > nodes["capacity"] * 1.0001]
    assert over.empty, over[["id", "output", "capacity"]].to_string()


def test_controls_have_provenance_and_iso_dates(base: sp.SupplyNetwork) -> None:
    controls = base.table("controls")
    assert len(controls) > 0
    assert controls["source"].astype(str).str.strip().ne("").all()
    assert controls["confidence"].isin(["H", "M", "L"]).all()
    iso = r"^\d{4}-\d{2}-\d{2}$"
    assert controls["start"].astype(str).str.match(iso).all()
    ends = controls["end"].astype(str)
    assert ends[ends != ""].str.match(iso).all()
    # the measures the replays and the exposure metric rely on are dated as announced
    by_id = controls.set_index("id")
    assert by_id.loc["cn_2025_no18_hree", "start"] == "2025-04-04"
    assert by_id.loc["cn_2023_no23_ga_ge", "start"] == "2023-08-01"
