"""Sweeps from the dashboard: POST /api/sweeps (checked like runs; 422 naming the field), a job
whose progress counts points as their Dask tasks complete, the stored sweep's report and its
points as CSV and Parquet."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from spigot.store import RunStore
from spigot.web.sweeps import execute_sweep
from tests.web.conftest import LiveServer, wait_for_job

TOY = (Path(__file__).parents[1] / "sweep" / "toy_licence.yaml").read_text(encoding="utf-8")
PARAMS = ["policies[0].approval.default=0.3:0.9",
          "policies[0].processing_time.distribution.median=20:60"]
#: A Sobol sweep of 2 parameters, base sample 4: 4 x (2 + 2) = 16 points of 8 draws.
SWEEP: dict[str, Any] = {"yaml": TOY, "params": PARAMS, "design": "sobol", "points": 4,
                         "draws": 8}


@pytest.fixture(scope="module")
def live(live_factory: object) -> LiveServer:
    # sweeps in a child process with a one-worker local Dask cluster, as with 'spigot serve'
    return live_factory(max_draws=500, sweep_workers=1)  # type: ignore[operator]


@pytest.fixture
def client(live: LiveServer) -> Any:
    with live.client() as c:
        yield c


@pytest.mark.parametrize(("change", "field", "reason"), [
    ({"yaml": None, "scenario": "nope"}, "scenario", "unknown scenario: got 'nope'"),
    ({"scenario": "licence-squeeze"}, "scenario", "give exactly one scenario"),
    ({"params": ["policies[0].approval.default"]}, "params[0]", "not a parameter range"),
    ({"params": ["policies[0].approval.default=0.9:0.3"]}, "params[0]", "LOW is above HIGH"),
    ({"params": ["policies[0].approval.nope=0:1"]}, "policies[0].approval.nope", "nope"),
    ({"points": 512}, "points", "too many sweep points"),
    ({"design": "grid", "points": 1000}, "points", "too many sweep points"),  # 1000 ** 2
    ({"points": 3}, "points", "a Sobol design needs a power of 2 base samples"),
    ({"draws": 100_000}, "draws", "too many draws for one request"),
])
def test_bad_sweeps_get_422_naming_the_field(client: httpx.Client, change: dict[str, Any],
                                             field: str, reason: str) -> None:
    response = client.post("/api/sweeps", json={**SWEEP, **change})
    assert response.status_code == 422, response.text
    body = response.json()
    assert reason in body["detail"]
    assert any(field in str(p["field"]) for p in body["problems"]), body["problems"]


@pytest.mark.parametrize(("change", "where"), [
    ({"design": "random"}, "design"), ({"points": 0}, "points"), ({"params": []}, "params"),
    ({"colour": "red"}, "colour"),
])
def test_malformed_sweep_requests_get_422(client: httpx.Client, change: dict[str, Any],
                                          where: str) -> None:
    response = client.post("/api/sweeps", json={**SWEEP, **change})
    assert response.status_code == 422
    assert response.json()["detail"].startswith(where)


@pytest.mark.parametrize(("yaml", "reason"), [
    ("name: &a x\ndescription: *a\n", "YAML aliases are not allowed"),
    ("name: x\n" + "".join(f"{'  ' * i}k{i}:\n" for i in range(100)) + "  " * 100 + "v: 1\n",
     "YAML nested too deeply"),
    (TOY.replace("dataset: toy", "dataset: /etc"), "bundled datasets only"),
])
def test_hostile_scenarios_are_refused_as_for_runs(client: httpx.Client, yaml: str,
                                                   reason: str) -> None:
    response = client.post("/api/sweeps", json={**SWEEP, "yaml": yaml})
    assert response.status_code == 422
    assert reason in response.json()["detail"]


def test_a_cross_site_post_cannot_start_a_sweep(client: httpx.Client) -> None:
    before = len(client.get("/api/jobs").json())
    for header in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        response = client.post("/api/sweeps", json=SWEEP, headers=header)
        assert response.status_code == 403
    assert len(client.get("/api/jobs").json()) == before


def test_oversized_scenario_text_gets_413(client: httpx.Client) -> None:
    big = TOY + "# " + "x" * 300_000 + "\n"  # over the 256 KiB scenario limit, under the body limit
    response = client.post("/api/sweeps", json={**SWEEP, "yaml": big})
    assert response.status_code == 413
    assert "scenario text too large" in response.json()["detail"]


def test_progress_counts_every_point_as_its_task_completes(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []

    def report(fraction: float, message: str, done: int | None = None,
               total: int | None = None) -> None:
        if done is not None and total is not None:
            seen.append((done, total))

    spec = {"params": PARAMS[:1], "design": "grid", "points": 3, "draws": 8, "seed": None}
    run_id = execute_sweep(tmp_path, TOY, spec, report, workers=1)
    sweeping = [d for d, n in seen if n == 3]
    assert sweeping[0] == 0
    assert sorted(set(sweeping)) == [0, 1, 2, 3]  # each completed task counted once, up to all
    assert sweeping == sorted(sweeping)
    assert RunStore(tmp_path).list(kind="sweep")[0].run_id == run_id


def test_start_a_sweep_follow_it_and_open_its_report(client: httpx.Client,
                                                     live: LiveServer) -> None:
    start = client.post("/api/sweeps", json=SWEEP)
    assert start.status_code == 202, start.text
    job = start.json()
    assert (job["kind"], job["done"], job["total"]) == ("sweep", 0, 16)
    dones = [job["done"]]
    final = wait_for_job(client, job["job_id"], limit=600, seen=dones)
    assert final["status"] == "done", final
    assert dones == sorted(dones)
    assert final["done"] == final["total"] == 16
    run_id = final["run_id"]
    assert live.store.list(kind="sweep")[0].run_id == run_id
    report = client.get(f"/api/runs/{run_id}/report").json()
    sections = {s["key"]: s for s in report["sections"]}
    assert {"headline", "sobol", "tornado", "points"} <= set(sections)
    assert sections["sobol"]["figures"]
    assert sections["tornado"]["figures"]
    csv = client.get(f"/api/runs/{run_id}/points.csv")
    assert csv.status_code == 200
    frame = pd.read_csv(io.StringIO(csv.text))
    assert list(frame["point"]) == list(range(16))
    assert list(frame.columns[1:3]) == [p.split("=")[0] for p in PARAMS]
    assert "lost_output_usd_mean" in frame
    parquet = pd.read_parquet(io.BytesIO(client.get(f"/api/runs/{run_id}/points.parquet").content))
    pd.testing.assert_frame_equal(parquet, frame, check_dtype=False, rtol=1e-12)
    page = client.get(f"/runs/{run_id}")
    assert page.status_code == 200
    assert "points-csv-link" in page.text
    not_a_sweep = live.store.list(kind="run")[0].run_id
    bad = client.get(f"/api/runs/{not_a_sweep}/points.csv")
    assert bad.status_code == 422
    assert "only a sweep has points" in bad.json()["detail"]
