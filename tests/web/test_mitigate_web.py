"""The dashboard renders a stored mitigate entry (issue 19): its report sections through
``build_content`` and its page (the entry from ``spigot mitigate``). A live server as the other
web tests use: starlette's TestClient warns on this httpx, and warnings are errors here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.report.mitigate_entry import saved_mitigate_entry
from tests.web.conftest import start_server


@pytest.fixture(scope="module")
def entry(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, Any]]:
    return saved_mitigate_entry(tmp_path_factory.mktemp("mitweb"))


def test_the_dashboard_serves_the_report_and_page_of_a_mitigate_entry(
        entry: tuple[Path, str, dict[str, Any]]) -> None:
    store_path, run_id, doc = entry
    live = start_server(store_path)
    try:
        with httpx.Client(base_url=live.url, timeout=60) as client:
            _check(client, run_id, doc)
    finally:
        live.stop()


def _check(client: httpx.Client, run_id: str, doc: dict[str, Any]) -> None:
    report = client.get(f"/api/runs/{run_id}/report")
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["kind"] == "mitigate"
    sections = {s["key"]: s for s in body["sections"]}
    assert {"headline", "frontier", "portfolios", "marginal"} <= set(sections)
    traces = sections["frontier"]["figures"][0]["data"]
    assert [t["name"] for t in traces][2:] == ["expected, simulated (engine, fresh draws)",
                                               "P95, predicted", "P95, simulated"]
    rows = sections["frontier"]["table"]
    assert [r["cost_usd"] for r in rows] == pytest.approx([p["cost_usd"] for p in doc["frontier"]])
    assert [r["simulated_lost_usd_mean"] for r in rows] == pytest.approx(
        [p["verification"]["simulated_lost_usd_mean"] for p in doc["frontier"]])
    page = client.get(f"/runs/{run_id}")
    assert page.status_code == 200
    assert run_id in page.text
    listing = client.get("/api/runs?kind=mitigate")
    assert listing.status_code == 200
    assert [r["run_id"] for r in listing.json()] == [run_id]
    html = client.get(f"/api/runs/{run_id}/report.html")
    assert html.status_code == 200
    assert "The portfolio at each point" in html.text
