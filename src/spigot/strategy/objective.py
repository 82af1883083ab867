"""The exporter's objective, per draw, from two engine runs (docs/model.md, "The exporter as a
player").

For a candidate policy run and the same scenario run without the policy (same seed and draws:
draw ``d`` of both has the same sampled parameters where the policies share them), per draw::

    J_d = w_h * harm_d  -  w_r * revenue_lost_d  -  w_s * share_lost_usd_d

- ``harm_d`` (USD): the targets' lost output (``lost_output_usd`` of their sectors), or with
  ``harm: price_spike`` what they pay above base prices for their cross-border imports
  (``sum_t,k imports x (price - base price)`` in their zone); minus the same without the policy.
- ``revenue_lost_d`` (USD): the exporter's cross-border export revenue without the policy minus
  with it, ``sum_t,k exports_{d,t,k} x price_{zone(destination), commodity, t}``.
- ``share_lost_usd_d`` (USD): new non-exporter capacity that high prices bring forward, valued at
  base prices for ``share_pv_years`` years: every planned or ramping node outside the exporter
  (the dataset's projects) adds ``(capacity - output) x yield x base price x b`` per year for each
  output, ``b = clip((P - 1) / (F - 1), 0, 1)``, ``P`` the mean relative price of the output in the
  node's zone over the horizon, ``F`` = ``bring_forward_full_price``; idle nodes the engine
  restarts in draw ``d`` add their whole capacity. ``share_lost`` (1) is that yearly value over the
  exporter's base export revenue per year.

The engine keeps prices as means over draws (not per draw), so prices in these sums are the run's
mean price path per zone, commodity and step; flows and lost output are per draw.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from spigot.errors import SpigotError

if TYPE_CHECKING:
    from spigot.network import SupplyNetwork
    from spigot.results import Results
    from spigot.strategy.family import ObjectiveSettings

__all__ = ["Outcome", "RunValues", "Weights", "WorldFacts", "objective_table", "outcome",
           "projects_usd_per_yr", "run_values", "weights"]

FloatArray = npt.NDArray[np.float64]
#: Weeks in the engine's year (flows in t/yr become t/week over it).
WEEKS_PER_YEAR = 365.25 / 7.0


@functools.cache
def _read_table() -> pd.DataFrame:
    with (resources.files("spigot.strategy") / "data" / "objective.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh)


def objective_table() -> pd.DataFrame:
    """A copy of the bundled priors of the objective's parameters
    (``src/spigot/strategy/data/objective.csv``: ``parameter, value, unit, source, confidence,
    note``)."""
    return _read_table().copy()


def _prior(name: str) -> float:
    table = _read_table()
    return float(table.loc[table["parameter"] == name, "value"].iloc[0])


@dataclass(frozen=True)
class Weights:
    """The objective's parameters (units in docs/model.md and the priors table).

    Attributes
    ----------
    harm
        ``"lost_output"`` or ``"price_spike"``.
    harm_weight, revenue_weight, share_weight
        USD of objective per USD of harm, of revenue lost, of long-run sales lost.
    share_pv_years
        Years of base revenue a lost share of sales is worth, yr.
    bring_forward_full_price
        Mean relative price at which every project of a commodity goes ahead, 1.
    """

    harm: str = "lost_output"
    harm_weight: float = 0.1
    revenue_weight: float = 1.0
    share_weight: float = 1.0
    share_pv_years: float = 6.71
    bring_forward_full_price: float = 2.0

    def as_dict(self) -> dict[str, float | str]:
        """The parameters as JSON values."""
        return {"harm": self.harm, "harm_weight": self.harm_weight,
                "revenue_weight": self.revenue_weight, "share_weight": self.share_weight,
                "share_pv_years": self.share_pv_years,
                "bring_forward_full_price": self.bring_forward_full_price}


def weights(settings: ObjectiveSettings) -> Weights:
    """The family's objective settings, with the bundled priors where a value is not given."""
    def pick(name: str) -> float:
        value = getattr(settings, name)
        return float(value) if value is not None else _prior(name)

    return Weights(harm=settings.harm, harm_weight=pick("harm_weight"),
                   revenue_weight=pick("revenue_weight"), share_weight=pick("share_weight"),
                   share_pv_years=pick("share_pv_years"),
                   bring_forward_full_price=pick("bring_forward_full_price"))


