"""`spigot report` of a stored sweep: Sobol bars and tornado charts name the parameter that
drives the output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spigot.report.sweep import tornado_table
from spigot.store import RunStore
from spigot.sweep import SweepResult, parse_param
from spigot.sweep.design import design_points
from spigot.sweep.sensitivity import sobol_indices
from tests.clikit import cli


def _synthetic(points: int = 256) -> SweepResult:
    """A sweep whose output is 3 a + 0.1 b (no simulation: the report reads stored numbers)."""
    specs = [parse_param("a=0:1"), parse_param("b=0:1")]
    unit, values = design_points(specs, "sobol", points, seed=2)
    y = 3 * values[:, 0] + 0.1 * values[:, 1]
    sobol = sobol_indices(specs, {"y": y}, seed=2)
    manifest = {"kind": "sweep", "scenario": "synthetic", "design": "sobol", "draws": 1,
                "weeks": 1, "scheduler": "local", "workers": 1, "seed": 2}
    return SweepResult(specs, unit, values, ["y"], y[:, None], manifest, sobol)


def test_tornado_orders_parameters_by_swing() -> None:
    res = _synthetic()
    frame = res.points_frame()
    table = tornado_table(frame[["a", "b"]], frame["y"])
    assert list(table["parameter"]) == ["a", "b"]
    # quarter means of a: 0.125 and 0.875 -> swing 3 x 0.75
    assert table["swing"].iloc[0] == pytest.approx(3 * 0.75, rel=0.05)


def test_report_of_a_stored_sweep(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    res = _synthetic()
    store = RunStore(tmp_path / "store")
    run_id = store.save(res.to_dataset(), res.manifest, "name: synthetic\n", "sweep")
    out = tmp_path / "report.html"
    code, _, err = cli(capsys, "report", run_id, "-o", str(out), "--store", str(tmp_path / "store"))
    assert code == 0, err
    html = out.read_text(encoding="utf-8")
    assert "Sobol indices of y: a has the largest total index" in html
    assert "Tornado of y: a swings it most" in html
    assert np.isfinite(res.results).all()



def test_report_content_of_a_sweep_is_what_the_dashboard_serves(tmp_path: Path) -> None:
    """The dashboard's report API builds its JSON with ``build_content``: a sweep gets its own
    sections there too."""
    from spigot.report import build_content

    res = _synthetic(32)
    store = RunStore(tmp_path / "store")
    run_id = store.save(res.to_dataset(), res.manifest, "name: synthetic\n", "sweep")
    content = build_content(store.get(run_id))
    assert [s.key for s in content.sections] == ["headline", "sobol", "tornado", "points",
                                                 "scenario"]
    assert content.kind == "sweep"
    assert content.section("headline").table is None
