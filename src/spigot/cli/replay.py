"""``spigot replay NAME``: run a historical replay and compare it with what was observed.

JSON keys (``spigot.replay/1``) are documented in docs/cli.md, section "spigot replay".
"""

from __future__ import annotations

from typing import Annotated

import pandas as pd
import typer
from rich.console import Console

from spigot.cli.output import EngineOption, Format, FormatOption, QuietOption, SaveOption, SeedOption, emit
from spigot.cli.progress import progress_bar
from spigot.cli.runs import StoreOption, save_results
from spigot.replays import replay_names, replay_path, run_replay
from spigot.replays.runner import ReplayResult

__all__ = ["replay"]

#: Commodities shown in the table format (the JSON and CSV formats carry every commodity).
SHOWN = ("ndfeb_magnet", "dy_oxide", "tb_oxide", "ndpr_oxide", "gallium", "germanium",
         "graphite_natural", "rare_earths")


def _list(fmt: Format) -> None:
    from spigot.replays import load_replay

    rows = []
    for name in replay_names():
        scen = load_replay(name)
        rows.append({"name": name, "dataset": scen.dataset, "start": scen.start.isoformat(),
                     "weeks": scen.horizon_weeks, "draws": scen.draws,
                     "policies": len(scen.policies), "description": scen.description})
    emit(pd.DataFrame(rows), fmt, title="Built-in replays (spigot replay NAME)",
         document={"replays": rows})


def _csv(rr: ReplayResult) -> pd.DataFrame:
    """One long table: monthly exports and prices (``table`` column says which)."""
    frames = [rr.exports.assign(table="exports", zone="", unit="t/month")]
    if rr.prices is not None:
        frames.append(rr.prices.assign(table="prices", destination="", mean=float("nan"),
                                       unit="USD/t"))
    cols = ["table", "month", "commodity", "destination", "zone", "p5", "p50", "p95", "mean", "unit"]
    return pd.concat(frames, ignore_index=True)[cols]


def _table(rr: ReplayResult) -> None:
    console = Console(width=160)
    s = rr.summary()
    m = rr.results.manifest
    console.print(f"[bold]{rr.name}[/bold] on {m['dataset']}: {s['draws']} draws, {s['months']} "
                  f"months from {rr.months[0] if rr.months else '-'} (engine {m['engine']}, "
                  f"{s['seconds']:.1f} s)")
    if len(rr.targets):
        t = rr.targets
        cols = ["id", "observed", "simulated", "simulated_p5", "simulated_p95", "error",
                "tolerance", "tolerance_kind", "passed", "note"]
        emit(t[cols], Format.table, title=f"Targets: {s['targets_passed']} of "
             f"{s['targets_evaluated']} evaluated pass (docs/validation.md)")
    _skill_lines(console, rr)
    if len(rr.japan):
        emit(rr.japan, Format.table, title="Japan's imports, t/month: observed beside simulated")
    if len(rr.quotas):
        emit(rr.quotas, Format.table, title="China's quotas and exports, t/yr")
    if len(rr.trade_errors):
        emit(rr.trade_errors, Format.table, title="Monthly exports vs observed (2017-2024 trade)")
    e = rr.exports
    tot = e[(e["destination"] == "ALL") & e["commodity"].isin(SHOWN)]
    if len(tot):
        wide = tot.pivot(index="month", columns="commodity", values="p50")
        emit(wide.reset_index(), Format.table,
             title="Exports from China, all destinations, P50 t/month (P5/P95: --format json|csv)")
    if rr.prices is None:
        console.print("prices: not available in this run")
    else:
        p = rr.prices
        sel = p[p["commodity"].isin(SHOWN) & (p["zone"] == "ex_china")]
        wide = sel.pivot(index="month", columns="commodity", values="p50") / 1000.0
        emit(wide.reset_index(), Format.table, title="Prices ex-China, P50 USD/kg")
    if len(rr.price_points):
        emit(rr.price_points, Format.table, title="Observed prices beside simulated, USD/kg")
    stops = rr.stoppages[rr.stoppages["share_stopped"] > 0]
    if len(stops):
        emit(stops.sort_values("first_stop_week_p50").head(25), Format.table,
             title="First stoppage per region x sector (draws that stop)")
    else:
        console.print("no sector stops in any draw")


def _skill_lines(console: Console, rr: ReplayResult) -> None:
    """The skill scores in a few lines (the JSON's ``skill`` object has every pair)."""
    st = rr.skill.get("stoppages")
    if not st:
        return
    share = f"{st['threshold_share']:.0%}"
    if st["pairs_scored"]:
        console.print(f"Stoppage skill (a pair stops in > {share} of draws; records "
                      f"{', '.join(st['records'])}): {st['hits']} hits, {st['misses']} misses, "
                      f"[bold]{st['false_alarms']} false alarms[/bold], {st['correct_quiet']} "
                      f"correct quiet of {st['pairs_scored']} pairs")
        alarms = [f"{p['region']} {p['sector']} ({p['predicted_share']:.0%})"
                  for p in st["pairs"] if p["outcome"] == "false_alarm"]
        if alarms:
            console.print("  false alarms: " + ", ".join(alarms[:12])
                          + (f" and {len(alarms) - 12} more" if len(alarms) > 12 else ""))
    else:
        console.print("Stoppage skill: no observed production record is bundled for this replay")
    console.print(f"  pairs stopping in > {share} of draws over the horizon: "
                  f"{st['alarms_over_horizon']} ({len(st['unscored_alarms'])} not covered by a "
                  "record)")
    ex, pr = rr.skill["exports"], rr.skill["prices"]
    if ex["series"]:
        console.print(f"Export skill: {ex['series']} series, {ex['months']} months, |log10 bias| "
                      f"{ex['abs_bias_log10']:.2f}, P5-P95 coverage {ex['coverage']:.0%}")
    if pr["points"]:
        console.print(f"Price skill: {pr['points']} points, mean |log10 error| "
                      f"{pr['mean_abs_log10_error']:.2f}, P5-P95 coverage {pr['coverage']:.0%}")


def replay(
    name: Annotated[str, typer.Argument(help="Replay name (see 'spigot replay list').")],
    draws: Annotated[int | None, typer.Option("--draws", "-n", min=1,
                                              help="Monte Carlo draws (default: the replay's).")]
    = None,
    seed: SeedOption = None,
    engine: EngineOption = "numba",
    fmt: FormatOption = Format.table,
    store: StoreOption = None,
    save: SaveOption = True,
    quiet: QuietOption = False,
) -> None:
    """Replay a historical episode (replay-2010, replay-2023-gallium, replay-2025) and compare it
    with what was observed; 'spigot replay list' lists them."""
    if name == "list":
        _list(fmt)
        return
    path = replay_path(name)
    with progress_bar(f"replaying {name}", quiet=quiet):
        rr = run_replay(name, draws=draws, seed=seed, engine=engine)  # type: ignore[arg-type]
    if save:
        save_results(rr.stored_results(), path.read_text(encoding="utf-8"), store, kind="replay",
                     quiet=quiet)
    if fmt is Format.json:
        emit(pd.DataFrame(), fmt, document=rr.document())
    elif fmt is Format.csv:
        emit(_csv(rr), fmt)
    else:
        _table(rr)
