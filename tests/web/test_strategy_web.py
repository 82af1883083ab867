"""A stored strategic search on the dashboard: listed under `kind=strategy`, its report (the
objective surface, the ranking, the rounds) served by `/api/runs/<id>/report` through the same
`build_content` as `spigot report`, and its run page (a live server over HTTP, like the other
dashboard tests)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.strategy.worlds import saved_search
from tests.web.conftest import start_server


@pytest.fixture(scope="module")
def client_and_id(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, str]]:
    store = tmp_path_factory.mktemp("strategy-store")
    run_id = saved_search(store)
    live = start_server(store)
    try:
        with live.client() as client:
            yield client, run_id
    finally:
        live.stop()


def test_strategy_entries_are_listed_by_kind(client_and_id: tuple[httpx.Client, str]) -> None:
    client, run_id = client_and_id
    listed = client.get("/api/runs", params={"kind": "strategy"})
    assert listed.status_code == 200
    assert [r["run_id"] for r in listed.json()] == [run_id]
    assert listed.json()[0]["kind"] == "strategy"
    assert client.get("/api/runs", params={"kind": "run"}).json() == []
    assert client.get("/api/runs", params={"kind": "strategi"}).status_code == 422


def test_the_report_of_a_search_has_its_surface_ranking_and_rounds(
        client_and_id: tuple[httpx.Client, str]) -> None:
    client, run_id = client_and_id
    response = client.get(f"/api/runs/{run_id}/report")
    assert response.status_code == 200
    report = response.json()
    assert report["kind"] == "strategy"
    sections = {s["key"]: s for s in report["sections"]}
    assert {"headline", "surface", "ranking", "rounds"} <= set(sections)
    surface = sections["surface"]
    assert [f["data"][0]["type"] for f in surface["figures"]] == ["heatmap", "scatter"]
    ranking = sections["ranking"]["table"]
    assert len(ranking) == 4  # the best and the three next best
    assert all(r["score_se_usd"] is not None and r["score_se_usd"] >= 0 for r in ranking)
    scores = [r["score_usd"] for r in ranking]
    assert scores == sorted(scores, reverse=True)
    assert len(sections["rounds"]["table"]) >= 1
    show = client.get(f"/api/runs/{run_id}").json()
    assert show["manifest"]["strategy"]["best_policy"]["label"] == ranking[0]["label"]


def test_the_run_page_of_a_search_opens(client_and_id: tuple[httpx.Client, str]) -> None:
    client, run_id = client_and_id
    page = client.get(f"/runs/{run_id}")
    assert page.status_code == 200
    assert run_id in page.text
