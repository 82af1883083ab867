"""``spigot strategy SCENARIO --exporter CHN --target USA``: the exporter's best licence and the
best responses that follow (keys in docs/cli.md)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from spigot._lazy import lazy_from, lazy_import
from spigot.cli.output import (
    Format,
    FormatOption,
    QuietOption,
    SaveOption,
    SeedOption,
    emit_rows,
    to_jsonable,
)
from spigot.cli.runs import StoreOption, open_store, scenario_text_of

if TYPE_CHECKING:
    from spigot import scenarios
    from spigot.strategy import Evaluation, StrategyResult
    from spigot.strategy import importer as importers
    from spigot.strategy import strategy as run_strategy
else:
    scenarios = lazy_from("spigot", "scenarios")
    run_strategy = lazy_from("spigot.strategy", "strategy")
    importers = lazy_import("spigot.strategy.importer")

__all__ = ["JSON_SCHEMA_ID", "save_strategy", "strategy", "strategy_dataset",
           "strategy_document"]

#: Identifies the layout of ``spigot strategy --format json``; bumped only on breaking changes.
JSON_SCHEMA_ID = "spigot.strategy/1"
#: Alternatives reported next to the best policy.
ALTERNATIVES = 3


class Importer(StrEnum):
    """``--importer``: the importer's answer (:data:`spigot.strategy.importer.IMPORTERS`)."""

    mitigate = "mitigate"
    newsvendor = "newsvendor"


#: The importer's answer when --importer is not given
#: (:data:`spigot.strategy.importer.DEFAULT_IMPORTER`; docs/model.md, "Best responses").
DEFAULT_IMPORTER = Importer.mitigate


def _policy(e: Evaluation) -> dict[str, Any]:
    c = e.candidate
    return {"label": c.label, "settings": c.settings,
            "policy": None if c.policy is None else c.policy.model_dump(mode="json",
                                                                       exclude_none=True)}


def _row(e: Evaluation, best: Evaluation, rank: int) -> dict[str, Any]:
    s = e.summary()
    return {"rank": rank, "label": e.candidate.label, "settings": e.candidate.settings,
            **s, "gap_usd": best.score - e.score, "gap_se_usd": best.gap_se(e)}


def strategy_document(found: StrategyResult) -> dict[str, Any]:
    """The JSON document of a strategic search (an interface: keys documented in docs/cli.md)."""
    first = found.rounds[0].ranking
    best = first.best
    return {
        "schema": JSON_SCHEMA_ID,
        "scenario": found.scenario,
        "exporter": found.exporter,
        "targets": list(found.targets),
        "draws": found.draws,
        "seed": found.seed,
        "family": {"name": found.family.name, "candidates": found.candidates,
                   "levers": found.family.options()},
        "weights": found.weights.as_dict(),
        "importer": found.importer,
        "search": {"method": first.method, "rungs": first.rungs},
        "best_policy": _policy(best),
        "objective": best.summary(),
        "alternatives": [_row(e, best, i + 2)
                         for i, e in enumerate(first.evaluations[1:1 + ALTERNATIVES])],
        "rounds": [{"round": r.number, "state": r.state,
                    "faced": [s.as_dict() for s in r.stance],
                    "exporter": {**_policy(r.ranking.best), **r.ranking.best.summary()},
                    "importer": [s.as_dict() for s in r.answer]} for r in found.rounds],
        "outcome": found.outcome,
        "surface": found.surface(),
        "runs": found.runs,
        "seconds": round(found.seconds, 2),
    }


def answer_text(item: dict[str, Any]) -> str:
    """One item of the importer's answer (a stock or extra cover, as JSON) in words."""
    if item.get("kind") == "extra_cover":
        return f"{item['holder']}.{item['sector']} +{item['weeks']:.3g} weeks of cover"
    return f"{item['holder']} holds {item['tonnes']:.4g} t {item['commodity']}"


def strategy_dataset(doc: dict[str, Any]) -> Any:
    """Round 1's objective surface as an ``xarray.Dataset`` on the dimension ``candidate`` (the
    candidates' labels): ``score_usd``, ``score_se_usd`` (USD) and ``draws`` (for the store; the
    report reads the whole document from the manifest)."""
    import xarray as xr

    rows = doc["surface"]
    return xr.Dataset(
        {"score_usd": ("candidate", [float(r["score_usd"]) for r in rows], {"units": "USD"}),
         "score_se_usd": ("candidate", [float(r["score_se_usd"]) for r in rows],
                          {"units": "USD"}),
         "draws": ("candidate", [int(r["draws"]) for r in rows], {"units": "1"})},
        coords={"candidate": [str(r["label"]) for r in rows]})


def save_strategy(doc: dict[str, Any], scenario_text: str, dataset: str,
                  store: Any = None) -> tuple[str, str]:
    """Keep a search in the run store as an entry of kind ``strategy``: the surface as its data,
    the JSON document as ``manifest["strategy"]``. Returns the run id and the store's path."""
    runs = open_store(store)
    manifest = {"scenario": doc["scenario"], "dataset": dataset, "seed": doc["seed"],
                "draws": doc["draws"], "timings": {"total": doc["seconds"]},
                "strategy": to_jsonable(doc)}
    run_id = runs.save(strategy_dataset(doc), manifest, scenario_text, kind="strategy")
    return run_id, str(runs.path)


