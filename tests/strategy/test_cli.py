"""``spigot strategy``: JSON keys, standard errors, pure JSON on stdout, and bad input -> exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import spigot as sp
from tests.clikit import cli
from tests.strategy.worlds import TOY_FAMILY, TOY_SQUEEZE

ROOT = Path(__file__).resolve().parents[2]

#: The documented top-level keys of `spigot strategy --format json` (docs/cli.md): an interface.
KEYS = {"schema", "scenario", "exporter", "targets", "draws", "seed", "family", "weights", "search",
        "best_policy", "objective", "alternatives", "rounds", "outcome", "surface", "runs",
        "seconds", "importer"}


@pytest.fixture
def files(tmp_path: Path) -> tuple[str, str]:
    scen, fam = tmp_path / "squeeze.yaml", tmp_path / "family.yaml"
    scen.write_text(TOY_SQUEEZE, encoding="utf-8")
    fam.write_text(TOY_FAMILY, encoding="utf-8")
    return str(scen), str(fam)


def test_json_has_the_issues_keys(capsys: pytest.CaptureFixture[str],
                                  files: tuple[str, str]) -> None:
    scen, fam = files
    code, out, err = cli(capsys, "strategy", scen, "--exporter", "CHN", "--target", "USA",
                         "--family", fam, "--draws", "24", "--rounds", "2", "--seed", "5",
                         "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schema"] == "spigot.strategy/1"
    assert set(doc) == KEYS | {"run_id"}  # saved to the store (kind strategy)
    assert doc["importer"] == "mitigate"  # the default answer: spigot mitigate's optimiser
    assert {"harm_usd", "revenue_lost_usd", "share_lost"} <= set(doc["objective"])
    assert doc["draws"] == 24
    assert doc["seed"] == 5
    assert len(doc["alternatives"]) == 3
    scores = [doc["objective"]["score_usd"]] + [a["score_usd"] for a in doc["alternatives"]]
    assert scores == sorted(scores, reverse=True)
    for alt in doc["alternatives"]:
        assert alt["score_se_usd"] >= 0
        assert alt["gap_se_usd"] >= 0
        assert alt["gap_usd"] == pytest.approx(doc["objective"]["score_usd"] - alt["score_usd"])
    assert 1 <= len(doc["rounds"]) <= 2
    assert doc["rounds"][0]["exporter"]["label"] == doc["best_policy"]["label"]
    assert doc["outcome"]["status"] in {"settled", "cycle", "open"}
    surface = doc["surface"]  # the whole family, with the draws of the last rung each reached
    assert len(surface) == doc["family"]["candidates"] == 13
    assert {p["label"] for p in surface} >= {doc["best_policy"]["label"]}
    assert max(p["draws"] for p in surface) == 24
    assert min(p["draws"] for p in surface) < 24  # successive halving screened some at fewer


def test_the_table_names_the_best_policy(capsys: pytest.CaptureFixture[str],
                                         files: tuple[str, str]) -> None:
    scen, fam = files
    code, out, _ = cli(capsys, "strategy", scen, "--exporter", "CHN", "--target", "USA",
                       "--family", fam, "--draws", "16", "--rounds", "1", "--quiet")
    assert code == 0
    assert "best policy:" in out
    assert "Best responses" in out
    assert "outcome: open" in out


def test_the_newsvendor_importer_is_an_option_and_a_bad_one_exits_2(
        capsys: pytest.CaptureFixture[str], files: tuple[str, str]) -> None:
    scen, fam = files
    code, out, err = cli(capsys, "strategy", scen, "--exporter", "CHN", "--target", "USA",
                         "--family", fam, "--draws", "16", "--rounds", "1", "--no-save",
                         "--importer", "newsvendor", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["importer"] == "newsvendor"
    assert all(s["fractile"] is not None for s in doc["rounds"][0]["importer"])
    code, _, err = cli(capsys, "strategy", scen, "--exporter", "CHN", "--target", "USA",
                       "--family", fam, "--importer", "mitigation")
    assert code == 2
    assert "mitigation" in err


def test_stdout_is_pure_json_in_a_process(files: tuple[str, str]) -> None:
    """HiGHS prints a banner on file descriptor 1 when the importer answers: it goes to stderr."""
    scen, fam = files
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run([sys.executable, "-m", "spigot", "strategy", scen, "--exporter", "CHN",
                           "--target", "USA", "--family", fam, "--draws", "16", "--rounds", "1",
                           "--format", "json"], capture_output=True, text=True, env=env,
                          check=False, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["rounds"][0]["importer"]  # the importer answered
    assert "HiGHS" in proc.stderr


@pytest.mark.parametrize(("args", "pieces"), [
    (["--exporter", "CHA", "--target", "USA"], ["unknown exporter", "'CHN'"]),
    (["--exporter", "CHN", "--target", "USB"], ["unknown target", "'USA'"]),
    (["--exporter", "JPN", "--target", "USA"], ["no ExportLicence of this exporter"]),
])
def test_bad_names_exit_2(capsys: pytest.CaptureFixture[str], files: tuple[str, str],
                          args: list[str], pieces: list[str]) -> None:
    scen, fam = files
    code, _out, err = cli(capsys, "strategy", scen, *args, "--family", fam, "--draws", "4")
    assert code == 2
    assert "Traceback" not in err
    for piece in pieces:
        assert piece in err


@pytest.mark.parametrize(("text", "pieces"), [
    ("name: f\ncommodities: []\n", ["line 2", "commodities", "empty family"]),
    ("name: f\ncommodities: [[ndfeb_magnet]\n", ["not valid YAML"]),
    ("name: f\ncommodities: [[magnets]]\n", ["line 2", "unknown commodity"]),
])
def test_bad_family_exits_2(capsys: pytest.CaptureFixture[str], files: tuple[str, str],
                            tmp_path: Path, text: str, pieces: list[str]) -> None:
    scen, _ = files
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    code, out, err = cli(capsys, "strategy", scen, "--exporter", "CHN", "--target", "USA",
                         "--family", str(bad), "--format", "json")
    assert code == 2
    assert str(bad) in err
    for piece in pieces:
        assert piece in err
    assert json.loads(out)["error"]["exit_code"] == 2  # JSON asked: the error as JSON


def test_a_missing_family_file_exits_2(capsys: pytest.CaptureFixture[str],
                                       files: tuple[str, str], tmp_path: Path) -> None:
    scen, _ = files
    code, _, err = cli(capsys, "strategy", scen, "--exporter", "CHN", "--target", "USA",
                       "--family", str(tmp_path / "nope.yaml"))
    assert code == 2
    assert "no such file" in err
    assert "nope.yaml" in err


def test_python_api_is_the_callable_package() -> None:
    assert callable(sp.strategy)
    assert sp.strategy.DEFAULT_DRAWS == 200
