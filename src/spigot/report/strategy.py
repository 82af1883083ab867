"""The report of a stored strategic search (kind ``strategy``): the exporter's objective over
its policy family, the best policy and the next best, and the rounds of best responses.

Everything is read from the entry's manifest (``manifest["strategy"]``, the document of
``spigot strategy --format json``, keys in docs/cli.md), so a report needs no engine run. The
surface is round 1's search (each candidate at the last rung of draws it reached).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from spigot.report.figures import _LAYOUT, objective_figure
from spigot.report.model import ReportContent, Section

if TYPE_CHECKING:
    from spigot.store import StoredRun

__all__ = ["build_strategy_content", "surface_heatmap", "surface_table"]

#: Prefix of the lever columns of a surface row.
LEVER = "lever:"


def _setting(text: Any) -> str:
    """A lever's setting as the JSON has it (Python's text of the option) in plain words:
    ``['dy_oxide', 'tb_oxide']`` -> ``dy_oxide, tb_oxide``, ``None`` -> ``none``."""
    if not isinstance(text, str):
        return ""
    if text == "None":
        return "none"
    return text.strip("[]").replace("'", "")


def surface_table(surface: list[dict[str, Any]]) -> pd.DataFrame:
    """The surface as a table: ``label``, one column per lever (its setting in words; empty
    for "no restriction"), ``score_usd``, ``score_se_usd`` and ``draws``, best first."""
    frame = pd.DataFrame(surface)
    levers = [c for c in frame.columns if c.startswith(LEVER)]
    for c in levers:
        frame[c] = frame[c].map(_setting)
    frame = frame.rename(columns={c: c[len(LEVER):] for c in levers})
    cols = ["label", *[c[len(LEVER):] for c in levers], "score_usd", "score_se_usd", "draws"]
    return frame[cols].sort_values("score_usd", ascending=False).reset_index(drop=True)


def _levers(table: pd.DataFrame) -> list[str]:
    """The lever columns of :func:`surface_table` that take more than one setting."""
    fixed = {"label", "score_usd", "score_se_usd", "draws"}
    return [c for c in table.columns if c not in fixed
            and table.loc[table[c] != "", c].nunique() > 1]


def surface_heatmap(table: pd.DataFrame, title: str) -> go.Figure | None:
    """Score per candidate on a grid: columns the settings of the lever with the most
    settings, rows the combinations of the others; the hover gives the standard error and the
    draws. ``None`` when the family varies fewer than two levers (the dot plot says it all)."""
    levers = _levers(table)
    if len(levers) < 2:
        return None
    x_lever = max(levers, key=lambda c: table[c].nunique())
    rest = [c for c in levers if c != x_lever]
    grid = table[table[x_lever] != ""].copy()
    grid["row"] = grid[rest].apply(lambda r: "; ".join(f"{c} {v}" for c, v in r.items()),
                                   axis=1)
    xs = list(dict.fromkeys(grid[x_lever]))
    ys = list(dict.fromkeys(grid.sort_values("score_usd")["row"]))
    z = np.full((len(ys), len(xs)), np.nan)
    se = np.full_like(z, np.nan)
    draws = np.zeros_like(z)
    for row in grid.itertuples(index=False):
        i, j = ys.index(row.row), xs.index(getattr(row, x_lever))
        z[i, j], se[i, j], draws[i, j] = row.score_usd, row.score_se_usd, row.draws
    fig = go.Figure(go.Heatmap(
        x=xs, y=ys, z=z, customdata=np.dstack([se, draws]), colorscale="RdBu", zmid=0.0,
        colorbar={"title": "score, USD"},
        hovertemplate=(f"{x_lever} %{{x}}<br>%{{y}}<br>score %{{z:,.0f}} USD<br>standard "
                       "error %{customdata[0]:,.0f} USD<br>%{customdata[1]} draws<extra></extra>")))
    fig.update_layout(**_LAYOUT, title=title, xaxis_title=x_lever,
                      height=max(300, 34 * len(ys) + 140), yaxis={"automargin": True})
    return fig


def _ranking(doc: dict[str, Any]) -> pd.DataFrame:
    best = {"rank": 1, "label": doc["best_policy"]["label"], **doc["objective"],
            "gap_usd": 0.0, "gap_se_usd": 0.0}
    cols = ["rank", "label", "score_usd", "score_se_usd", "gap_usd", "gap_se_usd", "harm_usd",
            "revenue_lost_usd", "share_lost", "share_lost_usd", "draws"]
    return pd.DataFrame([{c: r.get(c) for c in cols} for r in [best, *doc["alternatives"]]])


def _answer_text(item: dict[str, Any]) -> str:
    """One item of the importer's answer (a stockpile or extra cover) in words."""
    if item.get("kind") == "extra_cover":
        return f"{item['holder']}.{item['sector']} +{item['weeks']:.3g} weeks of cover"
    return f"{item['holder']} holds {item['tonnes']:.4g} t {item['commodity']}"


