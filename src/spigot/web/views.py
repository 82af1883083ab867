"""Dashboard routes for the pages an analyst reads: static files, run page data, downloads,
labels, the baseline of a run, comparisons, and the world map's data.

Registered by :func:`spigot.web.app.create_app` with :func:`register_views`. Static files are
served with a long cache lifetime under content-hashed URLs (``static_url`` in the templates), and
precompressed once (gzip) for clients that accept it.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import json
import re
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import plotly.utils
import yaml
from fastapi import Body, FastAPI, Form, HTTPException, Query, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from spigot import datasets, scenarios
from spigot.errors import InputError, Problem, UnknownNameError
from spigot.store import RunStore, UnknownRunError, is_run_id
from spigot.store.labels import get_labels, set_label
from spigot.web.intake import check_aliases, check_depth

__all__ = ["STATIC", "register_views", "static_bytes", "static_url"]

#: Static files served under ``/static/`` and their media types (a fixed list).
STATIC: dict[str, str] = {
    "app.js": "text/javascript",
    "report.js": "text/javascript",
    "world.js": "text/javascript",
    "form.js": "text/javascript",
    "exposure.js": "text/javascript",
    "sweep.js": "text/javascript",
    "style.css": "text/css",
    "plotly.min.js": "text/javascript",
    "world_110m.json": "application/json",
}
_LONG_CACHE = "public, max-age=31536000, immutable"
_SHORT_CACHE = "public, max-age=300"


@functools.lru_cache(maxsize=16)
def static_bytes(name: str) -> tuple[bytes, bytes, str]:
    """A static file's bytes, its gzip-compressed bytes, and its content hash (12 hex digits)."""
    if name == "plotly.min.js":
        import plotly

        raw = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()
    else:
        raw = (resources.files("spigot.web") / "static" / name).read_bytes()
    return raw, gzip.compress(raw, compresslevel=6, mtime=0), hashlib.sha256(raw).hexdigest()[:12]


def static_url(name: str) -> str:
    """The URL of a static file with its content hash (cached for a year by browsers)."""
    return f"/static/{name}?v={static_bytes(name)[2]}"


def _scenario_facts(text: str) -> dict[str, Any]:
    """Horizon, start, dataset and the controlled commodities of a scenario's YAML text."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        data = None
    if not isinstance(data, dict):
        return {"weeks": None, "start": None, "controlled": []}
    controlled: list[str] = []
    for policy in data.get("policies") or []:
        if isinstance(policy, dict) and policy.get("type") != "Suspension":
            for name in policy.get("commodities") or []:
                if str(name) not in controlled:
                    controlled.append(str(name))
    start = data.get("start")
    return {"weeks": data.get("horizon_weeks"), "start": None if start is None else str(start),
            "dataset": data.get("dataset"), "controlled": controlled}


def _stored_facts(stored: Any) -> dict[str, Any]:
    """:func:`_scenario_facts` of a stored run, with the horizon and start it actually ran
    (``spigot run --weeks`` and the form's fields override the scenario text's)."""
    facts = _scenario_facts(stored.scenario_text)
    manifest = stored.manifest or {}
    if manifest.get("weeks") is not None:
        facts["weeks"] = manifest["weeks"]
    if manifest.get("start") is not None:
        facts["start"] = str(manifest["start"])
    return facts


def _csv_response(frame: pd.DataFrame, filename: str) -> Response:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, float_format="%.6g")
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def report_tables(content_json: dict[str, Any]) -> pd.DataFrame:
    """The tables of a report (headline, stoppage, licences, chokepoints, ...) as one long CSV
    frame: a ``section`` column, then the union of the tables' columns."""
    frames = []
    for section in content_json["sections"]:
        rows = section.get("table")
        if rows:
            frames.append(pd.DataFrame(rows).assign(section=section["key"]))
    if not frames:
        return pd.DataFrame({"section": []})
    frame = pd.concat(frames, ignore_index=True, sort=False)
    return frame[["section", *[c for c in frame.columns if c != "section"]]]


@functools.lru_cache(maxsize=4)
def world_data(name: str) -> str:
    """Map data of bundled dataset ``name`` as JSON text: production shares by commodity, stage
    and country; concentration per stage; exposure of each importer to controls in force."""
    from spigot.risk import chokepoints, exposure, stage_shares

    net = datasets.load(name)
    shares = stage_shares(net)
    shares = shares[~shares["aggregate"].astype(bool)] if "aggregate" in shares else shares
    risk = chokepoints(net)
    risk_cols = [c for c in ("chain", "commodity", "stage", "year", "hhi_points", "cr1",
                             "top_supplier", "top_share", "n_producers", "chokepoint")
                 if c in risk.columns]
    exposed = exposure(net)
    exposed_cols = [c for c in ("importer", "commodity", "at", "supply", "imports", "exposed",
                                "exposure_share", "upstream_exposure_share", "measures")
                    if c in exposed.columns]
    document = {
        "dataset": name,
        "shares": json.loads(shares[["commodity", "stage", "region", "year", "value", "share"]]
                             .to_json(orient="records")),
        "share_units": shares.attrs.get("units", {}),
        "stages": json.loads(risk[risk_cols].to_json(orient="records")),
        "exposure": json.loads(exposed[exposed_cols].to_json(orient="records",
                                                             date_format="iso")),
        "exposure_units": exposed.attrs.get("units", {}),
    }
    return json.dumps(document)


