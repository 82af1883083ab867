"""The JSON API over HTTP: world, scenarios, runs, limits, and bad uploads (4xx with a reason)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from spigot.web.jobs import execute
from tests.web.conftest import TOY_SCENARIO, LiveServer, wait_for_job


@pytest.fixture(scope="module")
def live(live_factory: object) -> LiveServer:
    # jobs run in the server's process (thread) so the test needs no second interpreter
    return live_factory(runner=execute, max_draws=500)  # type: ignore[operator]


@pytest.fixture
def client(live: LiveServer) -> Iterator[httpx.Client]:
    with live.client() as c:
        yield c


def _still_serving(client: httpx.Client) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


# ---------------------------------------------------------------------- world and scenarios
def test_health_and_openapi(client: httpx.Client) -> None:
    _still_serving(client)
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/runs", "/api/runs/{run_id}/report", "/api/jobs/{job_id}",
                 "/api/scenarios/validate", "/api/datasets/{name}/risk", "/api/compare"):
        assert path in paths


def test_datasets_tables_and_risk(client: httpx.Client) -> None:
    names = [d["name"] for d in client.get("/api/datasets").json()]
    assert "toy" in names
    nodes = client.get("/api/datasets/toy/tables/nodes").json()
    assert nodes["total"] == 6
    assert {"id", "region", "stage", "capacity"} <= set(nodes["columns"])
    assert nodes["units"]["capacity"] == "t/yr"
    risk = client.get("/api/datasets/toy/risk").json()
    choke = [r for r in risk["rows"] if r["chokepoint"]]
    assert [(r["stage"], r["top_supplier"]) for r in choke] == [("separation", "CHN")]


@pytest.mark.parametrize(("path", "reason"), [
    ("/api/datasets/nope/risk", "unknown dataset: got 'nope'"),
    ("/api/datasets/toy/tables/passwd", "unknown table: got 'passwd'"),
    ("/api/scenarios/..%2F..%2Fetc%2Fpasswd", "not found"),
    ("/api/scenarios/nope", "unknown scenario: got 'nope'"),
    ("/api/jobs/nope", "unknown job: got 'nope'"),
    ("/api/runs/zzz", "unknown run: got 'zzz'"),
    ("/api/runs/..%2F..%2Fetc%2Fpasswd", "not found"),
    ("/api/runs/....etc.passwd/report", "unknown run: got '....etc.passwd'"),
    ("/runs/..%2F..%2Fetc%2Fpasswd", "not found"),
])
def test_unknown_names_are_404_with_the_reason(client: httpx.Client, path: str, reason: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    if path.startswith("/api"):
        assert reason in response.json()["detail"]
    else:  # a page answers with the error page, carrying the same message
        assert response.headers["content-type"].startswith("text/html")
        assert reason in response.text


def test_builtin_scenarios(client: httpx.Client) -> None:
    names = [s["name"] for s in client.get("/api/scenarios").json()]
    assert {"baseline", "licence-squeeze", "magnet-embargo"} <= set(names)
    text = client.get("/api/scenarios/licence-squeeze").json()["yaml"]
    assert "ExportLicence" in text


def test_validate_a_good_scenario(client: httpx.Client) -> None:
    body = client.post("/api/scenarios/validate", data={"yaml": TOY_SCENARIO}).json()
    assert body == {"valid": True, "name": "toy-squeeze", "dataset": "toy", "weeks": 26,
                    "draws": 64, "policies": 1}
    builtin = client.post("/api/scenarios/validate", data={"scenario": "baseline"})
    assert builtin.status_code == 200


# ---------------------------------------------------------------------- bad uploads
BAD = [
    ({"data": {"yaml": "name: [unclosed\n"}}, 422, "line 2: not valid YAML"),
    ({"files": {"file": ("bad.yaml", b"policies: {a: 1\n")}}, 422, "not valid YAML"),
    ({"data": {"yaml": TOY_SCENARIO.replace("[dy_oxide,", "[unobtainium,")}}, 422,
     "unknown commodity: got 'unobtainium'"),
    ({"data": {"yaml": TOY_SCENARIO.replace("dataset: toy", "dataset: /etc")}}, 422,
     "bundled datasets only"),
    ({"data": {"yaml": TOY_SCENARIO.replace("dataset: toy", "dataset: ../../etc/passwd")}}, 422,
     "bundled datasets only"),
    ({"data": {"yaml": "name: &a x\ndescription: *a\n"}}, 422, "YAML aliases are not allowed"),
    ({"data": {"yaml": "horizon_weeks: -3\n"}}, 422, "horizon_weeks"),
    ({"files": {"file": ("../../etc/passwd", TOY_SCENARIO.encode())}}, 422,
     "file name must be a plain name, not a path: got '../../etc/passwd'"),
    ({"files": {"file": ("latin.yaml", "name: caf\xe9".encode("latin-1"))}}, 422, "not UTF-8"),
    ({"data": {"scenario": "../../etc/passwd"}}, 422, "unknown scenario: got '../../etc/passwd'"),
    ({"data": {}}, 422, "give exactly one scenario"),
    ({"data": {"scenario": "baseline", "yaml": "name: x"}}, 422, "give exactly one scenario"),
]


@pytest.mark.parametrize(("request_kwargs", "status", "reason"), BAD)
@pytest.mark.parametrize("endpoint", ["/api/scenarios/validate", "/api/runs"])
def test_bad_uploads_get_a_4xx_with_the_reason(client: httpx.Client, endpoint: str,
                                               request_kwargs: dict[str, object], status: int,
                                               reason: str) -> None:
    response = client.post(endpoint, **request_kwargs)  # type: ignore[arg-type]
    assert response.status_code == status, response.text
    assert reason in response.json()["detail"]
    _still_serving(client)


def test_a_50_mb_upload_is_refused_with_413(client: httpx.Client) -> None:
    big = b"# padding\n" * (5 * 1024 * 1024)  # 50 MiB
    response = client.post("/api/runs", files={"file": ("big.yaml", big)})
    assert response.status_code == 413
    assert "request body too large" in response.json()["detail"]
    assert "the limit is 1 MiB" in response.json()["detail"]
    _still_serving(client)


def test_a_chunked_upload_is_cut_off_at_the_limit(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:  # a multipart upload sent without a Content-Length
        yield (b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="big.yaml"\r\n'
               b"Content-Type: application/x-yaml\r\n\r\n")
        for _ in range(40):  # 40 x 64 KiB = 2.5 MiB
            yield b"# padding\n" * 6554
        yield b"\r\n--xyz--\r\n"

    response = client.post("/api/scenarios/validate", content=chunks(),
                           headers={"content-type": "multipart/form-data; boundary=xyz"})
    assert response.status_code == 413
    assert "request body too large" in response.json()["detail"]
    _still_serving(client)


def test_draws_are_limited_per_request(client: httpx.Client) -> None:
    response = client.post("/api/runs", data={"yaml": TOY_SCENARIO, "draws": "501"})
    assert response.status_code == 422
    assert "too many draws for one request: got 501; expected at most 500" in \
        response.json()["detail"]
    response = client.post("/api/runs", data={"yaml": TOY_SCENARIO, "draws": "0"})
    assert response.status_code == 422
    assert "draws" in response.json()["detail"]


# ---------------------------------------------------------------------- runs
def test_stored_runs_list_show_report_compare(client: httpx.Client) -> None:
    runs = client.get("/api/runs").json()
    assert len(runs) >= 2
    a, b = runs[-1]["run_id"], runs[-2]["run_id"]
    shown = client.get(f"/api/runs/{a}").json()
    assert shown["run"]["run_id"] == a
    assert shown["manifest"]["seed"] == 1
    assert {v["name"] for v in shown["variables"]} >= {"price", "first_stoppage"}
    report = client.get(f"/api/runs/{a}/report").json()
    keys = [s["key"] for s in report["sections"]]
    assert keys == ["headline", "stoppage", "prices", "exports", "licences", "reactions", "sankey",
                    "chokepoints", "criticality", "summary", "scenario"]
    sankey = next(s for s in report["sections"] if s["key"] == "sankey")
    assert sankey["figures"][0]["data"][0]["type"] == "sankey"
    compare = client.get(f"/api/compare?a={a}&b={b}").json()
    assert compare["a"]["run"]["run_id"] == a
    assert compare["b"]["headline"]
    assert client.get(f"/compare?a={a}&b={b}").status_code == 200
    assert client.get(f"/runs/{a}").status_code == 200


def test_run_a_scenario_in_the_background(client: httpx.Client, live: LiveServer) -> None:
    before = {r["run_id"] for r in client.get("/api/runs").json()}
    started = client.post("/api/runs", data={"yaml": TOY_SCENARIO, "draws": "64", "seed": "5"})
    assert started.status_code == 202
    job = wait_for_job(client, started.json()["job_id"])
    assert job["status"] == "done", job
    assert job["progress"] == 1.0
    run_id = job["run_id"]
    assert run_id not in before
    info = client.get(f"/api/runs/{run_id}").json()["run"]
    assert (info["scenario"], info["draws"], info["seed"], info["dataset"]) == (
        "toy-squeeze", 64, 5, "toy")
    report = client.get(f"/api/runs/{run_id}/report").json()
    stoppage = next(s for s in report["sections"] if s["key"] == "stoppage")
    assert stoppage["table"]
    assert live.store.get(run_id).scenario_text == TOY_SCENARIO
    assert client.delete(f"/api/runs/{run_id}").status_code == 204
    assert client.get(f"/api/runs/{run_id}").status_code == 404


def test_pages_render(client: httpx.Client) -> None:
    for path in ("/world", "/scenario", "/runs", "/api"):
        response = client.get(path)
        assert response.status_code == 200
        assert "/static/app.js?v=" in response.text
        assert ("/static/plotly.min.js" in response.text) == (path == "/world")
    assert client.get("/", follow_redirects=True).url.path == "/world"
    js = client.get("/static/plotly.min.js")
    assert js.status_code == 200
    assert len(js.content) > 1_000_000
    assert client.get("/static/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert client.get("/static/app.py").status_code == 404
    assert "/api/runs/{run_id}/report" in client.get("/api").text
    assert client.get("/docs").status_code == 404  # Swagger UI would load scripts from a CDN
