"""`spigot risk` as a user runs it: exit codes, JSON keys, formats and messages."""

from __future__ import annotations

import json

import pytest

from spigot.cli.app import main

TOP_KEYS = {"dataset", "at", "importer", "commodity", "inputs", "chains", "units", "references"}
CHAIN_KEYS = {"chain", "members", "chokepoint", "stages", "eu_supply_risk"}
STAGE_KEYS = {"commodity", "stage", "year", "hhi", "hhi_points", "hhi_normalised", "cr1", "cr3",
              "n_producers", "top_supplier", "top_share", "coverage", "chokepoint",
              "hhi_ratio_to_mining", "hhi_difference_to_mining", "source"}
IMPORTER_KEYS = {"region", "members", "net_import_reliance", "import_sources", "exposure", "geopolrisk",
                 "usgs_published_nir"}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_keys_and_chokepoint(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "risk", "-d", "toy", "--commodity", "rare_earths",
                       "--at", "2025-06-01", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert set(doc) == TOP_KEYS
    assert doc["at"] == "2025-06-01"
    chain = doc["chains"][0]
    assert set(chain) == CHAIN_KEYS
    assert all(set(s) == STAGE_KEYS for s in chain["stages"])
    stages = {s["stage"]: s for s in chain["stages"]}
    assert list(stages) == ["mining", "separation", "magnet"]
    assert stages["separation"]["chokepoint"] is True
    assert stages["mining"]["chokepoint"] is False
    assert chain["chokepoint"]["stage"] == "separation"
    assert chain["chokepoint"]["mining_hhi"] == pytest.approx(26 / 36)


def test_json_with_importer(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "risk", "-d", "toy", "--importer", "USA", "--at", "2025-06-01",
                       "-f", "json")
    assert code == 0
    importer = json.loads(out)["chains"][0]["importer"]
    assert set(importer) == IMPORTER_KEYS
    nir = {r["commodity"]: r["nir"] for r in importer["net_import_reliance"]}
    assert nir["ndfeb_magnet"] == 1.0
    assert importer["usgs_published_nir"][0]["commodity"] == "rare_earths"


def test_table_and_csv(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "risk", "-d", "toy")
    assert code == 0
    assert "chokepoint" in out
    code, out, _ = run(capsys, "risk", "-d", "toy", "--importer", "USA", "--format", "csv")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "section,chain,commodity,stage,region,metric,value"
    assert any(line.startswith("exposure,") for line in lines)


def test_unknown_commodity_exits_2_with_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "risk", "-d", "toy", "--commodity", "rare_earth")
    assert code == 2
    assert out == ""
    assert "field '--commodity': unknown commodity: got 'rare_earth'" in err
    assert "did you mean 'rare_earths'?" in err
    assert "Traceback" not in err


def test_unknown_importer_exits_2_with_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "risk", "-d", "toy", "--importer", "UK")
    assert code == 2
    assert "field '--importer': unknown region: got 'UK'" in err
    # GBR is no region of the world either: say where the UK is counted (issue #18)
    assert "GBR (United Kingdom) is not a region of this dataset; it is counted in ROW" in err
    assert "did you mean 'GBR'" not in err


@pytest.mark.parametrize("bad", ["2025-13-01", "1/6/2025", "2025-06", "yesterday"])
def test_bad_date_exits_2(capsys: pytest.CaptureFixture[str], bad: str) -> None:
    code, _, err = run(capsys, "risk", "-d", "toy", "--at", bad)
    assert code == 2
    assert f"field '--at': invalid date: got {bad!r}; expected a date in the format YYYY-MM-DD" \
        in err


def test_bad_format_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(capsys, "risk", "-d", "toy", "--format", "xml")
    assert code == 2


REPRODUCE_ROW_KEYS = {"material", "stage", "bottleneck", "basis", "published_sr", "sr", "ratio",
                      "difference", "within_10pct", "hhi_wgi_t_gs", "hhi_wgi_t_eu",
                      "implied_hhi_gs", "implied_hhi_eu", "ir", "eol_rir", "si_sr",
                      "shares_from", "wgi_default", "wgi_default_share_gs",
                      "wgi_default_share_eu", "note"}


def test_reproduce_eu_2023_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "risk", "--reproduce", "eu-2023", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["reproduce"] == "eu-2023"
    assert doc["tolerance"] == 0.1
    assert all(set(r) == REPRODUCE_ROW_KEYS for r in doc["rows"])
    dy = next(r for r in doc["rows"] if (r["material"], r["stage"]) == ("Dysprosium",
                                                                         "processing"))
    assert dy["published_sr"] == 5.6
    assert dy["ratio"] == pytest.approx(dy["sr"] / 5.6)
    assert dy["within_10pct"] is True
    # GSonly: the back-calculated H_GS = 5.6 / (0.99 * 0.99), China 100 % at WGI 5.67
    assert dy["implied_hhi_gs"] == pytest.approx(5.6 / 0.99**2)
    assert dy["implied_hhi_eu"] is None
    assert doc["units"]["implied_hhi_eu"] == "0-10"
    assert doc["headline_rows"] == sum(r["bottleneck"] and r["ratio"] is not None
                                       for r in doc["rows"])


def test_reproduce_eu_2023_table_and_csv(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "risk", "--reproduce", "eu-2023")
    assert code == 0
    assert "published vs recomputed" in out
    assert "Dysprosium" in out
    code, out, _ = run(capsys, "risk", "--reproduce", "eu-2023", "-f", "csv")
    assert code == 0
    assert out.splitlines()[0].startswith("material,stage,bottleneck,basis,published_sr,sr,ratio")


def test_reproduce_unknown_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "risk", "--reproduce", "jrc-2017")
    assert code == 2
    assert "unknown published assessment" in err
    assert "eu-2023" in err
    assert "Traceback" not in out + err


def test_importer_rows_carry_their_unit(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "risk", "-d", "toy", "--importer", "USA", "--at", "2025-06-01",
                       "-f", "json")
    assert code == 0
    importer = json.loads(out)["chains"][0]["importer"]
    units = {r["commodity"]: r["unit"] for r in importer["import_sources"]}
    assert units["ndfeb_magnet"] == "t product/yr"
    for section in ("net_import_reliance", "exposure", "geopolrisk"):
        assert all(r["unit"].startswith("t ") for r in importer[section]), section
    gpr = importer["geopolrisk"][0]
    assert {"default_wgi_share", "default_wgi_partners", "wgi_year", "cf", "price"} <= set(gpr)
