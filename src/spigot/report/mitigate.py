"""The report of a stored mitigation frontier (kind ``mitigate``; ``spigot mitigate``): the
frontier plot (cost against expected and P95 lost output, predicted and simulated), the portfolio
of every point, the marginal value and breakeven cost of each measure, and the calibration.

Everything is read from the entry's manifest key ``mitigate`` (the JSON document of
``spigot mitigate``, docs/cli.md); no engine run is repeated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go

from spigot.report.figures import _LAYOUT, PALETTE
from spigot.report.model import ReportContent, Section

if TYPE_CHECKING:
    from spigot.store import StoredRun

__all__ = ["build_mitigate_content", "frontier_figure", "frontier_table", "portfolio_table"]


def frontier_table(doc: dict[str, Any]) -> pd.DataFrame:
    """One row per point (USD): cost, predicted (fitted draws) mean and P95 lost output, and on
    the fresh draws the abstraction's mean, the engine's mean and P95 and the relative error."""
    return pd.DataFrame([{
        "point": p["point"], "cost_usd": p["cost_usd"], "lost_usd_mean": p["lost_usd_mean"],
        "lost_usd_p95": p["lost_usd_p95"],
        "fresh_predicted_lost_usd_mean": p["verification"]["predicted_lost_usd_mean"],
        "simulated_lost_usd_mean": p["verification"]["simulated_lost_usd_mean"],
        "simulated_lost_usd_p95": p["verification"]["simulated_lost_usd_p95"],
        "relative_error": p["verification"]["relative_error"]} for p in doc["frontier"]])


def portfolio_table(doc: dict[str, Any]) -> pd.DataFrame:
    """Every point's measures (one row per point and measure bought; ``nothing`` at point 0)."""
    rows: list[dict[str, Any]] = []
    for p in doc["frontier"]:
        if not p["measures"]:
            rows.append({"point": p["point"], "id": "nothing", "kind": "", "amount": 0.0,
                         "unit": "", "cost_usd": 0.0})
        rows += [{"point": p["point"], **m} for m in p["measures"]]
    return pd.DataFrame(rows, columns=["point", "id", "kind", "amount", "unit", "cost_usd"])


def frontier_figure(table: pd.DataFrame, title: str) -> go.Figure:
    """Cost (x) against lost output (y), USD: the predicted mean and P95 on the fitted draws, the
    abstraction's mean on the fresh draws and the engine's mean and P95 there."""
    figure = go.Figure()
    lines = (("lost_usd_mean", "expected, predicted", PALETTE[0], "solid", "circle"),
             ("fresh_predicted_lost_usd_mean", "expected, predicted on fresh draws", PALETTE[0],
              "dot", "circle-open"),
             ("simulated_lost_usd_mean", "expected, simulated (engine, fresh draws)", PALETTE[1],
              "solid", "diamond"),
             ("lost_usd_p95", "P95, predicted", PALETTE[2], "solid", "square"),
             ("simulated_lost_usd_p95", "P95, simulated", PALETTE[3], "solid", "x"))
    for key, name, colour, dash, symbol in lines:
        figure.add_trace(go.Scatter(
            x=table["cost_usd"], y=table[key], name=name, mode="lines+markers",
            line={"color": colour, "dash": dash}, marker={"symbol": symbol},
            customdata=table["point"],
            hovertemplate="point %{customdata}: cost USD %{x:,.0f}, lost USD %{y:,.0f}"
                          "<extra>" + name + "</extra>"))
    figure.update_layout(**_LAYOUT, title=title, xaxis_title="cost of the portfolio (USD)",
                         yaxis_title="lost output (USD)")
    return figure


