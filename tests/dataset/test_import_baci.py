"""Worlds from BACI trade (issue #18, item 1): routes, shares, units, the report, bad input."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import spigot as sp
from spigot.datasets import baci
from spigot.datasets.trade_world import (
    _export_targets,
    _fit,
    _northwest,
    import_baci,
    import_shares,
)
from spigot.errors import DataError, InputError

#: A hand-made BACI year for tungsten concentrate (HS 261100; 0.5155 t W per t of product).
#: base's tungsten concentrate after each region serves itself (t W): exporters RUS 162.05 (1,500
#: mined - 1,337.95 converted by w_apt_rus), AUS 920, MMR 300.95 and ROW 2,499.05 (6,299.05 - the
#: 3,800 of w_apt_row); importers CHN 1,480.055 (w_apt_chn's 68,480.055 - 67,000 mined), EU_OTHER
#: 1,810 (w_apt_eur's 4,000 - the EU's 2,190 mined) and VNM 591.995 (w_apt_vnm's 3,991.995 - 3,400).
#: BACI codes: 643 RUS, 104 MMR, 36 AUS, 68 BOL and 646 RWA (ROW), 156 CHN, 344 HKG (counted in
#: CHN), 40 AUT (EU_OTHER), 704 VNM, 490 "Other Asia, nes" (not a country), 392 JPN, 842 USA.
TINY = [
    (2024, 643, 156, "261100", 10.0, 162.05),   # RUS -> CHN
    (2024, 104, 156, "261100", 10.0, 300.95),   # MMR -> CHN
    (2024, 68, 156, "261100", 10.0, 600.0),     # BOL -> CHN
    (2024, 68, 344, "261100", 10.0, 417.055),   # BOL -> HKG, i.e. CHN: ROW 1,017.055
    (2024, 646, 40, "261100", 10.0, 1481.995),  # RWA -> AUT: EU_OTHER from ROW
    (2024, 36, 40, "261100", 10.0, 328.005),    # AUS -> AUT
    (2024, 36, 704, "261100", 10.0, 591.995),   # AUS -> VNM
    (2024, 490, 156, "261100", 10.0, 777.0),    # not a country: reported, left out
    (2024, 392, 842, "261100", 10.0, 50.0),     # JPN -> USA: Japan mines no tungsten
    (2024, 68, 156, "261100", 5.0, None),       # value without tonnes: reported, left out
]


@pytest.fixture(scope="module")
def tiny() -> sp.datasets.trade_world.BaciWorld:
    return import_baci(2024, trade=pd.DataFrame(TINY, columns=list("tijkvq")))


def _routes(world: sp.datasets.trade_world.BaciWorld, commodity: str) -> dict[str, float]:
    r = world.network.routes
    block = r[(r["commodity"] == commodity) & (r["volume"] > 0)]
    return dict(zip(block["id"], block["volume"], strict=True))


def test_tiny_fixture_gives_hand_checked_routes(tiny: sp.datasets.trade_world.BaciWorld) -> None:
    # shares: each importer's BACI shares ask of every exporter exactly its supply, so no share
    # moves and the cross-border routes are the fixture's tonnes read as t W
    assert _routes(tiny, "tungsten_concentrate") == pytest.approx({
        "tungsten_concentrate__w_mine_chn__w_apt_chn": 67000.0,
        "tungsten_concentrate__w_mine_vnm__w_apt_vnm": 3400.0,
        "tungsten_concentrate__w_mine_row__w_apt_row": 3800.0,
        "tungsten_concentrate__w_mine_rus__w_apt_rus": 1337.95,
        "tungsten_concentrate__w_mine_eu__w_apt_eur": 2190.0,
        "tungsten_concentrate__w_mine_rus__w_apt_chn": 162.05,
        "tungsten_concentrate__w_mine_mmr__w_apt_chn": 300.95,
        "tungsten_concentrate__w_mine_row__w_apt_chn": 1017.055,
        "tungsten_concentrate__w_mine_row__w_apt_eur": 1481.995,
        "tungsten_concentrate__w_mine_aus__w_apt_eur": 328.005,
        "tungsten_concentrate__w_mine_aus__w_apt_vnm": 591.995,
    })
    info = next(c for c in tiny.report["commodities"] if c["commodity"] == "tungsten_concentrate")
    assert info["routes_from"] == "BACI"
    assert info["cross_border_t"] == pytest.approx(3882.05)
    assert max(abs(v) for v in info["share_shift_pp"].values()) < 1e-9
    assert tiny.network.balance()["ok"].all()


def test_tiny_fixture_shares_equal_baci_and_convert_units(
        tiny: sp.datasets.trade_world.BaciWorld) -> None:
    shares = pd.DataFrame(tiny.report["shares"])
    w = shares[shares["hs6"] == "261100"].set_index(["importer", "exporter"])
    assert w.loc[("CHN", "RUS"), "baci_share"] == pytest.approx(162.05 / 1480.055)
    assert w.loc[("CHN", "RUS"), "world_share"] == pytest.approx(162.05 / 1480.055)
    assert w.loc[("EU_OTHER", "ROW"), "world_share"] == pytest.approx(1481.995 / 1810)
    # routes are t W; the comparison turns them back into t of concentrate: 162.05 t W / 0.5155
    assert w.loc[("CHN", "RUS"), "world_t"] == pytest.approx(162.05 / 0.5155)
    assert w.loc[("CHN", "RUS"), "baci_t"] == pytest.approx(162.05)


def test_re_exports_and_missing_partners_are_reported(
        tiny: sp.datasets.trade_world.BaciWorld) -> None:
    report = tiny.report
    japan = [r for r in report["re_exports"] if r["side"] == "exporter" and r["region"] == "JPN"]
    assert len(japan) == 1
    assert japan[0]["tonnes_basis"] == pytest.approx(50 * 0.5155)  # t W
    assert japan[0]["partners"] == {"USA": pytest.approx(25.775)}
    assert "re-export" in japan[0]["why"]
    usa = [r for r in report["re_exports"] if r["side"] == "importer" and r["region"] == "USA"]
    assert usa
    assert "needs no imports" in usa[0]["why"]
    missing = report["missing_partners"]
    assert [(m["code"], m["name"], m["tonnes"]) for m in missing] == [
        ("490", "Other Asia, nes", 777.0)]
    assert report["no_quantity"] == [{"hs6": "261100", "rows": 1, "value_kusd": 5.0,
                                      "action": "left out (BACI gives a value but no tonnes)"}]
    kept = {c["commodity"]: c for c in report["commodities"]}
    assert kept["ce_oxide"]["routes_from"] == "template"  # the fixture has no 284610 rows
    assert "no BACI rows for HS 284610" in kept["ce_oxide"]["why"]
    assert {"partner": "HKG", "region": "CHN"}.items() <= report["aliases"][0].items()


def test_fit_shifts_every_importer_by_the_same_points() -> None:
    # X imports 60 (BACI: A 50 %, B 50 %), Y 40 (A 80 %, B 20 %); the shares ask A for 62 and
    # B for 38 but A has 72 and B 28: every importer's share of A rises by 10 points
    seed = pd.DataFrame([[5.0, 8.0], [5.0, 2.0]], index=["A", "B"], columns=["X", "Y"])
    flows, unmatched, shift = _fit(seed, pd.Series([72.0, 28.0], index=["A", "B"]),
                                   pd.Series([60.0, 40.0], index=["X", "Y"]), seed * 0)
    assert flows.to_numpy() == pytest.approx(np.array([[36.0, 36.0], [24.0, 4.0]]))
    assert shift == {"A": pytest.approx(10.0), "B": pytest.approx(-10.0)}
    assert unmatched == []


def test_fit_fills_an_importer_without_trade_from_the_template_and_says_so() -> None:
    seed = pd.DataFrame([[1.0, 0.0], [1.0, 0.0]], index=["A", "B"], columns=["X", "Y"])
    template = pd.DataFrame([[0.0, 3.0], [0.0, 1.0]], index=["A", "B"], columns=["X", "Y"])
    flows, unmatched, _ = _fit(seed, pd.Series([50.0, 30.0], index=["A", "B"]),
                               pd.Series([40.0, 40.0], index=["X", "Y"]), template)
    assert unmatched == [{"side": "importer", "region": "Y", "tonnes": 40.0,
                          "filled_from": "the template's routes"}]
    assert flows.sum(axis=1).to_numpy() == pytest.approx([50.0, 30.0])
    assert flows.sum(axis=0).to_numpy() == pytest.approx([40.0, 40.0])


def test_years_without_data_are_errors_naming_the_years() -> None:
    assert baci.available_years() == tuple(range(2018, 2025))
    with pytest.raises(InputError) as err:
        import_baci(2017)
    text = str(err.value)
    assert "2017" in text
    assert "World Mining Data starts in 2018" in text
    assert "did you mean 2018?" in text
    with pytest.raises(InputError, match=r"no trade for it.*did you mean 2024"):
        import_baci(2031)


def test_a_real_year_is_scaled_to_its_production(tmp_path: Path) -> None:
    world = import_baci(2022)
    factors = {p["group"]: p for p in world.report["production"]}
    re = factors["rare_earths"]
    assert re["factor"] == pytest.approx(re["world_t"] / re["template_world_t"])
    assert re["factor"] != pytest.approx(1.0)
    base = sp.datasets.load("base").nodes.set_index("id")["output"]
    nodes = world.network.nodes.set_index("id")
    assert nodes.loc["re_mine_chn", "output"] == pytest.approx(
        base["re_mine_chn"] * re["factor"], abs=1e-3)
    prod = world.network.production
    wld = prod[(prod["commodity"] == "rare_earths") & (prod["region"] == "WLD")]
    assert wld["year"].tolist() == [2022]
    assert wld["value"].iloc[0] == pytest.approx(re["world_t"])
    assert world.network.balance()["ok"].all()
    target = world.write(tmp_path / "w")
    assert {"import_report.json", "import_report.md", "dataset.yaml"} <= {
        p.name for p in target.iterdir()}
    assert sp.network.SupplyNetwork.from_folder(target).routes.shape == world.network.routes.shape


def test_writing_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                           tiny: sp.datasets.trade_world.BaciWorld) -> None:
    calls = {"n": 0}
    real = pd.DataFrame.to_csv

    def failing(self: pd.DataFrame, *args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt  # an interrupted run
        return real(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(pd.DataFrame, "to_csv", failing)
    with pytest.raises(KeyboardInterrupt):
        tiny.write(tmp_path / "world")
    assert list(tmp_path.iterdir()) == []  # no half-written world, no staging folder left


# ----------------------------------------------------------------------------- HS map files
def _map(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "map.csv"
    path.write_text(text, encoding="utf-8")
    return path


HEADER = "hs6,commodity,factor,source,note\n"


def test_hs_map_errors_name_file_line_field_and_suggest(tmp_path: Path) -> None:
    path = _map(tmp_path, HEADER + "261100,tungsten_concentrate,0.5,x,\n"
                "284691,ce_oxid,-1,,\n")
    with pytest.raises(DataError) as err:
        baci.read_hs_map(path, sp.datasets.load("base").commodities["id"])
    text = str(err.value)
    assert f"{path}, line 3: field 'hs6': unknown HS code: got '284691'" in text
    assert "did you mean one of '284690', '284610'?" in text
    assert "field 'commodity': unknown commodity: got 'ce_oxid'" in text
    assert "did you mean one of 'ce_oxide'" in text
    assert "field 'factor': bad conversion factor: got '-1'; expected a number > 0" in text
    assert "field 'source': no source" in text


@pytest.mark.parametrize(("text", "expected"), [
    ("hs6,commodity,source\n261100,tungsten_concentrate,x\n",
     "line 1: missing column(s) factor"),
    (HEADER + "261100,tungsten_concentrate,0.5\n", "line 2: 3 fields where the header has 5"),
    ("hs6,commodity,factr,source\n", "field 'factr': unknown column; expected columns hs6"),
    (HEADER, "no rows"),
    (HEADER + "261100,tungsten_concentrate,0.5,x,\n261100,tungsten_concentrate,0.5,x,\n",
     "line 3: field 'hs6': duplicate row"),
])
def test_malformed_hs_maps(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(DataError, match="is not a valid HS map") as err:
        baci.read_hs_map(_map(tmp_path, text), ["tungsten_concentrate"])
    assert expected in str(err.value)


def test_a_user_map_changes_the_basis_tonnes(tmp_path: Path) -> None:
    path = _map(tmp_path, HEADER + "261100,tungsten_concentrate,2.0,assumption: test,\n")
    world = import_baci(2024, hs_map=path, trade=pd.DataFrame(TINY, columns=list("tijkvq")))
    japan = next(r for r in world.report["re_exports"] if r["region"] == "JPN")
    assert japan["tonnes_basis"] == pytest.approx(100.0)  # 50 t of product x 2
    assert world.report["hs_map"] == str(path)
    assert {c["commodity"]: c["routes_from"] for c in world.report["commodities"]}[
        "ce_oxide"] == "template"
    assert "not in the HS map" in next(c["why"] for c in world.report["commodities"]
                                       if c["commodity"] == "ce_oxide")


# ----------------------------------------------------------------------------- comparison
def test_base_import_shares_against_baci_2024() -> None:
    table = import_shares(sp.datasets.load("base"), 2024)
    assert set(table.columns) == {"hs6", "importer", "exporter", "world_t", "baci_t",
                                  "world_share", "baci_share", "diff_pp"}
    india = table[(table["hs6"] == "284610") & (table["importer"] == "IND")].set_index("exporter")
    # base routes India's cerium from China as BACI's 2024 figure (378.8 t) and nothing else;
    # BACI's China is China (378.801 t) plus Hong Kong (0.6 t), as the regions table says
    assert india.loc["CHN", "world_t"] == pytest.approx(378.8)
    assert india.loc["CHN", "baci_t"] == pytest.approx(378.801 + 0.6)
    assert india.loc["CHN", "world_share"] == pytest.approx(1.0)
    assert india.loc["CHN", "diff_pp"] == pytest.approx(
        100 * (1 - india.loc["CHN", "baci_t"] / india["baci_t"].sum()))
    sums = table.groupby(["hs6", "importer"])[["world_share", "baci_share"]].sum()
    assert all(math.isclose(v, 1.0) or v == 0 for v in sums.to_numpy().ravel())


def test_exporters_with_own_use_share_the_exports_as_baci_asks() -> None:
    # A and B have sectors that use the commodity, C has none: C exports its 20 t whatever BACI
    # asks; A and B start from what BACI asks (20, 25) and give up the 5 t too many in
    # proportion (20:25)
    index = ["A", "B", "C"]
    target = _export_targets(pd.Series([30.0, 10.0, 20.0], index=index),
                             pd.Series([20.0, 25.0, 15.0], index=index),
                             pd.Series([50.0, 40.0, 20.0], index=index),
                             pd.Series([True, True, False], index=index), 60.0)
    assert target.to_dict() == pytest.approx({"A": 20 - 5 * 20 / 45, "B": 25 - 5 * 25 / 45,
                                              "C": 20.0})


def test_own_use_changes_are_in_the_bills_of_materials() -> None:
    world = import_baci(2024)
    graphite = next(c for c in world.report["commodities"]
                    if c["commodity"] == "graphite_natural")
    change = graphite["own_use"]["CHN"]
    assert change["factor"] != pytest.approx(1.0)
    base = sp.datasets.load("base")
    chn = set(base.sectors.loc[base.sectors["region"] == "CHN", "id"])

    def intensity(net: sp.network.SupplyNetwork) -> pd.Series:
        bom = net.bom
        rows = bom[bom["sector"].isin(chn) & (bom["commodity"] == "graphite_natural")]
        return rows.set_index("sector")["intensity"]

    assert (intensity(world.network) / intensity(base)).to_numpy() == pytest.approx(
        change["factor"])  # 2024 is the template's year: no production scaling on top
    assert world.network.balance()["ok"].all()


def test_flows_reach_nodes_by_the_north_west_corner_rule() -> None:
    # a ships 5, b ships 3; x needs 4, y needs 4: three routes, not four
    assert _northwest([("a", 5.0), ("b", 3.0)], [("x", 4.0), ("y", 4.0)]) == [
        ("a", "x", 4.0), ("a", "y", 1.0), ("b", "y", 3.0)]


def test_the_comparison_page_is_current() -> None:
    """docs/baci-comparison.md is what tools/gen_baci_comparison.py writes today."""
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, str(root / "tools" / "gen_baci_comparison.py"),
                           "--check"], cwd=root, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
