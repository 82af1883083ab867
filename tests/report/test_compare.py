"""Comparing two runs: the deltas (numbers) and the comparison content (figures), on synthetic runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from spigot.report import Deltas, build_comparison, deltas, write_comparison
from spigot.report.deltas import COLUMNS
from spigot.store import RunStore
from tests.store.fakes import SCENARIO_TEXT, fake_dataset, fake_manifest


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(tmp_path / "store")


def test_deltas_are_b_minus_a_with_relative_differences() -> None:
    a, b = fake_dataset(seed=0), fake_dataset(seed=1)
    found = deltas(a, b)
    assert isinstance(found, Deltas)
    assert tuple(found.rows.columns) == COLUMNS
    lost = found.sector("lost_output_usd_mean").set_index(["region", "sector"])
    expected_b = float(b["lost_output_value"].sel(region="USA", sector="wind").mean())
    expected_a = float(a["lost_output_value"].sel(region="USA", sector="wind").mean())
    row = lost.loc[("USA", "wind")]
    assert (row["a"], row["b"]) == (pytest.approx(expected_a), pytest.approx(expected_b))
    assert row["diff"] == pytest.approx(expected_b - expected_a)
    assert row["rel_diff"] == pytest.approx((expected_b - expected_a) / expected_a)
    stop = found.sector("stop_probability").set_index(["region", "sector"])
    assert stop.loc[("CHN", "wind"), "a"] == 0  # China never stops in the fake runs
    assert stop.loc[("CHN", "wind"), "rel_diff"] == 0  # 0 against 0: no change
    ends = found.price("price_p50_end").set_index(["commodity", "zone"])
    expected = float(np.median(b["price"].isel(time=-1).sel(zone="china",
                                                            commodity="dy_oxide").values))
    # the P50 comes from the stored quantiles (interpolated like numpy's median)
    assert ends.loc[("dy_oxide", "china"), "b"] == pytest.approx(expected)
    assert set(found.rows["status"]) == {"both"}


def test_labels_and_variables_in_one_run_only_are_said() -> None:
    a = fake_dataset()
    b = fake_dataset(seed=1).drop_vars(["price", "price_quantiles"]).isel(region=[0, 1])
    found = deltas(a, b)
    jpn = found.rows[(found.rows["group"] == "sector") & (found.rows["region"] == "JPN")]
    assert len(jpn)
    assert set(jpn["status"]) == {"only_a"}
    assert jpn["b"].isna().all()
    assert jpn["diff"].isna().all()
    prices = found.rows[found.rows["group"] == "price"]
    assert len(prices)
    assert set(prices["status"]) == {"only_a"}
    assert any("run B has no prices" in n for n in found.notes)
    assert any("only in run A: JPN · automotive" in n for n in found.notes)
    # the other way round: the labels are only in B
    back = deltas(b, a)
    assert set(back.rows[back.rows["region"] == "JPN"]["status"]) == {"only_b"}


def _figure_json(figure: object) -> dict[str, object]:
    return json.loads(json.dumps(figure.to_plotly_json(), default=str))  # type: ignore[attr-defined]


def test_comparison_overlays_a_and_b_on_one_axis(store: RunStore) -> None:
    a = store.save(fake_dataset(seed=0), fake_manifest(), SCENARIO_TEXT)
    b = store.save(fake_dataset(seed=5), fake_manifest(scenario="fake-other"),
                   SCENARIO_TEXT.replace("fake-squeeze", "fake-other"))
    content = build_comparison(store.get(a), store.get(b))
    assert content.kind == "compare"
    assert [r["run_id"] for r in content.runs] == [a, b]  # A first, as asked
    assert [s.key for s in content.sections] == ["runs", "headline", "stoppage", "prices",
                                                 "price_differences", "exports", "deltas"]
    prices = content.section("prices")
    assert len(prices.figures) == 2  # one per commodity
    for figure in prices.figures:
        names = [t.name for t in figure.data]
        assert any(n.startswith("A: fake-squeeze") for n in names)
        assert any(n.startswith("B: fake-other") for n in names)
        assert names.index(next(n for n in names if n.startswith("A:"))) < names.index(
            next(n for n in names if n.startswith("B:")))
        assert {t.yaxis for t in figure.data} == {None}  # every trace on the one y axis
    # the stoppage timelines: two panels with one x range
    timeline = _figure_json(content.section("stoppage").figures[0])
    layout = timeline["layout"]
    assert layout["xaxis"]["range"] == layout["xaxis2"]["range"]  # type: ignore[index]
    # the difference chart is B - A of the P50
    diffs = content.section("price_differences")
    i = next(i for i, c in enumerate(diffs.charts) if c.group == "dy_oxide")
    trace = next(t for t in diffs.figures[i].data if t.name == "china")
    qa = fake_dataset(seed=0)["price_quantiles"].sel(quantile=0.5, zone="china",
                                                     commodity="dy_oxide")
    qb = fake_dataset(seed=5)["price_quantiles"].sel(quantile=0.5, zone="china",
                                                     commodity="dy_oxide")
    np.testing.assert_allclose(trace.y, (qb - qa).values)
    for section in content.sections:
        assert len(section.charts) == len(section.figures)
        assert all(c.alt for c in section.charts)
    doc = json.loads(json.dumps(content.to_json(), default=str))
    assert doc["sections"][3]["charts"][0]["table"]["columns"]
    assert doc["sections"][3]["picker"] == "commodity"


def test_comparison_of_a_run_without_prices(store: RunStore, tmp_path: Path) -> None:
    a = store.save(fake_dataset(), fake_manifest(), SCENARIO_TEXT)
    b = store.save(fake_dataset(seed=1).drop_vars(["price", "price_quantiles"]), fake_manifest(),
                   SCENARIO_TEXT)
    content = build_comparison(store.get(a), store.get(b))
    assert "run B has no prices" in content.section("prices").note
    assert content.section("price_differences").figures == []
    path = write_comparison(store, a, b, tmp_path / "c.html")
    html = path.read_text(encoding="utf-8")
    assert "A: fake-squeeze" in html
    assert "B − A" in html
