"""The dashboard: FastAPI app with HTML pages and a JSON API (OpenAPI at ``/openapi.json``).

Safety rules (see docs/dashboard.md, "Security model"): bound to 127.0.0.1 by default; the Host
allow-list, optional token, CSRF checks and security headers of :mod:`spigot.web.security`; request
bodies over the upload limit get 413 before they are read; uploads are parsed and prepared off the
event loop within size, depth, step, cost and time limits (:mod:`spigot.web.intake`); run ids must
match the run-id pattern and are looked up in the catalog; scenarios are built-in names or
uploaded text naming bundled data only, so no file path or URL from a request reaches the file
system or the network.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import plotly.utils
from fastapi import FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from spigot import datasets, scenarios
from spigot._version import __version__
from spigot.errors import InputError, Problem, UnknownNameError
from spigot.network.schema import TABLE_ORDER
from spigot.report import build_content
from spigot.sim.cost import WEB_LIMITS, RunLimits
from spigot.store import KINDS, RunStore, UnknownRunError, is_run_id
from spigot.web.errors import install_error_handlers
from spigot.web.intake import check_scenario, off_loop, read_upload
from spigot.web.jobs import JobManager, Runner
from spigot.web.limits import BodyLimit
from spigot.web.memo import OnceCache
from spigot.web.security import LOCAL_HOSTS, Security

__all__ = ["create_app"]

logger = logging.getLogger(__name__)

ScenarioForm = Annotated[str | None, Form(description="A built-in scenario name.")]
YamlForm = Annotated[str | None, Form(alias="yaml", description="Scenario YAML text.")]
FileForm = Annotated[UploadFile | None, File(description="Scenario YAML file.")]

_TEMPLATES = Path(str(resources.files("spigot.web") / "templates"))


def _frame_json(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return list(json.loads(frame.to_json(orient="records", date_format="iso")))


def create_app(store_path: str | Path | None = None, *, max_draws: int = 5000,
               max_upload_bytes: int = 1024 * 1024, runner: Runner | None = None,
               allowed_hosts: tuple[str, ...] | list[str] = LOCAL_HOSTS,
               token: str | None = None, run_limits: RunLimits | None = None,
               sweep_workers: int | None = None) -> FastAPI:
    """Build the dashboard app.

    Parameters
    ----------
    store_path
        Run store folder (default: :func:`spigot.store.default_store_path`).
    max_draws
        Most draws one run request may ask for.
    max_upload_bytes
        Largest request body (scenario upload); larger ones get 413 before they are read.
    runner
        Run jobs in the server's process with this function (tests); by default each run goes
        to a child process.
    allowed_hosts
        Host names accepted in the ``Host`` header (``"*"``: any).
    token
        Access token required on every request but ``/api/health`` (``None``: no token).
    run_limits
        Run-cost limits of requested runs (default: :data:`spigot.sim.cost.WEB_LIMITS`, lowered by
        the ``SPIGOT_MAX_RUN_*`` environment variables).
    sweep_workers
        Dask worker processes of a dashboard sweep's local cluster (default: the CPU count;
        ``$SPIGOT_DASK_SCHEDULER`` sends sweeps to an existing cluster instead).
    """
    store = RunStore(store_path, snapshot=True, timeout=10.0)
    limits = run_limits or RunLimits.from_env(WEB_LIMITS)
    jobs = JobManager(store.path, runner)
    jobs.sweep_workers = sweep_workers
    templates = Jinja2Templates(directory=str(_TEMPLATES))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.shutdown()

    app = FastAPI(title="spigot dashboard", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None,  # their pages load scripts from a CDN
                  description="Critical-minerals supply system and export controls: datasets, "
                              "risk metrics, scenario runs and their results.")
    app.state.store, app.state.jobs, app.state.max_draws = store, jobs, max_draws
    install_error_handlers(app, templates)  # errors as JSON or a page; innermost middleware
    app.add_middleware(BodyLimit, max_bytes=max_upload_bytes)
    app.add_middleware(Security, allowed_hosts=allowed_hosts, token=token)  # outermost

    def run_id_of(ref: str) -> str:
        if ref != "latest" and not is_run_id(ref):
            raise UnknownRunError(ref, [])
        return store.resolve(ref)

    def dataset_of(name: str) -> Any:
        if name not in datasets.names():
            raise HTTPException(404, str(UnknownNameError("dataset", name, datasets.names())))
        return datasets.load(name)

    from spigot.web.views import register_views

    register_views(app, templates)  # static files, gzip, run page data, downloads, world map
    from spigot.web.exposure import register_exposure

    register_exposure(app, templates, limits)  # a product's exposure: page and API
    from spigot.web.sweeps import register_sweeps

    register_sweeps(app, templates, limits)  # sweeps: page, POST /api/sweeps, points downloads

    # ------------------------------------------------------------------ pages
    def page(request: Request, name: str, **context: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, name, {"version": __version__,
                                                          "max_draws": max_draws,
                                                          "store": str(store.path), **context})

    @app.get("/", include_in_schema=False)
    def index() -> RedirectResponse:
        return RedirectResponse("/world")

    @app.get("/world", response_class=HTMLResponse, include_in_schema=False)
    def world_page(request: Request) -> HTMLResponse:
        return page(request, "world.html", datasets=datasets.names())

    @app.get("/scenario", response_class=HTMLResponse, include_in_schema=False)
    def scenario_page(request: Request) -> HTMLResponse:
        return page(request, "scenario.html", scenarios=scenarios.names(),
                    datasets=datasets.names())

    @app.get("/runs", response_class=HTMLResponse, include_in_schema=False)
    def runs_page(request: Request) -> HTMLResponse:
        return page(request, "runs.html")

    @app.get("/runs/{run_id}", response_class=HTMLResponse, include_in_schema=False)
    def run_page(request: Request, run_id: str) -> HTMLResponse:
        return page(request, "run.html", run_id=run_id_of(run_id))

    @app.get("/api", response_class=HTMLResponse, include_in_schema=False)
    def api_page(request: Request) -> HTMLResponse:
        routes = [{"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                   "description": op.get("description", "")}
                  for path, ops in app.openapi()["paths"].items() for method, op in ops.items()]
        return page(request, "api.html", routes=routes)

    @app.get("/compare", response_class=HTMLResponse, include_in_schema=False)
    def compare_page(request: Request, a: str, b: str) -> HTMLResponse:
        return page(request, "compare.html", a=run_id_of(a), b=run_id_of(b))

    # ------------------------------------------------------------------ API: world
    @app.get("/api/health", tags=["meta"])
    def health() -> dict[str, Any]:
        """Liveness and version (nothing about the machine: it answers without a token)."""
        return {"status": "ok", "version": __version__}

    @app.get("/api/datasets", tags=["world"])
    def list_datasets() -> list[dict[str, Any]]:
        """The bundled datasets with their table sizes."""
        out = []
        for name in datasets.names():
            meta = datasets.describe(name)
            sizes = datasets.load(name).summary()
            out.append({"name": name, "title": meta.get("title"),
                        "base_year": meta.get("base_year"),
                        "description": " ".join(str(meta.get("description", "")).split()),
                        "tables": dict(zip(sizes["table"], sizes["rows"].astype(int).tolist(),
                                           strict=True))})
        return out

    @app.get("/api/datasets/{name}/tables/{table}", tags=["world"])
    def dataset_table(name: str, table: str,
                      limit: Annotated[int, Query(ge=1, le=5000)] = 1000) -> dict[str, Any]:
        """One table of a bundled dataset (first ``limit`` rows), with its units."""
        net = dataset_of(name)
        if table not in TABLE_ORDER:
            raise HTTPException(404, str(UnknownNameError("table", table, TABLE_ORDER)))
        frame = net.table(table)
        return {"dataset": name, "table": table, "total": len(frame),
                "columns": [str(c) for c in frame.columns], "units": frame.attrs.get("units", {}),
                "rows": _frame_json(frame.head(limit))}

    @app.get("/api/datasets/{name}/risk", tags=["world"])
    def dataset_risk(name: str) -> dict[str, Any]:
        """Concentration of every stage of every chain, with the chokepoints flagged."""
        from spigot.risk import chokepoints

        net = dataset_of(name)
        frame = chokepoints(net)
        columns = [c for c in ("chain", "commodity", "stage", "year", "hhi_points", "cr1", "cr3",
                               "top_supplier", "top_share", "n_producers", "chokepoint", "source")
                   if c in frame.columns]
        return {"dataset": name, "columns": columns, "units": frame.attrs.get("units", {}),
                "rows": _frame_json(frame[columns])}

    # ------------------------------------------------------------------ API: scenarios
    @app.get("/api/scenarios", tags=["scenarios"])
    def list_scenarios() -> list[dict[str, Any]]:
        """The built-in scenarios."""
        out = []
        for name in scenarios.names():
            scen = scenarios.load(name)
            out.append({"name": name, "dataset": scen.dataset, "weeks": scen.horizon_weeks,
                        "draws": scen.draws, "policies": len(scen.policies),
                        "description": " ".join(scen.description.split())})
        return out

    @app.get("/api/scenarios/{name}", tags=["scenarios"])
    def scenario_text(name: str) -> dict[str, Any]:
        """A built-in scenario's YAML text."""
        if name not in scenarios.names():
            raise HTTPException(404, str(UnknownNameError("scenario", name, scenarios.names())))
        return {"name": name, "yaml": scenarios.path(name).read_text(encoding="utf-8")}

    async def source_of(scenario: str | None, text: str | None,
                        file: UploadFile | None) -> tuple[str, str]:
        given = [x for x in (scenario, text, file) if x not in (None, "")]
        if len(given) != 1:
            raise InputError(Problem("give exactly one scenario", field="scenario",
                                     expected="a built-in name (scenario), YAML text (yaml), or an "
                                              "uploaded file (file)"))
        if scenario:
            if scenario not in scenarios.names():
                raise UnknownNameError("scenario", scenario, scenarios.names(), field="scenario")
            return scenario, scenarios.path(scenario).read_text(encoding="utf-8")
        if file is not None:
            return await read_upload(file, "my-scenario.yaml")
        return "uploaded text", str(text)

    @app.post("/api/scenarios/validate", tags=["scenarios"])
    async def validate(scenario: ScenarioForm = None, yaml_text: YamlForm = None,
                       file: FileForm = None) -> dict[str, Any]:
        """Check a scenario: YAML, fields, and names against its dataset (422 with problems)."""
        label, text = await source_of(scenario, yaml_text, file)
        done = await off_loop(check_scenario, label, text, limits=limits, max_draws=max_draws,
                              for_run=False)
        scen = done.scenario
        out: dict[str, Any] = {"valid": True, "name": scen.name, "dataset": scen.dataset,
                               "weeks": scen.horizon_weeks, "draws": scen.draws,
                               "policies": len(scen.policies)}
        if done.warnings:
            out["warnings"] = [p.describe() for p in done.warnings]
        return out

    # ------------------------------------------------------------------ API: runs
    @app.post("/api/runs", status_code=202, tags=["runs"])
    async def start_run(scenario: ScenarioForm = None, yaml_text: YamlForm = None,
                        file: FileForm = None,
                        draws: Annotated[int | None, Form(ge=1)] = None,
                        seed: Annotated[int | None, Form(ge=0, le=2**63 - 1)] = None
                        ) -> dict[str, Any]:
        """Validate a scenario and run it in the background; poll ``/api/jobs/{job_id}``."""
        label, text = await source_of(scenario, yaml_text, file)
        done = await off_loop(check_scenario, label, text, limits=limits, max_draws=max_draws,
                              draws=draws)
        scen = done.scenario
        job = jobs.submit(scen.name, text, done.cost.draws, seed)
        return {"job_id": job.job_id, "status_url": f"/api/jobs/{job.job_id}", **job.to_dict()}

    @app.get("/api/jobs", tags=["runs"])
    def list_jobs() -> list[dict[str, Any]]:
        """Runs requested from the dashboard, newest first."""
        return [j.to_dict() for j in jobs.list()]

    @app.get("/api/jobs/{job_id}", tags=["runs"])
    def job_status(job_id: str) -> dict[str, Any]:
        """Where a requested run stands: queued, running (with progress), done, or failed."""
        job = jobs.get(job_id)
        if job is None:
            raise HTTPException(404, f"unknown job: got {job_id!r}")
        return job.to_dict()

    @app.get("/api/runs", tags=["runs"])
    def list_runs(kind: str | None = None) -> list[dict[str, Any]]:
        """Stored runs, newest first; ``kind`` is one of the store's kinds (``run``, ``replay``,
        ``sweep``, ``mitigate``, ``strategy``; 422 otherwise)."""
        if kind is not None and kind not in KINDS:
            raise UnknownNameError("run kind", kind, KINDS, field="kind")
        return [r.to_dict() for r in store.list(kind=kind)]

    def run_json(run_id: str) -> dict[str, Any]:
        stored = store.get(run_id, variables=[])
        variables = [{"name": n, "dims": v["dims"], "units": v["attrs"].get("units", ""),
                      "stored": v["where"]} for n, v in stored.layout["variables"].items()]
        return {"run": stored.info.to_dict(), "manifest": stored.manifest,
                "scenario_text": stored.scenario_text, "sizes": stored.layout["sizes"],
                "variables": variables}

    run_cache = OnceCache(run_json, size=256)  # stored runs never change

    @app.get("/api/runs/{run_id}", tags=["runs"])
    def show_run(run_id: str) -> dict[str, Any]:
        """A run's catalog row, manifest, scenario text and variables."""
        return run_cache(run_id_of(run_id))

    def build_report(run_id: str) -> tuple[str, list[dict[str, Any]]]:
        """A run's report as JSON text, and its headline rows (runs never change once stored)."""
        content = build_content(store.get(run_id))
        headline = content.section("headline").table
        return (json.dumps(content.to_json(), cls=plotly.utils.PlotlyJSONEncoder),
                [] if headline is None else _frame_json(headline))

    report_json = OnceCache(build_report, size=64)  # each report built once, even under load

    @app.get("/api/runs/{run_id}/report", tags=["runs"])
    def run_report(run_id: str) -> Response:
        """The report's sections: notes, tables and plotly figures (JSON)."""
        return Response(report_json(run_id_of(run_id))[0], media_type="application/json")

    @app.delete("/api/runs/{run_id}", status_code=204, tags=["runs"])
    def delete_run(run_id: str) -> Response:
        """Delete a stored run."""
        store.delete(run_id_of(run_id))
        report_json.cache_clear()
        run_cache.cache_clear()
        return Response(status_code=204)

    @app.get("/api/compare", tags=["runs"])
    def compare(a: str, b: str) -> dict[str, Any]:
        """Two runs side by side: their catalog rows and headline numbers."""
        ids = [run_id_of(a), run_id_of(b)]
        infos = store.infos(ids)  # both catalog rows in one query
        return {key: {"run": info.to_dict(), "headline": report_json(run_id)[1]}
                for key, run_id, info in zip(("a", "b"), ids, infos, strict=True)}

    return app
