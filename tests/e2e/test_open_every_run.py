"""Every stored run opens: each built-in scenario and a replay, stored at a small size, then read
by ``spigot report``, ``spigot runs show`` and ``build_content`` without an error or a warning;
and ``spigot compare`` / ``spigot run --against`` / ``spigot report --against`` on them."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest

from spigot import scenarios
from spigot.cli.app import main
from spigot.report import build_comparison, build_content
from spigot.store import RunStore

#: Small runs: few draws, a short horizon (the replay keeps its own horizon).
SMALL = ("--draws", "8", "--weeks", "12", "--quiet")
#: Documented keys of `spigot compare --format json` (docs/cli.md): an interface.
COMPARE_KEYS = {"schema", "a", "b", "notes", "deltas"}
RUN_INFO_KEYS = {"run_id", "kind", "scenario", "dataset", "dataset_hash", "draws", "seed",
                 "weeks", "start", "created_at"}
DELTA_KEYS = {"group", "region", "sector", "commodity", "zone", "metric", "unit", "a", "b",
              "diff", "rel_diff", "status"}


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One small stored run per built-in scenario and of replay-2010: name -> run id."""
    path = tmp_path_factory.mktemp("every-run") / "store"
    ids: dict[str, str] = {}
    for name in scenarios.names():
        assert main(["run", name, *SMALL, "--store", str(path), "--format", "csv"]) == 0
        ids[name] = RunStore(path).list()[0].run_id
    assert main(["replay", "replay-2010", "--draws", "8", "--quiet", "--store", str(path),
                 "--format", "csv"]) == 0
    ids["replay-2010"] = RunStore(path).list()[0].run_id
    ids["_path"] = str(path)
    return ids


RUNS = [*scenarios.names(), "replay-2010"]


def test_the_built_in_scenarios_are_the_four_named() -> None:
    assert set(scenarios.names()) == {"baseline", "escalation-2025", "licence-squeeze",
                                      "magnet-embargo"}


