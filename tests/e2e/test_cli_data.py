"""`spigot data ...` as a user runs it: exit codes, formats and messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from spigot.cli.app import main
from tests.conftest import edit_csv


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_version_and_console_script() -> None:
    proc = subprocess.run([sys.executable, "-m", "spigot", "--version"], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0
    assert proc.stdout.startswith("spigot 0.")


def test_show_json_shares_sum_to_one(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "data", "show", "--dataset", "toy", "--commodity", "rare_earths",
                       "--stage", "mining", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    block = doc["blocks"][0]
    assert sum(r["share"] for r in block["rows"]) == pytest.approx(1.0)
    assert all(r["source"] for r in block["rows"])


def test_show_csv_has_a_source_column(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "data", "show", "-d", "toy", "--format", "csv")
    assert code == 0
    header = out.splitlines()[0].split(",")
    assert {"region", "share", "source"} <= set(header)


def test_unknown_commodity_exits_2_with_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "data", "show", "-d", "toy", "--commodity", "rare_earth")
    assert code == 2
    assert "unknown commodity in the production statistics: got 'rare_earth'" in err
    assert "did you mean 'rare_earths'?" in err
    assert "Traceback" not in err


def test_a_country_outside_the_regions_names_the_region_that_holds_it(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "risk", "--commodity", "rare_earths", "--importer", "CAN")
    assert code == 2
    assert "CAN (Canada) is not a region of this dataset; it is counted in ROW" in err
    assert "did you mean 'CHN'" not in err
    assert out == ""  # table output: the error goes to stderr only


@pytest.mark.parametrize("flags", [["--format", "json"], ["-f", "json"], ["--format=json"]])
def test_errors_are_json_when_json_is_asked_for(capsys: pytest.CaptureFixture[str],
                                                flags: list[str]) -> None:
    code, out, err = run(capsys, "risk", "--commodity", "rare_earths", "--importer", "UK", *flags)
    assert code == 2
    assert "spigot: error:" in err
    doc = json.loads(out)["error"]
    assert doc["exit_code"] == 2
    assert doc["type"] == "UnknownNameError"
    (problem,) = doc["problems"]
    assert (problem["field"], problem["value"]) == ("--importer", "UK")
    assert "counted in ROW" in problem["hint"]


def test_bad_option_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "data", "show", "--bogus")
    assert code == 2
    assert "No such option" in err


def test_validate_and_export_round_trip(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "data", "export", "toy", str(tmp_path / "w"))
    assert code == 0
    code, out, _ = run(capsys, "data", "validate", str(tmp_path / "w"))
    assert code == 0
    assert "valid" in out
    edit_csv(tmp_path / "w" / "nodes.csv", "mine_re,25,", "mine_re,-25,")
    code, _, err = run(capsys, "data", "validate", str(tmp_path / "w"))
    assert code == 2
    assert "negative value" in err
    assert "Traceback" not in err


def test_debug_shows_the_traceback(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "--debug", "data", "validate", str(tmp_path / "nothing"))
    assert code == 2
    assert "Traceback" in err
    assert "no such folder" in err