def register_views(app: FastAPI, templates: Jinja2Templates) -> None:
    """Add gzip compression, the static files, and the run page's, compare page's and world
    map's routes."""
    store: RunStore = app.state.store
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    templates.env.globals["static_url"] = static_url
    app.state.comparisons = {}  # (a, b) -> JSON text; runs never change once stored

    def run_id_of(ref: str) -> str:
        if ref != "latest" and not is_run_id(ref):
            raise UnknownRunError(ref, [])
        return store.resolve(ref)

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str, request: Request, v: str | None = None) -> Response:
        if name not in STATIC:
            raise HTTPException(404, f"no static file {name!r}")
        raw, packed, digest = static_bytes(name)
        headers = {"Cache-Control": _LONG_CACHE if v == digest else _SHORT_CACHE,
                   "ETag": f'"{digest}"', "Vary": "Accept-Encoding"}
        if request.headers.get("if-none-match") == f'"{digest}"':
            return Response(status_code=304, headers=headers)
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return Response(packed, media_type=STATIC[name], headers=headers)
        return Response(raw, media_type=STATIC[name], headers=headers)

    @app.get("/api/labels", tags=["runs"])
    def labels() -> dict[str, str]:
        """Every labelled run's label (run id -> label)."""
        return get_labels(store)

    @app.put("/api/runs/{run_id}/label", tags=["runs"])
    def put_label(run_id: str, label: Annotated[str, Body(embed=True, max_length=2000)]
                  ) -> dict[str, Any]:
        """Give a run a label (JSON ``{"label": "..."}``; an empty label removes it)."""
        run_id = run_id_of(run_id)
        return {"run_id": run_id, "label": set_label(store, run_id, label) or None}

    @app.get("/api/runs/{run_id}/page", tags=["runs"])
    def run_facts(run_id: str) -> dict[str, Any]:
        """What the run page shows above the report: catalog row, label, horizon, the commodities
        the scenario's policies control, and the stored baseline run to compare with (if any)."""
        run_id = run_id_of(run_id)
        stored = store.get(run_id, variables=[])
        info = stored.info.to_dict()
        facts = _stored_facts(stored)
        return {"run": info, "label": get_labels(store).get(run_id), **facts,
                "baseline": _baseline_of(store, stored)}

    @app.get("/api/runs/{run_id}/baseline", tags=["runs"])
    def baseline(run_id: str) -> dict[str, Any]:
        """The latest stored run of scenario ``baseline`` on the same dataset (``run_id``, null if
        none), and the baseline scenario's YAML with this run's start and horizon, with the draws
        and seed to run it with (``POST /api/runs`` with ``yaml``, ``draws``, ``seed``)."""
        run_id = run_id_of(run_id)
        stored = store.get(run_id, variables=[])
        info = stored.info.to_dict()
        facts = _stored_facts(stored)
        found = _baseline_of(store, stored)
        text = scenarios.path("baseline").read_text(encoding="utf-8")
        base = yaml.safe_load(text)
        for key, value in (("dataset", info.get("dataset") or facts.get("dataset")),
                           ("start", facts.get("start")), ("horizon_weeks", facts.get("weeks"))):
            if value is not None:
                text = _set_top_level(text, key, value if key != "start" else str(value))
                base[key] = value
        return {"run_id": found, "dataset": info.get("dataset"), "draws": info.get("draws"),
                "seed": info.get("seed"), "weeks": base.get("horizon_weeks"),
                "start": None if base.get("start") is None else str(base.get("start")),
                "yaml": text}

    @app.get("/api/runs/{run_id}/tables.csv", tags=["runs"])
    def tables_csv(run_id: str) -> Response:
        """The run's report tables as one CSV (a ``section`` column says which table)."""
        from spigot.report import build_content

        run_id = run_id_of(run_id)
        content = json.loads(json.dumps(build_content(store.get(run_id)).to_json(),
                                        cls=plotly.utils.PlotlyJSONEncoder))
        return _csv_response(report_tables(content), f"spigot-{run_id}-tables.csv")

    @app.get("/api/runs/{run_id}/report.html", tags=["runs"])
    def report_html(run_id: str) -> Response:
        """The run's self-contained HTML report (plotly.js inlined; opens offline), as a download."""
        from spigot.report import build_content, render_html

        run_id = run_id_of(run_id)
        stored = store.get(run_id)
        info = stored.info
        subtitle = " · ".join(str(p) for p in (
            info.kind, f"dataset {info.dataset}" if info.dataset else None,
            f"{info.draws} draws" if info.draws is not None else None,
            f"seed {info.seed}" if info.seed is not None else None) if p)
        text = render_html(build_content(stored), subtitle)
        return Response(text, media_type="text/html; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="spigot-{run_id}.html"'})

    @app.get("/api/compare/report", tags=["runs"])
    def compare_report(a: str, b: str) -> Response:
        """Run B against run A as report sections (``{"a", "b", "report"}``): both runs' facts,
        headline differences, stoppage timelines side by side, price fans of A and B overlaid on
        the same axes, price differences (absolute and relative), exports, every delta."""
        ids = run_id_of(a), run_id_of(b)
        return Response(_comparison_json(app, store, *ids), media_type="application/json")

    @app.post("/api/scenarios/parse", tags=["scenarios"])
    def parse_yaml(text: Annotated[str, Form(alias="yaml", description="Scenario YAML text.")]
                   ) -> Response:
        """Scenario YAML as JSON values for the scenario form, without validation
        (``/api/scenarios/validate`` checks it): ``{"data": ..., "problems": []}``; text that
        is not YAML gives ``data`` null and the problem with its line (still 200: the form is
        being typed)."""
        try:
            document = {"data": _load_yaml(text), "problems": []}
        except InputError as exc:
            document = {"data": None, "problems": [
                {"message": p.message, "line": p.line, "text": p.describe()} for p in exc.problems]}
        return Response(json.dumps(document, default=str), media_type="application/json")

    @app.get("/api/datasets/{name}/world", tags=["world"])
    def world(name: str) -> Response:
        """Production shares by commodity, stage and country; concentration (HHI, CR1,
        chokepoint) per stage; exposure of each importer to the controls in force today."""
        if name not in datasets.names():
            raise HTTPException(404, str(UnknownNameError("dataset", name, datasets.names())))
        return Response(world_data(name), media_type="application/json")

    @app.get("/api/datasets/{name}/risk.csv", tags=["world"])
    def risk_csv(name: str, commodity: Annotated[str | None, Query(max_length=64)] = None
                 ) -> Response:
        """The concentration table of a bundled dataset as CSV (optionally one commodity)."""
        if name not in datasets.names():
            raise HTTPException(404, str(UnknownNameError("dataset", name, datasets.names())))
        stages = pd.DataFrame(json.loads(world_data(name))["stages"])
        if commodity:
            stages = stages[stages["commodity"] == commodity]
        return _csv_response(stages, f"spigot-{name}-risk.csv")


def _load_yaml(text: str) -> Any:
    """``yaml.safe_load`` of ``text`` after the upload checks of :mod:`spigot.web.intake` (nesting
    depth, aliases); InputError with the line otherwise."""
    check_depth(text, "scenario text")
    check_aliases(text, "scenario text")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(Problem("not valid YAML", file="scenario text",
                                 line=None if mark is None else mark.line + 1,
                                 value=str(getattr(exc, "problem", "") or exc),
                                 expected="YAML text")) from None


def _set_top_level(text: str, key: str, value: Any) -> str:
    """``text`` with the top-level YAML key ``key`` set to ``value`` (comments kept)."""
    line = f"{key}: {value}"
    pattern = re.compile(rf"^{re.escape(key)}:.*$", re.MULTILINE)
    if pattern.search(text):
        return pattern.sub(line, text, count=1)
    return text.rstrip("\n") + "\n" + line + "\n"


def _baseline_of(store: RunStore, stored: Any) -> str | None:
    """The stored ``baseline`` run to compare a run with: the newest one on the same dataset,
    start, step and horizon (same draws and seed preferred; :func:`spigot.report.find_reference`,
    as ``spigot run --against``); None for a baseline run itself or when none is comparable (the
    page then offers to run one with this run's settings)."""
    from spigot.report.compare import find_reference

    if stored.info.scenario == "baseline":
        return None
    return find_reference(store, "baseline", stored.manifest, stored.info.run_id)


def _comparison_json(app: FastAPI, store: RunStore, a: str, b: str) -> str:
    """:func:`spigot.report.compare.build_comparison` of runs ``a`` and ``b`` as JSON text."""
    from spigot.report.compare import build_comparison

    cache: dict[tuple[str, str], str] = app.state.comparisons
    if (a, b) not in cache:
        content = build_comparison(store.get(a), store.get(b))
        document = {"a": a, "b": b, "report": content.to_json()}
        if len(cache) >= 8:
            cache.pop(next(iter(cache)))
        cache[(a, b)] = json.dumps(document, cls=plotly.utils.PlotlyJSONEncoder)
    return cache[(a, b)]
