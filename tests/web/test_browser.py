"""End to end in a real headless Chromium (Debian's, driven by Playwright): world, launch, charts,
compare, and a bad upload shown inline.

``make test`` installs Chromium when it is missing. The browser never leaves 127.0.0.1.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import LiveServer

RUN_TIMEOUT_MS = 300_000  # a scenario run (spawned process, numba) on a busy 2-core machine


@pytest.fixture(scope="module")
def live(live_factory: object) -> LiveServer:
    # the default runner: each run in its own process, as with 'spigot serve'
    return live_factory(max_draws=2000)  # type: ignore[operator]


@pytest.fixture
def console_errors() -> list[str]:
    """Errors the page logged; a test that expects some (a 422) removes them."""
    return []


@pytest.fixture
def page(browser: Browser, live: LiveServer, console_errors: list[str]) -> Iterator[Page]:
    context = browser.new_context(base_url=live.url, viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    errors = console_errors
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield pg
    context.close()
    assert errors == [], f"errors in the browser console: {errors}"


def open_page(pg: Page, path: str) -> None:
    """Go to ``path`` and wait until its script has attached its handlers."""
    pg.goto(path)
    pg.wait_for_selector("body[data-ready=true]")


def test_world_page_shows_datasets_and_risk(page: Page) -> None:
    pg = page
    open_page(pg, "/world")
    pg.select_option("#dataset-select", "toy")
    pg.wait_for_selector("#risk-table[data-dataset=toy] table.risk tbody tr.chokepoint")
    rows = pg.locator("#risk-table table.risk tbody tr")
    assert rows.count() == 3
    assert "separation" in pg.locator("#risk-table tr.chokepoint").inner_text()
    pg.click("#table-tabs button[data-table=routes]")
    pg.wait_for_selector("#table-view[data-dataset=toy][data-table=routes]")
    assert pg.locator("#table-view table tbody tr").count() == 10
    assert "routes: 10 rows" in pg.inner_text("#table-info")
    pg.select_option("#dataset-select", "base")
    pg.wait_for_selector("#risk-table[data-dataset=base] table.risk tbody tr.chokepoint")
    assert pg.locator("#risk-table table.risk tbody tr").count() > 3


def test_launch_a_scenario_wait_and_see_its_charts(page: Page, tmp_path: Path) -> None:
    pg = page
    open_page(pg, "/scenario")
    pg.select_option("#builtin-select", "licence-squeeze")
    # expect() polls without eval, which the dashboard's Content-Security-Policy forbids
    expect(pg.locator("#yaml-text")).to_have_value(re.compile("ExportLicence"))
    pg.fill("#draws", "64")
    pg.click("#validate-button")
    pg.wait_for_selector("#validation:not([hidden])")
    assert "Valid: licence-squeeze" in pg.inner_text("#validation")
    pg.click("#run-button")
    pg.wait_for_selector("#job:not([hidden])")
    pg.wait_for_selector("#run-link:not([hidden])", timeout=RUN_TIMEOUT_MS)
    assert pg.get_attribute("#job", "data-status") == "done"
    assert pg.eval_on_selector("#progress", "p => p.value") == 1
    pg.click("#run-link")
    pg.wait_for_selector("#report[data-loaded=true]", timeout=120_000)
    for section in ("sankey", "stoppage", "exports", "licences"):
        figure = pg.locator(f"#{section} .figure.plotted svg.main-svg")
        assert figure.count() >= 1, f"no chart drawn in section {section}"
    sankey = pg.inner_text("#sankey")
    assert "separation · CHN" in sankey  # the Dy oxide flows, shown first (controlled)
    assert "licence-squeeze" in pg.inner_text("#scenario pre")
    pg.screenshot(path=str(tmp_path / "run.png"), full_page=True)


def test_compare_two_runs(page: Page, live: LiveServer) -> None:
    pg = page
    open_page(pg, "/runs")
    pg.wait_for_selector("#runs-table table.runs")
    boxes = pg.locator("input.pick")
    assert boxes.count() >= 2
    assert pg.is_disabled("#compare-button")
    boxes.nth(0).check()
    boxes.nth(1).check()
    pg.click("#compare-button")
    pg.wait_for_url("**/compare?a=*")
    pg.wait_for_selector("#compare[data-loaded=true]", timeout=120_000)
    assert pg.locator("#cmp-prices .figure.plotted svg.main-svg").count() >= 1
    assert pg.locator("#cmp-price_differences .figure.plotted svg.main-svg").count() >= 1
    headline = pg.locator("#cmp-headline table tbody tr")
    assert headline.count() >= 1
    ids = [r.run_id for r in live.store.list()[:2]]
    header = pg.inner_text("h1")
    assert ids[0] in header
    assert ids[1] in header


def test_bad_uploads_are_shown_inline(page: Page, tmp_path: Path, console_errors: list[str]
                                      ) -> None:
    pg = page
    open_page(pg, "/scenario")
    pg.fill("#yaml-text", "name: [unclosed\n")
    pg.click("#validate-button")
    pg.wait_for_selector("#errors:not([hidden])")
    text = pg.inner_text("#errors")
    assert "HTTP 422" in text
    assert "line 2: not valid YAML" in text
    bad = tmp_path / "unknown.yaml"
    bad.write_text("name: bad\ndataset: toy\npolicies:\n  - type: ExportBan\n    id: ban\n"
                   "    exporter: CHN\n    commodities: [unobtainium]\n", encoding="utf-8")
    pg.set_input_files("#upload", str(bad))
    pg.click("#run-button")
    expect(pg.locator("#errors")).to_contain_text("unobtainium")
    assert "unknown commodity" in pg.inner_text("#errors")
    assert pg.is_hidden("#job")
    # the browser logs the two refused requests; nothing else may have gone wrong
    refused = [e for e in console_errors if "status of 422" in e]
    assert len(refused) == 2
    console_errors[:] = [e for e in console_errors if e not in refused]
