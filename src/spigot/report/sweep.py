"""The report of a stored sweep (kind ``sweep``): Sobol bars, tornado charts and the points.

Tornado bars are read from the sweep's points, not from extra runs: for each parameter, the mean
output over the points in the parameter's top quarter minus that over its bottom quarter (a
binned swing; the other parameters vary across both quarters). Parameters are sorted by the size
of their swing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from spigot.report.figures import _LAYOUT, PALETTE
from spigot.report.model import ReportContent, Section

if TYPE_CHECKING:
    from spigot.store import StoredRun

__all__ = ["build_sweep_content", "sobol_figure", "tornado_figure", "tornado_table"]


def sobol_figure(table: pd.DataFrame, title: str) -> go.Figure:
    """Horizontal bars of S1 and ST per parameter with their bootstrap half-widths."""
    labels = list(table["parameter"])[::-1]
    figure = go.Figure()
    for key, colour in (("S1", PALETTE[0]), ("ST", PALETTE[1])):
        figure.add_trace(go.Bar(
            y=labels, x=list(table[key])[::-1], orientation="h", name=key,
            marker={"color": colour},
            error_x={"type": "data", "array": list(table[f"{key}_conf"])[::-1]},
            hovertemplate="%{y}: " + key + " %{x:.3f}<extra></extra>"))
    figure.update_layout(**_LAYOUT, title=title, barmode="group", xaxis_title="share of variance",
                         height=max(260, 44 * len(labels) + 120))
    return figure


def tornado_table(params: pd.DataFrame, output: pd.Series) -> pd.DataFrame:
    """Per parameter: mean output in its bottom and top quarter of points, and the swing."""
    rows = []
    for name in params.columns:
        x = params[name].to_numpy()
        lo, hi = np.quantile(x, [0.25, 0.75])
        y = output.to_numpy()
        low, high = y[x <= lo], y[x >= hi]
        rows.append({"parameter": str(name),
                     "low_quarter_mean": float(np.nanmean(low)) if low.size else np.nan,
                     "high_quarter_mean": float(np.nanmean(high)) if high.size else np.nan})
    frame = pd.DataFrame(rows)
    frame["swing"] = frame["high_quarter_mean"] - frame["low_quarter_mean"]
    return frame.reindex(frame["swing"].abs().sort_values(ascending=False).index
                         ).reset_index(drop=True)


def tornado_figure(table: pd.DataFrame, centre: float, title: str) -> go.Figure:
    """Bars from the overall mean to the bottom- and top-quarter means, widest on top."""
    labels = list(table["parameter"])[::-1]
    figure = go.Figure()
    for key, name, colour in (("low_quarter_mean", "parameter low (bottom quarter)", PALETTE[0]),
                              ("high_quarter_mean", "parameter high (top quarter)", PALETTE[1])):
        figure.add_trace(go.Bar(
            y=labels, x=[v - centre for v in list(table[key])[::-1]], base=centre,
            orientation="h", name=name, marker={"color": colour},
            hovertemplate="%{y}: %{x:,.4g}<extra></extra>"))
    figure.update_layout(**_LAYOUT, title=title, barmode="overlay",
                         height=max(260, 36 * len(labels) + 120))
    return figure


def build_sweep_content(stored: StoredRun) -> ReportContent:
    """The report of a stored sweep: headline, Sobol indices (when a Sobol design), tornado
    charts per output, the points and the scenario."""
    ds = stored.dataset
    m = stored.manifest
    params = pd.DataFrame(ds["parameter_value"].values,
                          columns=[str(p) for p in ds["parameter"].values])
    outputs = pd.DataFrame(ds["output_value"].values,
                           columns=[str(o) for o in ds["output"].values])
    head = Section("headline", "Headline")
    head.lead = (f"A {m.get('design')} sweep of {len(params.columns)} parameters of "
                 f"{m.get('scenario')}: {len(params)} points x {m.get('draws')} draws x "
                 f"{m.get('weeks')} weeks on {m.get('scheduler')} ({m.get('workers')} workers).")
    sections = [head]
    if "sobol" in ds:
        sobol = Section("sobol", "Which parameters matter (Sobol indices)", picker="output")
        sobol.note = ("S1: share of the output's variance a parameter explains alone; ST: with "
                      "its interactions; whiskers: 95 % bootstrap half-widths.")
        for i, out in enumerate(outputs.columns):
            values = ds["sobol"].values[i]  # (parameter, index)
            table = pd.DataFrame(values, columns=[str(k) for k in ds["index"].values])
            table.insert(0, "parameter", list(params.columns))
            if table[["S1", "ST"]].isna().all().all():
                continue
            top = table.sort_values("ST", ascending=False).iloc[0]
            sobol.add(sobol_figure(table, out),
                      f"Sobol indices of {out}: {top['parameter']} has the largest total index "
                      f"(ST {top['ST']:.2f}).", table, group=out)
        if not sobol.figures:
            sobol.note = "no output varied over the sweep without gaps: no indices"
        sections.append(sobol)
    tornado = Section("tornado", "How far each parameter moves the outputs (tornado)",
                      picker="output")
    tornado.note = ("Mean output over the points in each parameter's bottom and top quarter; "
                    "the centre line is the mean over all points.")
    for out in outputs.columns:
        y = outputs[out]
        if not np.isfinite(y).any():
            continue
        table = tornado_table(params, y)
        tornado.add(tornado_figure(table, float(np.nanmean(y)), out),
                    f"Tornado of {out}: {table['parameter'].iloc[0]} swings it most "
                    f"({table['swing'].iloc[0]:,.4g}).", table, group=out)
    sections.append(tornado)
    points = pd.concat([params, outputs], axis=1)
    points.insert(0, "point", np.arange(len(points)))
    sections.append(Section("points", f"Points (first 50 of {len(points)})",
                            table=points.head(50)))
    sections.append(Section("scenario", "Scenario", text=stored.scenario_text))
    title = f"spigot sweep {stored.run_id}" + (f": {stored.info.scenario}"
                                               if stored.info.scenario else "")
    return ReportContent(stored.run_id, title, sections, kind="sweep",
                         runs=[stored.info.to_dict()])
