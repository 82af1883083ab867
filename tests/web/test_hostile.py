"""Issue 15 as it was reported, against a live dashboard: files and URLs named in uploads, YAML
bombs, huge horizons and seeds, a server frozen by one request, cross-site requests, foreign
Host headers, token auth, wrong status codes. Every case must be refused quickly, with the
documented error shape, and the server must keep serving."""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from spigot.web import intake
from spigot.web.jobs import Report
from tests.web.conftest import TOY_SCENARIO, LiveServer

PARAMS = TOY_SCENARIO + "market:\n  parameters: WHERE\n"


@pytest.fixture(scope="module")
def live(live_factory: Any) -> LiveServer:
    return live_factory(max_draws=500, runner=_never_runs)  # type: ignore[no-any-return]


def _never_runs(store: Path, text: str, draws: int | None, seed: int | None,
                report: Report) -> str:
    raise AssertionError("no hostile request may reach the runner")


@pytest.fixture
def client(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=15) as c:
        yield c


def _serving(client: httpx.Client) -> None:
    assert client.get("/api/health").json()["status"] == "ok"


def _fifo(tmp_path: Path) -> str:
    path = tmp_path / "pipe.csv"
    os.mkfifo(path)
    return str(path)


# ---------------------------------------------------------------------- 1. files and URLs
@pytest.mark.parametrize("endpoint", ["/api/scenarios/validate", "/api/runs"])
@pytest.mark.parametrize("where", ["/etc/passwd", "../../../../etc/hostname",
                                   "http://127.0.0.1:9/parameters.csv",
                                   "file:///etc/passwd", "/dev/zero", "FIFO"])
def test_market_parameters_never_reach_the_file_system(client: httpx.Client, tmp_path: Path,
                                                        endpoint: str, where: str) -> None:
    where = _fifo(tmp_path) if where == "FIFO" else where
    started = time.monotonic()
    response = client.post(endpoint, data={"yaml": PARAMS.replace("WHERE", where)})
    assert time.monotonic() - started < 5  # a FIFO or /dev/zero opened would hang or grow
    assert response.status_code == 422, response.text
    body = response.json()
    assert "field 'market.parameters'" in body["detail"]
    assert "the dashboard does not read files" in body["detail"]
    assert body["problems"][0]["field"] == "market.parameters"
    assert "root:" not in response.text  # nothing of the file is echoed
    _serving(client)


@pytest.mark.parametrize("where", ["/etc", "/", "http://127.0.0.1:9/world", "s3://bucket/world",
                                   "../../../../etc"])
def test_dataset_must_be_a_bundled_name(client: httpx.Client, where: str) -> None:
    text = TOY_SCENARIO.replace("dataset: toy", f"dataset: {where}")
    response = client.post("/api/scenarios/validate", data={"yaml": text})
    assert response.status_code == 422
    assert response.json()["problems"][0]["field"] == "dataset"
    assert "bundled datasets only" in response.json()["detail"]


# ---------------------------------------------------------------------- 2. frozen server
def test_10000_nested_brackets_are_refused_at_once(client: httpx.Client) -> None:
    bomb = "name: x\ndescription: " + "[" * 10_000 + "]" * 10_000 + "\n"
    started = time.monotonic()
    response = client.post("/api/scenarios/validate", data={"yaml": bomb})
    assert time.monotonic() - started < 2
    assert response.status_code == 422
    assert "line 2: YAML nested too deeply" in response.json()["detail"]


def test_deep_block_nesting_is_refused(client: httpx.Client) -> None:
    bomb = "name: x\n" + "".join(f"{'  ' * i}k{i}:\n" for i in range(100)) + "  " * 100 + "v: 1\n"
    response = client.post("/api/runs", data={"yaml": bomb})
    assert response.status_code == 422
    assert "YAML nested too deeply" in response.json()["detail"]


def test_a_400_kb_bomb_gets_413(client: httpx.Client) -> None:
    bomb = "description: " + "[" * 200_000 + "]" * 200_000
    response = client.post("/api/scenarios/validate", files={"file": ("bomb.yaml", bomb)})
    assert response.status_code == 413
    assert "scenario text too large" in response.json()["detail"]


def _slow_upload() -> str:
    """A 230 KB scenario within every size and depth limit that takes seconds to parse."""
    items = ", ".join(f"[{i}, {{a: {i}}}]" for i in range(12_000))
    return f"name: slow\ndataset: toy\ndescription: [{items}]\n"


def test_a_slow_request_in_flight_does_not_stop_others(client: httpx.Client,
                                                       live: LiveServer) -> None:
    outcome: dict[str, Any] = {}

    def hostile() -> None:
        with httpx.Client(base_url=live.url, timeout=60) as other:
            outcome["response"] = other.post("/api/scenarios/validate",
                                              data={"yaml": _slow_upload()})
            outcome["done"] = time.monotonic()

    thread = threading.Thread(target=hostile)
    thread.start()
    latencies: list[float] = []
    answered_while_busy = 0
    try:
        while thread.is_alive() and len(latencies) < 200:
            started = time.monotonic()
            response = client.get("/api/runs")
            latencies.append(time.monotonic() - started)
            assert response.status_code == 200
            if thread.is_alive():
                answered_while_busy += 1
    finally:
        thread.join(60)
    assert outcome["response"].status_code == 422  # description must be text
    assert answered_while_busy >= 3, "the hostile request finished before the others were sent"
    # the others are answered in well under a second while it runs (a frozen server answered
    # none until the hostile request ended: 14 s and more); the bound on the slowest one leaves
    # room for a 2-core machine that other jobs load (seen: 1.2 s once under load 5)
    assert statistics.median(latencies) < 1.0, latencies
    assert max(latencies) < 3.0, latencies


