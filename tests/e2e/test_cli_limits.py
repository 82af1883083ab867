"""Issue 15 on the command line: every bad input exits 2 with a message naming the field, the
value, what was expected and how to go on; nothing is simulated, allocated or saved first."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from spigot.store import RunStore
from spigot.testing import TOY_LICENCE
from tests.clikit import cli


@pytest.fixture
def toy_file(tmp_path: Path) -> Path:
    path = tmp_path / "toy.yaml"
    path.write_text(TOY_LICENCE, encoding="utf-8")
    return path


def _scenario(tmp_path: Path, text: str, name: str = "s.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(("args", "needle"), [
    (["--draws", "10000001"], "field 'draws': Input should be less than or equal to 10000000: "
                              "got 10000001"),
    (["--weeks", "5201"], "field 'horizon_weeks': Input should be less than or equal to 5200: "
                          "got 5201"),
    (["--seed", "9223372036854775808"], "--seed"),
    (["--seed", "-1"], "--seed"),
])
def test_out_of_range_options_exit_2(capsys: pytest.CaptureFixture[str], toy_file: Path,
                                     args: list[str], needle: str) -> None:
    before = len(RunStore().list())
    code, _, err = cli(capsys, "run", str(toy_file), *args)
    assert code == 2, err
    assert needle in err
    assert "internal error" not in err
    assert "Traceback" not in err
    assert len(RunStore().list()) == before  # nothing was simulated and saved


def test_a_run_too_large_for_memory_exits_2_before_allocating(
        capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    code, _, err = cli(capsys, "run", "licence-squeeze", "--draws", "10000000", "--no-save")
    assert time.monotonic() - started < 30  # refused from the estimate; 28 GiB never allocated
    assert code == 2, err
    assert "this run is over the run-cost limits" in err
    assert "run too large for memory: got '10,000,000 draws x 104 steps" in err
    assert "expected at most 8 GiB" in err
    assert "SPIGOT_MAX_RUN_GIB=<value> spigot run" in err


def test_huge_step_counts_exit_2_before_preparing(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    text = TOY_LICENCE.replace("horizon_weeks: 40", "horizon_weeks: 5200\nstep_weeks: 0.01")
    path = _scenario(tmp_path, text)
    for command in (["run", path, "--draws", "1", "--no-save"], ["validate", path]):
        started = time.monotonic()
        code, _, err = cli(capsys, *command)
        assert time.monotonic() - started < 10
        assert code == 2, err
        assert "too many time steps for one run: got '5200 / 0.01 = 520,000 steps'" in err
        assert "SPIGOT_MAX_RUN_STEPS" in err


def test_limits_are_raised_by_environment(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    text = TOY_LICENCE.replace("horizon_weeks: 40", "horizon_weeks: 400\nstep_weeks: 0.25")
    path = _scenario(tmp_path, text)
    monkeypatch.setenv("SPIGOT_MAX_RUN_STEPS", "1000")
    code, _, err = cli(capsys, "validate", path)
    assert code == 2
    assert "expected at most 1,000 steps" in err
    monkeypatch.setenv("SPIGOT_MAX_RUN_STEPS", "2000")
    code, _out, err = cli(capsys, "validate", path)
    assert code == 0, err


# ---------------------------------------------------------------------- data named by a scenario
def _params(tmp_path: Path, where: str) -> str:
    return _scenario(tmp_path, TOY_LICENCE + f"market:\n  parameters: {where}\n", "p.yaml")


@pytest.mark.parametrize(("where", "needle"), [
    ("/etc/passwd", "expected a parameter table (CSV with the columns of spigot's parameters.csv)"),
    ("WRONG", "missing column(s) parameter, scope, key, value"),
    ("/etc", "not a regular file: a folder"),
    ("/dev/zero", "not a regular file: a character device"),
    ("http://127.0.0.1:9/parameters.csv", "URLs are not read"),
    ("missing.csv", "file not found"),
])
def test_a_bad_market_parameters_file_exits_2(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path, where: str, needle: str) -> None:
    if where == "WRONG":
        where = _scenario(tmp_path, "a,b\n1,2\n", "wrong.csv")
    started = time.monotonic()
    code, _, err = cli(capsys, "validate", _params(tmp_path, where))
    assert time.monotonic() - started < 10
    assert code == 2, err
    assert "field 'market.parameters'" in err
    assert needle in err
    assert "root:" not in err  # the file's content is not echoed


def test_a_fifo_is_refused_without_being_opened(capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)  # opening it for reading would block until a writer comes
    started = time.monotonic()
    code, _, err = cli(capsys, "validate", _params(tmp_path, str(fifo)))
    assert time.monotonic() - started < 10
    assert code == 2
    assert "not a regular file: a FIFO (named pipe)" in err
    code, _, err = cli(capsys, "run", str(fifo))
    assert code == 2
    assert "not a regular file: a FIFO (named pipe)" in err


@pytest.mark.parametrize("folder", ["/", "/etc", "/proc/self"])
def test_a_system_folder_is_not_a_dataset(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                          folder: str) -> None:
    path = _scenario(tmp_path, TOY_LICENCE.replace("dataset: toy", f"dataset: {folder}"))
    before = len(RunStore().list())
    for command in (["validate", path], ["run", path, "--draws", "1"]):
        code, _, err = cli(capsys, *command)
        assert code == 2, err
        assert "not a spigot dataset folder: missing table file(s) commodities.csv" in err
        assert "spigot data export base DIR" in err
    assert len(RunStore().list()) == before


def test_a_dataset_url_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = _scenario(tmp_path, TOY_LICENCE.replace("dataset: toy",
                                                   "dataset: https://example.org/world"))
    code, _, err = cli(capsys, "validate", path)
    assert code == 2
    assert "URLs are not read" in err


# ---------------------------------------------------------------------- validation
def test_policy_after_the_horizon_warns(capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    text = TOY_LICENCE.replace("start: 2025-02-03", "start: 2031-02-03", 1)
    code, out, err = cli(capsys, "validate", _scenario(tmp_path, text))
    assert code == 0, err
    assert "valid scenario" in out
    assert ("warning: " in err and "field 'policies[0].start': policy starts after the horizon "
            "ends, so it never takes effect: got '2031-02-03'") in err


def test_negative_processing_time_is_an_error(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    text = TOY_LICENCE.replace("processing_time: {distribution: 5, unit: days}",
                               "processing_time: {distribution: -5, unit: days}")
    code, _, err = cli(capsys, "validate", _scenario(tmp_path, text))
    assert code == 2
    assert "field 'policies[0].fast_track[0].processing_time': processing time can be negative" \
        in err
    text = TOY_LICENCE.replace("scale: {dist: uniform, low: 0.7, high: 1.5}",
                               "scale: {dist: normal, mean: 1, sd: 0.5}")
    code, _, err = cli(capsys, "validate", _scenario(tmp_path, text))
    assert code == 2
    assert "scale reaches -inf" in err


def test_zero_transit_is_an_error(capsys: pytest.CaptureFixture[str], toy_folder: Path,
                                  tmp_path: Path) -> None:
    routes = toy_folder / "routes.csv"
    lines = routes.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("transit_weeks")] = "0"
    routes.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n", encoding="utf-8")
    path = _scenario(tmp_path, TOY_LICENCE.replace("dataset: toy", f"dataset: {toy_folder}"))
    code, _, err = cli(capsys, "validate", path)
    assert code == 2
    assert "routes.csv, line 2: field 'transit_weeks': value must be positive: got '0'" in err
    assert "expected a number > 0 in week" in err


def test_simulate_checks_the_cost_before_allocating() -> None:
    import spigot as sp
    from spigot.sim.cost import RunLimits, RunTooLargeError

    scen = sp.scenarios.load("baseline")
    started = time.monotonic()
    with pytest.raises(RunTooLargeError, match="run too large for memory"):
        sp.simulate(scen, draws=10_000_000)
    tight = RunLimits(max_steps=50, max_bytes=2**40, max_seconds=1e9)
    with pytest.raises(RunTooLargeError, match="got '104 / 1 = 104 steps'; expected at most 50"):
        sp.simulate(scen, draws=1, limits=tight)
    assert time.monotonic() - started < 30
