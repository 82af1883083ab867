"""``spigot scenario list|show|schema`` and ``spigot validate FILE``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from spigot._lazy import lazy_from, lazy_import
from spigot.cli.output import Format, FormatOption, emit

if TYPE_CHECKING:
    import pandas as pd

    from spigot import scenarios
    from spigot.scenarios import json_schema, load_file
    from spigot.scenarios.checks import scenario_warnings
    from spigot.sim import cost, prepare
else:
    scenarios = lazy_from("spigot", "scenarios")
    json_schema = lazy_from("spigot.scenarios", "json_schema")
    load_file = lazy_from("spigot.scenarios", "load_file")
    scenario_warnings = lazy_from("spigot.scenarios.checks", "scenario_warnings")
    cost = lazy_from("spigot.sim", "cost")
    prepare = lazy_from("spigot.sim", "prepare")
    pd = lazy_import("pandas")

app = typer.Typer(help="Built-in scenarios: list, show, and the JSON Schema of scenario files.",
                  no_args_is_help=True)



@app.command("list")
def list_scenarios(fmt: FormatOption = Format.table) -> None:
    """List the built-in scenarios."""
    rows = []
    for name in scenarios.names():
        scen = scenarios.load(name)
        rows.append({"name": name, "dataset": scen.dataset, "weeks": scen.horizon_weeks,
                     "draws": scen.draws, "policies": len(scen.policies),
                     "description": " ".join(scen.description.split())})
    emit(pd.DataFrame(rows), fmt, title="Built-in scenarios")


@app.command("show")
def show(name: Annotated[str, typer.Argument(help="Built-in scenario name or a YAML file.")],
         fmt: FormatOption = Format.table) -> None:
    """Print a scenario: its YAML text (table format) or its validated content (json)."""
    scen = scenarios.load(name)
    if fmt is Format.json:
        typer.echo(json.dumps(scen.model_dump(mode="json"), indent=2))
    elif fmt is Format.csv:
        rows = [{"id": p.id, "type": p.type, "start": p.start, "end": p.end,
                 "probability": p.probability} for p in scen.policies]
        emit(pd.DataFrame(rows, columns=["id", "type", "start", "end", "probability"]), fmt)
    else:
        path = scenarios.path(name) if name in scenarios.names() else Path(name)
        typer.echo(path.read_text(encoding="utf-8").rstrip())


@app.command("schema")
def schema() -> None:
    """Print the JSON Schema of scenario files (for editors and CI)."""
    typer.echo(json.dumps(json_schema(), indent=2))


def validate(path: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
             fmt: FormatOption = Format.table) -> None:
    """Check a scenario file: its fields, and its names against its dataset."""
    scen = load_file(path)
    cost.check_steps(scen)  # before preparing: a huge step count makes preparing slow
    model = prepare(scen)
    run_cost = cost.check(cost.estimate(model, scen.draws, keep=scen.keep_trajectories))
    warnings = scenario_warnings(scen)
    for problem in warnings:
        typer.echo(f"warning: {problem.describe()}", err=True)
    doc = {"path": str(path), "valid": True, "name": scen.name, "dataset": scen.dataset,
           "policies": len(scen.policies), "measures": list(model.plan.ids),
           "licensed_routes": model.plan.n_slots,
           "cost": {"bytes": run_cost.bytes, "seconds": round(run_cost.seconds, 3)},
           "warnings": [p.describe() for p in warnings]}
    if fmt is Format.table:
        typer.echo(f"{path}: valid scenario {scen.name!r} ({len(scen.policies)} policies on "
                   f"dataset {scen.dataset!r}; {model.plan.n_slots} licensed routes)")
    else:
        emit(pd.DataFrame([{k: v for k, v in doc.items()
                            if k not in ("measures", "cost", "warnings")}]), fmt,
             document=doc)
