"""``spigot sweep SCENARIO``: a scenario over a design of parameter points, on Dask, with Sobol
or Morris sensitivity indices (keys in docs/cli.md; docs/sweeps.md)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from spigot._lazy import lazy_from, lazy_import
from spigot.cli.output import Format, FormatOption, QuietOption, SaveOption, SeedOption, emit
from spigot.cli.progress import progress_bar
from spigot.cli.runs import StoreOption, open_store, scenario_text_of
from spigot.errors import InputError, Problem

if TYPE_CHECKING:
    import pandas as pd

    from spigot import scenarios
    from spigot import sweep as sw
else:
    scenarios = lazy_from("spigot", "scenarios")
    sw = lazy_import("spigot.sweep")
    pd = lazy_import("pandas")

__all__ = ["sweep"]


def _write_parquet(frame: pd.DataFrame, target: Path) -> None:
    """Write ``frame`` to ``target`` atomically (a temporary sibling renamed into place)."""
    target = target.expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _sobol_table(doc: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for output, per in (doc.get("sobol") or {}).items():
        for param, idx in (per or {}).items():
            rows.append({"output": output, "parameter": param, **idx})
    return pd.DataFrame(rows)


def _morris_table(doc: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for output, per in (doc.get("morris") or {}).items():
        for param, idx in (per or {}).items():
            rows.append({"output": output, "parameter": param, **idx})
    return pd.DataFrame(rows)


def sweep(
    scenario: Annotated[str, typer.Argument(help="Built-in scenario name or a YAML file.")],
    param: Annotated[list[str] | None, typer.Option(
        "--param", "-p", help="PATH=LOW:HIGH[:DIST] (DIST: uniform, loguniform, integer); PATH "
        "is a scenario path such as policies[0].approval.default or market.NAME[:KEY]. "
        "Repeatable.", show_default=False)] = None,
    file: Annotated[Path | None, typer.Option(
        "--file", help="A sweep file (YAML): parameters and settings (docs/sweeps.md).",
        show_default=False)] = None,
    design: Annotated[str | None, typer.Option(
        "--design", help="grid, lhs, sobol or morris (default lhs).", show_default=False)] = None,
    points: Annotated[int | None, typer.Option(
        "--points", min=1, help="grid: levels per parameter; lhs: points; sobol: base samples "
        "(a power of 2; N x (k+2) points); morris: trajectories (N x (k+1) points); "
        "default 16.", show_default=False)] = None,
    draws: Annotated[int | None, typer.Option("--draws", "-n", min=1,
                                              help="Draws per point (default 100).",
                                              show_default=False)] = None,
    weeks: Annotated[int | None, typer.Option("--weeks", "-w", min=1, help="Horizon in weeks.",
                                              show_default=False)] = None,
    seed: SeedOption = None,
    pair: Annotated[list[str] | None, typer.Option(
        "--pair", help="REGION.SECTOR whose first stop week (P50) is an output. Repeatable.",
        show_default=False)] = None,
    commodity: Annotated[list[str] | None, typer.Option(
        "--commodity", help="Commodity whose peak ex-China price is an output (default: those "
        "the scenario's policies name). Repeatable.", show_default=False)] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="tcp://HOST:PORT of a running Dask scheduler (default: "
        "$SPIGOT_DASK_SCHEDULER, else a local cluster).", show_default=False)] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, help="Local worker processes (default: one per CPU core).",
        show_default=False)] = None,
    chunk_draws: Annotated[int | None, typer.Option(
        "--chunk-draws", min=1, help="Draws per task (whole blocks of 64; default: a point's "
        "draws in one task). Does not change the numbers.", show_default=False)] = None,
    dataset: Annotated[str | None, typer.Option(
        "--dataset", "-d", help="Run on this world instead of the scenario's.",
        show_default=False)] = None,
    parquet: Annotated[Path | None, typer.Option(
        "--parquet", help="Also write the points (one row each) to this Parquet file.",
        show_default=False)] = None,
    fmt: FormatOption = Format.table,
    store: StoreOption = None,
    save: SaveOption = True,
    quiet: QuietOption = False,
) -> None:
    """Sweep a scenario's parameters on Dask: outputs per point and which parameters matter."""
    specs = [sw.parse_param(p) for p in param or []]
    settings: Any = None
    if file is not None:
        from spigot.sweep.spec import load_sweep_file

        settings, file_specs = load_sweep_file(file)
        specs = file_specs + specs
    if not specs:
        raise InputError(Problem("nothing to sweep", field="--param",
                                 expected="at least one --param PATH=LOW:HIGH or a --file",
                                 hint="e.g. --param policies[0].approval.default=0.5:0.9"))

    def pick(cli_value: Any, key: str, default: Any) -> Any:
        if cli_value is not None:
            return cli_value
        from_file = getattr(settings, key, None) if settings is not None else None
        return default if from_file is None else from_file

    scen = scenarios.load(scenario)
    if dataset is not None:
        scen = scen.with_options(dataset=dataset)
    with progress_bar(f"sweeping {scen.name}", quiet=quiet) as advance:
        result = sw.run_sweep(
            scen, specs, design=pick(design, "design", "lhs"), points=pick(points, "points", 16),
            draws=pick(draws, "draws", 100), weeks=pick(weeks, "weeks", None),
            seed=pick(seed, "seed", None), pairs=list(pick(pair, "pairs", [])),
            commodities=pick(commodity, "commodities", None), scheduler=scheduler,
            workers=workers, chunk_draws=chunk_draws, progress=advance)
    frame = result.points_frame()
    if parquet is not None:
        _write_parquet(frame, parquet)
    if save:
        runs = open_store(store)
        run_id = runs.save(result.to_dataset(), result.manifest,
                           scenario_text_of(scenario, dataset), "sweep")
        result.manifest["run_id"] = run_id
        if not quiet:
            typer.echo(f"saved sweep {run_id} to {runs.path}", err=True)
    doc = result.document()
    if fmt is Format.json:
        emit(pd.DataFrame(), fmt, document=doc)
        return
    if fmt is Format.csv:
        emit(frame, fmt)
        return
    m = result.manifest
    Console(width=160).print(
        f"[bold]{m['scenario']}[/bold]: {m['design']} sweep of {len(specs)} parameters, "
        f"{m['points']} points x {m['draws']} draws x {m['weeks']} weeks on {m['scheduler']} "
        f"({m['workers']} workers, {m['timings_s']['total']:.1f} s)")
    emit(frame.head(25), fmt, title=f"Points (first 25 of {len(frame)})")
    if doc["sobol"] is not None:
        emit(_sobol_table(doc), fmt, title="Sobol indices (S1 first-order, ST total; *_conf: "
             "95 % bootstrap half-widths)")
    if doc["morris"] is not None:
        emit(_morris_table(doc), fmt, title="Morris screening (mu_star: mean |elementary "
             "effect| on the parameter's quantile scale)")