def write_figure(found: StrategyResult, path: str) -> None:
    """Write round 1's objective over the family as one self-contained HTML file (plotly.js
    inlined, opens offline).

    Raises
    ------
    InputError
        If the file cannot be written.
    """
    import pandas as pd

    from spigot.errors import InputError, Problem
    from spigot.report.figures import objective_figure

    fig = objective_figure(pd.DataFrame(found.surface()),
                           f"{found.exporter}'s objective against {', '.join(found.targets)} "
                           f"over the family {found.family.name!r} ({found.scenario})")
    try:
        fig.write_html(path, include_plotlyjs=True, full_html=True)
    except OSError as exc:
        raise InputError(Problem("cannot write the figure", field="--html", value=path,
                                 expected="a writable file path",
                                 hint=exc.strerror or None)) from None


def strategy(
    scenario: Annotated[str, typer.Argument(help="Built-in scenario name or a YAML file with an "
                                            "ExportLicence of the exporter.")],
    exporter: Annotated[str, typer.Option("--exporter", help="Region id of the exporter.")],
    target: Annotated[list[str], typer.Option("--target", help="Region id of a target (repeat "
                                              "for several).")],
    rounds: Annotated[int, typer.Option("--rounds", "-k", min=1, max=20,
                                        help="Rounds of best responses.")] = 3,
    draws: Annotated[int, typer.Option("--draws", "-n", min=2, max=2000,
                                       help="Draws per candidate at full precision.")] = 200,
    family: Annotated[str | None, typer.Option("--family", help="Policy-family YAML file "
                                               "(default: the bundled one).",
                                               show_default=False)] = None,
    seed: SeedOption = None,
    importer: Annotated[Importer, typer.Option(
        "--importer", help="The importer's answer: the mitigation optimiser of spigot mitigate "
        "(stockpiles and extra cover) or a newsvendor stockpile per commodity.")]
    = DEFAULT_IMPORTER,
    html: Annotated[str | None, typer.Option(
        "--html", help="Also write the objective over the family as a self-contained HTML "
        "figure to this file.", show_default=False)] = None,
    fmt: FormatOption = Format.table,
    store: StoreOption = None,
    save: SaveOption = True,
    quiet: QuietOption = False,
) -> None:
    """The exporter's best export licence against a target, and the best responses that follow."""
    scen = scenarios.load(scenario)

    def note(line: str) -> None:
        if not quiet and fmt is Format.table:
            sys.stderr.write(line + "\n")

    found = run_strategy(scen, exporter=exporter, target=target, rounds=rounds, draws=draws,
                         family=family, seed=seed, answer=importers.IMPORTERS[importer.value],
                         progress=note)
    doc = strategy_document(found)
    if html is not None:
        write_figure(found, html)
        note(f"wrote {html}")
    if save:
        run_id, where = save_strategy(doc, scenario_text_of(scenario), scen.dataset, store)
        doc["run_id"] = run_id
        if not quiet:
            typer.echo(f"saved strategy {run_id} to {where} (spigot report {run_id})", err=True)
    if fmt is Format.json:
        sys.stdout.write(json.dumps(to_jsonable(doc), indent=2, ensure_ascii=False) + "\n")
        return
    ranking = [{"rank": 1, "label": doc["best_policy"]["label"], **doc["objective"],
                "gap_usd": 0.0, "gap_se_usd": 0.0}, *doc["alternatives"]]
    cols = ["rank", "label", "score_usd", "score_se_usd", "gap_usd", "gap_se_usd", "harm_usd",
            "revenue_lost_usd", "share_lost", "share_lost_usd"]
    rows = [{c: r[c] for c in cols} for r in ranking]
    if fmt is Format.csv:
        emit_rows(rows, fmt)
        return
    console = Console(width=160)
    console.print(f"[bold]{found.scenario}[/bold]: {found.exporter} against "
                  f"{', '.join(found.targets)}; {found.candidates} candidates "
                  f"({doc['search']['method']}), {found.draws} draws each at full precision, "
                  f"seed {found.seed}; {found.runs} engine runs, {found.seconds:.0f} s")
    console.print(f"best policy: [bold]{doc['best_policy']['label']}[/bold]")
    emit_rows(rows, fmt, title="Best policy and the next best (USD; score = weighted harm - "
              "revenue lost - share lost; se: standard error; gap: best minus this, paired)")
    emit_rows([{"round": r["round"], "exporter's best": r["exporter"]["label"],
                "score_usd": r["exporter"]["score_usd"],
                "score_se_usd": r["exporter"]["score_se_usd"],
                "importer's answer": "; ".join(answer_text(s) for s in r["importer"])
                or "no stock", "state": r["state"]} for r in doc["rounds"]], fmt,
              title="Best responses")
    out = found.outcome
    console.print({"settled": f"outcome: settled in round {out['round']}",
                   "cycle": f"outcome: a cycle of period {out['period']} (round {out['round']} "
                            f"repeats round {(out['round'] or 0) - (out['period'] or 0)})",
                   "open": f"outcome: open after {len(found.rounds)} round(s)"}[out["status"]])
