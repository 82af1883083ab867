"""`spigot exposure` as a user runs it: keys, formats, exit codes (docs/cli.md)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.clikit import cli
from tests.exposure.test_hand_check import ban

#: Documented keys of `spigot exposure --format json` (docs/cli.md): an interface.
TOP_KEYS = {"schema", "product", "plant", "materials", "scenarios"}
MATERIAL_KEYS = {"component", "commodity", "stage", "basis", "kg_per_unit", "t_per_year",
                 "supplier_region", "suppliers", "inputs_from", "content_pct"}
SCENARIO_KEYS = {"scenario", "draws", "seed", "horizon_weeks", "stop_probability",
                 "first_stop_week_p5", "first_stop_week_p50", "first_stop_week_p95",
                 "stopped_weeks_mean", "stopped_weeks_p5", "stopped_weeks_p50",
                 "stopped_weeks_p95", "lost_units_mean", "lost_units_p95", "lost_usd_mean",
                 "lost_usd_p95", "cause"}
CAUSE_KEYS = {"commodity", "share_of_stops", "route", "node", "region", "route_commodity",
              "tier", "week", "weeks_lost", "failing_routes"}

PRODUCT = """\
name: widget
plant: {region: USA, output_per_week: 10, value_per_unit: 100, cover_weeks: 4}
components:
  - {name: magnet, commodity: ndfeb_magnet, kg_per_unit: 1.0, supplier: {region: CHN}}
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    product = tmp_path / "widget.yaml"
    product.write_text(PRODUCT, encoding="utf-8")
    scen = tmp_path / "ban.yaml"
    scen.write_text(_scenario_yaml(), encoding="utf-8")
    return product, scen


def _scenario_yaml() -> str:
    return ("name: toy-ban\ndataset: toy\nstart: 2025-01-06\nhorizon_weeks: 40\ndraws: 8\n"
            "markets: false\npolicies:\n" + ban())


def test_json_keys_and_the_hand_number(capsys: pytest.CaptureFixture[str],
                                       files: tuple[Path, Path]) -> None:
    product, scen = files
    code, out, err = cli(capsys, "exposure", str(product), "--scenario", str(scen),
                         "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) == TOP_KEYS
    assert doc["schema"] == "spigot.exposure/1"
    assert set(doc["materials"][0]) == MATERIAL_KEYS
    row = doc["scenarios"][0]
    assert set(row) == SCENARIO_KEYS
    assert set(row["cause"]) == CAUSE_KEYS
    assert row["stop_probability"] == 1.0
    assert row["first_stop_week_p50"] == 17.0  # 8 (ban) + 5 (transit) + 4 (cover)
    assert row["lost_usd_p95"] == pytest.approx(23 * 10 * 100)
    assert row["cause"]["node"] == "magnet_chn"


def test_csv_and_table(capsys: pytest.CaptureFixture[str], files: tuple[Path, Path]) -> None:
    product, scen = files
    code, out, _ = cli(capsys, "exposure", str(product), "-S", str(scen), "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["first_stop_week_p50"] == "17"
    assert rows[0]["cause_node"] == "magnet_chn"
    code, out, _ = cli(capsys, "exposure", str(product), "-S", str(scen), "-q")
    assert code == 0
    assert "Exposure by scenario" in out
    assert "short of ndfeb_magnet" in out


def test_unknown_product_is_exit_2_with_the_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "exposure", "ev-motr")
    assert code == 2
    assert "unknown product: got 'ev-motr'" in err
    assert "did you mean 'ev-motor'?" in err
    assert "hard-disk" in err
    assert "Traceback" not in err


def test_bad_file_is_exit_2_with_line_and_json_error(capsys: pytest.CaptureFixture[str],
                                                      tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(PRODUCT.replace("cover_weeks: 4", "cover_weeks: -4"), encoding="utf-8")
    code, out, err = cli(capsys, "exposure", str(bad), "--format", "json")
    assert code == 2
    assert f"{bad}, line 2: field 'plant.cover_weeks'" in err
    assert "got -4" in err
    problem = json.loads(out)["error"]["problems"][0]
    assert problem["line"] == 2
    assert problem["field"] == "plant.cover_weeks"


def test_supplier_without_maker_is_exit_2(capsys: pytest.CaptureFixture[str],
                                          files: tuple[Path, Path]) -> None:
    product, scen = files
    product.write_text(PRODUCT.replace("{region: CHN}", "{region: FRA}"), encoding="utf-8")
    code, _, err = cli(capsys, "exposure", str(product), "-S", str(scen), "-q")
    assert code == 2
    assert "unknown region: got 'FRA'" in err
