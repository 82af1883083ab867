"""Render a run's report as one self-contained HTML file (plotly.js inlined once, opens offline)."""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import jinja2
import plotly.offline
import plotly.utils

from spigot._version import __version__
from spigot.network import SupplyNetwork
from spigot.report.compare import build_comparison
from spigot.report.content import NOT_AVAILABLE, ReportContent, Section, build_content
from spigot.store import RunInfo, RunStore, StoredRun

__all__ = ["figure_json", "render_html", "write_comparison", "write_report"]


def figure_json(figure: Any) -> str:
    """A plotly figure as JSON that is safe inside an HTML ``<script>`` element."""
    text = json.dumps(figure.to_plotly_json(), cls=plotly.utils.PlotlyJSONEncoder,
                      separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@functools.lru_cache(maxsize=1)
def plotly_js() -> str:
    """The plotly.js bundle of the installed plotly package (for inlining)."""
    return plotly.offline.get_plotlyjs().replace("</script", "<\\/script")


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        if value == 0:
            return "0"
        size = abs(value)
        return f"{value:,.0f}" if size >= 1000 else f"{value:,.4g}"
    return str(value)


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("spigot.report", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             undefined=jinja2.StrictUndefined)
    env.filters["cell"] = _cell
    return env


_PLURALS = {"commodity": "commodities"}


def _chart_json(section: Section, i: int) -> dict[str, Any]:
    chart = section.chart(i).to_json()
    table = chart["table"]
    return {"alt": chart["alt"], "group": chart["group"],
            "featured": chart["group"] is None or chart["group"] in section.featured,
            "columns": [] if table is None else table["columns"],
            "rows": [] if table is None else table["rows"]}


def render_html(content: ReportContent, subtitle: str = "") -> str:
    """The report page of ``content`` (a run's report or a comparison) as HTML text.

    Every figure is drawn into a ``<div role="img">`` whose ``aria-label`` is the chart's text
    alternative, followed by a ``<details>`` element with its data table. In a section with a
    ``picker``, the ``featured`` groups are always shown and the others one at a time, chosen
    with a ``<select>`` (inline script; the page works offline).
    """
    sections = []
    for section in content.sections:
        data = section.to_json()
        charts = [_chart_json(section, i) for i in range(len(section.figures))]
        choices = list(dict.fromkeys(c["group"] for c in charts
                                     if c["group"] is not None and not c["featured"]))
        first_picked = next((i for i, c in enumerate(charts) if not c["featured"]), -1)
        plural = _PLURALS.get(section.picker or "", f"{section.picker}s")
        label = (f"Other {plural}" if section.featured else str(section.picker).capitalize())
        sections.append({"key": section.key, "title": section.title, "note": section.note,
                         "text": section.text, "lead": section.lead,
                         "first_picked": first_picked, "picker_label": label,
                         "figures": [figure_json(f) for f in section.figures],
                         "charts": charts, "picker": section.picker if choices else None,
                         "choices": choices, "featured": section.featured,
                         "table": data["table"],
                         "columns": [] if section.table is None else [str(c) for c in
                                                                      section.table.columns]})
    written = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")
    return _environment().get_template("report.html.j2").render(
        title=content.title, subtitle=subtitle, sections=sections, version=__version__,
        written=written, plotly_js=plotly_js(), not_available=NOT_AVAILABLE)


def _write_atomic(target: Path, text: str) -> Path:
    target = target.expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, staging = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(staging, 0o644)
        os.replace(staging, target)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise
    return target


def _subtitle(info: RunInfo) -> str:
    return " · ".join(str(p) for p in (
        info.kind, f"dataset {info.dataset}" if info.dataset else None,
        f"{info.draws} draws" if info.draws is not None else None,
        f"seed {info.seed}" if info.seed is not None else None) if p)


def write_report(store: RunStore, run_id: str, path: str | os.PathLike[str],
                 network: SupplyNetwork | None = None) -> Path:
    """Write the report of run ``run_id`` to ``path`` (atomically) and return the path.

    Parameters
    ----------
    store
        The run store.
    run_id
        Run id, unique prefix, or ``latest``.
    path
        The HTML file to write; its folder is created.
    network
        The network the run ran on; the bundled dataset named in its manifest when ``None``.

    Raises
    ------
    UnknownRunError
        If there is no such run.
    """
    stored: StoredRun = store.get(run_id)
    content = build_content(stored, network, "" if network is None else "dataset given by the user")
    return _write_atomic(Path(path), render_html(content, _subtitle(stored.info)))


def write_comparison(store: RunStore, a: str, b: str, path: str | os.PathLike[str]) -> Path:
    """Write the comparison of run ``b`` against run ``a`` (the reference) to ``path``.

    Parameters
    ----------
    store
        The run store.
    a, b
        Run ids, unique prefixes, or ``latest``; A is the reference, differences are B - A.
    path
        The HTML file to write (atomically); its folder is created.

    Raises
    ------
    UnknownRunError
        If either run does not exist.
    """
    run_a, run_b = store.get(a), store.get(b)
    content = build_comparison(run_a, run_b)
    subtitle = f"A: {run_a.run_id} ({_subtitle(run_a.info)}) · B: {run_b.run_id} " \
               f"({_subtitle(run_b.info)})"
    return _write_atomic(Path(path), render_html(content, subtitle))
