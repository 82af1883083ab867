"""End to end in a real headless Chromium: start a tiny sweep on the sweep page, watch its
progress, open the stored sweep and see its Sobol and tornado charts and points downloads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.web.conftest import LiveServer

SWEEP_TIMEOUT_MS = 300_000  # a child process, a Dask worker and numba on a busy 2-core machine
TOY = (Path(__file__).parents[1] / "sweep" / "toy_licence.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def live(live_factory: object) -> LiveServer:
    return live_factory(max_draws=500, sweep_workers=1)  # type: ignore[operator]


@pytest.fixture
def page(browser: Browser, live: LiveServer) -> Iterator[Page]:
    context = browser.new_context(base_url=live.url, viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield pg
    context.close()
    assert errors == [], f"errors in the browser console: {errors}"


def test_start_a_sweep_see_progress_and_its_report(page: Page, tmp_path: Path) -> None:
    pg = page
    pg.goto("/sweep")
    pg.wait_for_selector("body[data-ready=true]")
    pg.select_option("#sweep-scenario", "")
    pg.fill("#sweep-yaml", TOY)
    pg.fill("#sweep-params", "policies[0].approval.default=0.3:0.9\n"
                             "policies[0].processing_time.distribution.median=20:60")
    pg.select_option("#sweep-design", "sobol")
    pg.fill("#sweep-points", "2")
    pg.fill("#sweep-draws", "8")
    pg.click("#sweep-button")
    pg.wait_for_selector("#sweep-job:not([hidden])")
    pg.wait_for_selector("#sweep-done:not([hidden])", timeout=SWEEP_TIMEOUT_MS)
    assert "8 of 8 points" in pg.inner_text("#sweep-status")  # 2 x (2 + 2) points
    assert pg.eval_on_selector("#sweep-progress", "p => p.value") == 1
    pg.click("#sweep-link")
    pg.wait_for_selector("#report[data-loaded=true]", timeout=120_000)
    for section in ("sobol", "tornado"):
        drawn = pg.locator(f"#{section} .figure.plotted svg.main-svg")
        assert drawn.count() >= 1, f"no chart drawn in section {section}"
    assert pg.locator("#points table tbody tr").count() == 8
    assert pg.is_visible("#points-csv-link")
    assert pg.is_visible("#points-parquet-link")
    assert not pg.is_visible("#baseline-button")
    pg.screenshot(path=str(tmp_path / "sweep.png"), full_page=True)
