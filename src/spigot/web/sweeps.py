"""Sweeps from the dashboard: ``POST /api/sweeps``, the sweep page with live progress, and a
stored sweep's points as CSV or Parquet.

A sweep request is checked like a run request (:func:`spigot.web.intake.check_scenario`: size,
depth, aliases, bundled data only, steps and the cost of one point's draws), then its parameter
ranges and paths, the number of points its design gives (at most ``max_points``) and the estimated
cost of all its points together (at most the run-cost limit on time). It runs as a job of the
dashboard's :class:`~spigot.web.jobs.JobManager` in a child process that starts a local Dask
cluster (or uses ``$SPIGOT_DASK_SCHEDULER``); the job's ``done`` and ``total`` count the points
finished as their Dask tasks complete (``distributed.as_completed``), and its ``run_id`` is the
stored sweep (kind ``sweep``) once done.
"""

from __future__ import annotations

import dataclasses
import io
import multiprocessing.connection
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from spigot import scenarios
from spigot._version import __version__
from spigot.errors import InputError, Problem, UnknownNameError
from spigot.sim.cost import RunLimits, RunTooLargeError
from spigot.store import RunStore, UnknownRunError, is_run_id
from spigot.web.intake import check_scenario, off_loop
from spigot.web.jobs import send_outcome

__all__ = ["MAX_SWEEP_POINTS", "SweepRequest", "check_sweep", "execute_sweep", "points_frame",
           "register_sweeps", "sweep_child"]

#: Most points (scenario runs) one dashboard sweep may have, after its design's expansion.
MAX_SWEEP_POINTS = 1024
#: Most swept parameters in one request.
MAX_SWEEP_PARAMS = 16
#: Share of the progress bar for the points; the rest is starting workers and saving.
_POINTS_SHARE = 0.9

ParamText = Annotated[str, StringConstraints(min_length=3, max_length=400)]


class SweepRequest(BaseModel):
    """A sweep asked for from the dashboard (JSON body of ``POST /api/sweeps``)."""

    model_config = ConfigDict(extra="forbid")

    scenario: str | None = Field(None, max_length=128, description="A built-in scenario name.")
    yaml: str | None = Field(None, description="Scenario YAML text (instead of a name).")
    params: list[ParamText] = Field(
        min_length=1, max_length=MAX_SWEEP_PARAMS,
        description="Swept parameters as PATH=LOW:HIGH[:DIST], as `spigot sweep --param`.")
    design: Literal["grid", "lhs", "sobol", "morris"] = "lhs"
    points: int = Field(16, ge=1, le=MAX_SWEEP_POINTS,
                        description="Design points (Sobol/Morris: base samples N).")
    draws: int | None = Field(None, ge=1, description="Draws per point (default: the "
                                                      "scenario's).")
    seed: int | None = Field(None, ge=0, le=2**63 - 1)


@dataclasses.dataclass(frozen=True)
class CheckedSweep:
    """A sweep request that passed every check."""

    name: str
    text: str
    spec: dict[str, Any]
    points: int


def _params(texts: list[str]) -> list[Any]:
    from spigot.sweep import parse_param

    specs = []
    for i, text in enumerate(texts):
        try:
            specs.append(parse_param(text))
        except InputError as exc:  # name the request's field, not the CLI option
            raise InputError([dataclasses.replace(
                p, field=f"params[{i}]" + ("" if p.field in (None, "--param") else f" ({p.field})"))
                for p in exc.problems]) from None
    return specs


def check_sweep(req: SweepRequest, *, limits: RunLimits, max_draws: int,
                max_points: int = MAX_SWEEP_POINTS) -> CheckedSweep:
    """Every check of a sweep request (run it off the event loop).

    Raises
    ------
    InputError
        For a bad scenario (as a run request), a bad parameter (form, range, path), a design
        with more than ``max_points`` points, or points x draws over the run-cost time limit.
    """
    from spigot.sweep.design import design_points, point_count
    from spigot.sweep.params import check_paths

    given = [x for x in (req.scenario, req.yaml) if x not in (None, "")]
    if len(given) != 1:
        raise InputError(Problem("give exactly one scenario", field="scenario",
                                 expected="a built-in name (scenario) or YAML text (yaml)"))
    if req.scenario:
        if req.scenario not in scenarios.names():
            raise UnknownNameError("scenario", req.scenario, scenarios.names(), field="scenario")
        label, text = req.scenario, scenarios.path(req.scenario).read_text(encoding="utf-8")
    else:
        label, text = "uploaded text", str(req.yaml)
    checked = check_scenario(label, text, limits=limits, max_draws=max_draws, draws=req.draws)
    specs = _params(list(req.params))
    base = checked.scenario.with_options(draws=req.draws, seed=req.seed)
    check_paths(base, specs)
    k = len(specs)
    n = point_count(req.design, req.points, k)  # counted before a design is built
    if n <= max_points:
        try:
            _, values = design_points(specs, req.design, req.points, base.seed)
        except InputError as exc:  # name the request's fields, not the CLI options
            raise InputError([dataclasses.replace(p, field=(p.field or "").removeprefix("--")
                                                  or None) for p in exc.problems]) from None
        n = len(values)
    if n > max_points:
        per = {"sobol": f"N x ({k} + 2)", "morris": f"N x ({k} + 1)",
               "grid": f"levels per axis ^ {k}"}.get(req.design, "points")
        raise InputError(Problem(
            "too many sweep points for the dashboard", field="points",
            value=f"{req.points} ({req.design} with {k} parameters gives {n:,} points: "
                  f"{per})", expected=f"at most {max_points:,} points",
            hint="ask for fewer points or parameters, or run it with 'spigot sweep'"))
    seconds = checked.cost.seconds * n
    if seconds > limits.max_seconds:
        raise RunTooLargeError([Problem(
            "sweep would take too long", field="points x draws",
            value=f"{n:,} points x {checked.cost.describe()}",
            expected=f"at most {limits.max_seconds / 60:g} min in all",
            hint="ask for fewer points or draws, or run it with 'spigot sweep'")],
            title="this sweep is over the run-cost limits (docs/cli.md, 'Run-cost limits'):")
    spec = {"params": list(req.params), "design": req.design, "points": req.points,
            "draws": checked.cost.draws, "seed": req.seed}
    return CheckedSweep(checked.scenario.name, text, spec, n)


