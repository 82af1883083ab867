"""The self-contained report in a real headless Chromium: charts drawn offline, the commodity
picker shows the picked commodity's chart, every chart has its text alternative."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser

import spigot as sp
from spigot.report import write_report
from spigot.store import RunStore
from tests.store.fakes import SCENARIO_TEXT, fake_dataset, fake_manifest


def test_picker_shows_and_draws_the_picked_commodity(browser: Browser, tmp_path: Path) -> None:
    store = RunStore(tmp_path / "store")
    manifest = fake_manifest(dataset_hash=sp.datasets.load("toy").content_hash())
    run_id = store.save(fake_dataset(), manifest, SCENARIO_TEXT)
    path = write_report(store, run_id, tmp_path / "r.html")
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.route("**/*", lambda route: route.abort() if not route.request.url.startswith("file:")
               else route.continue_())  # offline: nothing but the file itself
    page.goto(path.as_uri())
    charts = page.locator('#prices figure.chart')
    assert charts.count() == 2
    shown = page.locator("#prices figure.chart:not([hidden])")
    assert shown.count() == 1  # one commodity at a time
    first = shown.get_attribute("data-group")
    other = next(g for g in ("dy_oxide", "ndfeb_magnet") if g != first)
    assert page.locator(f'#prices figure[data-group="{other}"] svg.main-svg').count() == 0
    page.select_option("#pick-prices", other)
    picked = page.locator(f'#prices figure[data-group="{other}"]')
    assert picked.is_visible()
    assert picked.locator("svg.main-svg").count() >= 1  # drawn when picked
    assert not page.locator(f'#prices figure[data-group="{first}"]').is_visible()
    labels = page.locator('div.figure[role="img"]')
    assert labels.count() == page.locator("script.spigot-figure").count()
    assert all(labels.nth(i).get_attribute("aria-label") for i in range(labels.count()))
    assert page.locator('nav a[href="#licences"]').count() == 1
    assert errors == []
    page.close()
