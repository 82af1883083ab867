"""``spigot compare A B`` and ``spigot run S --against NAME``: one run against another.

JSON keys (layout ``spigot.compare/1``) are documented in docs/cli.md, section "spigot compare".
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from spigot._lazy import lazy_from, lazy_import
from spigot.cli.output import Format, FormatOption, emit
from spigot.cli.progress import progress_bar
from spigot.cli.runs import StoreOption, open_store, save_results, scenario_text_of

if TYPE_CHECKING:
    import pandas as pd

    from spigot import scenarios
    from spigot.report.compare import find_reference
    from spigot.report.deltas import Deltas, deltas
    from spigot.results import Results
else:
    scenarios = lazy_from("spigot", "scenarios")
    find_reference = lazy_from("spigot.report.compare", "find_reference")
    Deltas = lazy_from("spigot.report.deltas", "Deltas")
    deltas = lazy_from("spigot.report.deltas", "deltas")
    Results = lazy_from("spigot.results", "Results")
    pd = lazy_import("pandas")

__all__ = ["JSON_SCHEMA_ID", "compare", "compare_document", "find_reference", "run_against"]

#: Identifies the layout of ``spigot compare --format json``; bumped only on breaking changes.
JSON_SCHEMA_ID = "spigot.compare/1"
_INFO_KEYS = ("run_id", "kind", "scenario", "dataset", "dataset_hash", "draws", "seed", "weeks",
              "start", "created_at")


def run_info(info: dict[str, Any] | None, manifest: dict[str, Any], ds_time: int | None,
             run_id: str | None = None) -> dict[str, Any]:
    """The ``a``/``b`` object of the compare document: which run, on what, how many draws."""
    info = dict(info or {})
    out = {key: info.get(key, manifest.get(key)) for key in _INFO_KEYS}
    out["run_id"] = info.get("run_id", run_id)
    out["kind"] = info.get("kind", "run")
    out["weeks"] = manifest.get("weeks", ds_time)
    out["start"] = manifest.get("start")
    return out


def compare_document(found: Deltas, a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """The JSON document of a comparison (an interface: keys documented in docs/cli.md)."""
    return {"schema": JSON_SCHEMA_ID, "a": a, "b": b, "notes": list(found.notes),
            "deltas": found.rows}


def _changed(rows: pd.DataFrame) -> pd.DataFrame:
    diff = rows["diff"].abs().fillna(0)
    return rows[(diff > 1e-9 * rows[["a", "b"]].abs().max(axis=1).fillna(0))
                | (rows["status"] != "both")]


def print_tables(found: Deltas, a: dict[str, Any], b: dict[str, Any]) -> None:
    """The table format: the sectors that stop or lose output in either run, prices that moved."""
    typer.echo(f"A: {a.get('scenario')} ({a.get('run_id') or 'not stored'}; {a.get('draws')} "
               f"draws, {a.get('weeks')} weeks)   B: {b.get('scenario')} "
               f"({b.get('run_id') or 'not stored'}; {b.get('draws')} draws, "
               f"{b.get('weeks')} weeks); differences are B − A")
    rows = found.rows
    sectors = rows[rows["group"] == "sector"]
    if len(sectors):
        wide = sectors.pivot_table(index=["region", "sector"], columns="metric",
                                   values=["a", "b", "diff"], sort=False, dropna=False)
        table = pd.DataFrame(index=wide.index)
        for metric, label in (("stop_probability", "P(stop)"),
                              ("first_stop_week_p50", "first stop P50 (week)"),
                              ("lost_output_usd_mean", "lost USD mean")):
            if ("a", metric) in wide.columns:
                table[f"A {label}"] = wide[("a", metric)]
                table[f"B {label}"] = wide[("b", metric)]
                if metric == "lost_output_usd_mean":
                    table[f"B − A {label}"] = wide[("diff", metric)]
        lost = [c for c in table.columns if c.startswith("B − A lost")]
        if "A P(stop)" in table.columns:
            table = table[(table["A P(stop)"].fillna(0) > 0) | (table["B P(stop)"].fillna(0) > 0)
                          | (table[lost[0]].abs().fillna(0) > 0 if lost else False)]
        if lost:
            table = table.reindex(table[lost[0]].abs().sort_values(ascending=False).index)
        emit(table.head(30).reset_index(), Format.table,
             title="Region · sectors that stop in A or B (largest change in lost output first)")
    prices = _changed(found.price("price_p50_end"))
    if len(prices):
        shown = prices.reindex(prices["rel_diff"].abs().sort_values(ascending=False).index)
        emit(shown[["commodity", "zone", "unit", "a", "b", "diff", "rel_diff", "status"]]
             .head(30), Format.table, title="P50 price at the end (largest relative change first)")
    for note in found.notes:
        typer.echo(f"note: {note}")


def _emit(found: Deltas, a: dict[str, Any], b: dict[str, Any], fmt: Format) -> None:
    if fmt is Format.json:
        emit(pd.DataFrame(), fmt, document=compare_document(found, a, b))
    elif fmt is Format.csv:
        emit(found.rows, fmt)
    else:
        print_tables(found, a, b)


def compare(
    a: Annotated[str, typer.Argument(help="Reference run (the baseline): id, prefix or 'latest'.")],
    b: Annotated[str, typer.Argument(help="Run compared with it: id, prefix or 'latest'.")],
    fmt: FormatOption = Format.table,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Also write a self-contained HTML comparison report here.",
        show_default=False)] = None,
    store: StoreOption = None,
) -> None:
    """Compare two stored runs: B − A per region × sector and per commodity price."""
    runs = open_store(store)
    run_a, run_b = runs.get(a), runs.get(b)
    found = deltas(run_a, run_b)
    info_a = run_info(run_a.info.to_dict(), run_a.manifest, run_a.dataset.sizes.get("time"))
    info_b = run_info(run_b.info.to_dict(), run_b.manifest, run_b.dataset.sizes.get("time"))
    _emit(found, info_a, info_b, fmt)
    if output is not None:
        from spigot.report import write_comparison

        path = write_comparison(runs, run_a.run_id, run_b.run_id, output)
        typer.echo(f"wrote {path}", err=True)


def run_against(res: Results, run_id: str | None, against: str, store: Path | None,
                fmt: Format, *, save: bool, quiet: bool, dataset: str | None = None) -> None:
    """Compare a fresh run with a run of scenario ``against`` and print the comparison.

    The reference is the newest stored run of ``against`` on the same dataset, start, step,
    horizon and growth (same draws and seed preferred); if there is none, ``against`` is simulated
    with the run's draws, seed, horizon, growth and engine and stored (unless ``save`` is false).
    ``dataset`` (``spigot run --dataset``) puts ``against`` on the same world.
    """
    from spigot.sim import simulate

    runs = open_store(store)
    m = res.manifest
    scen = scenarios.load(against).with_options(growth=m.get("growth"), dataset=dataset)
    ref_id = find_reference(runs, scen.name, m, run_id) if runs.path.exists() else None
    if ref_id is not None:
        ref = runs.get(ref_id)
        ref_ds, ref_info = ref.dataset, run_info(ref.info.to_dict(), ref.manifest,
                                                 ref.dataset.sizes.get("time"))
        if not quiet:
            typer.echo(f"comparing against stored run {ref_id} ({scen.name})", err=True)
    else:
        with progress_bar(f"simulating {scen.name} (reference)", quiet=quiet):
            ref_res = simulate(scen, draws=m["draws"], seed=m["seed"], weeks=m["weeks"],
                               engine=m.get("engine", "numba"))
        ref_res.check_conservation()
        ref_run_id = (save_results(ref_res, scenario_text_of(against, dataset), store, quiet=quiet)
                      if save else None)
        ref_ds = ref_res.data
        ref_info = run_info({"kind": "run"}, ref_res.manifest, ref_ds.sizes.get("time"),
                            ref_run_id)
    found = deltas(ref_ds, res.data)
    info = run_info({"kind": "run"}, m, res.data.sizes.get("time"), run_id)
    _emit(found, ref_info, info, fmt)


def check_against(against: str | None) -> None:
    """Fail early (exit 2) if ``--against`` names no built-in scenario and no file."""
    if against is not None:
        scenarios.load(against)

