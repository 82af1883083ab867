"""The report of a stored mitigate entry (issue 19): ``spigot report`` and the dashboard render
the frontier plot, the portfolio at each point, the marginal values and the calibration from the
entry's document, through the same ``build_content`` (the dashboard's side:
tests/web/test_mitigate_web.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import spigot as sp
from spigot.report import build_content
from tests.clikit import cli
from tests.report.mitigate_entry import saved_mitigate_entry


@pytest.fixture(scope="module")
def entry(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, Any]]:
    return saved_mitigate_entry(tmp_path_factory.mktemp("mitstore"))


def test_build_content_renders_the_frontier_portfolios_and_marginal_values(
        entry: tuple[Path, str, dict[str, Any]]) -> None:
    store_path, run_id, doc = entry
    content = build_content(sp.store.RunStore(store_path).get(run_id))
    assert content.kind == "mitigate"
    keys = [s.key for s in content.sections]
    assert keys[:3] == ["headline", "frontier", "portfolios"]
    assert "marginal" in keys
    assert keys[-1] == "scenario"
    head = content.section("headline").table.set_index("item")["value"]
    assert head["P95: points within 10 % of the prediction"] == \
        doc["verification"]["points_p95_within_10pct"]
    assert head["P95: worst |relative error|"] == doc["verification"]["max_abs_relative_error_p95"]
    frontier = content.section("frontier")
    figure = frontier.figures[0]
    names = [t.name for t in figure.data]
    assert "expected, simulated (engine, fresh draws)" in names
    assert "P95, predicted" in names
    assert "P95, simulated" in names
    # the plotted points are the document's: cost and simulated mean of every point
    sim = next(t for t in figure.data if t.name.startswith("expected, simulated"))
    assert list(sim.x) == [p["cost_usd"] for p in doc["frontier"]]
    assert list(sim.y) == [p["verification"]["simulated_lost_usd_mean"] for p in doc["frontier"]]
    table = frontier.table
    assert table is not None
    assert len(table) == 4
    # the portfolio table: point 0 buys nothing, the last point what the document says
    portfolios = content.section("portfolios").table
    assert portfolios is not None
    assert portfolios.loc[portfolios["point"] == 0, "id"].tolist() == ["nothing"]
    last = portfolios[portfolios["point"] == 3]
    assert sorted(last["id"]) == sorted(m["id"] for m in doc["frontier"][3]["measures"])
    marginal = content.section("marginal").table
    assert marginal is not None
    assert list(marginal["breakeven_cost_usd"]) == [m["breakeven_cost_usd"]
                                                    for m in doc["marginal_values"]]
    assert doc["holder"] in content.section("headline").lead


def test_spigot_report_writes_the_html_of_a_mitigate_entry(
        capsys: pytest.CaptureFixture[str], entry: tuple[Path, str, dict[str, Any]],
        tmp_path: Path) -> None:
    store_path, run_id, _ = entry
    out = tmp_path / "r.html"
    code, printed, err = cli(capsys, "report", run_id, "--store", str(store_path), "-o",
                             str(out), "--quiet")
    assert code == 0, err
    assert printed.strip() == str(out)
    html = out.read_text(encoding="utf-8")
    assert "The frontier: cost against lost output" in html
    assert "The portfolio at each point" in html
    assert "Marginal value and breakeven cost" in html
