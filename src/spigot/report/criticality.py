"""The report's dynamic-criticality section: the EU CRMA benchmarks and the HHI of actual supply
over the run, against their thresholds and base values (``spigot.risk.crma``,
``spigot.risk.dynamic``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pandas as pd

from spigot.errors import SpigotError
from spigot.network import SupplyNetwork
from spigot.report.figures import threshold_figure
from spigot.report.model import NOT_AVAILABLE, Section
from spigot.store import StoredRun

__all__ = ["criticality_section"]

logger = logging.getLogger(__name__)

#: Benchmarks in the order the section draws them, with their chart titles.
_CHARTS: dict[str, str] = {
    "single_country": "Largest single third country's share of EU27 supply (CRMA: at most 65 %)",
    "extraction": "EU27 extraction / EU27 consumption (CRMA: at least 10 %)",
    "processing": "EU27 processing / EU27 consumption (CRMA: at least 40 %)",
    "recycling": "EU27 recycling / EU27 consumption (CRMA: at least 25 %)",
}


def _crma_charts(section: Section, weekly: pd.DataFrame, yearly: pd.DataFrame) -> None:
    for benchmark, title in _CHARTS.items():
        part = weekly[weekly["benchmark"] == benchmark].dropna(subset=["value"])
        if not len(part):
            continue
        threshold, comparison = float(part["threshold"].iloc[0]), str(part["comparison"].iloc[0])
        lines = pd.DataFrame({"time": part["time"], "value": part["value"].astype(float),
                              "series": part["material"] + " · " + part["stage"]})
        figure = threshold_figure(lines, title, "fraction", threshold,
                                  f"CRMA {comparison} {threshold:.0%}")
        table = yearly[yearly["benchmark"] == benchmark][
            ["time", "material", "stage", "value", "meets", "top_country", "aggregate_share"]
        ].rename(columns={"time": "year"}).reset_index(drop=True)
        table["year"] = [str(t)[:4] for t in table["year"]]
        table["meets"] = [None if pd.isna(m) else bool(m) for m in table["meets"]]
        failing = table[table["meets"] == False]  # noqa: E712 (a nullable column)
        alt = (f"{title}: {lines['series'].nunique()} material · stage lines over the run; "
               f"{len(failing)} of {len(table)} material · stage · year values miss the "
               "benchmark" + (": " + ", ".join(sorted({f'{m} · {s}' for m, s in zip(
                   failing["material"], failing["stage"], strict=True)})) if len(failing)
                   else "") + ".")
        section.add(figure, alt, table)


def _hhi_chart(section: Section, hhi: pd.DataFrame, featured: Sequence[str]) -> None:
    moved = hhi.assign(change=(hhi["hhi"] - hhi["hhi_base"]).abs())
    order = moved.groupby(["commodity", "stage"], sort=False)["change"].max()
    order = order.sort_values(ascending=False)
    keys = [k for k in order.index if k[0] in featured] or list(order.index[:6])
    keys = keys[:8]
    parts = [hhi[(hhi["commodity"] == c) & (hhi["stage"] == s)] for c, s in keys]
    if not parts:
        return
    part = pd.concat(parts)
    lines = pd.DataFrame({"time": part["time"], "value": part["hhi_points"].astype(float),
                          "series": part["commodity"] + " · " + part["stage"]})
    figure = threshold_figure(lines, "HHI of actual supply (points; 1,800 = highly "
                              "concentrated, DOJ/FTC 2023)", "HHI points", 1800.0, "1,800")
    last = part.groupby(["commodity", "stage"], sort=False).agg(
        hhi_base=("hhi_base", "first"), hhi_end=("hhi", "last"), hhi_min=("hhi", "min"),
        hhi_max=("hhi", "max"), top_end=("top_supplier", "last")).reset_index()
    for column in ("hhi_base", "hhi_end", "hhi_min", "hhi_max"):
        last[column] = last[column] * 10_000
    alt = ("HHI of actual supply over the run for " + ", ".join(
        f"{c} · {s} ({b:,.0f} at base, {e:,.0f} at the end)" for c, s, b, e in zip(
            last["commodity"], last["stage"], last["hhi_base"], last["hhi_end"], strict=True))
        + ".")
    section.add(figure, alt, last)


def criticality_section(stored: StoredRun, network: SupplyNetwork | None,
                        featured: Sequence[str] = ()) -> Section:
    """The run's CRMA benchmarks (one chart per benchmark, thresholds dashed; tables per year)
    and the HHI of actual supply of the most moved (or controlled) commodities.

    Runs without per-route exports (older or foreign runs) and runs without their network get
    the note "not available in this run"; a network without ``EU27`` gets the HHI chart only.
    """
    section = Section("criticality", "Dynamic criticality and the EU CRMA benchmarks")
    if network is None or "mean_exports" not in stored.dataset.data_vars:
        section.note = NOT_AVAILABLE
        return section
    from spigot.risk import crma_benchmarks, dynamic_concentration

    try:
        weekly = crma_benchmarks(stored, network)
        yearly = crma_benchmarks(stored, network, period="year")
        hhi = dynamic_concentration(stored, network)
    except (SpigotError, LookupError, ValueError) as exc:
        logger.warning("dynamic criticality unavailable: %s", exc)
        section.note = f"dynamic criticality unavailable: {exc}"
        return section
    commodities = set(featured)
    groups = dict(zip(network.commodities["id"].astype(str),
                      network.commodities["group"].astype(str), strict=True))
    commodities |= {groups.get(c, c) for c in featured}
    if len(weekly):
        _crma_charts(section, weekly, yearly)
    _hhi_chart(section, hhi, sorted(commodities))
    missed = yearly[(yearly["meets"] == False)]  # noqa: E712 (a nullable column)
    if len(yearly):
        section.lead = (
            f"Against the EU Critical Raw Materials Act benchmarks (Regulation (EU) 2024/1252, "
            f"Art. 5), {missed[['material', 'stage', 'benchmark']].drop_duplicates().shape[0]} "
            f"of {yearly[['material', 'stage', 'benchmark']].drop_duplicates().shape[0]} "
            "material · stage · benchmark combinations miss their threshold in at least one "
            "year of this run.")
    section.note = ("computed from the run's mean shipments per route (spigot.risk.crma, "
                    "spigot.risk.dynamic; docs/metrics.md section 7): weekly lines, yearly "
                    "values in the tables (years the run covers only in part are totals over "
                    "its weeks); " + ("strategic materials per CRMA Annex I" if len(weekly)
                                      else weekly.attrs.get("note", "no EU27 group")))
    return section

