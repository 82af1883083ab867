"""`spigot data import-baci` as a user runs it: import, validate, simulate; bad input exits 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.clikit import cli


def test_import_validate_and_run_baseline_on_2022(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    world = tmp_path / "w"
    code, out, err = cli(capsys, "data", "import-baci", "--year", "2022", str(world))
    assert code == 0, err
    assert f"wrote baci-2022 to {world}: routes of 15 commodities from BACI 2022" in out
    assert "trade partners that are not countries: 12" in out
    assert (world / "import_report.md").read_text(encoding="utf-8").startswith(
        "# Import report: BACI 2022")
    code, out, err = cli(capsys, "data", "validate", str(world))
    assert code == 0, err
    assert "valid" in out
    assert "balanced within 5 %" in out
    scenario = tmp_path / "baseline.yaml"
    scenario.write_text(f"name: baseline-baci-2022\ndataset: {world}\nstart: 2025-01-06\n"
                        "horizon_weeks: 26\nstep_weeks: 1\ndraws: 2\nseed: 0\npolicies: []\n",
                        encoding="utf-8")
    code, out, err = cli(capsys, "run", str(scenario), "--no-save", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["manifest"]["dataset"] == str(world)
    assert doc["summary"]["share_draws_with_stoppage"] == 0.0  # a baseline stays in balance
    assert doc["summary"]["max_abs_conservation_residual_t"] < 1e-6
    # a balanced world stays in balance: every median price stays at its base level
    for commodity, zones in doc["prices"].items():
        for zone, levels in zones.items():
            p50 = levels["p50"]
            assert max(abs(p / p50[0] - 1) for p in p50) < 0.01, (commodity, zone)


def test_json_output_is_the_report(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = cli(capsys, "data", "import-baci", "--year", "2024", str(tmp_path / "w"),
                         "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert {"path", "year", "template", "hs_map", "production", "commodities", "re_exports",
            "unmatched", "missing_partners", "no_quantity", "within_region", "unmapped_codes",
            "codes_without_rows", "aliases", "shares"} <= set(doc)
    assert doc["year"] == 2024
    assert doc["hs_map"] == "bundled"
    assert doc["shares"][0].keys() == {"hs6", "importer", "exporter", "world_t", "baci_t",
                                     "world_share", "baci_share", "diff_pp"}
    saved = json.loads((tmp_path / "w" / "import_report.json").read_text(encoding="utf-8"))
    assert saved["commodities"] == doc["commodities"]
    code, out, err = cli(capsys, "data", "import-baci", "--year", "2024", str(tmp_path / "c"),
                         "--format", "csv")
    assert code == 0, err
    assert out.splitlines()[0] == ("hs6,importer,exporter,world_t,baci_t,world_share,"
                                   "baci_share,diff_pp")


@pytest.mark.parametrize(("args", "expected"), [
    (["--year", "2017"], "field '--year': no data for this year: no bundled production table "
                         "covers it (World Mining Data starts in 2018): got 2017"),
    (["--year", "1990"], "did you mean 2018?"),
    ([], "Missing option '--year'"),
])
def test_bad_years_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str],
                          expected: str) -> None:
    code, out, err = cli(capsys, "data", "import-baci", *args, str(tmp_path / "w"))
    assert code == 2
    assert expected in err
    assert "Traceback" not in out + err
    assert not (tmp_path / "w").exists()


def test_bad_hs_map_exits_2_naming_file_line_and_field(capsys: pytest.CaptureFixture[str],
                                                       tmp_path: Path) -> None:
    path = tmp_path / "map.csv"
    path.write_text("hs6,commodity,factor,source\n261100,tungsten_concentrate,0.5,x\n"
                    "999999,graphite_natural,1,x\n", encoding="utf-8")
    code, out, err = cli(capsys, "data", "import-baci", "--year", "2022", "--hs-map", str(path),
                         str(tmp_path / "w"))
    assert code == 2
    assert f"{path}, line 3: field 'hs6': unknown HS code: got '999999'" in err
    assert "Traceback" not in out + err
    assert not (tmp_path / "w").exists()
    code, _, err = cli(capsys, "data", "import-baci", "--year", "2022", "--hs-map",
                       str(tmp_path / "nope.csv"), str(tmp_path / "w"))
    assert code == 2
    assert "no such file" in err


def test_a_non_empty_folder_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("x", encoding="utf-8")
    code, _, err = cli(capsys, "data", "import-baci", "--year", "2022", str(tmp_path))
    assert code == 2
    assert "folder is not empty" in err
    assert (tmp_path / "keep.txt").read_text(encoding="utf-8") == "x"
