"""The analyst's pages in a real headless Chromium (Debian's, driven by Playwright), over a store
of small real runs: a baseline, a magnet embargo, a licence squeeze and a replay.

Covers: every kind of run opens (contents, charts with text alternatives and data tables, the
controlled commodities first); compare with baseline from a run page (A and B overlaid on the same
y axis, a difference chart); the world map (country shapes from the server, no other host); the
scenario form builds a licence policy without typing YAML and runs it; labels, downloads, delete
with confirmation; an error page is HTML. The browser never leaves 127.0.0.1.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from spigot.web.jobs import execute
from tests.store.fakes import SCENARIO_TEXT, fake_dataset, fake_manifest
from tests.web.conftest import LiveServer, start_server
from tests.web.real_runs import WEEKS, store_real_runs

LOAD_MS = 120_000  # a report on a busy 2-core machine


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    """A dashboard over a store of real runs (jobs run in the server's process)."""
    folder = tmp_path_factory.mktemp("real-store")
    ids = store_real_runs(folder)
    live = start_server(folder, runner=execute, max_draws=200)
    yield live, ids
    live.stop()


@pytest.fixture
def seen() -> dict[str, list[str]]:
    """Console errors, the hosts the page asked for, and console messages a test expects."""
    return {"errors": [], "urls": [], "expected": []}


@pytest.fixture
def page(browser: Browser, real: tuple[LiveServer, dict[str, str]], seen: dict[str, list[str]]
         ) -> Iterator[Page]:
    live = real[0]
    context = browser.new_context(base_url=live.url, viewport={"width": 1400, "height": 1000},
                                  accept_downloads=True)
    pg = context.new_page()
    pg.on("pageerror", lambda exc: seen["errors"].append(str(exc)))
    pg.on("console", lambda msg: seen["errors"].append(msg.text) if msg.type == "error" else None)
    pg.on("request", lambda request: seen["urls"].append(request.url))
    yield pg
    context.close()
    errors = [e for e in seen["errors"] if not any(x in e for x in seen["expected"])]
    assert errors == [], f"errors in the browser console: {errors}"
    foreign = [u for u in seen["urls"] if not u.startswith((live.url, "data:", "blob:"))]
    assert foreign == [], f"the page asked another host: {foreign}"


def open_page(pg: Page, path: str) -> None:
    """Go to ``path`` and wait until its script has attached its handlers."""
    pg.goto(path)
    pg.wait_for_selector("body[data-ready=true]", timeout=LOAD_MS)


def open_run(pg: Page, run_id: str) -> None:
    open_page(pg, f"/runs/{run_id}")
    pg.wait_for_selector("#report[data-loaded=true]", timeout=LOAD_MS)


def figure(pg: Page, selector: str) -> Any:
    """The plotly figure drawn in ``selector``: its traces (name, yaxis, y) and y-axis range."""
    return pg.eval_on_selector(selector, """div => ({
        names: div._fullData.map(t => t.name), axes: div._fullData.map(t => t.yaxis),
        ys: div._fullData.map(t => Array.from(t.y || [])),
        range: div._fullLayout.yaxis.range.slice(), autorange: div._fullLayout.yaxis.autorange})""")


# ---------------------------------------------------------------------- every run opens
@pytest.mark.parametrize("name", ["baseline", "magnet-embargo", "licence-squeeze",
                                  "replay-2023-gallium"])
def test_every_kind_of_run_opens_top_down(page: Page, real: tuple[LiveServer, dict[str, str]],
                                          name: str) -> None:
    pg = page
    open_run(pg, real[1][name])
    assert "Internal Server Error" not in pg.inner_text("body")
    sections = pg.eval_on_selector_all("#report > section", "s => s.map(x => x.dataset.section)")
    assert sections[0] == "headline", sections
    assert sections.index("stoppage") < sections.index("prices") < sections.index("scenario")
    toc = pg.eval_on_selector_all("#toc nav a", "a => a.map(x => x.getAttribute('href'))")
    assert toc == [f"#{key}" for key in sections]
    plotted = pg.locator("#report .figure.plotted svg.main-svg")
    assert plotted.count() >= 1
    labels = pg.eval_on_selector_all("#report .figure", "d => d.map(x => x.getAttribute('aria-label'))")
    assert labels
    assert all(label and len(label) > 5 for label in labels), labels
    assert pg.eval_on_selector_all("#report .figure", "d => d.every(x => x.getAttribute('role') === 'img')")
    assert pg.locator("#report details.data-table table").count() >= 1
    facts = pg.inner_text("#run-facts")
    assert f"{WEEKS} weeks" in facts
    assert ("replay" if name.startswith("replay") else "run") in facts


def test_controlled_commodities_first_and_the_rest_on_a_picker(
        page: Page, real: tuple[LiveServer, dict[str, str]]) -> None:
    pg = page
    open_run(pg, real[1]["licence-squeeze"])
    assert "dy_oxide, tb_oxide, ndfeb_magnet" in pg.inner_text("#controlled")
    titles = pg.eval_on_selector_all(
        "#prices .figure", "d => d.map(x => x.getAttribute('aria-label'))")
    assert titles, "no price chart shown"
    assert all(re.search(r"dy_oxide|tb_oxide|ndfeb_magnet", t) for t in titles), titles
    picker = pg.locator("#prices-picker")
    options = picker.locator("option").all_inner_texts()
    assert "ndpr_oxide" in options
    picker.select_option(label="ndpr_oxide")
    pg.wait_for_selector("#prices .picked[data-shown=ndpr_oxide] .figure.plotted svg.main-svg")


# ---------------------------------------------------------------------- compare with baseline
def test_compare_with_baseline_from_a_run_page(page: Page,
                                               real: tuple[LiveServer, dict[str, str]]) -> None:
    pg = page
    ids = real[1]
    open_run(pg, ids["licence-squeeze"])
    pg.click("#baseline-button")
    pg.wait_for_url(re.compile(r"/compare\?a="))
    assert f"a={ids['baseline']}" in pg.url
    assert f"b={ids['licence-squeeze']}" in pg.url
    pg.wait_for_selector("#compare[data-loaded=true]", timeout=LOAD_MS)
    sections = pg.eval_on_selector_all("#compare > section", "s => s.map(x => x.dataset.section)")
    assert sections[:3] == ["runs", "headline", "stoppage"], sections
    # the controlled commodities' prices: A and B overlaid in one chart, on one y axis
    charts = pg.eval_on_selector_all("#cmp-prices .figure", "d => d.map(x => x.getAttribute('aria-label'))")
    assert charts
    assert all(re.search(r"dy_oxide|tb_oxide|ndfeb_magnet", c) for c in charts), charts
    overlay = figure(pg, "#cmp-prices .figure.plotted >> nth=0")
    a_traces = [n for n in overlay["names"] if n.startswith("A")]
    b_traces = [n for n in overlay["names"] if n.startswith("B")]
    assert a_traces, overlay["names"]
    assert len(a_traces) == len(b_traces), overlay["names"]
    assert set(overlay["axes"]) == {"y"}, overlay["axes"]  # one y axis, one range, for A and B
    assert pg.eval_on_selector("#cmp-prices .figure.plotted >> nth=0",
                               "div => Object.keys(div._fullLayout).filter(k => /^yaxis\\d/.test(k))"
                               ) == []
    # differences, and the stoppage timelines side by side on the same x range
    assert pg.locator("#cmp-price_differences .figure.plotted").count() >= 1
    ranges = pg.eval_on_selector("#cmp-stoppage .figure.plotted >> nth=0",
                                 "div => [div._fullLayout.xaxis.range, div._fullLayout.xaxis2.range]")
    assert ranges[0] == ranges[1]
    headline = pg.inner_text("#cmp-headline")
    assert "B − A" in headline
    assert "B / A − 1" in headline


def test_runs_page_compares_in_the_order_ticked(page: Page,
                                                real: tuple[LiveServer, dict[str, str]]) -> None:
    pg = page
    ids = real[1]
    open_page(pg, "/runs")
    first, second = ids["magnet-embargo"], ids["baseline"]
    for run_id in (first, second):
        box = pg.locator(f"input.pick[value='{run_id}']")
        assert "Compare" in (box.get_attribute("aria-label") or "")
        box.check()
    expect(pg.locator("#compare-button")).to_be_enabled()
    pg.click("#compare-button")
    pg.wait_for_url(re.compile(r"/compare\?a="))
    assert pg.url.endswith(f"/compare?a={first}&b={second}")


# ---------------------------------------------------------------------- world
def test_world_map_renders_offline_and_tables_sort(page: Page) -> None:
    pg = page
    open_page(pg, "/world")
    pg.wait_for_selector("#world-map[data-dataset=base] .geolayer path", timeout=LOAD_MS)
    countries = pg.locator("#world-map .choroplethlocation")
    assert countries.count() >= 10  # the producers of rare-earth concentrate
    assert pg.locator("#world-map .geolayer path").count() >= 5  # land, coastlines, borders...
    assert "HHI" in pg.inner_text("#map-caption")
    pg.select_option("#map-metric", "exposure")
    pg.wait_for_selector("#world-map[data-metric=exposure]")
    assert "Exposure" in (pg.get_attribute("#world-map", "aria-label") or "")
    pg.select_option("#map-metric", "share")
    pg.select_option("#map-commodity", "gallium")
    pg.wait_for_selector("#world-map[data-commodity=gallium][data-stage=refining]")
    # the risk table: filter, sort, download
    risk = "#risk-table"
    pg.fill(f"{risk} input.filter", "germanium")  # one stage: refining
    assert pg.get_attribute(risk, "data-rows") == "1"
    pg.fill(f"{risk} input.filter", "")
    pg.click(f"{risk} th button.sort:text-is('hhi_points')")
    assert pg.get_attribute(f"{risk} th:has(button:text-is('hhi_points'))", "aria-sort") == "descending"
    hhi = pg.eval_on_selector_all(f"{risk} tbody tr", "rows => rows.map(r => r.children[3].innerText)")
    numbers = [float(x.replace(",", "")) for x in hhi]
    assert numbers == sorted(numbers, reverse=True)
    with pg.expect_download() as info:
        pg.click(f"{risk} button.csv")
    text = Path(info.value.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("chokepoint,commodity,stage,hhi_points")
    # at 800 px the chokepoint column stays in view
    pg.set_viewport_size({"width": 800, "height": 900})
    box = pg.locator(f"{risk} thead th").first.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 800
    assert pg.inner_text(f"{risk} thead th >> nth=0") == "chokepoint"
    wrap = pg.locator(f"{risk} .table-wrap")
    assert pg.eval_on_selector(f"{risk} .table-wrap", "w => w.scrollWidth > w.clientWidth")
    pg.eval_on_selector(f"{risk} .table-wrap", "w => { w.scrollLeft = w.scrollWidth; }")
    assert pg.eval_on_selector(f"{risk} .table-wrap", "w => w.scrollLeft") > 100
    left = wrap.bounding_box()
    for cell in (f"{risk} thead th >> nth=0", f"{risk} tr.chokepoint td >> nth=0"):
        box = pg.locator(cell).bounding_box()
        assert box is not None
        assert left is not None
        assert abs(box["x"] - left["x"]) < 2, (cell, box, left)  # stuck to the left edge
    assert pg.inner_text(f"{risk} tr.chokepoint td >> nth=0") == "yes"


# ---------------------------------------------------------------------- scenario form
def test_form_builds_a_licence_policy_and_runs_it(page: Page) -> None:
    pg = page
    open_page(pg, "/scenario")
    assert "Blank: the scenario's 200 draws" in pg.inner_text("#draws-default")
    pg.select_option("#f-dataset", "toy")
    pg.fill("#f-name", "form-licence")
    pg.fill("#f-weeks", "8")
    pg.click("#add-licence")
    pg.wait_for_selector("#p0-commodities option[value=dy_oxide]")
    pg.select_option("#p0-commodities", ["dy_oxide", "ndfeb_magnet"])
    pg.select_option("#p0-dest-mode", "listed")
    pg.fill("#p0-dest-list", "usa, jpn")
    pg.fill("#p0-median", "30")
    pg.fill("#p0-approval", "0.5")
    yaml_text = pg.input_value("#yaml-text")
    for expected in ("name: form-licence", "dataset: toy", "horizon_weeks: 8",
                     "type: ExportLicence", "commodities: [dy_oxide, ndfeb_magnet]",
                     "destinations: [USA, JPN]", "median: 30", "default: 0.5"):
        assert expected in yaml_text, f"{expected!r} not in the YAML:\n{yaml_text}"
    lines = pg.inner_text("#yaml-lines").split()
    assert lines[:3] == ["1", "2", "3"]
    assert len(lines) == len(yaml_text.rstrip("\n").split("\n")) + 1
    pg.fill("#draws", "8")
    pg.click("#run-button")
    expect(pg.locator("#run-button")).to_be_disabled()
    pg.wait_for_selector("#run-link:not([hidden])", timeout=LOAD_MS)
    expect(pg.locator("#run-button")).to_be_enabled()
    assert pg.get_attribute("#job", "data-status") == "done"
    pg.click("#run-link")
    pg.wait_for_selector("#report[data-loaded=true]", timeout=LOAD_MS)
    assert "form-licence" in pg.inner_text("#run-facts")
    assert "type: ExportLicence" in pg.inner_text("#scenario pre")
    assert "8 draws" in pg.inner_text("#run-facts")


def test_yaml_edits_fill_the_form(page: Page) -> None:
    pg = page
    open_page(pg, "/scenario")
    pg.select_option("#builtin-select", "magnet-embargo")
    pg.wait_for_selector("#policies fieldset.policy[data-type=ExportBan]")
    assert pg.input_value("#f-weeks") == "104"
    assert pg.input_value("#p0-id") == "cn_magnet_embargo_usa"
    text = pg.input_value("#yaml-text").replace("horizon_weeks: 104", "horizon_weeks: 30")
    pg.fill("#yaml-text", text)
    expect(pg.locator("#f-weeks")).to_have_value("30")


# ---------------------------------------------------------------------- labels, downloads, delete
def test_label_downloads_and_delete_with_confirmation(
        page: Page, real: tuple[LiveServer, dict[str, str]]) -> None:
    pg = page
    live = real[0]
    doomed = live.store.save(fake_dataset(seed=5), fake_manifest(seed=5), SCENARIO_TEXT)
    open_run(pg, doomed)
    pg.fill("#label-input", "  to be   deleted ")
    pg.click("#label-save")
    expect(pg.locator("#run-label")).to_have_text("to be deleted")
    with pg.expect_download() as csv_info:
        pg.click("#csv-link")
    csv_text = Path(csv_info.value.path()).read_text(encoding="utf-8")
    assert csv_text.startswith("section,")
    assert "headline" in csv_text
    with pg.expect_download() as html_info:
        pg.click("#html-link")
    html = Path(html_info.value.path()).read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html")
    assert "Plotly" in html
    open_page(pg, "/runs")
    row = pg.locator(f"tr:has(a[href='/runs/{doomed}'])")
    assert "to be deleted" in row.inner_text()
    open_run(pg, doomed)
    pg.click("#delete-button")
    expect(pg.locator("#delete-dialog")).to_be_visible()
    pg.click("#delete-cancel")
    expect(pg.locator("#delete-dialog")).to_be_hidden()
    with httpx.Client(base_url=live.url) as client:
        assert client.get(f"/api/runs/{doomed}").status_code == 200
    pg.click("#delete-button")
    pg.click("#delete-confirm")
    pg.wait_for_url("**/runs")
    with httpx.Client(base_url=live.url) as client:
        assert client.get(f"/api/runs/{doomed}").status_code == 404


# ---------------------------------------------------------------------- errors
def test_an_error_page_is_html(page: Page, seen: dict[str, list[str]]) -> None:
    pg = page
    seen["expected"].append("status of 404")  # the browser logs the refused page
    response = pg.goto("/runs/nonexistent-id")
    assert response is not None
    assert response.status == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "unknown run" in pg.inner_text("body")


# Last in this module: it deletes the stored baseline.
def test_compare_with_baseline_runs_the_baseline_when_none_is_stored(
        page: Page, real: tuple[LiveServer, dict[str, str]]) -> None:
    pg = page
    live, ids = real
    with httpx.Client(base_url=live.url) as client:
        assert client.delete(f"/api/runs/{ids['baseline']}").status_code == 204
    open_run(pg, ids["magnet-embargo"])
    pg.click("#baseline-button")
    pg.wait_for_selector("#run-baseline")
    offer = pg.inner_text("#baseline-box")
    assert f"same 16 draws, seed 3 and {WEEKS} weeks from 2025-01-06" in offer
    pg.click("#run-baseline")
    expect(pg.locator("#run-baseline")).to_be_disabled()
    pg.wait_for_url(re.compile(r"/compare\?a="), timeout=LOAD_MS)
    pg.wait_for_selector("#compare[data-loaded=true]", timeout=LOAD_MS)
    new = [r for r in live.store.list() if r.scenario == "baseline"]
    assert len(new) == 1
    assert (new[0].draws, new[0].seed) == (16, 3)
    assert f"a={new[0].run_id}&b={ids['magnet-embargo']}" in pg.url
    facts = pg.inner_text("#cmp-runs")
    assert f"weeks\t{WEEKS}\t{WEEKS}" in facts
