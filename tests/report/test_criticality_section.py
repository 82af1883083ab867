"""The report's dynamic-criticality section and ``spigot runs criticality``: a real base-world run
with a measure shows the CRMA charts; an old run without route flows still gets its report."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import spigot as sp
from spigot.report import build_content, write_report
from spigot.report.content import NOT_AVAILABLE
from spigot.scenarios import Scenario
from spigot.store import RunStore
from tests.clikit import cli
from tests.store.fakes import SCENARIO_TEXT, fake_dataset, fake_manifest

SCENARIO = {"name": "dyn-ga-ban", "dataset": "base", "start": "2025-01-06", "horizon_weeks": 6,
            "step_weeks": 1, "draws": 2, "seed": 0,
            "policies": [{"type": "ExportBan", "id": "ga_ban", "exporter": "CHN",
                          "commodities": ["gallium"], "destinations": ["DEU"],
                          "start": "2025-01-20"}]}


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunStore, str]:
    scen = Scenario.model_validate(SCENARIO)
    store = RunStore(tmp_path_factory.mktemp("dyn") / "store")
    run_id = store.save_results(sp.simulate(scen, draws=2, seed=0), scen.to_yaml())
    return store, run_id


def test_report_shows_the_crma_benchmarks(stored: tuple[RunStore, str], tmp_path: Path) -> None:
    store, run_id = stored
    content = build_content(store.get(run_id))
    section = content.section("criticality")
    assert section.note != NOT_AVAILABLE
    alts = [c.alt for c in section.charts]
    assert len(section.figures) == 5  # four benchmarks and the HHI of actual supply
    assert alts[0].startswith("Largest single third country's share of EU27 supply")
    assert "gallium · refining" in alts[0]  # China holds 97 % of the EU's gallium at base
    single = section.figures[0].to_plotly_json()
    shapes = single["layout"]["shapes"]
    assert [s["y0"] for s in shapes] == [0.65]  # the ceiling, dashed
    assert any(t["name"] == "gallium · refining" for t in single["data"])
    ga = next(t for t in section.figures[0].data if t.name == "gallium · refining")
    # the ban on China's gallium for Germany (from week 3) leaves China only its route to the
    # rest of the EU: 5.688 of 5.688 + ROW's 0.454 t/yr (before: 14.549 of 15.003), as by hand
    assert ga.y[:2] == pytest.approx([14.549 / 15.003] * 2, rel=1e-3)
    assert ga.y[2:] == pytest.approx([5.688 / 6.142] * 4, rel=1e-3)
    assert "HHI of actual supply" in alts[-1]
    assert "gallium" in alts[-1]
    assert section.lead is not None
    assert "Regulation (EU) 2024/1252" in section.lead
    html = write_report(store, run_id, tmp_path / "r.html").read_text(encoding="utf-8")
    assert 'id="criticality"' in html
    assert 'href="#criticality"' in html
    assert len(re.findall(r'data-target="fig-criticality-\d+"', html)) == 5


def test_an_old_run_without_route_flows_still_gets_its_report(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "store")
    manifest = fake_manifest(dataset_hash=sp.datasets.load("toy").content_hash())
    run_id = store.save(fake_dataset(), manifest, SCENARIO_TEXT)
    section = build_content(store.get(run_id)).section("criticality")
    assert section.note == NOT_AVAILABLE
    assert not section.figures
    html = write_report(store, run_id, tmp_path / "old.html").read_text(encoding="utf-8")
    assert 'id="criticality"' in html
    assert NOT_AVAILABLE in html


def test_cli_runs_criticality(stored: tuple[RunStore, str],
                              capsys: pytest.CaptureFixture[str]) -> None:
    store, run_id = stored
    code, out, err = cli(capsys, "runs", "criticality", run_id, "--index", "crma", "--period",
                         "year", "--format", "json", "--store", str(store.path))
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schema"] == "spigot.criticality/1"
    assert doc["index"] == "crma"
    assert doc["run_id"] == run_id
    assert doc["dataset"] == "base"
    assert doc["period"] == "year"
    row = next(r for r in doc["rows"] if r["material"] == "gallium"
               and r["benchmark"] == "single_country")
    assert set(row) >= {"time", "weeks", "material", "benchmark", "stage", "crma_stage", "unit",
                        "value", "threshold", "comparison", "meets", "top_country",
                        "aggregate_share", "eu_production", "eu_consumption"}
    assert row["time"] == "2025-01-01"
    assert row["threshold"] == 0.65
    assert row["top_country"] == "CHN"
    code, out, _ = cli(capsys, "runs", "criticality", run_id, "-i", "reliance", "--importer",
                       "EU27", "-c", "gallium", "--format", "csv", "--store", str(store.path))
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith("time,weeks,importer,commodity,unit,production,imports")
    assert len(lines) == 1 + 6
    assert all(",EU27,gallium,t metal/week," in x for x in lines[1:])
    code, _, err = cli(capsys, "runs", "criticality", run_id, "-i", "nope", "--store",
                       str(store.path))
    assert code == 2
