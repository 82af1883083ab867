"""``spigot run SCENARIO``: simulate a scenario and print its summary (keys in docs/cli.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from spigot._lazy import lazy_from, lazy_import
from spigot.cli.output import (
    EngineOption,
    Format,
    FormatOption,
    QuietOption,
    SaveOption,
    SeedOption,
    emit,
    to_jsonable,
)
from spigot.cli.progress import progress_bar
from spigot.cli.runs import StoreOption, save_results, scenario_text_of

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from spigot import scenarios
    from spigot.results import Results
    from spigot.sim import simulate
else:
    scenarios = lazy_from("spigot", "scenarios")
    Results = lazy_from("spigot.results", "Results")
    simulate = lazy_from("spigot.sim", "simulate")
    np = lazy_import("numpy")
    pd = lazy_import("pandas")

__all__ = ["JSON_SCHEMA_ID", "run", "run_document"]

#: Identifies the layout of ``spigot run --format json``; bumped only on breaking changes.
JSON_SCHEMA_ID = "spigot.run/1"


def sector_table(res: Results) -> pd.DataFrame:
    """One row per region x sector: stoppage and lost output (mean and quantiles over draws)."""
    stops = res.metrics.first_stoppage()
    lost = res.metrics.lost_output().drop(columns=["region", "sector"])
    return stops.merge(lost, on="id", how="left")


def run_document(res: Results) -> dict[str, Any]:
    """The JSON document of a run (an interface: keys documented in docs/cli.md)."""
    return {
        "schema": JSON_SCHEMA_ID,
        "manifest": res.manifest,
        "summary": res.metrics.summary(),
        "sectors": sector_table(res),
        "shortfall": res.metrics.shortfall(),
        "exports": res.metrics.exports(),
        "licences": res.metrics.licences(),
        **market_document(res),
        **({"reactions": res.metrics.reactions()} if "reaction" in res.data.coords else {}),
    }


def _series(values: np.ndarray) -> list[float]:
    return [float(v) for v in values]


def _nonzero(da: Any, dim: str, neutral: float = 0.0) -> dict[str, list[float]]:
    """Weekly series of the items of ``da`` (dims time, ``dim``) not ``neutral`` throughout."""
    values = da.values
    return {str(label): _series(values[:, i]) for i, label in enumerate(da[dim].values)
            if np.any(values[:, i] != neutral)}


def market_document(res: Results) -> dict[str, Any]:
    """The keys ``prices``, ``spread`` and ``responses`` of the run document (docs/cli.md).

    Empty objects when the run had no market phase.
    """
    ds = res.data
    if "price" not in ds:
        return {"prices": {}, "spread": {}, "responses": {}}
    levels = {0.05: "p5", 0.5: "p50", 0.95: "p95"}
    price, spread = ds["price"].values, ds["price_spread"].values  # (T, Z, C, Q), (T, C, Q)
    quantiles = [float(q) for q in ds["quantile"].values]
    prices: dict[str, Any] = {}
    spreads: dict[str, Any] = {}
    for c, name in enumerate(ds["commodity"].values):
        prices[str(name)] = {
            str(zone): {levels[q]: _series(price[:, z, c, i]) for i, q in enumerate(quantiles)}
            for z, zone in enumerate(ds["zone"].values)}
        spreads[str(name)] = {levels[q]: _series(spread[:, c, i])
                              for i, q in enumerate(quantiles)}
    restarts = (ds["restart_step"].values >= 0).mean(axis=0)
    responses = {
        "demand_reduction": _nonzero(ds["mean_demand_reduction"], "use"),
        "demand_destruction": _nonzero(ds["mean_demand_destruction"], "sector"),
        "capacity_added": _nonzero(ds["mean_capacity_added"], "node"),
        "restarts": {str(n): float(r) for n, r in zip(ds["node"].values, restarts, strict=True)
                     if r > 0},
        "recycled": _nonzero(ds["mean_recycled"], "recycling"),
        "stockpile_release": _nonzero(ds["mean_stockpile_release"], "stockpile"),
        "safety_multiplier": _nonzero(ds["mean_safety_multiplier"], "rc", neutral=1.0),
    }
    return {"prices": prices, "spread": spreads, "responses": responses}


def run(
    scenario: Annotated[str, typer.Argument(help="Built-in scenario name or a YAML file.")],
    draws: Annotated[int | None, typer.Option("--draws", "-n", min=1,
                                              help="Monte Carlo draws.")] = None,
    seed: SeedOption = None,
    weeks: Annotated[int | None, typer.Option("--weeks", "-w", min=1,
                                              help="Horizon in weeks.")] = None,
    engine: EngineOption = "numba",
    chunk_size: Annotated[int | None, typer.Option("--chunk-size", min=1,
                                                   help="Draws per chunk.")] = None,
    fmt: FormatOption = Format.table,
    store: StoreOption = None,
    save: SaveOption = True,
    quiet: QuietOption = False,
    against: Annotated[str | None, typer.Option(
        "--against", help="Compare with a run of this scenario (e.g. baseline): the newest "
        "stored one on the same dataset and horizon, else one run now with the same draws and "
        "seed.", show_default=False)] = None,
    dataset: Annotated[str | None, typer.Option(
        "--dataset", "-d", help="Run on this world instead of the scenario's: a bundled name or "
        "a dataset folder (e.g. one `spigot data import-baci` wrote); --against runs on it too.",
        show_default=False)] = None,
) -> None:
    """Simulate a scenario: when sectors stop, lost output, shortfalls, exports, licences."""
    from spigot.cli.compare import check_against, run_against

    check_against(against)
    scen = scenarios.load(scenario)
    if dataset is not None:
        scen = scen.with_options(dataset=dataset)
    with progress_bar(f"simulating {scen.name}", quiet=quiet):
        res = simulate(scen, draws=draws, seed=seed, weeks=weeks,
                       engine=engine,  # type: ignore[arg-type]
                       chunk_size=chunk_size)
    res.check_conservation()
    run_id = (save_results(res, scenario_text_of(scenario, dataset), store, quiet=quiet)
              if save else None)
    if against is not None and fmt is not Format.table:
        run_against(res, run_id, against, store, fmt, save=save, quiet=quiet,
                    dataset=dataset)
        return
    doc = run_document(res)
    if fmt is Format.json:
        emit(pd.DataFrame(), fmt, document=doc)
        return
    sectors = doc["sectors"]
    if fmt is Format.csv:
        emit(sectors, fmt)
        return
    summary = doc["summary"]
    console = Console(width=160)
    console.print(f"[bold]{scen.name}[/bold] on {scen.dataset}: {summary['draws']} draws x "
                  f"{summary['weeks']} weeks (engine {res.manifest['engine']}, "
                  f"{res.manifest['timings_s']['run']:.2f} s)")
    console.print(f"draws with a stoppage: {summary['share_draws_with_stoppage']:.1%}; lost "
                  f"output USD mean {summary['lost_output_usd_mean']:,.0f} (P5 "
                  f"{summary['lost_output_usd_p5']:,.0f}, P95 "
                  f"{summary['lost_output_usd_p95']:,.0f})")
    cols = ["region", "sector", "share_stopped", "first_stop_date", "first_stop_week_p50",
            "stopped_weeks_mean", "lost_usd_mean", "lost_usd_p95"]
    shown = sectors[sectors["share_stopped"] > 0] if (sectors["share_stopped"] > 0).any() \
        else sectors.head(10)
    emit(shown.sort_values("lost_usd_mean", ascending=False)[cols].head(25), fmt,
         title="Sectors (stoppages and lost output)")
    short = doc["shortfall"]
    if len(short) and (short["shortfall_t_mean"] > 0).any():
        emit(short[short["shortfall_t_mean"] > 0].sort_values("shortfall_t_mean",
                                                              ascending=False).head(15),
             fmt, title="Shortfall by region and commodity (t over the horizon)")
    prices = res.metrics.prices()
    if len(prices):
        emit(prices.head(15), fmt, title="Prices relative to base (P50 at the end, peak of the "
             "mean; spread = ex-China / China)")
    elif res.manifest.get("markets") is False:
        console.print("markets: off (no price phase in this run)")
    lic = doc["licences"]
    if len(lic):
        emit(lic[["route", "exporter", "commodity", "destination", "applied_t", "approved_t",
                  "denied_t", "queue_t_mean", "mean_wait_weeks"]]
             .sort_values("applied_t", ascending=False).head(20), fmt,
             title="Licences (per licensed route; means over draws)")
    if "reactions" in doc:
        emit(doc["reactions"][["reaction", "measure", "trigger", "action", "share_fired",
                               "fired_date", "share_applied", "applied_date",
                               "applied_week_p5", "applied_week_p95"]], fmt,
             title="Reactions (when triggers fired and actions applied; medians over draws)")
    if against is not None:
        run_against(res, run_id, against, store, fmt, save=save, quiet=quiet,
                    dataset=dataset)


_ = to_jsonable  # re-exported helper used by tests