def _rounds(doc: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for r in doc["rounds"]:
        answer = "; ".join(_answer_text(s) for s in r["importer"]) or "no stock"
        rows.append({"round": r["round"], "exporter's best": r["exporter"]["label"],
                     "score_usd": r["exporter"]["score_usd"],
                     "score_se_usd": r["exporter"]["score_se_usd"],
                     "importer's answer": answer, "state": r["state"]})
    return pd.DataFrame(rows)


def _outcome_text(doc: dict[str, Any]) -> str:
    out = doc["outcome"]
    if out["status"] == "settled":
        return f"The rounds settled in round {out['round']}: each is a best response to the other."
    if out["status"] == "cycle":
        return (f"The rounds cycle with period {out['period']}: round {out['round']} repeats "
                f"round {out['round'] - out['period']}.")
    return f"The rounds are open after {len(doc['rounds'])} round(s): no repeat yet."


def build_strategy_content(stored: StoredRun) -> ReportContent:
    """The report of a stored strategic search: headline, the objective surface (heatmap over
    the family's levers and one dot per candidate with two standard errors), the best policy
    and the next best, the rounds, the run's facts and the scenario."""
    doc = stored.manifest["strategy"]
    best = doc["objective"]
    targets = ", ".join(doc["targets"])
    head = Section("headline", "Headline")
    head.lead = (f"{doc['exporter']}'s best licence against {targets} in {doc['scenario']}: "
                 f"{doc['best_policy']['label']}, score {best['score_usd']:,.0f} USD "
                 f"(standard error {best['score_se_usd']:,.0f}; harm {best['harm_usd']:,.0f}, "
                 f"revenue lost {best['revenue_lost_usd']:,.0f}, long-run sales lost "
                 f"{best['share_lost_usd']:,.0f} USD) over {doc['family']['candidates']} "
                 f"candidates of the family {doc['family']['name']!r}, {doc['draws']} draws "
                 f"each at full precision. " + _outcome_text(doc))
    ranking = _ranking(doc)
    head.table = ranking[["rank", "label", "score_usd", "score_se_usd", "gap_usd",
                          "gap_se_usd"]]
    table = surface_table(doc["surface"])
    surface = Section("surface", "The exporter's objective over the policy family")
    surface.note = ("Score = weighted harm to the targets - revenue lost - long-run sales lost, "
                    "USD, mean over draws (round 1, against the importer as the scenario has "
                    "it); candidates screened out by successive halving show the draws of the "
                    "last rung they reached. docs/model.md, \"The exporter as a player\".")
    title = f"{doc['exporter']}'s objective against {targets}"
    heat = surface_heatmap(table, title + " by lever")
    if heat is not None:
        surface.add(heat, f"Score per candidate over the levers: best "
                    f"{table['label'].iloc[0]} at {table['score_usd'].iloc[0]:,.0f} USD, worst "
                    f"{table['label'].iloc[-1]} at {table['score_usd'].iloc[-1]:,.0f} USD.",
                    table)
    surface.add(objective_figure(table, title + " per candidate"),
                f"Each candidate's score with two standard errors; {len(table)} candidates.",
                table)
    picks = Section("ranking", "Best policy and the next best", table=ranking)
    picks.note = ("gap: best minus this policy's score; gap_se: standard error of the paired "
                  "difference over the same draws (common random numbers).")
    rounds = Section("rounds", "Best responses", table=_rounds(doc))
    rounds.note = _outcome_text(doc)
    info = stored.info
    facts = [("run", info.run_id), ("kind", info.kind), ("scenario", doc["scenario"]),
             ("exporter", doc["exporter"]), ("targets", targets), ("seed", doc["seed"]),
             ("draws per candidate", doc["draws"]), ("engine runs", doc["runs"]),
             ("seconds", doc["seconds"]), ("importer", doc.get("importer", "newsvendor")),
             ("created", info.created_at.isoformat(timespec="seconds") + "Z")]
    summary = Section("summary", "About this search", table=pd.DataFrame(
        [{"item": k, "value": "" if v is None else str(v)} for k, v in facts]))
    sections = [head, surface, picks, rounds, summary,
                Section("scenario", "Scenario", text=stored.scenario_text)]
    title = f"spigot strategy {stored.run_id}: {doc['scenario']}"
    return ReportContent(stored.run_id, title, sections, kind="strategy",
                         runs=[info.to_dict()])
