"""Risk by year and importer groups (issue 18, item 2): hand-checked cases.

* A group importer (``USA,JPN`` in the toy world): Japan's 5 t/yr of magnets to the USA are
  internal, so the group imports only China's 10 t/yr, against 15 t/yr for the USA alone.
* ``spigot risk --year Y``: the HHI of rare-earth mining is recomputed by hand from the bundled
  World Mining Data rows of the year, GeoPolRisk from the bundled WGI political stability of the
  year; both differ between 2021 and 2022, and so do the results.
* Which year each input comes from (``inputs``), and a year without data is exit 2 naming the
  input and its years.
"""

from __future__ import annotations

import csv
import json
from importlib import resources

import pandas as pd
import pytest

import spigot as sp
from spigot.cli.app import main
from spigot.errors import InputError, UnknownNameError
from spigot.risk import exposure, geopolrisk, import_sources, net_import_reliance
from spigot.risk._common import resolve_importer
from spigot.risk._flows import route_flows
from spigot.risk.by_year import year_world

INPUT_KEYS = {"year", "trade", "production", "wgi", "wgi_eu", "sources", "trade_from_template",
              "missing"}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def toy() -> sp.SupplyNetwork:
    return sp.datasets.load("toy")


def _ps(year: int) -> dict[str, float]:
    """The bundled WGI political stability of ``year``, read here without spigot's reader."""
    path = resources.files("spigot.risk") / "data" / "wgi_political_stability.csv"
    with path.open(encoding="utf-8") as fh:
        return {r["region"]: float(r["ps"]) for r in csv.DictReader(fh) if int(r["year"]) == year}


def _wmd_hhi(year: int, name: str = "Rare Earths (REO)") -> float:
    """HHI of WMD's country production of ``year`` over its world total, by hand (shares
    rescaled to sum to 1 where the countries add up to more than WMD's rounded total, as
    docs/metrics.md says)."""
    path = resources.files("spigot.datasets") / "trade" / "wmd_production_2018_2024.csv"
    with path.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["commodity"] == name and int(r["year"]) == year]
    total = sum(float(r["value"]) for r in rows if r["country"] == "Total")
    countries = [float(r["value"]) for r in rows if r["country"] != "Total"]
    total = max(total, sum(countries))
    return sum((v / total) ** 2 for v in countries)


# ----------------------------------------------------------------------------- groups
def test_group_importer_resolves(toy: sp.SupplyNetwork) -> None:
    assert resolve_importer(toy, "USA,JPN").members == ("USA", "JPN")
    assert resolve_importer(toy, "USA,JPN").label == "USA+JPN"
    assert resolve_importer(sp.datasets.load("base"), "EU27").members == (
        "DEU", "EST", "EU_OTHER", "FRA", "ITA")
    with pytest.raises(UnknownNameError, match="got 'XXX'"):
        resolve_importer(toy, "USA,XXX")
    with pytest.raises(InputError, match="distinct region ids"):
        resolve_importer(toy, "USA,USA")
    with pytest.raises(UnknownNameError, match="did you mean 'EU27'"):
        resolve_importer(sp.datasets.load("base"), "EU28")


def test_group_internal_flows_are_not_imports(toy: sp.SupplyNetwork) -> None:
    # magnets: CHN -> USA 10, JPN -> USA 5 (internal to USA+JPN), JPN -> JPN 15; JPN makes 20
    alone = net_import_reliance(toy, "USA", "ndfeb_magnet").iloc[0]
    assert alone["imports"] == pytest.approx(15)
    row = net_import_reliance(toy, "USA,JPN", "ndfeb_magnet").iloc[0]
    assert row["region"] == "USA+JPN"
    assert (row["production"], row["imports"], row["exports"]) == pytest.approx((20, 10, 0))
    assert row["nir"] == pytest.approx(10 / 30)
    src = import_sources(toy, "USA,JPN", "ndfeb_magnet")
    assert src[["origin", "volume"]].to_dict(orient="records") == [{"origin": "CHN",
                                                                     "volume": 10.0}]
    # the US mine's concentrate to China is an export of the group
    conc = net_import_reliance(toy, "USA,JPN", "re_concentrate").iloc[0]
    assert (conc["exports"], bool(conc["net_exporter"])) == (20, True)