@pytest.mark.parametrize("name", RUNS)
def test_every_run_opens_in_report_and_runs_show(name: str, store: dict[str, str],
                                                 capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    run_id, path = store[name], store["_path"]
    code, out, err = cli(capsys, "report", run_id, "--store", path, "-o", str(tmp_path / "r.html"),
                         "--quiet")
    assert code == 0, err
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Headline" in html
    assert "What stopped when" in html
    code, out, err = cli(capsys, "runs", "show", run_id, "--store", path, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["run"]["run_id"] == run_id
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        content = build_content(RunStore(path).get(run_id))
    keys = [s.key for s in content.sections]
    assert keys[:5] == ["headline", "stoppage", "prices", "exports", "licences"]
    for section in content.sections:  # every figure has its text alternative
        assert len(section.charts) == len(section.figures)
        assert all(c.alt for c in section.charts)


def test_licence_pipeline_shows_the_tonnes_under_review(store: dict[str, str]) -> None:
    stored = RunStore(store["_path"]).get(store["licence-squeeze"])
    section = build_content(stored).section("licences")
    traces = {t.name: t for t in section.figures[0].data}
    review = next(t for n, t in traces.items() if n.startswith("under review"))
    # the chart shows what sits in the pipeline: the mean t under review, summed over routes
    expected = stored.dataset["mean_licence_pipeline"].sum("licence_route").values
    assert max(review.y) == pytest.approx(float(expected.max()))
    assert max(review.y) > 0
    assert any(n.startswith("approved") for n in traces)
    baseline = build_content(RunStore(store["_path"]).get(store["baseline"]))
    assert baseline.section("licences").note.startswith("no licensed routes")


def test_controlled_commodities_come_first(store: dict[str, str]) -> None:
    content = build_content(RunStore(store["_path"]).get(store["licence-squeeze"]))
    prices = content.section("prices")
    assert prices.featured == ["dy_oxide", "tb_oxide", "ndfeb_magnet"]
    assert [c.group for c in prices.charts[:3]] == prices.featured
    assert prices.picker == "commodity"
    assert len({c.group for c in prices.charts}) == len(prices.charts)  # one chart per commodity
    exports = content.section("exports")
    assert exports.featured[0] == "dy_oxide"
    assert all("t/week" in f.layout.yaxis.title.text for f in exports.figures)
    assert "t/step" not in json.dumps(content.to_json(), default=str)


def test_compare_json_csv_and_table(store: dict[str, str], capsys: pytest.CaptureFixture[str]
                                    ) -> None:
    path = store["_path"]
    a, b = store["baseline"], store["licence-squeeze"]
    code, out, err = cli(capsys, "compare", a, b, "--store", path, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) == COMPARE_KEYS
    assert doc["schema"] == "spigot.compare/1"
    assert set(doc["a"]) == RUN_INFO_KEYS
    assert (doc["a"]["run_id"], doc["b"]["run_id"]) == (a, b)
    assert set(doc["deltas"][0]) == DELTA_KEYS
    groups = {row["group"] for row in doc["deltas"]}
    assert groups == {"sector", "price"}
    lost = [r for r in doc["deltas"] if r["metric"] == "lost_output_usd_mean"]
    assert all(r["diff"] == pytest.approx(r["b"] - r["a"]) for r in lost)
    dy = next(r for r in doc["deltas"] if r["metric"] == "price_p50_end"
              and (r["commodity"], r["zone"]) == ("dy_oxide", "ex_china"))
    assert dy["b"] > dy["a"]
    assert dy["rel_diff"] == pytest.approx(dy["diff"] / dy["a"])
    code, out, _ = cli(capsys, "compare", a, b, "--store", path, "--format", "csv")
    assert code == 0
    assert out.splitlines()[0] == ",".join(DELTA_KEYS_ORDER)
    code, out, _ = cli(capsys, "compare", a, b, "--store", path)
    assert code == 0
    assert "differences are B − A" in out


DELTA_KEYS_ORDER = ("group", "region", "sector", "commodity", "zone", "metric", "unit", "a", "b",
                    "diff", "rel_diff", "status")


def test_compare_unknown_run_exits_2(store: dict[str, str], capsys: pytest.CaptureFixture[str]
                                     ) -> None:
    code, _, err = cli(capsys, "compare", store["baseline"], "20990101-000000-abcdef",
                       "--store", store["_path"])
    assert code == 2
    assert "unknown run" in err
    assert "field 'run_id'" in err
    assert "Traceback" not in err


def test_report_against_writes_a_comparison(store: dict[str, str], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "cmp.html"
    code, _out, err = cli(capsys, "report", store["licence-squeeze"], "--against",
                         store["baseline"], "-o", str(target), "--store", store["_path"], "-q")
    assert code == 0, err
    html = target.read_text(encoding="utf-8")
    assert "against baseline" in html
    assert 'role="img" aria-label="Price fans of dy_oxide for A and B' in html
    assert re.search(r"<details><summary>Data behind this chart</summary>", html)


def test_comparison_of_runs_with_and_without_licences(store: dict[str, str]) -> None:
    runs = RunStore(store["_path"])
    a, b = runs.get(store["baseline"]), runs.get(store["replay-2010"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        content = build_comparison(a, b)  # another dataset, another horizon: notes, no crash
    notes = content.section("deltas").note
    assert "only in run" in notes
    assert "different horizons" in notes


def test_run_against_reuses_a_stored_baseline_or_runs_one(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    path = str(tmp_path / "store")
    code, out, err = cli(capsys, "run", "magnet-embargo", *SMALL, "--against", "baseline",
                         "--store", path, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    runs = RunStore(path).list()
    assert sorted(r.scenario for r in runs) == ["baseline", "magnet-embargo"]  # baseline run, kept
    assert doc["a"]["scenario"] == "baseline"
    assert doc["b"]["scenario"] == "magnet-embargo"
    assert (doc["a"]["draws"], doc["a"]["weeks"]) == (8, 12)
    baseline_id = next(r.run_id for r in runs if r.scenario == "baseline")
    assert doc["a"]["run_id"] == baseline_id
    code, out, err = cli(capsys, "run", "licence-squeeze", *SMALL, "--against", "baseline",
                         "--store", path, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["a"]["run_id"] == baseline_id  # the stored baseline is reused
    assert len(RunStore(path).list()) == 3
    code, _, err = cli(capsys, "run", "licence-squeeze", *SMALL, "--against", "basline",
                       "--store", path)
    assert code == 2
    assert "did you mean 'baseline'" in err
    assert len(RunStore(path).list()) == 3  # refused before running anything
