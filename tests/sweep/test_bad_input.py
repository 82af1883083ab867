"""Bad sweep input exits with code 2 and a message that names the problem (no traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clikit import cli

TOY = str(Path(__file__).parent / "toy_licence.yaml")


def _sweep(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code, _, err = cli(capsys, "sweep", TOY, "--points", "2", "--draws", "8", "--weeks", "4",
                       "--no-save", "--quiet", *args)
    assert "Traceback" not in err
    return code, err


def test_unknown_path_names_the_segment_and_the_keys_there(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _sweep(capsys, "--param", "policies[0].approval.by_destinaton.USA=0.1:0.5")
    assert code == 2
    assert "policies[0].approval.by_destinaton.USA" in err
    assert "no key 'by_destinaton' under policies[0].approval" in err
    assert "by_destination" in err
    assert "default" in err
    code, err = _sweep(capsys, "--param", "policies[3].approval.default=0.1:0.5")
    assert code == 2
    assert "no item 3 under policies" in err
    assert "[0]" in err


def test_unknown_market_parameter(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _sweep(capsys, "--param", "market.price_adjust_sped=0.01:0.05")
    assert code == 2
    assert "price_adjust_sped" in err
    assert "price_adjust_speed" in err


def test_low_above_high_and_unknown_distribution(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _sweep(capsys, "--param", "policies[0].approval.default=0.9:0.1")
    assert code == 2
    assert "LOW is above HIGH" in err
    assert "0.9:0.1" in err
    code, err = _sweep(capsys, "--param", "policies[0].approval.default=0.1:0.9:lognormal")
    assert code == 2
    assert "unknown distribution" in err
    assert "lognormal" in err
    assert "loguniform" in err
    code, err = _sweep(capsys, "--param", "policies[0].approval.default")
    assert code == 2
    assert "PATH=LOW:HIGH" in err


def test_value_the_scenario_rejects(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _sweep(capsys, "--param", "policies[0].approval.default=0.5:1.5")
    assert code == 2
    assert "approval" in err
    assert "narrow the parameter's range" in err


def test_bad_design_points_and_pair(capsys: pytest.CaptureFixture[str]) -> None:
    ok = ("--param", "policies[0].approval.default=0.3:0.9")
    code, err = _sweep(capsys, *ok, "--design", "sobol", "--points", "3")
    assert code == 2
    assert "power of 2" in err
    code, err = _sweep(capsys, *ok, "--design", "factorial")
    assert code == 2
    assert "unknown design" in err
    code, err = _sweep(capsys, *ok, "--pair", "USA.automotve")
    assert code == 2
    assert "USA.automotve" in err
    assert "USA.automotive" in err


def test_sweep_file_errors_name_file_and_line(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    path = tmp_path / "sweep.yaml"
    path.write_text("design: lhs\nparameters:\n  - path: policies[0].approval.default\n"
                    "    low: 0.3\n    high: 0.9\n  - path: market.price_adjust_speed\n"
                    "    low: 0.05\n    high: 0.01\n", encoding="utf-8")
    code, err = _sweep(capsys, "--file", str(path))
    assert code == 2
    assert f"{path}, line 6" in err
    assert "LOW is above HIGH" in err
    path.write_text("parameters:\n  - path: x\n    low: 1\n    hihg: 2\n", encoding="utf-8")
    code, err = _sweep(capsys, "--file", str(path))
    assert code == 2
    assert "line 4" in err
    assert "hihg" in err


def test_nothing_to_sweep(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _sweep(capsys)
    assert code == 2
    assert "nothing to sweep" in err