def test_group_geopolrisk_by_hand(toy: sp.SupplyNetwork) -> None:
    # HHI of magnets (60 CHN, 20 JPN) = 0.625; WTA = g_CHN * 10 / (10 + 20): the 5 t from Japan
    # are neither imports nor in the denominator, Japan's 20 t are the group's own production
    g = (2.5 - _ps(2022)["CHN"]) / 5
    row = geopolrisk(toy, "USA,JPN", "ndfeb_magnet").iloc[0]
    assert (row["imports"], row["domestic_production"]) == pytest.approx((10, 20))
    assert row["hhi"] == pytest.approx(0.625)
    assert row["wta"] == pytest.approx(g * 10 / 30)
    assert row["geopolrisk"] == pytest.approx(0.625 * g * 10 / 30)


def test_group_exposure_binds_on_the_member_shipped_to(toy: sp.SupplyNetwork) -> None:
    def ban(destinations: str) -> pd.DataFrame:
        return pd.DataFrame([{"id": "ban", "exporter": "CHN", "commodities": "ndfeb_magnet",
                              "measure": "ban", "destinations": destinations,
                              "start": "2025-01-01", "end": "", "end_use": "all"}])

    to_usa = exposure(toy, "USA,JPN", "ndfeb_magnet", at="2025-06-01", controls=ban("USA"))
    row = to_usa.iloc[0]
    assert (row["supply"], row["imports"], row["exposed"]) == pytest.approx((30, 10, 10))
    to_jpn = exposure(toy, "USA,JPN", "ndfeb_magnet", at="2025-06-01", controls=ban("JPN"))
    assert to_jpn.iloc[0]["exposed"] == 0  # China ships no magnets to Japan


