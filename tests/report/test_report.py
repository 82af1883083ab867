"""The HTML report: self-contained, with the right figures and tables (asserted on data, not pixels)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import spigot as sp
from spigot.report import build_content, write_report
from spigot.report.content import NOT_AVAILABLE, band, stoppage_table
from spigot.report.figures import sankey_links
from spigot.store import RunStore
from tests.store.fakes import SCENARIO_TEXT, fake_dataset, fake_manifest


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(tmp_path / "store")


def _figures(html: str) -> dict[str, dict[str, object]]:
    """The plotly figures embedded in a report, by their target div."""
    found = re.findall(r'<script type="application/json" class="spigot-figure" '
                       r'data-target="([^"]+)">(.*?)</script>', html, flags=re.S)
    return {target: json.loads(text) for target, text in found}


def test_report_is_one_self_contained_file(store: RunStore, tmp_path: Path) -> None:
    manifest = fake_manifest(dataset_hash=sp.datasets.load("toy").content_hash())
    run_id = store.save(fake_dataset(), manifest, SCENARIO_TEXT)
    path = write_report(store, run_id, tmp_path / "out" / "report.html")
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script[^>]+src=", html), "scripts must be inlined"
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    assert len(scripts) == 2  # plotly.js inlined once, then the loop that draws the figures
    assert len(scripts[0]) > 3_000_000
    assert "Plotly.newPlot" in scripts[1]
    page = html.replace(scripts[0], "")
    assert not re.search(r"""(src|href)=["']https?://""", page), "no external resources"
    assert "cdn" not in page.lower()
    assert "has changed since this run" not in html
    figures = _figures(html)
    kinds = {target: [t["type"] for t in fig["data"]] for target, fig in figures.items()}
    assert kinds["fig-sankey-0"] == ["sankey"]
    assert kinds["fig-stoppage-0"] == ["bar", "scatter"]
    assert len([k for k in kinds if k.startswith("fig-prices-")]) == 2  # one per commodity
    exports = [k for k in kinds if k.startswith("fig-exports-")]
    assert len(exports) == 2  # one chart per commodity, each on its own scale
    assert all(kinds[k] == ["scatter"] * 3 for k in exports)  # P95, P5-P95 band, P50
    assert kinds["fig-licences-0"] == ["scatter"]  # the fake run's queue, no pipeline
    # every chart has its text alternative and its numbers
    assert html.count('role="img" aria-label="') == len(figures)
    assert html.count("<summary>Data behind this chart</summary>") >= 5
    assert '<select id="pick-prices"' in html  # no controlled commodity: a picker for all
    assert 'href="#stoppage"' in html
    assert 'id="stoppage"' in html
    # one sankey per commodity; node labels are stage · region places of the toy world
    sankeys = [k for k in kinds if k.startswith("fig-sankey-")]
    assert len(sankeys) == len(sp.datasets.load("toy").commodities)
    labels = {lab for k in sankeys
              for lab in figures[k]["data"][0]["node"]["label"]}  # type: ignore[index]
    assert {"mining · CHN", "mining · USA", "separation · CHN", "magnet · JPN",
            "demand · USA"} <= labels
    assert "mining · CHN" in html
    assert "fake-squeeze" in html
    assert "A synthetic licence squeeze for tests." in html


