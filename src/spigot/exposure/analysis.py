"""Run a product through scenarios: when its line stops, for how long, what it costs, and why.

>>> from spigot.exposure import exposure, load_product
>>> report = exposure(load_product("ev-motor")[0], ["licence-squeeze"], draws=64)  # doctest: +SKIP
>>> report.scenarios[0]["stop_probability"]  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from spigot import datasets
from spigot.exposure.mapping import MAX_SHARE, Mapped, map_product
from spigot.exposure.product import Product
from spigot.network import SupplyNetwork
from spigot.results import Results
from spigot.scenarios import Scenario
from spigot.scenarios import load as load_scenario
from spigot.sim import simulate
from spigot.sim.cost import RunLimits
from spigot.units import WEEKS_PER_YEAR

__all__ = ["DROP_BELOW", "Exposure", "exposure", "summarise"]

#: A route of the product's chain counts as failing in the first week its mean exports over
#: draws fall below this share of its base flow.
DROP_BELOW = 0.9

#: Failing routes of the chain listed under ``cause.failing_routes``.
MAX_FAILING = 8

#: Layout id of the JSON document (docs/cli.md).
SCHEMA_ID = "spigot.exposure/1"


@dataclass
class Exposure:
    """A product's exposure: its materials and one summary per scenario."""

    product: Product
    materials: list[dict[str, Any]]
    scenarios: list[dict[str, Any]]
    plant_region: str
    sector: str
    scale: float

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (keys documented in docs/cli.md)."""
        plant = self.product.plant
        return {"schema": SCHEMA_ID, "product": self.product.name,
                "plant": {"region": plant.region, "unit": plant.unit,
                          "output_per_week": plant.output_per_week,
                          "value_per_unit": plant.value_per_unit,
                          "cover_weeks": plant.cover_weeks, "end_use": plant.end_use,
                          "model_region": self.plant_region, "model_sector": self.sector,
                          "scale": self.scale},
                "materials": self.materials, "scenarios": self.scenarios}


def _quantiles(values: npt.NDArray[np.float64], prefix: str) -> dict[str, float | None]:
    if values.size == 0:
        return {f"{prefix}_p5": None, f"{prefix}_p50": None, f"{prefix}_p95": None}
    q = np.quantile(values, [0.05, 0.5, 0.95])
    return {f"{prefix}_p5": float(q[0]), f"{prefix}_p50": float(q[1]), f"{prefix}_p95": float(q[2])}


def _cause(res: Results, mapped: Mapped, first_stop: npt.NDArray[np.float64],
           step_weeks: float) -> dict[str, Any] | None:
    """What the plant ran short of in the draws that stop, and the first route of its chain to
    fail: the earliest week in which its mean exports over draws fall below
    :data:`DROP_BELOW` of its base flow; among routes failing in the same week, the one with the
    most weeks of base flow lost up to the median first stop, weighted by the share of the
    product's supply that depends on the route (``weeks_lost``)."""
    stops = ~np.isnan(first_stop)
    if not stops.any():
        return None
    ds = res.data
    rcs = [i for i, r in enumerate(ds["rc_region"].values) if str(r) == mapped.region]
    short = ds["shortfall_t"].values[:, rcs][stops]
    names = [str(ds["rc_commodity"].values[i]) for i in rcs]
    worst = np.argmax(short, axis=1)
    counts = np.bincount(worst, minlength=len(rcs))
    commodity = names[int(np.argmax(counts))]
    out: dict[str, Any] = {"commodity": commodity,
                           "share_of_stops": float(counts.max() / stops.sum())}
    routes = list(ds["route"].values)
    world_routes = mapped.world.routes.set_index("id")
    nodes = mapped.world.nodes.set_index("id")
    exports = ds["mean_exports"].values
    horizon = int(np.nanmedian(np.where(stops, first_stop, np.nan)) / step_weeks) + 1
    failing: list[dict[str, Any]] = []
    for rid, (tier, commodity_k, branch) in mapped.chain.items():
        k = routes.index(rid)
        base = float(world_routes.at[rid, "volume"]) / WEEKS_PER_YEAR * step_weeks
        if base <= 0:
            continue
        low = np.nonzero(exports[:, k] < DROP_BELOW * base)[0]
        if low.size:
            lost = float(np.clip(1.0 - exports[:horizon, k] / base, 0.0, None).sum()
                         * step_weeks * branch)
            origin = str(world_routes.at[rid, "origin"])
            failing.append({"route": rid, "node": origin, "region": str(nodes.at[origin, "region"]),
                            "route_commodity": commodity_k, "tier": tier,
                            "week": float(low[0] * step_weeks), "weeks_lost": lost})
    failing.sort(key=lambda f: (float(f["week"]), -float(f["weeks_lost"]), int(f["tier"])))
    first: dict[str, Any] = failing[0] if failing else dict.fromkeys(
        ("route", "node", "region", "route_commodity", "tier", "week", "weeks_lost"))
    out.update(first)
    out["failing_routes"] = failing[:MAX_FAILING]
    return out


