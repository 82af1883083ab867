"""The dashboard's page-support routes over HTTP: static files (hashed URLs, long cache, gzip),
labels, a run's page facts and baseline, CSV and HTML downloads, the world map's data, and the
scenario form's YAML parsing."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import httpx
import pytest

from spigot.store import RunStore
from spigot.store.labels import MAX_LABEL, get_labels, set_label
from spigot.web.views import STATIC, static_bytes
from tests.web.conftest import LiveServer


@pytest.fixture(scope="module")
def live(live_factory: object) -> LiveServer:
    return live_factory(max_draws=500)  # type: ignore[operator]


@pytest.fixture
def client(live: LiveServer) -> Iterator[httpx.Client]:
    with live.client() as c:
        yield c


@pytest.fixture
def run_id(live: LiveServer) -> str:
    return live.store.list()[0].run_id


# ---------------------------------------------------------------------- speed
def test_pages_load_plotly_only_where_charts_are(client: httpx.Client, run_id: str) -> None:
    for path in ("/runs", "/scenario", "/api"):
        html = client.get(path).text
        assert "plotly.min.js" not in html, path
    for path in ("/world", f"/runs/{run_id}"):
        html = client.get(path).text
        tag = re.search(r'<script src="/static/plotly\.min\.js\?v=[0-9a-f]{12}"( defer)?>', html)
        assert tag is not None, path
        assert tag.group(1) == " defer", path
        head = html.split("</head>")[0]
        assert all(" defer" in s for s in re.findall(r"<script src=[^>]*>", head)), path


def test_static_files_are_hashed_cached_and_compressed(client: httpx.Client) -> None:
    html = client.get("/runs").text
    url = re.search(r'src="(/static/app\.js\?v=([0-9a-f]{12}))"', html)
    assert url is not None
    raw, _packed, digest = static_bytes("app.js")
    assert url.group(2) == digest
    response = client.get(url.group(1), headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.content == raw  # httpx decodes the gzip body
    unhashed = client.get("/static/app.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in unhashed.headers
    assert unhashed.headers["cache-control"] == "public, max-age=300"
    again = client.get(url.group(1), headers={"If-None-Match": f'"{digest}"'})
    assert again.status_code == 304
    plotly_size = len(static_bytes("plotly.min.js")[1])
    assert plotly_size < len(static_bytes("plotly.min.js")[0]) / 2
    assert set(STATIC) >= {"app.js", "report.js", "world.js", "form.js", "world_110m.json"}
    assert client.get("/static/passwd").status_code == 404


def test_html_and_json_answers_are_compressed(client: httpx.Client) -> None:
    response = client.get("/api/datasets/base/world", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.num_bytes_downloaded < len(response.content) / 3
    assert response.json()["dataset"] == "base"
    page = client.get("/world", headers={"Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip"


# ---------------------------------------------------------------------- labels
def test_labels_are_stored_listed_and_removed(client: httpx.Client, run_id: str) -> None:
    response = client.put(f"/api/runs/{run_id}/label", json={"label": "  Dy   squeeze "})
    assert response.status_code == 200
    assert response.json() == {"run_id": run_id, "label": "Dy squeeze"}
    assert client.get("/api/labels").json() == {run_id: "Dy squeeze"}
    assert client.get(f"/api/runs/{run_id}/page").json()["label"] == "Dy squeeze"
    too_long = client.put(f"/api/runs/{run_id}/label", json={"label": "x" * (MAX_LABEL + 1)})
    assert too_long.status_code == 422
    assert "label is too long" in too_long.json()["detail"]
    assert client.put(f"/api/runs/{run_id}/label", json={"label": ""}).json()["label"] is None
    assert client.get("/api/labels").json() == {}
    unknown = client.put("/api/runs/20990101-000000-abcdef/label", json={"label": "x"})
    assert unknown.status_code == 404


def test_a_store_without_the_labels_table_reads_as_no_labels(live: LiveServer) -> None:
    fresh = RunStore(live.store.path.parent / "no-labels-yet")
    assert get_labels(fresh) == {}  # no catalog at all
    from tests.store.fakes import SCENARIO_TEXT, fake_dataset, fake_manifest

    saved = fresh.save(fake_dataset(seed=9), fake_manifest(seed=9), SCENARIO_TEXT)
    assert get_labels(fresh) == {}  # a catalog without run_labels
    assert set_label(fresh, saved, "first") == "first"
    assert get_labels(fresh) == {saved: "first"}
    assert [r.run_id for r in fresh.list()] == [saved]  # the runs table is untouched


# ---------------------------------------------------------------------- a run's page
def test_page_facts_and_baseline_offer(client: httpx.Client, run_id: str) -> None:
    facts = client.get(f"/api/runs/{run_id}/page").json()
    assert facts["weeks"] == 12
    assert facts["start"] == "2025-01-06"
    assert facts["controlled"] == []
    assert facts["baseline"] is None  # no baseline run in this store
    offer = client.get(f"/api/runs/{run_id}/baseline").json()
    assert offer["run_id"] is None
    info = client.get(f"/api/runs/{run_id}").json()["run"]
    assert (offer["draws"], offer["seed"]) == (info["draws"], info["seed"])
    assert (offer["weeks"], offer["dataset"]) == (12, "toy")
    for line in ("name: baseline", "dataset: toy", "start: 2025-01-06", "horizon_weeks: 12"):
        assert line in offer["yaml"].splitlines(), line
    valid = client.post("/api/scenarios/validate", data={"yaml": offer["yaml"]})
    assert valid.status_code == 200, valid.text
    assert valid.json()["weeks"] == 12


def test_page_facts_are_the_run_s_own(live: LiveServer, client: httpx.Client) -> None:
    # 'spigot run --weeks 7' stores the scenario text (12 weeks) and the run's own 7 weeks
    from tests.store.fakes import SCENARIO_TEXT, fake_dataset, fake_manifest

    short = live.store.save(fake_dataset(seed=11), fake_manifest(seed=11, weeks=7,
                                                                 start="2025-02-03"),
                            SCENARIO_TEXT)
    try:
        facts = client.get(f"/api/runs/{short}/page").json()
        assert (facts["weeks"], facts["start"]) == (7, "2025-02-03")
        offer = client.get(f"/api/runs/{short}/baseline").json()
        assert "horizon_weeks: 7" in offer["yaml"].splitlines()
    finally:
        client.delete(f"/api/runs/{short}")


def test_downloads(client: httpx.Client, run_id: str) -> None:
    response = client.get(f"/api/runs/{run_id}/tables.csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert f'filename="spigot-{run_id}-tables.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    sections = {r["section"] for r in rows}
    assert {"summary", "headline", "stoppage"} <= sections
    assert any(r["section"] == "summary" and r["value"] == run_id for r in rows)
    report = client.get(f"/api/runs/{run_id}/report.html")
    assert report.headers["content-type"].startswith("text/html")
    assert "attachment" in report.headers["content-disposition"]
    assert report.text.lstrip().lower().startswith("<!doctype html")
    assert run_id in report.text
    assert "cdn." not in report.text.split("<script")[0]


# ---------------------------------------------------------------------- world and form
def test_world_data(client: httpx.Client) -> None:
    world = client.get("/api/datasets/toy/world").json()
    shares = [r for r in world["shares"] if r["stage"] == "mining"]
    assert {r["region"] for r in shares} == {"CHN", "USA"}
    assert abs(sum(r["share"] for r in shares) - 1.0) < 1e-9
    choke = [r for r in world["stages"] if r["chokepoint"]]
    assert [(r["stage"], r["top_supplier"]) for r in choke] == [("separation", "CHN")]
    assert {"importer", "commodity", "exposure_share"} <= set(world["exposure"][0])
    risk = client.get("/api/datasets/toy/risk.csv")
    assert risk.text.splitlines()[0].startswith("chain,commodity,stage")
    assert client.get("/api/datasets/nope/world").status_code == 404


def test_parse_for_the_form(client: httpx.Client) -> None:
    good = client.post("/api/scenarios/parse", data={"yaml": "name: x\nstart: 2025-01-06\n"
                                                              "policies: []\n"}).json()
    assert good == {"data": {"name": "x", "start": "2025-01-06", "policies": []}, "problems": []}
    bad = client.post("/api/scenarios/parse", data={"yaml": "name: [unclosed\n"}).json()
    assert bad["data"] is None
    assert bad["problems"][0]["line"] == 2
    alias = client.post("/api/scenarios/parse", data={"yaml": "a: &x 1\nb: *x\n"}).json()
    assert "aliases are not allowed" in alias["problems"][0]["text"]
    for text in ("a: " + "[" * 20000 + "]" * 20000,
                 "".join(" " * i + f"k{i}:\n" for i in range(0, 400, 2))):
        deep = client.post("/api/scenarios/parse", data={"yaml": text})
        assert deep.status_code == 200
        assert deep.elapsed.total_seconds() < 10  # PyYAML would take minutes
        assert "nested too deeply" in deep.json()["problems"][0]["text"]