@dataclass(frozen=True)
class WorldFacts:
    """What the objective needs of the world, read once.

    Attributes
    ----------
    exporter, targets
        Region ids.
    zone_of
        Region id -> market zone (``china`` / ``ex_china``).
    base_price
        (zone, commodity) -> base price, USD/t (the ``prices`` table x 1000).
    projects
        ``(zone, commodity, t/yr)`` of new output the non-exporter projects (planned or ramping
        nodes) would add at full capacity (``(capacity - output) x yield`` per output).
    idle
        Node id -> ``(zone, commodity, t/yr)`` rows: output of idle non-exporter nodes at full
        capacity (the engine restarts them when prices stay high).
    """

    exporter: str
    targets: tuple[str, ...]
    zone_of: dict[str, str]
    base_price: dict[tuple[str, str], float]
    projects: tuple[tuple[str, str, float], ...]
    idle: dict[str, tuple[tuple[str, str, float], ...]]

    @classmethod
    def of(cls, world: SupplyNetwork, exporter: str, targets: tuple[str, ...]) -> WorldFacts:
        """Read the facts from ``world``."""
        regions = world.regions
        zone_of = {str(r): str(z) for r, z in zip(regions["id"], regions["zone"], strict=True)}
        prices = world.prices
        base_price = {(str(z), str(c)): float(p) * 1000.0
                      for c, z, p in zip(prices["commodity"], prices["zone"], prices["price"],
                                         strict=True)}
        recipes = world.recipes
        outputs: dict[str, list[tuple[str, float]]] = {}
        for r, c, role, k in zip(recipes["recipe"], recipes["commodity"], recipes["role"],
                                 recipes["coefficient"], strict=True):
            if str(role) == "output":
                outputs.setdefault(str(r), []).append((str(c), float(k)))
        projects: list[tuple[str, str, float]] = []
        idle: dict[str, tuple[tuple[str, str, float], ...]] = {}
        for row in world.nodes.to_dict(orient="records"):
            region, status = str(row["region"]), str(row["status"])
            if region == exporter or status not in ("planned", "ramping", "idle"):
                continue
            zone = zone_of.get(region, "")
            capacity = float(row["capacity"])
            new = capacity if status == "idle" else max(0.0, capacity - float(row["output"]))
            rows = tuple((zone, c, new * k) for c, k in outputs.get(str(row["recipe"]), [])
                         if new * k > 0)
            if status == "idle":
                idle[str(row["id"])] = rows
            else:
                projects.extend(rows)
        return cls(exporter, targets, zone_of, base_price, tuple(projects), idle)


@dataclass(frozen=True)
class RunValues:
    """Per-draw values of one run that the objective compares (USD unless stated).

    Attributes
    ----------
    harm_usd
        (D,) harm to the targets (lost output, or the import bill above base prices).
    revenue_usd
        (D,) the exporter's cross-border export revenue over the horizon.
    new_capacity_usd_per_yr
        (D,) base-price value of non-exporter capacity brought forward, USD/yr.
    target_shortfall_t
        ``"region/commodity"`` -> (D,) t the target's sectors lacked over the horizon.
    """

    harm_usd: FloatArray
    revenue_usd: FloatArray
    new_capacity_usd_per_yr: FloatArray
    target_shortfall_t: dict[str, FloatArray]


def _price_path(res: Results, facts: WorldFacts) -> tuple[FloatArray, FloatArray, list[str]]:
    """Mean price path (T, Z, C) and base prices (Z, C), USD/t, and the zone names."""
    ds = res.data
    commodities = [str(c) for c in ds["commodity"].values]
    if "mean_price" in ds:
        zones = [str(z) for z in ds["zone"].values]
        return (np.asarray(ds["mean_price"].values, dtype=float),
                np.asarray(ds["base_price"].values, dtype=float), zones)
    zones = sorted(set(facts.zone_of.values()))
    base = np.array([[facts.base_price.get((z, c), 0.0) for c in commodities] for z in zones])
    return np.broadcast_to(base, (ds.sizes["time"], *base.shape)).copy(), base, zones