def test_cli_group_importer(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "risk", "-d", "toy", "--importer", "USA,JPN", "--commodity",
                       "rare_earths", "--at", "2025-06-01", "-f", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["importer"] == "USA+JPN"
    importer = doc["chains"][0]["importer"]
    assert importer["members"] == ["USA", "JPN"]
    nir = {r["commodity"]: r["nir"] for r in importer["net_import_reliance"]}
    assert nir["ndfeb_magnet"] == pytest.approx(1 / 3)


# ----------------------------------------------------------------------------- by year
@pytest.fixture(scope="module")
def year_docs() -> dict[int, dict]:
    from spigot.cli.risk import risk_document

    out = {}
    for year in (2021, 2022):
        world = year_world(year)
        out[year] = risk_document(world.network, "graphite", "USA", "2025-06-01", year,
                                  world=world)
    out[2022]["_rare_earths"] = risk_document(year_world(2022).network, "rare_earths", "EU27",
                                              "2025-06-01", 2022, world=year_world(2022))
    return out


def test_year_production_is_wmd_of_the_year(year_docs: dict[int, dict]) -> None:
    mining = {y: next(s for s in year_docs[y]["chains"][0]["stages"] if s["stage"] == "mining")
              for y in (2021, 2022)}
    for year in (2021, 2022):
        assert mining[year]["year"] == year
        assert mining[year]["hhi"] == pytest.approx(_wmd_hhi(year, "Graphite"))
    assert mining[2021]["hhi"] != pytest.approx(mining[2022]["hhi"], rel=1e-4)
    ree = year_docs[2022]["_rare_earths"]["chains"][0]["stages"]
    assert next(s for s in ree if s["stage"] == "mining")["hhi"] == pytest.approx(
        _wmd_hhi(2022))
    assert {s["year"] for s in ree} == {2022}


def test_year_geopolrisk_by_hand(year_docs: dict[int, dict]) -> None:
    # GeoPolRisk of US natural-graphite imports: HHI from WMD graphite of the year, imports by
    # origin from the year's world (BACI of the year), g from the WGI political stability of the
    # year; recomputed here from those pieces
    scores = {}
    for year in (2021, 2022):
        imp = year_docs[year]["chains"][0]["importer"]
        row = next(r for r in imp["geopolrisk"] if r["commodity"] == "graphite_natural")
        sources = [s for s in imp["import_sources"] if s["commodity"] == "graphite_natural"]
        ps = _ps(year)
        g = {s["origin"]: min(max((2.5 - ps[s["origin"]]) / 5, 0), 1) if s["origin"] in ps
             else 0.5 for s in sources}
        imports = sum(s["volume"] for s in sources)
        wta = sum(g[s["origin"]] * s["volume"] for s in sources) / (
            imports + row["domestic_production"])
        assert (row["year"], row["wgi_year"], row["trade_year"]) == (year, year, year)
        assert row["imports"] == pytest.approx(imports)
        assert row["hhi"] == pytest.approx(_wmd_hhi(year, "Graphite"))
        assert row["geopolrisk"] == pytest.approx(_wmd_hhi(year, "Graphite") * wta)
        scores[year] = row["geopolrisk"]
    assert _ps(2021)["CHN"] != _ps(2022)["CHN"]
    assert scores[2021] != pytest.approx(scores[2022], rel=1e-4)


def test_year_trade_is_the_imported_world_of_the_year(year_docs: dict[int, dict]) -> None:
    from spigot.datasets.trade_world import import_baci

    for year in (2021, 2022):
        flows = route_flows(import_baci(year).network)
        flows = flows[(flows["destination"] == "USA") & (flows["origin"] != "USA")
                      & (flows["commodity"] == "graphite_natural")]
        expected = flows.groupby("origin")["volume"].sum().to_dict()
        got = {s["origin"]: s["volume"] for s in
               year_docs[year]["chains"][0]["importer"]["import_sources"]
               if s["commodity"] == "graphite_natural"}
        assert got == pytest.approx(expected)
    sources = [{s["origin"]: round(s["share"], 4) for s in
                year_docs[y]["chains"][0]["importer"]["import_sources"]
                if s["commodity"] == "graphite_natural"} for y in (2021, 2022)]
    assert sources[0] != sources[1]


def test_year_inputs_say_which_year(year_docs: dict[int, dict]) -> None:
    doc = year_docs[2022]["_rare_earths"]
    inputs = doc["inputs"]
    assert set(inputs) == INPUT_KEYS
    assert (inputs["year"], inputs["trade"], inputs["production"], inputs["wgi"]) == (
        2022, 2022, 2022, 2022)
    assert inputs["wgi_eu"] == 2022
    missing = {(m["commodity"], m["stage"]): m["years_available"] for m in inputs["missing"]}
    assert missing[("rare_earths", "separation")] == [2023, 2024]
    assert missing[("dy_oxide", "separation")] == [2024]
    kept = {r["commodity"]: r["year"] for r in inputs["trade_from_template"]}
    assert kept["ndfeb_magnet"] == 2024  # magnets have no HS code in the extract
    assert "tungsten_apt" not in kept  # only the chains shown
    assert all(m["commodity"] not in ("graphite", "tungsten") for m in inputs["missing"])
    assert doc["importer"] == "EU27"
    importer = doc["chains"][0]["importer"]
    assert {r["trade_year"] for r in importer["import_sources"]
            if r["commodity"] == "ndpr_metal"} == {2022}
    assert {r["trade_year"] for r in importer["import_sources"]
            if r["commodity"] == "ndfeb_magnet"} == {2024}


def test_cli_year_json_and_default_inputs(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "risk", "--commodity", "rare_earths", "--importer", "EU27",
                       "--year", "2022", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert (doc["inputs"]["trade"], doc["inputs"]["production"], doc["inputs"]["wgi"]) == (
        2022, 2022, 2022)
    assert doc["importer"] == "EU27"
    assert all(s["year"] == 2022 for c in doc["chains"] for s in c["stages"])
    code, out, _ = run(capsys, "risk", "--commodity", "rare_earths", "-f", "json")
    doc = json.loads(out)
    assert doc["inputs"]["year"] is None
    assert doc["inputs"]["trade"] == 2024
    assert doc["inputs"]["wgi"] == 2022
    assert doc["inputs"]["production"] == sorted({s["year"] for s in
                                                  doc["chains"][0]["stages"]})
    code, out, _ = run(capsys, "risk", "--commodity", "rare_earths", "--year", "2022", "-f",
                       "csv")
    assert code == 0
    lines = out.splitlines()
    assert "inputs,,,,,trade,2022" in lines
    assert "inputs,,rare_earths,separation,,missing_production,2023;2024" in lines
    code, out, _ = run(capsys, "risk", "--commodity", "rare_earths", "--year", "2022")
    assert code == 0
    assert "Inputs (--year 2022)" in out
    assert "none of 2022" in out


@pytest.mark.parametrize(("year", "why"), [
    (2017, "no bundled production table covers it (World Mining Data starts in 2018)"),
    (2025, "the bundled BACI extract has no trade for it"),
])
def test_cli_year_without_data_is_exit_2(capsys: pytest.CaptureFixture[str], year: int,
                                         why: str) -> None:
    code, out, err = run(capsys, "risk", "--year", str(year), "-f", "json")
    assert code == 2
    assert f"field '--year': no data for this year: {why}: got {year}; expected a year from " \
           "2018 to 2024 (BACI trade 2017-2024, World Mining Data production 2018-2024)" in err
    assert json.loads(out)["error"]["exit_code"] == 2


def test_cli_year_needs_a_bundled_world(capsys: pytest.CaptureFixture[str],
                                        tmp_path: object) -> None:
    code, _, err = run(capsys, "risk", "--year", "2022", "-d", str(tmp_path))
    assert code == 2
    assert "field '--dataset': --year builds the world of that year from a bundled world" in err
