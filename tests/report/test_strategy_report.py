"""The report of a stored strategic search: `spigot strategy` keeps it as a `strategy` entry
(unless `--no-save`), and `spigot report` shows its objective surface over the family, the best
policy with the next best (scores and standard errors) and the rounds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spigot.report import build_content
from spigot.store import RunStore
from tests.clikit import cli
from tests.strategy.worlds import TOY_FAMILY, TOY_SQUEEZE


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A store folder for the searches and the scenario and family files."""
    folder = tmp_path_factory.mktemp("strategy")
    scen, fam, store = folder / "squeeze.yaml", folder / "family.yaml", folder / "store"
    scen.write_text(TOY_SQUEEZE, encoding="utf-8")
    fam.write_text(TOY_FAMILY, encoding="utf-8")
    return store, {"scen": str(scen), "fam": str(fam)}


def test_a_search_is_saved_and_its_report_shows_the_surface_best_and_rounds(
        saved: tuple[Path, dict], capsys: pytest.CaptureFixture[str]) -> None:
    store, files = saved
    code, out, err = cli(capsys, "strategy", files["scen"], "--exporter", "CHN", "--target",
                         "USA", "--family", files["fam"], "--draws", "16", "--rounds", "2",
                         "--seed", "3", "--store", str(store), "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    run_id = doc["run_id"]
    runs = RunStore(store)
    assert [r.run_id for r in runs.list(kind="strategy")] == [run_id]
    stored = runs.get(run_id)
    assert stored.info.kind == "strategy"
    assert stored.info.draws == 16
    assert stored.info.seed == 3
    assert list(stored.dataset["candidate"].values) == [p["label"] for p in doc["surface"]]
    content = build_content(stored)
    assert content.kind == "strategy"
    keys = [s.key for s in content.sections]
    assert keys == ["headline", "surface", "ranking", "rounds", "summary", "scenario"]
    head = content.section("headline")
    assert doc["best_policy"]["label"] in (head.lead or "")
    surface = content.section("surface")
    # a heatmap over the levers (three levers vary) and one dot per candidate
    assert [f.data[0].type for f in surface.figures] == ["heatmap", "scatter"]
    heat = surface.figures[0].data[0]
    cells = [v for row in heat.z for v in row if v == v]  # not NaN
    restricted = [p for p in doc["surface"] if p["label"] != "no restriction"]
    assert sorted(cells) == pytest.approx(sorted(p["score_usd"] for p in restricted))
    table = surface.charts[1].table
    assert table is not None
    assert len(table) == doc["family"]["candidates"]
    assert {"score_usd", "score_se_usd", "commodities", "approval_target",
            "duration_weeks"} <= set(table.columns)
    ranking = content.section("ranking").table
    assert ranking is not None
    assert list(ranking["label"]) == [doc["best_policy"]["label"],
                                      *[a["label"] for a in doc["alternatives"]]]
    assert list(ranking["score_se_usd"])[1:] == [a["score_se_usd"] for a in doc["alternatives"]]
    rounds = content.section("rounds")
    assert rounds.table is not None
    assert len(rounds.table) == len(doc["rounds"])
    assert doc["outcome"]["status"] in rounds.note
    # the HTML report renders it
    html = store.parent / "report.html"
    code, _, err = cli(capsys, "report", run_id, "--store", str(store), "--output", str(html))
    assert code == 0, err
    text = html.read_text(encoding="utf-8")
    assert "objective over the policy family" in text
    assert doc["best_policy"]["label"] in text


def test_no_save_keeps_nothing(saved: tuple[Path, dict], capsys: pytest.CaptureFixture[str],
                               tmp_path: Path) -> None:
    _, files = saved
    store = tmp_path / "empty"
    code, out, err = cli(capsys, "strategy", files["scen"], "--exporter", "CHN", "--target",
                         "USA", "--family", files["fam"], "--draws", "8", "--rounds", "1",
                         "--store", str(store), "--no-save", "--format", "json")
    assert code == 0, err
    assert "run_id" not in json.loads(out)
    assert RunStore(store).list() == []
