"""``spigot mitigate SCENARIO[,SCENARIO...] --for HOLDER``: the cost-versus-risk frontier of a
holder's mitigation, each point verified by the engine (keys in docs/cli.md)."""

from __future__ import annotations

import sys
from pathlib import Path
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
)
from spigot.cli.progress import progress_bar
from spigot.cli.runs import StoreOption, open_store, scenario_text_of
from spigot.errors import InputError, Problem

if TYPE_CHECKING:
    import pandas as pd

    from spigot import mitigation, scenarios
else:
    scenarios = lazy_from("spigot", "scenarios")
    mitigation = lazy_from("spigot", "mitigation")
    pd = lazy_import("pandas")

__all__ = ["mitigate", "mitigation_dataset", "parse_weights"]


def mitigation_dataset(result: Any) -> Any:
    """The frontier as an ``xarray.Dataset`` on the dimension ``point`` (for the run store)."""
    import xarray as xr

    frame = result.frontier
    return xr.Dataset({c: ("point", frame[c].to_numpy(dtype=float),
                           {"units": "1" if c.startswith("relative_error") else "USD"})
                       for c in frame.columns if c != "point"},
                      coords={"point": frame["point"].to_numpy()})


def parse_weights(text: str | None) -> list[float] | None:
    """``--weights 0.7,0.3`` as numbers (checked against the scenarios by the library).

    Raises
    ------
    InputError
        If an item is not a number.
    """
    if text is None:
        return None
    out = []
    for item in text.split(","):
        try:
            out.append(float(item.strip()))
        except ValueError:
            raise InputError(Problem("a weight is not a number", field="--weights",
                                     value=item.strip(), expected="numbers joined by commas, "
                                     "e.g. 0.7,0.3")) from None
    return out


def mitigate(
    scenario: Annotated[str, typer.Argument(
        help="Built-in scenario names or YAML files, comma-separated (weighted by --weights; "
        "default equal).")],
    holder: Annotated[str, typer.Option(
        "--for", help="The holder: a region id (USA), a group (EU27), ids joined by commas, or a "
        "firm as a sector id (USA.automotive: its own loss and extra cover).")],
    budget: Annotated[float | None, typer.Option(
        "--budget", help="Frontier over budgets 0..USD (default: up to the cheapest portfolio "
        "leaving 5 % of the expected loss, or avoiding all it can).", show_default=False)] = None,
    target_p95: Annotated[float | None, typer.Option(
        "--target-p95", help="Frontier of the cheapest portfolios keeping P95 (through CVaR95) "
        "of lost output under caps falling to this, USD, as the program predicts it; each "
        "point's P95 is then fitted to the engine and verified on fresh draws (a point may miss "
        "its cap: see its P95).", show_default=False)] = None,
    menu_file: Annotated[Path | None, typer.Option(
        "--menu", help="A menu YAML of measures (docs/mitigation.md); default: a stockpile of "
        "each commodity the holder is short of and extra cover for its sectors.",
        show_default=False)] = None,
    draws: Annotated[int | None, typer.Option("--draws", "-n", min=2,
                                              help="Monte Carlo draws per scenario.")] = None,
    weights: Annotated[str | None, typer.Option(
        "--weights", help="Probability of each scenario, comma-separated in their order, summing "
        "to 1 (e.g. 0.7,0.3); expectations and CVaR95 are over the weighted mixture.",
        show_default=False)] = None,
    points: Annotated[int, typer.Option("--points", "-k", min=2, max=20,
                                        help="Frontier points.")] = 10,
    seed: SeedOption = None,
    refits: Annotated[int, typer.Option("--refits", min=0, max=5,
                                        help="Most re-fits when verification is off by >10 %.")] = 2,
    engine: EngineOption = "numba",
    verbose: Annotated[bool, typer.Option("--verbose", help="Print the LP size and HiGHS time "
                                          "(to stderr).")] = False,
    fmt: FormatOption = Format.table,
    store: StoreOption = None,
    save: SaveOption = True,
    quiet: QuietOption = False,
) -> None:
    """What mitigation is worth: the cost-versus-risk frontier of a holder's portfolio of
    stockpiles and extra cover, optimised over engine draws and verified on fresh ones."""
    names = [s.strip() for s in scenario.split(",") if s.strip()]
    scens = [scenarios.load(n) for n in names]
    scenario_weights = parse_weights(weights)
    menu = None
    if menu_file is not None:
        if not menu_file.is_file():
            raise InputError(Problem("no such menu file", field="--menu", value=str(menu_file),
                                     expected="a YAML file of measures (docs/mitigation.md)"))
        menu = mitigation.load_menu_text(menu_file.read_text(encoding="utf-8"), str(menu_file))
    with progress_bar("optimising and verifying", quiet=quiet):
        result = mitigation.mitigate(scens, holder, menu=menu, budget_usd=budget,
                                     target_p95_usd=target_p95, draws=draws, points=points,
                                     seed=seed, refits=refits, engine=engine,
                                     weights=scenario_weights)
    doc = result.document()
    if verbose:
        lp = doc["lp"]
        sys.stderr.write(f"LP: {lp['variables']} variables, {lp['constraints']} constraints "
                         f"(largest); HiGHS {lp['solve_seconds']:.2f} s over {lp['solves']} "
                         f"solves; engine {doc['manifest']['fit_run_seconds']:.1f} s (fit) + "
                         f"{doc['manifest']['verify_seconds']:.1f} s (verification); total "
                         f"{doc['manifest']['total_seconds']:.1f} s\n")
    if save:
        runs = open_store(store)
        text = "\n---\n".join(scenario_text_of(n) for n in names)
        manifest = {**doc["manifest"], "scenario": ",".join(names), "mitigate": doc}
        run_id = runs.save(mitigation_dataset(result), manifest, text, kind="mitigate")
        doc["run_id"] = run_id
        if not quiet:
            typer.echo(f"saved mitigate {run_id} to {runs.path}", err=True)
    if fmt is Format.json:
        emit(pd.DataFrame(), fmt, document=doc)
        return
    frame = result.frontier
    if fmt is Format.csv:
        emit(frame, fmt)
        return
    console = Console(width=160)
    names_w = [f"{n} ({w:.3g})" if len(result.scenarios) > 1 else n for n, w in
               zip(result.scenarios, doc["manifest"]["scenario_weights"], strict=True)]
    console.print(f"[bold]{result.holder}[/bold] ({', '.join(result.members)}) under "
                  f"{', '.join(names_w)}: {doc['manifest']['draws']} draws, verified on "
                  f"fresh draws (seed {doc['manifest']['verify_seed']})")
    emit(frame, fmt, title="Frontier (USD; predicted on the fitted draws, simulated on fresh "
         "ones)")
    last = len(result.points) - 1
    emit(result.portfolio(last), fmt, title=f"Portfolio of point {last}")
    if doc["marginal_values"]:
        emit(pd.DataFrame(doc["marginal_values"])[["id", "per", "avoided_lost_usd_mean",
                                                   "avoided_lost_usd_p95", "cost_usd",
                                                   "breakeven_cost_usd"]],
             fmt, title="Marginal value of the first step of each measure (and breakeven cost)")
    v = doc["verification"]
    console.print(f"verification: worst |relative error| {v['max_abs_relative_error']:.1%}; "
                  f"{v['points_within_10pct']} of {len(result.points)} points within 10 %; P95: "
                  f"worst {v['max_abs_relative_error_p95']:.1%}, {v['points_p95_within_10pct']} "
                  "within 10 %")