def build_mitigate_content(stored: StoredRun) -> ReportContent:
    """The report of a stored ``mitigate`` entry: headline, frontier (plot and table), the
    portfolios, marginal values and breakeven costs, the calibration, and the scenarios."""
    doc: dict[str, Any] = stored.manifest.get("mitigate") or {}
    man = doc.get("manifest", {})
    head = Section("headline", "Headline")
    if not doc.get("frontier"):
        head.lead = "This mitigate entry holds no frontier document (manifest key 'mitigate')."
        return ReportContent(stored.run_id, f"spigot mitigate {stored.run_id}", [head],
                             kind="mitigate", runs=[stored.info.to_dict()])
    table = frontier_table(doc)
    v = doc["verification"]
    weights = man.get("scenario_weights") or []
    scen = ", ".join(f"{s} ({w:.3g})" if len(weights) > 1 else s
                     for s, w in zip(doc["scenarios"], weights or [1.0] * len(doc["scenarios"]),
                                     strict=False))
    last = table.iloc[-1]
    head.lead = (f"What mitigation is worth to {doc['holder']} ({', '.join(doc['members'])}) "
                 f"under {scen}: {len(table)} frontier points, {man.get('draws')} draws x "
                 f"{man.get('horizon_weeks'):g} weeks, each verified by the engine on fresh draws "
                 f"(seed {man.get('verify_seed')}). Unmitigated, the expected lost output is USD "
                 f"{table['lost_usd_mean'].iloc[0]:,.0f}; the last point costs USD "
                 f"{last['cost_usd']:,.0f} and leaves USD {last['simulated_lost_usd_mean']:,.0f} "
                 f"(simulated). {v['points_within_10pct']} of {len(table)} points within 10 % of "
                 f"the prediction (worst |error| {v['max_abs_relative_error']:.1%}).")
    head.table = pd.DataFrame([
        {"item": "unmitigated expected lost output (USD)", "value": table["lost_usd_mean"].iloc[0]},
        {"item": "unmitigated P95 lost output (USD)", "value": table["lost_usd_p95"].iloc[0]},
        {"item": "last point's cost (USD)", "value": last["cost_usd"]},
        {"item": "last point's simulated expected lost output (USD)",
         "value": last["simulated_lost_usd_mean"]},
        {"item": "points within 10 % of the prediction", "value": v["points_within_10pct"]},
        {"item": "worst |relative error|", "value": v["max_abs_relative_error"]},
        *([{"item": "P95: points within 10 % of the prediction",
            "value": v["points_p95_within_10pct"]},
           {"item": "P95: worst |relative error|", "value": v["max_abs_relative_error_p95"]}]
          if "points_p95_within_10pct" in v else [])])
    frontier = Section("frontier", "The frontier: cost against lost output")
    frontier.note = ("Predicted: the program's abstraction on the fitted draws (and on the fresh "
                     "draws, dotted); simulated: the full engine with the portfolio on fresh "
                     "draws. relative_error = (simulated - predicted on fresh draws) / predicted.")
    frontier.add(frontier_figure(table, f"Frontier of {doc['holder']}"),
                 f"Cost against expected and P95 lost output over {len(table)} points, "
                 f"predicted and simulated; worst |relative error| "
                 f"{v['max_abs_relative_error']:.1%}.", table)
    frontier.table = table
    portfolios = Section("portfolios", "The portfolio at each point", table=portfolio_table(doc))
    portfolios.note = "Amounts in each measure's unit (t of stockpile, weeks of extra cover)."
    sections = [head, frontier, portfolios]
    if doc.get("marginal_values"):
        marginal = Section("marginal", "Marginal value and breakeven cost of each measure")
        cols = ["id", "kind", "per", "avoided_lost_usd_mean", "avoided_lost_usd_p95", "cost_usd",
                "breakeven_cost_usd"]
        marginal.table = pd.DataFrame(doc["marginal_values"]).reindex(columns=cols)
        marginal.note = ("The first step of each measure alone, from nothing bought: expected and "
                         "P95 lost output it avoids per unit and what that unit costs; above the "
                         "breakeven cost, buying none of it is cheaper.")
        sections.append(marginal)
    fit = doc.get("fit", {})
    if fit.get("curves"):
        calib = Section("calibration", "Calibration: effective amount of each measure")
        calib.table = pd.DataFrame([{"measure": m, "amount": a, "effective_amount": e}
                                    for m, c in fit["curves"].items()
                                    for a, e in zip(c["amount"], c["effective"], strict=True)])
        calib.note = (f"Fitted from {fit.get('calibration_runs', 0)} engine runs on the fitted "
                      "draws: the amount the perfect-foresight abstraction needs to avoid what "
                      "the engine avoided with the amount bought (docs/mitigation.md).")
        sections.append(calib)
    sections.append(Section("scenario", "Scenario", text=stored.scenario_text))
    title = f"spigot mitigate {stored.run_id}: {doc['holder']} under {', '.join(doc['scenarios'])}"
    return ReportContent(stored.run_id, title, sections, kind="mitigate",
                         runs=[stored.info.to_dict()])