def summarise(res: Results, mapped: Mapped, scenario: Scenario) -> dict[str, Any]:
    """One scenario's row of the report (keys in docs/cli.md)."""
    ds = res.data
    i = list(ds["sector"].values).index(mapped.sector)
    fs = ds["first_stop_week"].values[:, i]
    stops = ~np.isnan(fs)
    stopped = ds["stopped_weeks"].values[:, i]
    lost_usd = ds["lost_output_usd"].values[:, i] / mapped.scale
    lost_units = ds["lost_output_units"].values[:, i] / mapped.scale
    row: dict[str, Any] = {
        "scenario": scenario.name, "draws": res.draws, "seed": res.manifest.get("seed"),
        "horizon_weeks": scenario.horizon_weeks, "stop_probability": float(stops.mean())}
    row.update(_quantiles(fs[stops], "first_stop_week"))
    row.update({"stopped_weeks_mean": float(stopped.mean()),
                **_quantiles(stopped, "stopped_weeks"),
                "lost_units_mean": float(lost_units.mean()),
                "lost_units_p95": float(np.quantile(lost_units, 0.95)),
                "lost_usd_mean": float(lost_usd.mean()),
                "lost_usd_p95": float(np.quantile(lost_usd, 0.95)),
                "cause": _cause(res, mapped, fs, scenario.step_weeks)})
    return row


def _scenario(item: str | Scenario) -> Scenario:
    return item if isinstance(item, Scenario) else load_scenario(item)


def exposure(product: Product, scenarios: Sequence[str | Scenario], *, draws: int | None = None,
             seed: int | None = None, network: SupplyNetwork | None = None,
             max_share: float = MAX_SHARE, file: str | None = None,
             engine: str = "numba", limits: RunLimits | None = None) -> Exposure:
    """Simulate ``product`` in each scenario's world.

    Parameters
    ----------
    product
        The product (:func:`spigot.exposure.load_product`).
    scenarios
        Scenario names, files or objects.
    draws, seed
        Monte Carlo settings (default: each scenario's).
    network
        Use this world instead of each scenario's dataset.
    max_share
        Largest relative growth of any node or route the product may cause
        (:mod:`spigot.exposure.mapping`).
    file
        The product file's name, for error messages.
    engine, limits
        As for :func:`spigot.simulate`.

    Raises
    ------
    InputError
        If a scenario or the product does not fit the world.
    """
    rows = []
    mapped: Mapped | None = None
    for item in scenarios:
        scen = _scenario(item)
        world = network if network is not None else datasets.load(scen.dataset)
        mapped = map_product(world, product, file=file, max_share=max_share)
        scen = scen.model_copy(update={"end_use": {**scen.end_use,
                                                   product.slug: product.plant.end_use}})
        res = simulate(scen, draws=draws, seed=seed, network=mapped.world, keep_trajectories=0,
                       engine=engine, limits=limits)  # type: ignore[arg-type]
        rows.append(summarise(res, mapped, scen))
    if mapped is None:
        mapped = map_product(network if network is not None else datasets.load("base"), product,
                             file=file, max_share=max_share)
    return Exposure(product, mapped.materials, rows, mapped.region, mapped.sector, mapped.scale)
