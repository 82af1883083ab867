"""The exposure page and ``POST /api/exposure``: an uploaded product's results, and bad uploads
refused with a reason (sizes, paths, names, draws), in a real headless Chromium and over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page

from spigot.exposure import PRODUCTS
from spigot.web.exposure import MAX_EXPOSURE_DRAWS
from tests.browserkit import browser  # noqa: F401 - the module's browser fixture
from tests.web.conftest import LiveServer

RUN_TIMEOUT_MS = 300_000  # compiles the engine on a cold cache

WIDGET = """\
name: widget
plant: {region: DEU, output_per_week: 100, value_per_unit: 500, cover_weeks: 6}
components:
  - {name: magnet, commodity: ndfeb_magnet, kg_per_unit: 1.0, supplier: {region: CHN}}
"""


@pytest.fixture(scope="module")
def live(live_factory: object) -> LiveServer:
    return live_factory()  # type: ignore[operator]


@pytest.fixture
def client(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=300) as c:
        yield c


def test_post_a_product_and_get_the_documented_keys(client: httpx.Client) -> None:
    response = client.post("/api/exposure", data={"yaml": WIDGET, "draws": "16",
                                                  "scenario": ["licence-squeeze", "baseline"]})
    assert response.status_code == 200, response.text
    doc = response.json()
    assert [s["scenario"] for s in doc["scenarios"]] == ["licence-squeeze", "baseline"]
    base = doc["scenarios"][1]
    assert base["stop_probability"] == 0.0
    assert base["cause"] is None
    assert {"stop_probability", "first_stop_week_p50", "lost_usd_p95", "cause"} <= set(
        doc["scenarios"][0])
    assert doc["materials"][0]["suppliers"][0]["node"] == "mag_chn"


def test_bundled_product_text(client: httpx.Client) -> None:
    assert client.get("/api/products/ev-motor").json()["yaml"] == PRODUCTS.path(
        "ev-motor").read_text(encoding="utf-8")
    missing = client.get("/api/products/..%2Fsecrets")
    assert missing.status_code == 404


@pytest.mark.parametrize(("data", "files", "status", "needle"), [
    ({"yaml": WIDGET.replace("cover_weeks: 6", "cover_weeks: -1"), "scenario": "baseline"}, None,
     422, "line 2: field 'plant.cover_weeks'"),
    ({"yaml": WIDGET, "scenario": "../../etc/passwd"}, None, 422, "unknown scenario"),
    ({"yaml": WIDGET, "scenario": "baseline", "draws": str(MAX_EXPOSURE_DRAWS + 1)}, None, 422,
     "too many draws"),
    ({"scenario": "baseline"}, {"file": ("../p.yaml", WIDGET.encode(), "text/yaml")}, 422,
     "plain name"),
    ({"yaml": "a: &x [1]\nb: *x\n", "scenario": "baseline"}, None, 422, "alias"),
    ({"yaml": "name: x\n" + "#" * 300_000, "scenario": "baseline"}, None, 413, "too large"),
    ({"scenario": "baseline"}, None, 422, "give exactly one product"),
])
def test_bad_uploads_are_refused_with_a_reason(client: httpx.Client, data: dict[str, str],
                                               files: dict[str, tuple[str, bytes, str]] | None,
                                               status: int, needle: str) -> None:
    response = client.post("/api/exposure", data=data, files=files)
    assert response.status_code == status, response.text
    assert needle in response.text
    assert client.get("/api/health").status_code == 200


def test_cross_site_post_is_refused(client: httpx.Client, live: LiveServer) -> None:
    response = client.post("/api/exposure", data={"yaml": WIDGET, "scenario": "baseline"},
                           headers={"Origin": "https://evil.example"})
    assert response.status_code == 403


def test_the_page_runs_an_example_and_shows_an_error_inline(browser: Browser,  # noqa: F811
                                                             live: LiveServer) -> None:
    context = browser.new_context(base_url=live.url, viewport={"width": 1400, "height": 1000})
    pg: Page = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        pg.goto("/exposure")
        pg.wait_for_selector("body[data-ready=true]")
        pg.select_option("#product-select", "ev-motor")
        for _ in range(100):  # the page's CSP forbids eval, so poll the value
            if "ev-motor" in pg.input_value("#product-text"):
                break
            pg.wait_for_timeout(50)
        pg.fill("#exp-draws", "16")
        pg.click("#exposure-button")
        pg.wait_for_selector("#exposure-result:not([hidden]) #exposure-table tbody tr",
                             timeout=RUN_TIMEOUT_MS)
        text = pg.inner_text("#exposure-table")
        assert "licence-squeeze" in text
        assert "short of ndfeb_magnet" in text
        assert "mag_jpn~ev_motor" in pg.inner_text("#exposure-materials")
        pg.fill("#product-text", WIDGET.replace("kg_per_unit: 1.0", "kg_per_unit: 0"))
        pg.click("#exposure-button")
        pg.wait_for_selector("#exposure-errors:not([hidden])")
        assert "components[0].kg_per_unit" in pg.inner_text("#exposure-errors")
    finally:
        context.close()
    assert [e for e in errors if "422" not in e] == []