def run_values(res: Results, facts: WorldFacts, w: Weights) -> RunValues:
    """The per-draw values of one run (its trajectories must cover every draw), with the harm
    measure and the bring-forward price of ``w``.

    Raises
    ------
    SpigotError
        If the run kept fewer trajectories than draws (a bug of the caller).
    """
    ds = res.data
    draws = res.draws
    if "traj_exports" not in ds or ds.sizes["sample"] != draws:
        raise SpigotError("the strategy needs every draw's trajectories: run with "
                          "keep_trajectories equal to draws")
    exports = np.asarray(ds["traj_exports"].values, dtype=float)  # (D, T, K)
    price, base, zones = _price_path(res, facts)
    c_index = {str(c): i for i, c in enumerate(ds["commodity"].values)}
    z_index = {z: i for i, z in enumerate(zones)}
    origin = [str(r) for r in ds["route_exporter"].values]
    dest = [str(r) for r in ds["route_destination"].values]
    comm = [c_index[str(c)] for c in ds["route_commodity"].values]
    dz = [z_index.get(facts.zone_of.get(r, ""), 0) for r in dest]
    route_price = price[:, dz, comm]  # (T, K)
    route_base = base[dz, comm]  # (K,)
    cross = np.array([o != d for o, d in zip(origin, dest, strict=True)])
    own = cross & np.array([o == facts.exporter for o in origin])
    revenue = np.einsum("dtk,tk->d", exports[:, :, own], route_price[:, own])
    if w.harm == "price_spike":
        into = cross & np.array([d in facts.targets for d in dest])
        harm_usd = np.einsum("dtk,tk->d", exports[:, :, into],
                             route_price[:, into] - route_base[None, into])
    else:
        mine = np.array([str(r) in facts.targets for r in ds["sector_region"].values])
        harm_usd = np.asarray(ds["lost_output_usd"].values[:, mine].sum(axis=1), dtype=float)
    capacity = np.full(draws, projects_usd_per_yr(price, base, zones, c_index, facts,
                                                      w.bring_forward_full_price))
    if facts.idle and "restart_step" in ds:
        nodes = [str(n) for n in ds["node"].values]
        restart = np.asarray(ds["restart_step"].values)
        for node, rows in facts.idle.items():
            if node in nodes:
                value = sum(t * facts.base_price.get((z, c), 0.0) for z, c, t in rows)
                capacity = capacity + (restart[:, nodes.index(node)] >= 0) * value
    short = ds["shortfall_t"]
    shortfall = {str(rc): np.asarray(short.values[:, i], dtype=float)
                 for i, rc in enumerate(short["rc"].values)
                 if str(ds["rc_region"].values[i]) in facts.targets}
    return RunValues(np.asarray(harm_usd, dtype=float), np.asarray(revenue, dtype=float),
                     capacity, shortfall)


def projects_usd_per_yr(price: FloatArray, base: FloatArray, zones: list[str],
                         c_index: dict[str, int], facts: WorldFacts, full: float) -> float:
    """Base-price value of the projects' output that prices bring forward, USD/yr.

    ``price`` (T, Z, C) and ``base`` (Z, C) in USD/t with ``zones`` naming Z and ``c_index``
    the commodities; ``full``: the mean relative price at which a project comes in whole."""
    if not facts.projects:
        return 0.0
    rel = np.divide(price.mean(axis=0), base, out=np.ones_like(base), where=base > 0)  # (Z, C)
    total = 0.0
    for zone, c, t in facts.projects:
        if zone not in zones or c not in c_index:
            continue
        p = float(rel[zones.index(zone), c_index[c]])
        b = min(1.0, max(0.0, (p - 1.0) / (full - 1.0)))
        total += t * facts.base_price.get((zone, c), 0.0) * b
    return total


@dataclass(frozen=True)
class Outcome:
    """The objective of one candidate against the run without the policy, per draw.

    Attributes
    ----------
    score_usd
        (D,) ``J_d``, USD.
    harm_usd, revenue_lost_usd, share_lost_usd
        (D,) the three parts, USD (before weights).
    share_lost
        (D,) long-run sales lost as a share of the exporter's base yearly export revenue, 1.
    """

    score_usd: FloatArray
    harm_usd: FloatArray
    revenue_lost_usd: FloatArray
    share_lost_usd: FloatArray
    share_lost: FloatArray


def outcome(policy: RunValues, without: RunValues, w: Weights, horizon_weeks: float) -> Outcome:
    """``J_d`` and its parts for a run with the policy against the run without it (same draws).

    Parameters
    ----------
    policy, without
        :func:`run_values` of the two runs (the same number of draws; ``without`` may have more,
        its first draws are used: draw ``d`` is the same in both).
    w
        The weights.
    horizon_weeks
        The runs' horizon, week (for the base revenue per year).
    """
    n = len(policy.harm_usd)
    harm = policy.harm_usd - without.harm_usd[:n]
    lost = without.revenue_usd[:n] - policy.revenue_usd
    per_yr = policy.new_capacity_usd_per_yr - without.new_capacity_usd_per_yr[:n]
    share_usd = per_yr * w.share_pv_years
    base_per_yr = float(np.mean(without.revenue_usd)) * WEEKS_PER_YEAR / horizon_weeks
    share = per_yr / base_per_yr if base_per_yr > 0 else np.zeros(n)
    score = w.harm_weight * harm - w.revenue_weight * lost - w.share_weight * share_usd
    return Outcome(score, harm, lost, share_usd, share)
