"""`spigot run`, `spigot validate` and `spigot scenario ...` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spigot.testing import TOY_LICENCE
from tests.clikit import cli

#: The documented top-level keys of `spigot run --format json` (docs/cli.md): an interface.
RUN_KEYS = {"schema", "manifest", "summary", "sectors", "shortfall", "exports", "licences",
            "prices", "spread", "responses"}
SUMMARY_KEYS = {"draws", "weeks", "share_draws_with_stoppage", "lost_output_usd_mean",
                "lost_output_usd_p5", "lost_output_usd_p50", "lost_output_usd_p95",
                "max_abs_conservation_residual_t"}
SECTOR_KEYS = {"region", "sector", "id", "share_stopped", "first_stop_week_mean",
               "first_stop_week_p5", "first_stop_week_p50", "first_stop_week_p95",
               "first_stop_date", "stopped_weeks_mean", "lost_usd_mean", "lost_usd_p5",
               "lost_usd_p50", "lost_usd_p95", "lost_units_mean", "lost_units_p5",
               "lost_units_p50", "lost_units_p95"}
LICENCE_KEYS = {"route", "exporter", "commodity", "destination", "applied_t", "applications",
                "approved_t", "denied_t", "approval_share", "queue_t_mean", "in_review_t_mean",
                "mean_wait_weeks"}
MANIFEST_KEYS = {"spigot_version", "scenario", "scenario_hash", "dataset", "dataset_hash", "seed",
                 "draws", "weeks", "steps", "step_weeks", "start", "engine", "markets", "growth",
                 "block_size", "chunk_draws", "keep_trajectories", "timings_s"}


@pytest.fixture
def toy_file(tmp_path: Path) -> Path:
    path = tmp_path / "toy-licence.yaml"
    path.write_text(TOY_LICENCE + "markets: false\n", encoding="utf-8")  # flows: both engines
    return path


def test_run_json_has_the_documented_keys(capsys: pytest.CaptureFixture[str],
                                          toy_file: Path) -> None:
    code, out, _ = cli(capsys, "run", str(toy_file), "--draws", "6", "--weeks", "30",
                       "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert set(doc) == RUN_KEYS
    assert doc["schema"] == "spigot.run/1"
    assert set(doc["summary"]) == SUMMARY_KEYS
    assert set(doc["manifest"]) == MANIFEST_KEYS
    assert set(doc["sectors"][0]) == SECTOR_KEYS
    assert set(doc["licences"][0]) == LICENCE_KEYS
    assert set(doc["shortfall"][0]) == {"region", "commodity", "shortfall_t_mean",
                                        "shortfall_t_p5", "shortfall_t_p50", "shortfall_t_p95"}
    assert set(doc["exports"][0]) == {"exporter", "commodity", "destination", "exports_t",
                                      "held_back_t"}
    assert doc["manifest"]["draws"] == 6
    assert doc["manifest"]["weeks"] == 30
    assert doc["summary"]["max_abs_conservation_residual_t"] < 1e-6


def test_run_table_csv_and_reference_engine(capsys: pytest.CaptureFixture[str],
                                            toy_file: Path) -> None:
    code, out, _ = cli(capsys, "run", str(toy_file), "-n", "4", "-w", "20", "--no-save")
    assert code == 0
    assert "toy-licence on toy: 4 draws x 20 weeks" in out
    assert "Licences" in out
    code, out, _ = cli(capsys, "run", str(toy_file), "-n", "3", "-w", "20", "--format", "csv", "--no-save")
    assert code == 0
    assert out.splitlines()[0].startswith("region,sector,id,share_stopped")
    code, ref, _ = cli(capsys, "run", str(toy_file), "-n", "2", "-w", "12", "--engine",
                       "reference", "--format", "json", "--seed", "5", "--no-save")
    code2, fast, _ = cli(capsys, "run", str(toy_file), "-n", "2", "-w", "12", "--format", "json",
                         "--seed", "5", "--no-save")
    assert code == code2 == 0
    a, b = json.loads(ref), json.loads(fast)
    assert a["manifest"]["engine"] == "reference"
    assert a["summary"]["lost_output_usd_mean"] == pytest.approx(
        b["summary"]["lost_output_usd_mean"], rel=1e-9)


def test_run_unknown_scenario_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "run", "licence-squeez")
    assert code == 2
    assert "unknown scenario: got 'licence-squeez'" in err
    assert "did you mean 'licence-squeeze'?" in err
    assert "Traceback" not in err


def test_run_bad_engine_and_option_exit_2(capsys: pytest.CaptureFixture[str],
                                          toy_file: Path) -> None:
    code, _, err = cli(capsys, "run", str(toy_file), "--engine", "cuda")
    assert code == 2
    assert "unknown engine: got 'cuda'" in err
    code, _, err = cli(capsys, "run", str(toy_file), "--draws", "0")
    assert code == 2


def test_validate_good_and_bad_files(capsys: pytest.CaptureFixture[str], toy_file: Path,
                                     tmp_path: Path) -> None:
    code, out, _ = cli(capsys, "validate", str(toy_file))
    assert code == 0
    assert "valid scenario 'toy-licence' (4 policies on dataset 'toy'; 2 licensed routes)" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ndataset: toy\nhorizon_weeks: 0\npolicies:\n"
                   "  - type: ExportBan\n    id: b\n    exporter: CHN\n"
                   "    commodities: [magnets]\n", encoding="utf-8")
    code, _, err = cli(capsys, "validate", str(bad))
    assert code == 2
    assert f"{bad}, line 3: field 'horizon_weeks': Input should be greater than or equal to 1" \
        in err
    bad.write_text("name: bad\ndataset: toy\npolicies:\n  - type: ExportBan\n    id: b\n"
                   "    exporter: CHN\n    commodities: [magnets]\n", encoding="utf-8")
    code, _, err = cli(capsys, "validate", str(bad))
    assert code == 2
    assert "line 7: field 'policies[0].commodities[0]': unknown commodity: got 'magnets'" in err
    code, _, err = cli(capsys, "validate", str(tmp_path / "missing.yaml"))
    assert code == 2
    assert "no such file" in err


def test_scenario_list_show_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "scenario", "list", "--format", "json")
    assert code == 0
    assert [r["name"] for r in json.loads(out)] == ["baseline", "escalation-2025",
                                                     "licence-squeeze", "magnet-embargo"]
    code, out, _ = cli(capsys, "scenario", "show", "magnet-embargo")
    assert code == 0
    assert "type: ExportBan" in out
    code, out, _ = cli(capsys, "scenario", "show", "licence-squeeze", "--format", "json")
    assert code == 0
    assert json.loads(out)["policies"][0]["type"] == "ExportLicence"
    code, out, _ = cli(capsys, "scenario", "schema")
    assert code == 0
    assert json.loads(out)["title"] == "spigot scenario"
    code, _, err = cli(capsys, "scenario", "show", "nope")
    assert code == 2
    assert "unknown scenario: got 'nope'" in err