def test_a_check_over_its_deadline_answers_422_quickly(client: httpx.Client,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(intake, "PREPARE_TIMEOUT_S", 0.3)
    started = time.monotonic()
    response = client.post("/api/scenarios/validate", data={"yaml": _slow_upload()})
    assert time.monotonic() - started < 2.5
    assert response.status_code == 422
    assert "checking the scenario took too long" in response.json()["detail"]


# ---------------------------------------------------------------------- 3. cost of a run
@pytest.mark.parametrize(("fields", "reason"), [
    ("horizon_weeks: 5200\nstep_weeks: 0.01\ndraws: 1\n", "too many time steps for one run"),
    ("horizon_weeks: 104\nstep_weeks: 0.001\ndraws: 1\n", "too many time steps for one run"),
    ("horizon_weeks: 5200\ndraws: 500\n", "run too large for memory"),
])
@pytest.mark.parametrize("endpoint", ["/api/scenarios/validate", "/api/runs"])
def test_huge_horizons_and_step_counts_are_refused(client: httpx.Client, endpoint: str,
                                                  fields: str, reason: str) -> None:
    text = re.sub(r"horizon_weeks: 26\ndraws: 64\n", fields, TOY_SCENARIO)
    text = text.replace("dataset: toy", "dataset: base").replace("[dy_oxide, ndfeb_magnet]",
                                                                  "[dy_oxide]")
    started = time.monotonic()
    response = client.post(endpoint, data={"yaml": text})
    # refused before anything runs: the run would take many minutes. The bound is loose
    # because a slow check of an earlier test may still hold a worker for ~5 s (measured: 4.98 s
    # for this request after the slow-upload tests, 0.2 s alone)
    assert time.monotonic() - started < 30
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert reason in detail
    assert "spigot run" in detail  # how to go further: the command line's higher limits


@pytest.mark.parametrize("seed", ["9223372036854775808", "-1"])
def test_huge_and_negative_seeds_are_refused(client: httpx.Client, seed: str) -> None:
    response = client.post("/api/runs", data={"yaml": TOY_SCENARIO, "seed": seed})
    assert response.status_code == 422
    assert "seed" in response.json()["detail"]


# ---------------------------------------------------------------------- 5. cross-site
def _page_token(client: httpx.Client, live: LiveServer) -> str:
    page = client.get("/runs")
    port = live.url.rsplit(":", 1)[1]
    return str(page.cookies[f"spigot_csrf_{port}"])


def test_a_cross_site_form_post_cannot_launch_a_run(client: httpx.Client,
                                                    live: LiveServer) -> None:
    response = client.post("/api/runs", data={"scenario": "baseline"},
                           headers={"Origin": "http://evil.example"})
    assert response.status_code == 403
    assert "cross-site request refused" in response.json()["detail"]
    response = client.post("/api/runs", data={"scenario": "baseline"},
                           headers={"Referer": "http://evil.example/page.html"})
    assert response.status_code == 403
    response = client.post("/api/runs", data={"scenario": "baseline"},
                           headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    assert client.get("/api/jobs").json() == []


def test_same_origin_needs_the_csrf_token(client: httpx.Client, live: LiveServer) -> None:
    good = {"Origin": live.url}
    missing = client.post("/api/scenarios/validate", data={"yaml": TOY_SCENARIO}, headers=good)
    assert missing.status_code == 403
    assert "x-spigot-csrf" in missing.json()["detail"]
    token = _page_token(client, live)
    ok = client.post("/api/scenarios/validate", data={"yaml": TOY_SCENARIO},
                     headers={**good, "X-Spigot-CSRF": token})
    assert ok.status_code == 200, ok.text
    wrong = client.post("/api/scenarios/validate", data={"yaml": TOY_SCENARIO},
                        headers={**good, "X-Spigot-CSRF": token[:-2] + "xx"})
    assert wrong.status_code == 403


def test_a_foreign_host_cannot_delete_a_run(client: httpx.Client, live: LiveServer) -> None:
    run_id = client.get("/api/runs").json()[0]["run_id"]
    response = client.delete(f"/api/runs/{run_id}", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "host not allowed: got 'evil.example'" in response.json()["detail"]
    page = client.get("/world", headers={"Host": "rebound.example:8050"})
    assert page.status_code == 400
    assert "text/html" in page.headers["content-type"]
    assert client.get(f"/api/runs/{run_id}").status_code == 200
    assert client.get("/api/health", headers={"Host": "localhost"}).status_code == 200


def test_security_headers(client: httpx.Client) -> None:
    page = client.get("/runs")
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    script = csp.split("script-src")[1].split(";")[0]
    assert "'unsafe-inline'" not in script
    assert "http" not in script
    assert "'sha256-" in script  # the page's own inline script, by hash
    for response in (page, client.get("/api/runs"), client.get("/static/app.js")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "same-origin"


# ---------------------------------------------------------------------- 6. wrong codes
def test_kind_is_checked(client: httpx.Client) -> None:
    response = client.get("/api/runs?kind=bogus")
    assert response.status_code == 422
    assert ("unknown run kind: got 'bogus'; expected one of mitigate, replay, run, strategy, "
            "sweep") in response.json()["detail"]


def test_health_does_not_reveal_the_store(client: httpx.Client, live: LiveServer) -> None:
    body = client.get("/api/health").json()
    assert set(body) == {"status", "version"}
    assert str(live.store.path) not in str(body)


def test_pages_answer_errors_with_an_html_page(client: httpx.Client) -> None:
    response = client.get("/runs/20990101-000000-abcdef")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "unknown run: got &#39;20990101-000000-abcdef&#39;" in response.text
    api = client.get("/api/runs/20990101-000000-abcdef")
    assert api.status_code == 404
    assert "unknown run: got '20990101-000000-abcdef'" in api.json()["detail"]


def test_an_internal_error_is_json(live_factory: Any) -> None:
    server = live_factory()
    app = server.server.config.app
    store = app.state.store

    def broken(kind: str | None = None) -> list[Any]:
        raise RuntimeError("/secret/path exploded")

    store.list = broken
    with httpx.Client(base_url=server.url, timeout=15) as c:
        response = c.get("/api/runs")
        assert response.status_code == 500
        assert response.json() == {"detail": "internal error (RuntimeError): this is a bug in "
                                              "spigot; the server's log has the details."}
        _serving(c)


def test_a_full_queue_answers_429_with_retry_after(live_factory: Any) -> None:
    release = threading.Event()

    def blocked(store: Path, text: str, draws: int | None, seed: int | None,
                report: Report) -> str:
        release.wait(30)
        raise RuntimeError("released")

    server = live_factory(runner=blocked)
    server.server.config.app.state.jobs.max_queued = 2
    try:
        with httpx.Client(base_url=server.url, timeout=30) as c:
            codes = [c.post("/api/runs", data={"yaml": TOY_SCENARIO}).status_code
                     for _ in range(3)]
            assert codes == [202, 202, 429]
            full = c.post("/api/runs", data={"yaml": TOY_SCENARIO})
            assert full.status_code == 429
            assert int(full.headers["retry-after"]) > 0
            assert "already queued or running" in full.json()["detail"]
    finally:
        release.set()


# ---------------------------------------------------------------------- token auth
def test_token_auth(live_factory: Any) -> None:
    token = "s3cret-token-for-tests"
    server = live_factory(token=token)
    with httpx.Client(base_url=server.url, timeout=15) as c:
        assert c.get("/api/health").status_code == 200  # liveness needs no token
        refused = c.get("/api/runs")
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        assert c.get("/world").status_code == 401
        assert c.get("/api/runs", headers={"Authorization": "Bearer wrong"}).status_code == 401
        ok = c.get("/api/runs", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
        assert len(ok.json()) == 2
        # a bearer request needs no CSRF token (a browser cannot send one cross-site)
        valid = c.post("/api/scenarios/validate", data={"yaml": TOY_SCENARIO},
                       headers={"Authorization": f"Bearer {token}", "Origin": server.url})
        assert valid.status_code == 200
        login = c.get(f"/runs?token={token}")
        assert login.status_code == 303
        assert login.headers["location"] == "/runs"
        assert c.get("/runs").status_code == 200  # the cookie it set lets the browser in


def test_validate_warns_of_a_policy_after_the_horizon(client: httpx.Client) -> None:
    text = TOY_SCENARIO.replace("start: 2025-02-03", "start: 2026-02-02")
    body = client.post("/api/scenarios/validate", data={"yaml": text}).json()
    assert body["valid"] is True
    assert len(body["warnings"]) == 1
    assert "field 'policies[0].start': policy starts after the horizon ends" in body["warnings"][0]


def test_inline_script_hashes_survive_compression() -> None:
    """A page compressed by a middleware inside the security one still gets its script hash."""
    import base64
    import hashlib

    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.gzip import GZipMiddleware
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    from spigot.web.security import Security

    script = "document.body.dataset.ready = 'yes';" + " " * 2000
    page = f"<html><body><script>{script}</script></body></html>"
    app = Starlette(routes=[Route("/", lambda request: HTMLResponse(page))],
                    middleware=[Middleware(Security, allowed_hosts=["testserver"]),
                                Middleware(GZipMiddleware, minimum_size=100)])

    async def fetch() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await c.get("/", headers={"Accept-Encoding": "gzip"})

    response = asyncio.run(fetch())
    assert response.headers["content-encoding"] == "gzip"
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in response.headers["content-security-policy"]
    assert response.text == page