def test_figure_json_cannot_close_the_script(store: RunStore, tmp_path: Path) -> None:
    dataset = fake_dataset()
    dataset["price"].attrs["units"] = "</script><script>alert(1)</script>"
    run_id = store.save(dataset, fake_manifest(), "name: <b>x</b>\n")
    html = write_report(store, run_id, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html
    assert "name: &lt;b&gt;x&lt;/b&gt;" in html


def test_fan_charts_band_and_median(store: RunStore) -> None:
    run_id = store.save(fake_dataset(), fake_manifest(), SCENARIO_TEXT)
    content = build_content(store.get(run_id))
    prices = content.section("prices")
    assert "price_quantiles" in prices.note  # precomputed quantiles are preferred over draws
    i = next(i for i, c in enumerate(prices.charts) if c.group == "dy_oxide")
    traces = prices.figures[i].data
    assert [t.name for t in traces] == ["china P95", "china P5-P95", "china P50",
                                        "ex_china P95", "ex_china P5-P95", "ex_china P50"]
    expected = fake_dataset()["price_quantiles"].sel(quantile=0.5, zone="china",
                                                     commodity="dy_oxide").values
    np.testing.assert_allclose(traces[2].y, expected)
    assert traces[1].fill == "tonexty"


def test_band_over_draws_and_means() -> None:
    ds = fake_dataset(draws=40)
    values, note = band(ds["exports"], ("time",))
    assert values.dims == ("quantile", "time")
    assert "40 draws" in note
    np.testing.assert_allclose(values.sel(quantile=0.5).values,
                               ds["exports"].sum("commodity").quantile(0.5, "draw").values)
    mean = ds["exports"].mean("draw")
    flat, note = band(mean, ("time", "commodity"))
    assert "no spread" in note
    np.testing.assert_allclose(flat.isel(quantile=0).values, flat.isel(quantile=2).values)


def test_stoppage_table_from_draws() -> None:
    ds = fake_dataset()
    table, unit, name = stoppage_table(ds)  # type: ignore[misc]
    assert (name, unit) == ("first_stoppage", "week")
    china = table[table["label"].str.startswith("CHN")]
    assert (china["probability"] == 0).all()
    assert china["p50"].isna().all()
    usa = table[table["label"] == "USA · automotive"].iloc[0]
    values = ds["first_stoppage"].sel(region="USA", sector="automotive").values
    assert usa["p50"] == pytest.approx(np.median(values))


def test_missing_variables_say_not_available(store: RunStore) -> None:
    ds = xr.Dataset({"lost": (("draw",), np.arange(5.0), {"units": "USD"})},
                    coords={"draw": np.arange(5)})
    run_id = store.save(ds, {"dataset": "nowhere", "seed": 1}, "name: bare\n")
    content = build_content(store.get(run_id))
    for key in ("stoppage", "prices", "exports", "licences"):
        assert content.section(key).note == NOT_AVAILABLE
    assert "is not bundled" in content.section("sankey").note
    headline = content.section("headline").table
    assert headline is not None
    assert headline["P50"].tolist() == [2.0]


def test_sankey_of_the_base_world_has_every_stage() -> None:
    links = sankey_links(sp.datasets.load("base"))
    stages = set(links["source_stage"]) | set(links["target_stage"])
    assert {"mining", "separation", "magnet", "demand"} <= stages
    assert (links["value"] > 0).all()
    assert not (links["source"] == links["target"]).any()


def test_report_of_a_real_run(store: RunStore, tmp_path: Path) -> None:
    scenario_text = (Path(__file__).parents[1] / "web" / "conftest.py").read_text()
    text = scenario_text.split('TOY_SCENARIO = """\\\n', 1)[1].split('"""', 1)[0]
    from spigot.scenarios import load_text
    from spigot.sim import simulate

    results = simulate(load_text(text), draws=64, seed=2)
    run_id = store.save_results(results, text)
    xr.testing.assert_identical(store.get(run_id).dataset, results.data)
    content = build_content(store.get(run_id))
    assert content.section("stoppage").figures or content.section("stoppage").table is not None
    exports = content.section("exports")
    assert exports.note.startswith("cross_border_exports: ")  # bands over all 64 draws
    assert "quantiles over all draws" in exports.note
    i = next(i for i, c in enumerate(exports.charts) if c.group == "ndfeb_magnet")
    np.testing.assert_allclose(exports.figures[i].data[2].y, results.data["cross_border_exports"]
                               .sel(commodity="ndfeb_magnet", quantile=0.5).values)
    licences = content.section("licences")
    names = [t.name for t in licences.figures[0].data]
    assert names[:2] == ["queued (waiting for review) (t)", "under review (t)"]
    assert "commodity" in licences.table.columns  # type: ignore[union-attr]
    html = write_report(store, run_id, tmp_path / "real.html").read_text(encoding="utf-8")
    assert "toy-squeeze" in html


def test_reactions_section_shows_when_each_reaction_applied(store: RunStore) -> None:
    """Issue 20, item 3: the report of a run with reactions has their timeline; a dated
    reaction with a lag applies at its date plus the lag in every draw."""
    from tests.policy.test_reactions import scenario, step_of

    res = sp.simulate(scenario("""
  - id: usa_track
    measure: lic
    when: {date: 2025-04-07}
    lag_weeks: 2
    do: {approval: 0.5}
  - {id: later, measure: lic, when: {date: 2030-01-01}, do: {approval: 0.1}}
"""))
    run_id = store.save_results(res, "name: reactions\n")
    section = next(s for s in build_content(store.get(run_id)).sections if s.key == "reactions")
    assert section.table is not None
    table = section.table.set_index("reaction")
    assert table.loc["usa_track", "share_applied"] == 1.0
    assert table.loc["later", "share_applied"] == 0.0  # beyond the horizon
    assert len(section.charts) == 1
    data = section.charts[0].table
    assert data is not None
    assert list(data["label"]) == ["usa_track: date -> approval"]
    assert data["p50"].iloc[0] == step_of("2025-04-07") + 2
    plain = store.save_results(sp.simulate(scenario("  []\n")), "name: plain\n")
    empty = next(s for s in build_content(store.get(plain)).sections if s.key == "reactions")
    assert empty.note == "no reactions in this scenario"
    assert not empty.charts
