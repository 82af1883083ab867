"""Risk metrics on the bundled base dataset: the seeds' point and the published shares."""

from __future__ import annotations

import json

import pytest

import spigot as sp
from spigot.cli.app import main
from spigot.risk import chokepoints, eu_supply_risk, exposure, net_import_reliance

pytestmark = pytest.mark.skipif("base" not in sp.datasets.names(),
                                reason="the base dataset is not bundled yet")


@pytest.fixture(scope="module")
def base() -> sp.SupplyNetwork:
    return sp.datasets.load("base")


def test_rare_earth_chokepoint_is_downstream_of_mining(base: sp.SupplyNetwork) -> None:
    frame = chokepoints(base, "rare_earths")
    stages = set(frame["stage"])
    assert {"mining", "separation", "magnet"} <= stages
    mining = frame[frame["stage"] == "mining"].iloc[0]
    choke = frame[frame["chokepoint"]].iloc[0]
    assert mining["top_supplier"] == "CHN"
    assert 0.6 <= mining["top_share"] <= 0.8  # ~70 % of mine output (USGS)
    assert choke["stage"] != "mining"
    assert choke["top_supplier"] == "CHN"
    assert choke["top_share"] >= 0.9  # separation / magnets ~90 % and more
    assert choke["hhi_ratio_to_mining"] > 1.5


def test_rest_of_world_rows_do_not_count_as_a_supplier(base: sp.SupplyNetwork) -> None:
    frame = chokepoints(base, "rare_earths").set_index(["commodity", "stage"])
    stats = base.production
    sep = stats[(stats["commodity"] == "rare_earths") & (stats["stage"] == "separation")]
    latest = sep[sep["year"] == sep["year"].max()].set_index("region")["share"]
    assert set(latest.index) == {"CHN", "ROW"}  # the published form: China and the rest
    # ROW stands for many small producers: the HHI is China's share squared
    assert frame.loc[("rare_earths", "separation"), "hhi"] == pytest.approx(latest["CHN"] ** 2)


def test_cli_json_rare_earths(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["risk", "--commodity", "rare_earths", "--at", "2025-06-01", "-f", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["dataset"] == "base"
    chain = doc["chains"][0]
    flagged = [s for s in chain["stages"] if s["chokepoint"]]
    assert len(flagged) == 1
    assert flagged[0]["stage"] in {"separation", "magnet"}
    mining = [s for s in chain["stages"] if s["stage"] == "mining"]
    assert mining
    assert mining[0]["chokepoint"] is False


def test_usa_exposure_to_the_april_2025_licences(base: sp.SupplyNetwork) -> None:
    before = exposure(base, "USA", "dy_oxide", at="2025-04-03")
    after = exposure(base, "USA", "dy_oxide", at="2025-04-04")
    assert before["exposure_share"].iloc[0] == 0.0
    assert after["exposure_share"].iloc[0] > 0.5
    assert "cn_2025_no18_hree" in after["measures"].iloc[0]


def test_usa_gallium_ban_and_its_suspension(base: sp.SupplyNetwork) -> None:
    during = exposure(base, "USA", "gallium", at="2025-06-01")["measures"].iloc[0]
    after = exposure(base, "USA", "gallium", at="2025-12-01")["measures"].iloc[0]
    assert "cn_2024_no46_usa_ban" in during
    assert "cn_2024_no46_usa_ban" not in after
    assert "cn_2023_no23_ga_ge" in after


def test_usa_relies_on_imports_of_magnets(base: sp.SupplyNetwork) -> None:
    row = net_import_reliance(base, "USA", "ndfeb_magnet").iloc[0]
    assert row["nir"] > 0.8


def test_licence_raises_eu_supply_risk(base: sp.SupplyNetwork) -> None:
    before = eu_supply_risk(base, "gallium", at="2023-07-31")
    after = eu_supply_risk(base, "gallium", at="2023-08-01")
    assert after["sr"].iloc[0] > before["sr"].iloc[0]
    assert after["restricted_exporters"].iloc[0] == "CHN"
