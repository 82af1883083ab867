"""Plotly figures of a run, shared by the HTML report and the web dashboard.

Every builder takes plain data (a network, a DataArray, a DataFrame) and returns a
``plotly.graph_objects.Figure``; none of them reads files or computes model quantities.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import xarray as xr

from spigot.network import STAGES, SupplyNetwork

__all__ = ["DEMAND", "PALETTE", "RUN_COLOURS", "bar_difference_figure", "difference_figure",
           "fan_figure", "licence_figure", "overlay_figure", "sankey_figure", "sankey_links",
           "threshold_figure", "timeline_figure", "timeline_pair_figure"]

#: Label of the demand column of the Sankey.
DEMAND = "demand"
#: Colours for series (commodities, zones, regions), cycled.
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#17becf", "#bcbd22", "#7f7f7f")
_STAGE_COLOURS = {"mining": "#8c564b", "separation": "#ff7f0e", "refining": "#bcbd22",
                  "metal": "#7f7f7f", "magnet": "#1f77b4", "recycling": "#2ca02c",
                  DEMAND: "#d62728"}
_AXIS = {"gridcolor": "#EBF0F8", "linecolor": "#EBF0F8", "zerolinecolor": "#EBF0F8",
         "automargin": True, "ticks": ""}
#: A small white template (plotly's "plotly_white" copies a large dict into every figure: most of
#: a report's build time and figure JSON).
_TEMPLATE = go.layout.Template(layout={"paper_bgcolor": "white", "plot_bgcolor": "white",
                                       "colorway": list(PALETTE), "xaxis": _AXIS, "yaxis": _AXIS,
                                       "hoverlabel": {"align": "left"}})
_LAYOUT = {"template": _TEMPLATE, "margin": {"l": 60, "r": 20, "t": 50, "b": 40},
           "font": {"family": "system-ui, sans-serif", "size": 12}}


def _rgba(hex_colour: str, alpha: float) -> str:
    value = hex_colour.lstrip("#")
    r, g, b = (int(value[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def sankey_links(net: SupplyNetwork) -> pd.DataFrame:
    """Base-year flows between (stage, region) places, one row per link and commodity.

    Routes from node to node link ``"<stage> · <region>"`` of origin and destination; routes to a
    region end in ``"demand · <region>"``. Flows within one place are left out.

    Returns
    -------
    pandas.DataFrame
        ``source, target, source_stage, target_stage, commodity, value, unit`` (value in t/yr,
        in each commodity's own basis).
    """
    nodes = net.nodes.set_index("id")
    routes = net.routes
    basis = dict(zip(net.commodities["id"], net.commodities["basis"], strict=True))
    rows = []
    for route in routes.itertuples(index=False):
        origin = nodes.loc[route.origin]
        src_stage, src_region = str(origin["stage"]), str(origin["region"])
        if route.destination in nodes.index:
            dest = nodes.loc[route.destination]
            dst_stage, dst_region = str(dest["stage"]), str(dest["region"])
        else:
            dst_stage, dst_region = DEMAND, str(route.destination)
        source, target = f"{src_stage} · {src_region}", f"{dst_stage} · {dst_region}"
        if source == target or not float(route.volume) > 0:
            continue
        rows.append({"source": source, "target": target, "source_stage": src_stage,
                     "target_stage": dst_stage, "commodity": str(route.commodity),
                     "value": float(route.volume),
                     "unit": f"t {basis.get(route.commodity, '')}/yr".replace("  ", " ")})
    frame = pd.DataFrame(rows, columns=["source", "target", "source_stage", "target_stage",
                                        "commodity", "value", "unit"])
    return frame.groupby(["source", "target", "source_stage", "target_stage", "commodity", "unit"],
                         as_index=False, sort=False).agg({"value": "sum"})


def sankey_figure(links: pd.DataFrame, title: str, has_run: bool = True) -> go.Figure:
    """Sankey of one commodity's flows between (stage, region) places: this run against base.

    Parameters
    ----------
    links
        Rows ``source, target, base, run`` (t/yr), as :func:`spigot.report.flows.flow_links`.
    title
        Chart title.
    has_run
        Whether ``run`` holds the run's flows; if not, the base flows are drawn.

    Notes
    -----
    With run flows, each link is drawn as the run's flow (grey; green where above base by more
    than 5 %) and, where the run moved less than 95 % of base, the missing part in red beside
    it: the two together are as wide as the base flow. A legend in the corner says so.
    """
    order = {s: i for i, s in enumerate((*STAGES, DEMAND))}
    places = sorted(set(links["source"]) | set(links["target"]),
                    key=lambda p: (order.get(p.split(" · ")[0], 99), p))
    index = {p: i for i, p in enumerate(places)}
    src, dst, value, colour, hover = [], [], [], [], []
    for source, target, base_value, run_value in zip(
            links["source"], links["target"], links["base"].astype(float),
            links["run"].astype(float), strict=True):
        base = float(base_value)
        run = float(run_value) if has_run and np.isfinite(run_value) else (
            np.nan if has_run else base)
        shown = 0.0 if not np.isfinite(run) else run
        parts = [(shown, _rgba("#7f7f7f", 0.45) if shown <= base * 1.05 or base <= 0
                  else _rgba(PALETTE[2], 0.6), "this run")]
        # a shortfall of more than 5 % of base is drawn in red beside the run's flow
        if has_run and base > shown * 1.05:
            parts.append((base - shown, _rgba(PALETTE[1], 0.55), "base flow not shipped"))
        for size, fill, what in parts:
            if size <= 0:
                continue
            src.append(index[str(source)])
            dst.append(index[str(target)])
            value.append(size)
            colour.append(fill)
            hover.append(f"{what}: {size:,.4g} t/yr<br>base {base:,.4g}, run "
                         + (f"{run:,.4g}" if np.isfinite(run) else "n/a"))
    stage_of = [p.split(" · ")[0] for p in places]
    figure = go.Figure(go.Sankey(
        arrangement="snap", valueformat=",.4g",
        node={"label": places, "pad": 14, "thickness": 14,
              "color": [_STAGE_COLOURS.get(s, "#999999") for s in stage_of],
              "hovertemplate": "%{label}: %{value:,.4g} t/yr<extra></extra>"},
        link={"source": src, "target": dst, "value": value, "color": colour,
              "customdata": hover,
              "hovertemplate": "%{source.label} → %{target.label}<br>%{customdata}"
                               "<extra></extra>"},
    ))
    legend = ("<span style='color:#7f7f7f'>■</span> flow in this run (mean over draws) "
              f"<span style='color:{PALETTE[1]}'>■</span> base flow not shipped "
              f"<span style='color:{PALETTE[2]}'>■</span> above base" if has_run
              else "<span style='color:#7f7f7f'>■</span> base-year flow")
    stages = " ".join(f"<span style='color:{_STAGE_COLOURS[s]}'>●</span> {s}"
                      for s in (*STAGES, DEMAND) if s in set(stage_of) and s in _STAGE_COLOURS)
    figure.add_annotation(text=legend + "<br>" + stages, showarrow=False, xref="paper",
                          yref="paper", x=0, y=-0.08, xanchor="left", yanchor="top",
                          align="left", font={"size": 11})
    layout = {**_LAYOUT, "margin": {"l": 20, "r": 20, "t": 50, "b": 70}}
    figure.update_layout(**layout, title=title, height=max(360, 30 * len(places)))
    return figure


def fan_figure(band: xr.DataArray, title: str, unit: str, series_dim: str | None = None
               ) -> go.Figure:
    """Fan chart: the P5-P95 band and the P50 line over time, one colour per series.

    Parameters
    ----------
    band
        DataArray with dims ``("quantile", "time")`` plus optionally ``series_dim``; the
        quantile coordinate holds the low, middle and high quantiles in that order.
    title, unit
        Chart title and y-axis unit.
    series_dim
        Dimension with one band per label (zone, commodity), or ``None``.
    """
    figure = go.Figure()
    labels = [None] if series_dim is None else [str(v) for v in band[series_dim].values]
    x = _time_axis(band["time"].values)
    q = [float(v) for v in band["quantile"].values]
    for i, label in enumerate(labels):
        part = band if label is None else band.sel({series_dim: band[series_dim].values[i]})
        low, mid, high = (part.isel(quantile=k).values.astype(float) for k in range(3))
        colour = PALETTE[i % len(PALETTE)]
        name = label or title
        figure.add_trace(go.Scatter(x=x, y=high, mode="lines", line={"width": 0},
                                    legendgroup=name, showlegend=False, hoverinfo="skip",
                                    name=f"{name} P{q[2] * 100:.0f}"))
        figure.add_trace(go.Scatter(x=x, y=low, mode="lines", line={"width": 0}, fill="tonexty",
                                    fillcolor=_rgba(colour, 0.2), legendgroup=name,
                                    showlegend=False, name=f"{name} P{q[0] * 100:.0f}-"
                                    f"P{q[2] * 100:.0f}", hoverinfo="skip"))
        figure.add_trace(go.Scatter(x=x, y=mid, mode="lines", line={"color": colour, "width": 2},
                                    legendgroup=name, name=f"{name} P{q[1] * 100:.0f}"))
    figure.update_layout(**_LAYOUT, title=title, yaxis_title=unit, height=360,
                         hovermode="x unified")
    return figure


def _time_axis(values: np.ndarray) -> list[object]:
    array = np.asarray(values)
    if array.dtype.kind == "M":
        return [str(s)[:10] for s in np.datetime_as_string(array.astype("datetime64[D]"))]
    return array.tolist()


def timeline_figure(table: pd.DataFrame, unit: str, title: str = "First stoppage") -> go.Figure:
    """First-stoppage timeline: one row per region · sector, P5-P95 bar and P50 marker.

    Parameters
    ----------
    table
        Rows with ``label``, ``probability``, ``p5``, ``p50``, ``p95`` (NaN where no draw stops).
    unit
        Unit of the times (``week`` or a date axis when the columns hold dates).
    """
    shown = table.dropna(subset=["p50"]).iloc[::-1]
    labels: Sequence[str] = shown["label"].tolist()
    prob = shown["probability"].to_numpy(dtype=float)
    figure = go.Figure()
    figure.add_trace(go.Bar(
        y=labels, x=(shown["p95"] - shown["p5"]).tolist(), base=shown["p5"].tolist(),
        orientation="h", name="P5-P95", marker={"color": _rgba(PALETTE[1], 0.35)},
        customdata=np.nan_to_num(prob, nan=-1).tolist(),
        hovertemplate="%{y}: P5 %{base} to P95 %{x}<extra></extra>"))
    figure.add_trace(go.Scatter(
        y=labels, x=shown["p50"].tolist(), mode="markers", name="P50",
        marker={"color": PALETTE[1], "size": 10, "symbol": "diamond"},
        text=[f"P(stop) {p:.0%}" if np.isfinite(p) else "" for p in prob],
        hovertemplate="%{y}: P50 %{x} (%{text})<extra></extra>"))
    figure.update_layout(**_LAYOUT, title=title, xaxis_title=unit, barmode="overlay",
                         height=max(260, 28 * len(labels) + 120))
    return figure


#: Colours of run A and run B in comparisons (blue, orange: distinguishable in colour blindness).
RUN_COLOURS = ("#1f77b4", "#ff7f0e")


def overlay_figure(bands: Sequence[tuple[str, xr.DataArray, str, str]], title: str, unit: str,
                   log_y: bool = False) -> go.Figure:
    """Fan charts of several series on one pair of axes (run A and run B overlaid).

    Parameters
    ----------
    bands
        ``(name, band, colour, dash)`` per series; ``band`` has dims ``("quantile", "time")``
        with the low, middle and high quantiles in that order; ``dash`` a plotly dash style
        (``"solid"``, ``"dot"``, ``"dash"``).
    title, unit
        Chart title and y-axis unit.
    log_y
        Log y-axis.
    """
    figure = go.Figure()
    for name, band, colour, dash in bands:
        x = _time_axis(band["time"].values)
        q = [float(v) for v in band["quantile"].values]
        low, mid, high = (band.isel(quantile=k).values.astype(float) for k in range(3))
        figure.add_trace(go.Scatter(x=x, y=high, mode="lines", line={"width": 0},
                                    legendgroup=name, showlegend=False, hoverinfo="skip",
                                    name=f"{name} P{q[2] * 100:.0f}"))
        figure.add_trace(go.Scatter(x=x, y=low, mode="lines", line={"width": 0}, fill="tonexty",
                                    fillcolor=_rgba(colour, 0.15), legendgroup=name,
                                    showlegend=False, hoverinfo="skip",
                                    name=f"{name} P{q[0] * 100:.0f}-P{q[2] * 100:.0f}"))
        figure.add_trace(go.Scatter(x=x, y=mid, mode="lines", legendgroup=name,
                                    line={"color": colour, "width": 2, "dash": dash},
                                    name=f"{name} P{q[1] * 100:.0f}"))
    figure.update_layout(**_LAYOUT, title=title, yaxis_title=unit, height=380,
                         hovermode="x unified", legend={"orientation": "h", "y": -0.15})
    if log_y:
        figure.update_yaxes(type="log")
    return figure


def difference_figure(series: Sequence[tuple[str, xr.DataArray, str]], title: str, unit: str,
                      relative: Sequence[tuple[str, xr.DataArray, str]] = ()) -> go.Figure:
    """B - A over time (top) and, if given, the relative difference B / A - 1 in % (bottom).

    Parameters
    ----------
    series
        ``(name, values, colour)`` with ``values`` over ``time``: the absolute differences.
    title, unit
        Chart title and the unit of the absolute differences.
    relative
        ``(name, values, colour)`` with relative differences as fractions (0.25 = +25 %).
    """
    from plotly.subplots import make_subplots

    rows = 2 if relative else 1
    figure = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    for row, group, scale in ((1, series, 1.0), (2, relative, 100.0)):
        for name, values, colour in group:
            figure.add_trace(go.Scatter(
                x=_time_axis(values["time"].values), y=(values.values.astype(float) * scale),
                mode="lines", name=f"{name}" + (" (%)" if row == 2 else ""),
                line={"color": colour, "width": 2, "dash": "solid" if row == 1 else "dot"}),
                row=row, col=1)
    figure.add_hline(y=0, line={"color": "#999", "width": 1})
    figure.update_yaxes(title_text=f"B − A ({unit})", row=1, col=1)
    if relative:
        figure.update_yaxes(title_text="B / A − 1 (%)", row=2, col=1)
    figure.update_layout(**_LAYOUT, title=title, height=300 + 160 * (rows - 1),
                         hovermode="x unified", legend={"orientation": "h", "y": -0.15})
    return figure


def bar_difference_figure(labels: Sequence[str], values: Sequence[float], title: str,
                          unit: str) -> go.Figure:
    """Horizontal bars of B - A per label (region · sector), negative bars in blue."""
    vals = [float(v) for v in values]
    figure = go.Figure(go.Bar(
        y=list(labels)[::-1], x=vals[::-1], orientation="h", name="B − A",
        marker={"color": [PALETTE[1] if v > 0 else PALETTE[0] for v in vals[::-1]]},
        hovertemplate="%{y}: %{x:,.4g} " + unit + "<extra></extra>"))
    figure.update_layout(**_LAYOUT, title=title, xaxis_title=f"B − A ({unit})",
                         height=max(240, 26 * len(vals) + 120))
    return figure


def timeline_pair_figure(tables: Sequence[tuple[str, pd.DataFrame]], unit: str,
                         title: str = "First stoppage") -> go.Figure:
    """First-stoppage timelines of two runs side by side: same rows, same x range.

    Parameters
    ----------
    tables
        ``(run name, table)`` per run, tables as :func:`timeline_figure` takes them.
    unit
        Unit of the times (``weeks from the start``).
    """
    from plotly.subplots import make_subplots

    order: list[str] = []
    for _, table in tables:
        shown = table.dropna(subset=["p50"]).sort_values("p50")
        order += [lab for lab in shown["label"] if lab not in order]
    labels = order[::-1]
    figure = make_subplots(rows=1, cols=len(tables), shared_yaxes=True, horizontal_spacing=0.03,
                           subplot_titles=[name for name, _ in tables])
    high = 1.0
    for col, (name, table) in enumerate(tables, start=1):
        rows = table.set_index("label").reindex(labels)
        colour = RUN_COLOURS[(col - 1) % len(RUN_COLOURS)]
        figure.add_trace(go.Bar(
            y=labels, x=(rows["p95"] - rows["p5"]).tolist(), base=rows["p5"].tolist(),
            orientation="h", name=f"{name} P5-P95", marker={"color": _rgba(colour, 0.35)},
            hovertemplate="%{y}: P5 %{base} to P95 %{x}<extra></extra>"), row=1, col=col)
        prob = rows["probability"].to_numpy(dtype=float)
        figure.add_trace(go.Scatter(
            y=labels, x=rows["p50"].tolist(), mode="markers", name=f"{name} P50",
            marker={"color": colour, "size": 10, "symbol": "diamond"},
            text=[f"P(stop) {p:.0%}" if np.isfinite(p) else "" for p in prob],
            hovertemplate="%{y}: P50 %{x} (%{text})<extra></extra>"), row=1, col=col)
        finite = rows["p95"].to_numpy(dtype=float)
        if np.isfinite(finite).any():
            high = max(high, float(np.nanmax(finite)))
    figure.update_xaxes(range=[0, high * 1.05], title_text=unit)
    figure.update_layout(**_LAYOUT, title=title, barmode="overlay",
                         height=max(260, 28 * len(labels) + 140),
                         legend={"orientation": "h", "y": -0.2})
    return figure


def licence_figure(totals: dict[str, xr.DataArray], labels: dict[str, str],
                   units: dict[str, str]) -> go.Figure:
    """The licence pipeline over time: t queued and under review (stacked areas, top) and the
    weekly flows applied for, approved and denied (lines, bottom).

    Parameters
    ----------
    totals
        Series over ``time`` by kind: ``queue``, ``pipeline`` (t), ``applications``,
        ``approved``, ``denied`` (t per week); any may be missing.
    labels, units
        Label and unit per kind.
    """
    from plotly.subplots import make_subplots

    stocks = [k for k in ("queue", "pipeline") if k in totals]
    flows = [k for k in ("applications", "approved", "denied") if k in totals]
    rows = (1 if stocks else 0) + (1 if flows else 0)
    figure = make_subplots(rows=max(rows, 1), cols=1, shared_xaxes=True, vertical_spacing=0.1)
    colours = {"queue": PALETTE[3], "pipeline": PALETTE[0], "applications": PALETTE[7],
               "approved": PALETTE[2], "denied": PALETTE[1]}
    for kind in stocks:
        series = totals[kind]
        figure.add_trace(go.Scatter(
            x=_time_axis(series["time"].values), y=series.values.astype(float), mode="lines",
            stackgroup="pipeline", name=f"{labels[kind]} ({units.get(kind, '')})",
            line={"color": colours[kind], "width": 1}), row=1, col=1)
    for flow in flows:
        series = totals[flow]
        figure.add_trace(go.Scatter(
            x=_time_axis(series["time"].values), y=series.values.astype(float), mode="lines",
            name=f"{labels[flow]} ({units.get(flow, '')})",
            line={"color": colours[flow], "width": 2}), row=2 if stocks else 1, col=1)
    if stocks:
        figure.update_yaxes(title_text=units.get(stocks[0], "t"), row=1, col=1)
    if flows:
        figure.update_yaxes(title_text=units.get(flows[0], "t/week"), row=rows, col=1)
    figure.update_layout(**_LAYOUT, title="Licence pipeline: t queued and under review; t "
                         "applied for, approved and denied per week", height=260 + 180 * rows,
                         hovermode="x unified", legend={"orientation": "h", "y": -0.12})
    return figure


def threshold_figure(lines: pd.DataFrame, title: str, unit: str,
                     threshold: float | None = None, label: str = "") -> go.Figure:
    """Lines over time, one per ``series``, with a dashed horizontal line at ``threshold``.

    Parameters
    ----------
    lines
        Rows ``time, series, value``.
    title, unit
        Chart title and y-axis title.
    threshold
        Where to draw the threshold (none if ``None``), labelled ``label``.
    """
    figure = go.Figure()
    for i, (name, part) in enumerate(lines.groupby("series", sort=False)):
        figure.add_trace(go.Scatter(x=part["time"], y=part["value"], mode="lines",
                                    name=str(name),
                                    line={"color": PALETTE[i % len(PALETTE)], "width": 2}))
    if threshold is not None:
        figure.add_hline(y=threshold, line={"dash": "dash", "color": "#444", "width": 1},
                         annotation_text=label, annotation_position="top left")
    figure.update_layout(title=title, yaxis_title=unit, legend={"orientation": "h", "y": -0.2},
                         **_LAYOUT)
    return figure


def objective_figure(points: pd.DataFrame, title: str) -> go.Figure:
    """The exporter's objective over a policy family: one dot per candidate with a bar of two
    standard errors, best at the top.

    ``points`` has ``label``, ``score_usd``, ``score_se_usd`` and ``draws`` (those screened at
    fewer draws than the best are drawn in grey).
    """
    frame = points.sort_values("score_usd")
    full = frame["draws"] == frame["draws"].max()
    fig = go.Figure()
    for mask, name, colour in ((full, "full draws", PALETTE[0]),
                               (~full, "screened at fewer draws", "#7f7f7f")):
        part = frame[mask]
        if part.empty:
            continue
        fig.add_trace(go.Scatter(
            x=part["score_usd"], y=part["label"], mode="markers", name=name,
            marker={"color": colour, "size": 7},
            error_x={"type": "data", "array": 2 * part["score_se_usd"], "visible": True},
            customdata=part["draws"],
            hovertemplate="%{y}<br>score %{x:,.0f} USD<br>%{customdata} draws<extra></extra>"))
    fig.update_layout(**_LAYOUT, title=title, height=max(300, 22 * len(frame) + 120),
                      xaxis_title="score, USD (dot: mean over draws; bar: 2 standard errors)",
                      yaxis={"automargin": True})
    return fig
