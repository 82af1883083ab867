r"""The EU Critical Raw Materials Act benchmarks, computed from a simulation run.

Regulation (EU) 2024/1252 (the Critical Raw Materials Act), Article 5(1), sets benchmarks for the
EU's annual consumption of each *strategic* raw material (Annex I, Section 1):

(a) EU extraction able to produce at least **10 %** of it,
(b) EU processing at least **40 %**,
(c) EU recycling at least **25 %**,
(d) at most **65 %** of it, at any relevant stage of processing, from a single third country.

From a run, per period :math:`p` and strategic material :math:`m` (spigot commodities in
:data:`STRATEGIC`), at each spigot stage :math:`s` of its commodities (the commodity's own
``stage``; each stage in its own basis, never summed across bases):

.. math::

    \text{single}_{m,s}(p) = \max_{o \notin EU,\ o\ \text{a country}}
        \frac{I_{o \to EU}(p)}{P_{EU}(p) + \sum_{o'} I_{o' \to EU}(p)},
    \qquad
    \text{own}_{m,s}(p) = \frac{P_{EU}(p)}{P_{EU}(p) + I_{EU}(p) - E_{EU}(p)},

with :math:`I, E` the t shipped across the EU27 border, :math:`P_{EU}` the base output of EU27
nodes times their activity (:mod:`spigot.risk._runflows`). ``own`` is the extraction benchmark at
``mining`` and the processing benchmark at ``separation``, ``refining`` and ``metal``; recycling
is the output of EU27 nodes of stage ``recycling`` plus the run's extra recycling in EU27
regions (``mean_recycled``, runs with markets) over the consumption of the same commodities.
Aggregate origins (``ROW``) are not a single country: their share is shown apart
(``aggregate_share``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from spigot.network import SupplyNetwork
from spigot.risk._common import tidy
from spigot.risk._runflows import RunFlows, groups_of, run_dataset
from spigot.units import WEEKS_PER_YEAR

__all__ = ["CRMA_STAGE", "STRATEGIC", "THRESHOLDS", "crma_benchmarks"]

REFERENCE = ("Regulation (EU) 2024/1252 (Critical Raw Materials Act), Article 5(1) benchmarks "
             "and Annex I Section 1 (strategic raw materials), OJ L, 2024/1252, 3.5.2024")

#: spigot commodity id -> CRMA strategic raw material (Annex I, Section 1). Antimony and the
#: other rare earths (La, Y, Eu, Ho, Er...) are critical (Section 2) but not strategic; NdFeB
#: magnets are a product, not a raw material.
STRATEGIC: dict[str, str] = {
    "re_concentrate": "rare earths for magnets", "re_concentrate_ionic": "rare earths for magnets",
    "ndpr_oxide": "rare earths for magnets", "ndpr_metal": "rare earths for magnets",
    "dy_oxide": "rare earths for magnets", "tb_oxide": "rare earths for magnets",
    "sm_oxide": "rare earths for magnets", "gd_oxide": "rare earths for magnets",
    "ce_oxide": "rare earths for magnets",
    "gallium": "gallium", "germanium": "germanium",
    "tungsten_concentrate": "tungsten", "tungsten_apt": "tungsten",
    "graphite_natural": "natural graphite (battery grade)",
    "graphite_anode": "natural graphite (battery grade)",
}

#: spigot stage -> CRMA stage.
CRMA_STAGE: dict[str, str] = {"mining": "extraction", "separation": "processing",
                              "refining": "processing", "metal": "processing",
                              "recycling": "recycling"}

#: Benchmark -> (threshold, comparison): ``<=`` a ceiling, ``>=`` a floor.
THRESHOLDS: dict[str, tuple[float, str]] = {"single_country": (0.65, "<="),
                                            "extraction": (0.10, ">="),
                                            "processing": (0.40, ">="),
                                            "recycling": (0.25, ">=")}

_UNITS = {"weeks": "week", "value": "fraction of EU27 consumption (supply for single_country)",
          "threshold": "fraction", "eu_production": "per row (column unit)",
          "eu_consumption": "per row (column unit)", "aggregate_share": "fraction"}


def _recycled(run: Any, flows: RunFlows, commodities: list[str], eu: list[str]) -> np.ndarray:
    """(period,) extra recycling output in EU27 regions (``mean_recycled``; 0 without it)."""
    ds = run_dataset(run)
    if "mean_recycled" not in ds.data_vars or "recycling_region" not in ds.coords:
        return np.zeros(len(flows.times))
    keep = [i for i, (r, c) in enumerate(zip(ds["recycling_region"].values,
                                             ds["recycling_commodity"].values, strict=True))
            if str(r) in eu and str(c) in commodities]
    if not keep:
        return np.zeros(len(flows.times))
    da = ds["mean_recycled"].isel(recycling=keep).sum("recycling")
    if len(da["time"]) != len(flows.times):
        da = da.resample(time="MS" if flows.unit == "month" else "YS").sum()
    return np.asarray(da.values, dtype=float)


def crma_benchmarks(run: Any, net: SupplyNetwork, *, period: str = "step") -> pd.DataFrame:
    """The CRMA benchmarks per strategic material, stage and period of a run.

    Parameters
    ----------
    run
        A :class:`~spigot.results.Results`, a stored run, or its ``xarray.Dataset``.
    net
        The network it ran on; its regions table defines ``EU27`` (column ``groups``).
    period
        ``step``, ``month`` or ``year`` (the Act's benchmarks are annual).

    Returns
    -------
    pandas.DataFrame
        ``time, weeks, material, benchmark, stage, crma_stage, unit, value, threshold,
        comparison, meets, top_country, aggregate_share, eu_production, eu_consumption``
        (``weeks``: of the run in the period; volumes are totals over them); one
        ``single_country`` row per (material, stage), one ``extraction``/``processing`` row per
        (material, stage) and one ``recycling`` row per (material, processing stage). ``value``
        is NaN where the EU has no supply or consumption of that stage in the run (``meets`` is
        then empty, as it is for ``single_country`` when aggregate origins such as ``ROW``,
        which may hide one country, hold more than the ceiling). Empty (with
        ``attrs["note"]``) for a network without an ``EU27`` group.
    """
    flows = RunFlows.of(run, net, period)
    eu = groups_of(net).get("EU27", [])
    columns = ["time", "weeks", "material", "benchmark", "stage", "crma_stage", "unit", "value",
               "threshold", "comparison", "meets", "top_country", "aggregate_share",
               "eu_production", "eu_consumption"]
    if not eu:
        return tidy(pd.DataFrame(columns=columns), _UNITS, REFERENCE, period=period,
                    note="the network has no region group EU27")
    table = net.commodities.astype(str).set_index("id")
    kinds = net.regions.astype(str).set_index("id")["kind"].to_dict()
    per_step = flows.step_weeks / WEEKS_PER_YEAR
    blocks: dict[tuple[str, str], list[str]] = {}
    for comm, material in STRATEGIC.items():
        if comm in table.index and comm in set(flows.routes["commodity"]):
            blocks.setdefault((material, str(table.loc[comm, "stage"])), []).append(comm)
    rows: list[dict[str, Any]] = []
    for (material, stage), comms in blocks.items():
        crma_stage = CRMA_STAGE.get(stage)
        if crma_stage is None:
            continue
        basis = str(table.loc[comms[0], "basis"])
        unit = f"t {basis}/{flows.unit}" if basis else f"t/{flows.unit}"
        produced = np.zeros(len(flows.times))
        recycled = _recycled(run, flows, comms, eu)
        for (region, node_stage), block in _eu_output(net, eu, comms).items():
            a, _ = flows.activity(flows.mask(commodities=comms, origins=[region],
                                             stage=node_stage))
            amount = block * per_step * flows.steps * a
            if node_stage == "recycling":
                recycled = recycled + amount
            else:
                produced = produced + amount
        imports = flows.by(flows.mask(commodities=comms, destinations=eu, not_origins=eu),
                           "origin")
        exports = flows.shipped(flows.mask(commodities=comms, origins=eu, not_destinations=eu))
        total_in = imports.sum(axis=1).to_numpy() if imports.shape[1] else np.zeros(
            len(flows.times))
        supply = produced + recycled + total_in
        consumption = produced + recycled + total_in - exports
        countries = [c for c in imports.columns if kinds.get(str(c), "country") != "aggregate"]
        aggregates = [c for c in imports.columns if c not in countries]
        for i, when in enumerate(flows.times):
            common = {"time": when, "weeks": float(flows.steps[i] * flows.step_weeks),
                      "material": material, "stage": stage,
                      "crma_stage": crma_stage, "unit": unit,
                      "eu_production": float(produced[i] + recycled[i]),
                      "eu_consumption": float(consumption[i])}
            share, top, rest = np.nan, "", np.nan
            if supply[i] > 0:
                row = imports.iloc[i]
                if countries:
                    top = str(row[countries].astype(float).idxmax())
                    share = float(row[top]) / supply[i]
                else:
                    share = 0.0
                rest = float(row[aggregates].sum()) / supply[i] if aggregates else 0.0
            rows.append({**common, "benchmark": "single_country", "value": share,
                         "top_country": top if share > 0 else "", "aggregate_share": rest,
                         "eu_production": float(produced[i] + recycled[i])})
            own_kind = "extraction" if crma_stage == "extraction" else "processing"
            own = produced[i] / consumption[i] if consumption[i] > 0 else np.nan
            rows.append({**common, "benchmark": own_kind, "value": own,
                         "eu_production": float(produced[i])})
            if crma_stage == "processing":
                rec = recycled[i] / consumption[i] if consumption[i] > 0 else np.nan
                rows.append({**common, "benchmark": "recycling", "value": rec,
                             "eu_production": float(recycled[i])})
    frame = pd.DataFrame(rows, columns=columns)
    frame["threshold"] = [THRESHOLDS[b][0] for b in frame["benchmark"]]
    frame["comparison"] = [THRESHOLDS[b][1] for b in frame["benchmark"]]
    meets = np.where(frame["comparison"] == "<=", frame["value"] <= frame["threshold"],
                     frame["value"] >= frame["threshold"])
    # a share of aggregate origins (ROW) above the ceiling may hide one country above it
    hidden = (frame["benchmark"] == "single_country") & ~(
        frame["value"] > frame["threshold"]) & (frame["aggregate_share"] > frame["threshold"])
    frame["meets"] = pd.array([bool(m) if np.isfinite(v) and not h else pd.NA
                               for m, v, h in zip(meets, frame["value"].astype(float), hidden,
                                                  strict=True)], dtype="boolean")
    return tidy(frame, _UNITS, REFERENCE, period=period)


def _eu_output(net: SupplyNetwork, eu: list[str], comms: list[str]
               ) -> dict[tuple[str, str], float]:
    """Base output (t/yr) of ``comms`` per (EU region, node stage): recycling nodes apart."""
    nodes = net.nodes
    recipes = net.recipes
    outputs = recipes[(recipes["role"] == "output") & recipes["commodity"].isin(comms)]
    merged = nodes[nodes["region"].isin(eu)][
        ["region", "stage", "recipe", "output"]].merge(
        outputs[["recipe", "coefficient"]], on="recipe", how="inner")
    merged["amount"] = merged["output"].astype(float) * merged["coefficient"].astype(float)
    out = merged.groupby(["region", "stage"])["amount"].sum()
    return {(str(r), str(s)): float(v) for (r, s), v in out.items() if v > 0}
