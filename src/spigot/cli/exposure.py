"""``spigot exposure PRODUCT``: when a manufacturer's line stops under scenarios (docs/cli.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from spigot._lazy import lazy_import
from spigot.cli.output import (
    EngineOption,
    Format,
    FormatOption,
    QuietOption,
    SeedOption,
    emit,
    emit_rows,
)
from spigot.cli.progress import progress_bar

if TYPE_CHECKING:
    import pandas as pd

    import spigot.exposure as exposure_api
    from spigot import datasets
else:
    exposure_api = lazy_import("spigot.exposure")
    datasets = lazy_import("spigot.datasets")
    pd = lazy_import("pandas")

__all__ = ["exposure", "scenario_rows"]


def scenario_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """One flat row per scenario (the CSV and table layout): ``cause`` as ``cause_*`` columns."""
    rows = []
    for s in doc["scenarios"]:
        row = {k: v for k, v in s.items() if k != "cause"}
        cause = s["cause"] or {}
        for key in ("commodity", "share_of_stops", "node", "region", "route_commodity", "tier",
                    "week"):
            row[f"cause_{key}"] = cause.get(key)
        rows.append(row)
    return rows


def exposure(
    product: Annotated[str, typer.Argument(help="A product YAML file, or a bundled product "
                                           "(ev-motor, wind-generator, hard-disk).")],
    scenario: Annotated[list[str] | None, typer.Option(
        "--scenario", "-S", help="Scenario name or file (repeat for several; default "
        "licence-squeeze).")] = None,
    draws: Annotated[int | None, typer.Option("--draws", "-n", min=1,
                                              help="Monte Carlo draws (default: the "
                                              "scenario's).")] = None,
    seed: SeedOption = None,
    dataset: Annotated[str | None, typer.Option(
        "--dataset", help="Use this world (bundled name or folder) instead of each "
        "scenario's dataset.")] = None,
    max_share: Annotated[float, typer.Option(
        "--max-share", min=1e-9, max=0.1, help="Largest relative growth of any node or route "
        "the product may cause (it is scaled down to fit; results are scaled back).")] = 1e-3,
    engine: EngineOption = "numba",
    fmt: FormatOption = Format.table,
    quiet: QuietOption = False,
) -> None:
    """A manufacturer's exposure: stop probability, first stop week, lost output and its cause."""
    prod, _ = exposure_api.load_product(product)
    names = scenario or ["licence-squeeze"]
    world = datasets.load(dataset) if dataset is not None else None
    with progress_bar(f"simulating {prod.name} under {', '.join(names)}", quiet=quiet):
        report = exposure_api.exposure(prod, names, draws=draws, seed=seed, network=world,
                                       max_share=max_share, file=product, engine=engine)
    doc = report.to_dict()
    if fmt is Format.json:
        emit(pd.DataFrame(), fmt, document=doc)
        return
    rows = scenario_rows(doc)
    if fmt is Format.csv:
        emit_rows(rows, fmt)
        return
    plant = doc["plant"]
    typer.echo(f"{doc['product']}: {plant['output_per_week']:,.0f} {plant['unit']}/week in "
               f"{plant['region']}, USD {plant['value_per_unit']:,.0f} each, "
               f"{plant['cover_weeks']:g} weeks of cover (modelled as {plant['model_sector']} "
               f"at scale {plant['scale']:.3g})")
    emit_rows([{"component": m["component"], "commodity": m["commodity"], "stage": m["stage"],
                "kg_per_unit": m["kg_per_unit"], "t_per_year": m["t_per_year"],
                "suppliers": ", ".join(f"{s['node']} ({s['region']}, {s['share']:.0%})"
                                       for s in m["suppliers"]),
                "inputs_from": ", ".join(f"{k}: {v}" for k, v in m["inputs_from"].items())}
               for m in doc["materials"]], fmt, title="Materials")
    emit_rows([{"scenario": r["scenario"], "draws": r["draws"],
                "stop_probability": r["stop_probability"],
                "first_stop_week_p5": r["first_stop_week_p5"],
                "first_stop_week_p50": r["first_stop_week_p50"],
                "first_stop_week_p95": r["first_stop_week_p95"],
                "stopped_weeks_mean": r["stopped_weeks_mean"], "lost_usd_p95": r["lost_usd_p95"],
                "cause": _cause_text(r)} for r in rows], fmt, title="Exposure by scenario")


def _cause_text(row: dict[str, Any]) -> str:
    if row["cause_commodity"] is None:
        return ""
    text = f"short of {row['cause_commodity']}"
    if row["cause_node"] is not None:
        text += (f"; first failing: {row['cause_route_commodity']} from {row['cause_node']} "
                 f"({row['cause_region']}, tier {row['cause_tier']}) in week "
                 f"{row['cause_week']:g}")
    return text