def execute_sweep(store_path: Path, text: str, spec: dict[str, Any],
                  report: Callable[..., None], *, workers: int | None = None) -> str:
    """Run the sweep ``spec`` of the scenario ``text`` and store it; return its run id.

    ``report(fraction, message, done, total)`` is called as each point's Dask task completes.
    """
    from spigot.scenarios import load_text
    from spigot.sweep import run_sweep

    scen = load_text(text, "uploaded scenario")
    specs = _params(list(spec["params"]))

    def progress(step: str, done: int, total: int) -> None:
        fraction = 0.05 + _POINTS_SHARE * done / max(total, 1) if step == "sweeping" else 0.02
        report(fraction, f"{step}: {done} of {total} points" if step == "sweeping" else step,
               done, total)

    result = run_sweep(scen, specs, design=spec["design"], points=int(spec["points"]),
                       draws=int(spec["draws"]), seed=spec.get("seed"), workers=workers,
                       progress=progress)
    n = len(result.values)
    report(0.05 + _POINTS_SHARE, "saving the sweep", n, n)
    return RunStore(store_path).save(result.to_dataset(), result.manifest, text, "sweep")


def sweep_child(store_path: str, text: str, spec: dict[str, Any], workers: int | None,
                conn: multiprocessing.connection.Connection) -> None:  # pragma: no cover
    """Entry point of a sweep's process: run it, send progress and the outcome up the pipe."""
    def report(fraction: float, message: str, done: int | None = None,
               total: int | None = None) -> None:
        conn.send(("progress", fraction, message, done, total))

    send_outcome(conn, lambda: execute_sweep(Path(store_path), text, spec, report,
                                             workers=workers))


def points_frame(stored: Any) -> pd.DataFrame:
    """A stored sweep's points: ``point``, each parameter's value, each output (one row each).

    Raises
    ------
    InputError
        If the entry is not a sweep.
    """
    if stored.info.kind != "sweep":
        raise InputError(Problem("only a sweep has points", field="run_id", value=stored.run_id,
                                 expected="the id of a stored sweep (kind sweep)",
                                 hint=f"this entry is a {stored.info.kind}; see /api/runs?kind=sweep"))
    ds = stored.dataset
    frame = pd.DataFrame(ds["parameter_value"].values,
                         columns=[str(p) for p in ds["parameter"].values])
    for j, name in enumerate(str(o) for o in ds["output"].values):
        frame[name] = ds["output_value"].values[:, j]
    frame.insert(0, "point", range(len(frame)))
    return frame


def register_sweeps(app: FastAPI, templates: Jinja2Templates, limits: RunLimits) -> None:
    """Add the sweep page, ``POST /api/sweeps`` and a sweep's points downloads."""
    store: RunStore = app.state.store
    jobs = app.state.jobs

    def run_id_of(ref: str) -> str:
        if ref != "latest" and not is_run_id(ref):
            raise UnknownRunError(ref, [])
        return store.resolve(ref)

    @app.get("/sweep", response_class=HTMLResponse, include_in_schema=False)
    def sweep_page(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "sweep.html", {
            "version": __version__, "max_draws": app.state.max_draws, "store": str(store.path),
            "scenarios": scenarios.names(), "max_points": MAX_SWEEP_POINTS})

    @app.post("/api/sweeps", status_code=202, tags=["sweeps"])
    async def start_sweep(req: SweepRequest) -> dict[str, Any]:
        """Validate a sweep (JSON: ``scenario`` or ``yaml``, ``params`` as PATH=LOW:HIGH[:DIST],
        ``design``, ``points``, ``draws``, ``seed``) and run it in the background; poll
        ``/api/jobs/{job_id}``: ``done`` of ``total`` points, then ``run_id``."""
        done = await off_loop(check_sweep, req, limits=limits, max_draws=app.state.max_draws)
        job = jobs.submit(done.name, done.text, done.spec["draws"], done.spec["seed"],
                          kind="sweep", spec=done.spec, total=done.points)
        return {"job_id": job.job_id, "status_url": f"/api/jobs/{job.job_id}", **job.to_dict()}

    def points_of(run_id: str) -> pd.DataFrame:
        return points_frame(store.get(run_id_of(run_id)))

    @app.get("/api/runs/{run_id}/points.csv", tags=["sweeps"])
    def points_csv(run_id: str) -> Response:
        """A stored sweep's points (parameter values and outputs, one row each) as CSV."""
        frame = points_of(run_id)
        return Response(frame.to_csv(index=False), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition":
                                 f'attachment; filename="spigot-{run_id}-points.csv"'})

    @app.get("/api/runs/{run_id}/points.parquet", tags=["sweeps"])
    def points_parquet(run_id: str) -> Response:
        """A stored sweep's points as Parquet (the columns of ``points.csv``)."""
        buffer = io.BytesIO()
        points_of(run_id).to_parquet(buffer, index=False)
        return Response(buffer.getvalue(), media_type="application/vnd.apache.parquet",
                        headers={"Content-Disposition":
                                 f'attachment; filename="spigot-{run_id}-points.parquet"'})
