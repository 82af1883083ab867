"""``spigot runs criticality``: the dynamic risk indices and CRMA benchmarks of a stored run."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from spigot._lazy import lazy_from, lazy_import
from spigot.cli.output import Format, FormatOption, emit
from spigot.cli.runs import RunArgument, StoreOption, open_store
from spigot.errors import InputError, Problem

if TYPE_CHECKING:
    import pandas as pd

    from spigot import datasets, risk
    from spigot.report import network_for
else:
    datasets = lazy_from("spigot", "datasets")
    risk = lazy_import("spigot.risk")
    network_for = lazy_from("spigot.report", "network_for")
    pd = lazy_import("pandas")

__all__ = ["Index", "Period", "criticality"]

#: Layout of the JSON document (docs/cli.md).
SCHEMA = "spigot.criticality/1"


class Index(enum.StrEnum):
    """The dynamic indices."""

    hhi = "hhi"
    reliance = "reliance"
    supply_risk = "supply_risk"
    crma = "crma"


class Period(enum.StrEnum):
    """Periods the indices are computed over."""

    step = "step"
    month = "month"
    year = "year"


def _compute(index: Index, stored: Any, net: Any, period: str, commodity: str | None,
             importer: str | None) -> pd.DataFrame:
    if index is Index.hhi:
        return risk.dynamic_concentration(stored, net, commodity, period=period)
    if index is Index.reliance:
        return risk.dynamic_reliance(stored, net, importer, commodity, period=period)
    if index is Index.supply_risk:
        return risk.dynamic_supply_risk(stored, net, commodity, scenario=stored.scenario_text,
                                        period=period)
    frame = risk.crma_benchmarks(stored, net, period=period)
    return frame if commodity is None else frame[frame["material"] == commodity]


def criticality(
    run_id: RunArgument,
    index: Annotated[Index, typer.Option(
        "--index", "-i", help="hhi (HHI of actual supply), reliance (net import reliance), "
        "supply_risk (EU SR with the run's measures) or crma (EU CRMA benchmarks).")] = Index.hhi,
    period: Annotated[Period, typer.Option(
        "--period", help="step (each step of the run), month or year.")] = Period.step,
    commodity: Annotated[str | None, typer.Option(
        "--commodity", "-c", help="Only this commodity id or group (crma: a material name).",
        show_default=False)] = None,
    importer: Annotated[str | None, typer.Option(
        "--importer", help="reliance: only this region or group (EU27).", show_default=False)]
    = None,
    dataset: Annotated[str | None, typer.Option(
        "--dataset", "-d", help="Dataset the run used, by name or folder (default: the bundled "
        "dataset named in the run's manifest).", show_default=False)] = None,
    store: StoreOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Risk indices of a stored run per period: HHI of actual supply, import reliance, EU supply
    risk with the run's measures, and the EU CRMA benchmarks (docs/metrics.md section 7)."""
    runs = open_store(store)
    stored = runs.get(run_id)
    found, note = (datasets.load(dataset), "") if dataset else network_for(stored)
    if found is None:
        raise InputError(Problem("no network for this run", field="--dataset",
                                 value=stored.info.dataset, expected="the dataset the run used",
                                 hint=note + "; pass it with --dataset"))
    net = found
    frame = _compute(index, stored, net, period.value, commodity, importer)
    frame = frame.copy()
    units = dict(frame.attrs.get("units", {}))
    reference = str(frame.attrs.get("reference", ""))
    frame["time"] = [str(t)[:10] for t in frame["time"]]
    if fmt is Format.json:
        emit(frame, fmt, document={"schema": SCHEMA, "run_id": stored.run_id,
                                   "index": index.value, "period": period.value,
                                   "dataset": net.name,
                                   "units": units, "reference": reference,
                                   "rows": frame.to_dict(orient="records")})
        return
    if fmt is Format.csv:
        emit(frame, fmt)
        return
    last = frame[frame["time"] == frame["time"].max()] if len(frame) else frame
    keep = [c for c in last.columns if c not in ("source", "reference")]
    emit(last[keep].reset_index(drop=True), fmt,
         title=f"{index.value} of run {stored.run_id}, period starting {last['time'].max()} "
               f"(the last; --format csv or json for every {period.value})")
