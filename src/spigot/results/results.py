"""`Results`: what a run produced, as an xarray Dataset with named dimensions and units.

Three kinds of variables (see docs/design.md, section Engine):

- ``mean_*`` (dims ``time`` and an item dim): the mean over all draws of a weekly quantity;
- per-draw totals (dim ``draw``): lost output, stopped weeks, first stoppage week, shortfall,
  and the conservation residual per commodity; quantiles come from these exactly;
- quantiles over all draws (dim ``quantile``): ``cross_border_exports`` (time, commodity), and
  with the market phase ``price`` and ``price_spread``;
- ``traj_*`` (dims ``sample``, ``time``, item): full trajectories of the first kept draws.

Every variable carries ``units`` and ``description`` in its attrs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from spigot.errors import ConservationError
from spigot.scenarios.reactions import action_name, trigger_name

if TYPE_CHECKING:
    from spigot.results.metrics import Metrics
    from spigot.scenarios.models import Scenario
    from spigot.sim.build.model import SimModel

__all__ = ["PRICE_QUANTILES", "MarketTotals", "Results", "histogram_quantiles"]

#: Quantile levels of ``price`` and ``price_spread`` (the ``quantile`` coordinate).
PRICE_QUANTILES: tuple[float, ...] = (0.05, 0.5, 0.95)

#: Record groups: (item dim, units, description).
GROUPS: dict[str, tuple[str, str, str]] = {
    "exports": ("route", "t/step", "t leaving the exporter on the route (after any licence)"),
    "held": ("route", "t/step", "t held back in the exporter's stock by bans and quotas, "
                                "and t denied a licence (never made)"),
    "lost_units": ("sector", "unit/step", "output lost for want of inputs"),
    "stopped": ("sector", "1", "share of draws in which the sector is stopped"),
    "shortfall": ("rc", "t/step", "t of the commodity the region's sectors lacked"),
    "sector_stock": ("rc", "t", "t on hand for the region's sectors (pool and inventories)"),
    "producer_stock": ("pc", "t", "t in the region's nodes' input and output stocks"),
    "stockpile": ("stockpile", "t", "t in the stockpile"),
    "licence_applications": ("licence_route", "t/step", "t applied for (entering the queue)"),
    "licence_approved": ("licence_route", "t/step", "t approved (decisions falling due)"),
    "licence_denied": ("licence_route", "t/step", "t denied (returned to the exporter)"),
    "licence_queue": ("licence_route", "t", "t waiting for review"),
    "licence_pipeline": ("licence_route", "t", "t under review (processing)"),
}


@dataclass(frozen=True)
class MarketTotals:
    """The market phase's outputs of a whole run, merged over chunks in block order.

    Shapes: ``T`` steps, ``C`` commodities, ``N`` nodes, ``D`` draws, ``NB`` histogram bins; the
    middle axis of size 3 of the histograms is China, ex-China, spread (log ex-China price minus
    log China price, both relative to base).
    """

    sums: npt.NDArray[np.float64]  # (T, market record) sums over draws
    counts: npt.NDArray[np.int64]  # (T, 3, C, NB) histogram counts of log relative prices
    low: npt.NDArray[np.float64]  # (T, 3, C) smallest value over draws
    high: npt.NDArray[np.float64]  # (T, 3, C) largest value over draws
    restart_step: npt.NDArray[np.int64]  # (D, N) first restart step, -1: none
    recycled_total: npt.NDArray[np.float64]  # (D, C) t recycled over the horizon


def histogram_quantiles(counts: npt.NDArray[np.int64], lo: npt.NDArray[np.float64],
                        hi: npt.NDArray[np.float64], low: npt.NDArray[np.float64],
                        high: npt.NDArray[np.float64],
                        levels: tuple[float, ...] = PRICE_QUANTILES) -> npt.NDArray[np.float64]:
    """Quantiles over draws from histograms, interpolated linearly within the bin.

    Parameters
    ----------
    counts
        (..., NB) counts per bin; bins split ``[lo, hi]`` evenly (values outside fall in the end
        bins).
    lo, hi
        Edges of the binned range, broadcastable to ``counts.shape[:-1]``.
    low, high
        (...) smallest and largest value binned: each bin's edges are clipped to them, so
        quantiles of equal values are exact and none lies outside the values seen.
    levels
        Quantile levels in (0, 1].

    Returns
    -------
    numpy.ndarray
        (..., len(levels)); NaN where a cell has no count.
    """
    nb = counts.shape[-1]
    cum = np.cumsum(counts, axis=-1)
    total = cum[..., -1]
    lo_b = np.broadcast_to(lo, total.shape)
    width = (np.broadcast_to(hi, total.shape) - lo_b) / nb
    out = np.full((*total.shape, len(levels)), np.nan)
    for i, q in enumerate(levels):
        rank = q * total
        j = np.minimum((cum < rank[..., None]).sum(axis=-1), nb - 1)
        in_bin = np.take_along_axis(counts, j[..., None], axis=-1)[..., 0]
        before = np.take_along_axis(cum, j[..., None], axis=-1)[..., 0] - in_bin
        frac = np.divide(rank - before, in_bin, out=np.zeros(total.shape), where=in_bin > 0)
        a = np.clip(lo_b + j * width, low, high)
        b = np.clip(lo_b + (j + 1) * width, low, high)
        b = np.where(j == nb - 1, high, b)  # the end bins hold what lies beyond the range
        a = np.where(j == 0, low, a)
        out[..., i] = np.where(total > 0, a + frac * (b - a), np.nan)
    return out


class Results:
    """Results of :func:`spigot.simulate`: an ``xarray.Dataset`` plus a manifest.

    Attributes
    ----------
    data
        The dataset (dims ``time``, ``draw``, ``sample``, ``route``, ``sector``, ``rc``
        (region x commodity), ``pc``, ``stockpile``, ``licence_route``, ``commodity``).
    manifest
        spigot version, dataset and scenario hashes, seed, draws, engine, timings.
    """

    def __init__(self, data: xr.Dataset, manifest: dict[str, Any]) -> None:
        self.data = data
        self.manifest = dict(manifest)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_run(cls, m: SimModel, scen: Scenario, manifest: dict[str, Any], *,
                 totals: npt.NDArray[np.float64], sector_scalars: npt.NDArray[np.float64],
                 first_stop: npt.NDArray[np.int64], shortfall_total: npt.NDArray[np.float64],
                 residual: npt.NDArray[np.float64], throughput: npt.NDArray[np.float64],
                 traj: npt.NDArray[np.float64], market: MarketTotals | None = None,
                 export_quantiles: npt.NDArray[np.float64] | None = None,
                 reaction_fired: npt.NDArray[np.int64] | None = None) -> Results:
        """Assemble results from the engine's arrays (used by :func:`spigot.simulate`).

        ``export_quantiles`` (quantile, time, commodity): quantiles over all draws of each
        draw's cross-border exports per commodity (levels :data:`PRICE_QUANTILES`); stored as
        ``cross_border_exports``.
        """
        net = m.net
        draws = sector_scalars.shape[0]
        step = pd.Timedelta(weeks=scen.step_weeks)
        times = pd.DatetimeIndex([pd.Timestamp(scen.start) + i * step for i in range(m.steps)])
        rb = range(m.rbuf0, m.n_buffers)
        slot_routes = m.plan.slot_route
        coords: dict[str, Any] = {
            "time": times,
            "draw": np.arange(draws),
            "sample": np.arange(traj.shape[0]),
            "route": list(net.routes),
            "route_exporter": ("route", [net.regions[i] for i in net.route_origin_region]),
            "route_commodity": ("route", [net.commodities[i] for i in net.route_commodity]),
            "route_destination": ("route", [net.regions[i] for i in net.route_dest_region]),
            "sector": list(net.sectors),
            "sector_region": ("sector", [net.regions[i] for i in net.sector_region]),
            "sector_name": ("sector", list(net.sector_names or net.sectors)),
            "rc": [f"{net.regions[m.buf_place[b]]}/{net.commodities[m.buf_c[b]]}" for b in rb],
            "rc_region": ("rc", [net.regions[m.buf_place[b]] for b in rb]),
            "rc_commodity": ("rc", [net.commodities[m.buf_c[b]] for b in rb]),
            "pc": [f"{net.regions[r]}/{net.commodities[c]}"
                   for r, c in zip(m.npair_region, m.npair_c, strict=True)],
            "stockpile": list(net.stockpiles),
            "licence_route": [net.routes[k] for k in slot_routes],
            "licence_exporter": ("licence_route",
                                 [net.regions[net.route_origin_region[k]] for k in slot_routes]),
            "licence_commodity": ("licence_route",
                                  [net.commodities[net.route_commodity[k]] for k in slot_routes]),
            "licence_destination": ("licence_route",
                                    [net.regions[net.route_dest_region[k]] for k in slot_routes]),
            "commodity": list(net.commodities),
        }
        data_vars: dict[str, Any] = {}
        for name, (dim, units, desc) in GROUPS.items():
            a, z = m.layout.groups[name]
            data_vars[f"mean_{name}"] = (("time", dim), totals[:, a:z] / draws,
                                         {"units": units, "description": f"mean over draws: {desc}"})
            if traj.shape[0]:
                data_vars[f"traj_{name}"] = (("sample", "time", dim), traj[:, :, a:z],
                                             {"units": units, "description": desc})
        fs = np.where(first_stop >= 0, first_stop * scen.step_weeks, np.nan)
        data_vars.update({
            "lost_output_units": (("draw", "sector"), sector_scalars[:, 0, :],
                                  {"units": "unit", "description": "output lost over the horizon"}),
            "lost_output_usd": (("draw", "sector"), sector_scalars[:, 1, :],
                                {"units": "USD", "description": "value of output lost"}),
            "stopped_weeks": (("draw", "sector"), sector_scalars[:, 2, :] * scen.step_weeks,
                              {"units": "week", "description": "weeks the sector was stopped"}),
            "first_stop_week": (("draw", "sector"), fs,
                                {"units": "week", "description": "weeks from the start to the "
                                 "first stopped step (NaN: never stopped)"}),
            "shortfall_t": (("draw", "rc"), shortfall_total,
                            {"units": "t", "description": "t short over the horizon"}),
            "conservation_residual": (("draw", "commodity"), residual,
                                      {"units": "t", "description": "initial + produced + "
                                       "recycled - used - consumed - final stocks (0 if mass is "
                                       "conserved)"}),
            "throughput": (("draw", "commodity"), throughput,
                           {"units": "t", "description": "initial + produced + recycled + used + "
                            "consumed"}),
            "sector_value": (("sector",), net.sector_value, {"units": "USD/unit"}),
            "sector_output": (("sector",), net.sector_output, {"units": "unit/step"}),
        })
        if export_quantiles is not None:
            coords["quantile"] = list(PRICE_QUANTILES)
            data_vars["cross_border_exports"] = (
                ("time", "commodity", "quantile"), np.moveaxis(export_quantiles, 0, -1),
                {"units": "t/step", "description": "t leaving exporters on cross-border routes "
                 "(exporter region != destination region), per commodity: quantiles over all "
                 "draws (exact)"})
        if market is not None and m.market is not None:
            _market_variables(m, market, draws, coords, data_vars)
        if reaction_fired is not None and reaction_fired.shape[1]:
            _reaction_variables(m, scen, reaction_fired, coords, data_vars)
        data = xr.Dataset(data_vars, coords=coords,
                          attrs={"scenario": scen.name, "step_weeks": scen.step_weeks,
                                 "stop_below": scen.stop_below})
        return cls(data, manifest)

    # ------------------------------------------------------------------ checks and views
    def check_conservation(self, rtol: float = 1e-9) -> Results:
        """Prove that every draw conserved mass, commodity by commodity.

        For each draw and commodity: initial stocks + production + extra recycling - recipe
        inputs - sector use - final stocks (including material in transit and left in
        stockpiles; licence applications are paper, no material) must be zero within ``rtol``
        times the throughput.

        Returns
        -------
        Results
            ``self``.

        Raises
        ------
        ConservationError
            Naming the draw, the commodity and the imbalance in t.
        """
        resid = self.data["conservation_residual"].values
        thru = self.data["throughput"].values
        bad = np.abs(resid) > rtol * thru + 1e-9
        if bad.any():
            d, c = np.argwhere(bad)[0]
            raise ConservationError(
                f"mass is not conserved: draw {int(d)}, commodity "
                f"{str(self.data['commodity'].values[c])!r}: {resid[d, c]:.6g} t unaccounted for "
                f"(throughput {thru[d, c]:.6g} t); {int(bad.sum())} draw-commodity pair(s) fail")
        return self

    @property
    def metrics(self) -> Metrics:
        """Summaries as DataFrames: ``res.metrics.first_stoppage(by=["region", "sector"])``."""
        from spigot.results.metrics import Metrics

        return Metrics(self)

    @property
    def draws(self) -> int:
        """Number of draws."""
        return int(self.data.sizes["draw"])

    def __repr__(self) -> str:
        return (f"<Results {self.manifest.get('scenario')!r}: {self.draws} draws x "
                f"{self.data.sizes['time']} steps, engine {self.manifest.get('engine')}>")


def _reaction_variables(m: SimModel, scen: Scenario, fired: npt.NDArray[np.int64],
                        coords: dict[str, Any], data_vars: dict[str, Any]) -> None:
    """The reaction timeline: per draw, the week each reaction's trigger fired and the week
    its action applied (NaN: never, or after the horizon)."""
    plan = m.plan
    weeks = np.where(fired >= 0, fired * scen.step_weeks, np.nan)
    applied = fired + plan.rx_lag[None, :]
    applied_weeks = np.where((fired >= 0) & (applied < m.steps), applied * scen.step_weeks,
                             np.nan)
    coords["reaction"] = list(plan.rx_ids)
    coords["reaction_measure"] = ("reaction", [r.measure for r in plan.reactions])
    coords["reaction_trigger"] = ("reaction", [trigger_name(r.when) for r in plan.reactions])
    coords["reaction_action"] = ("reaction", [action_name(r) for r in plan.reactions])
    data_vars["reaction_fired_week"] = (
        ("draw", "reaction"), weeks,
        {"units": "week", "description": "weeks from the start to the step the reaction's "
         "trigger first held (NaN: never)"})
    data_vars["reaction_applied_week"] = (
        ("draw", "reaction"), applied_weeks,
        {"units": "week", "description": "weeks from the start to the step its action applied "
         "(trigger + lag; NaN: never within the horizon)"})


def _market_variables(m: SimModel, mt: MarketTotals, draws: int, coords: dict[str, Any],
                      data_vars: dict[str, Any]) -> None:
    """Add the market phase's variables and coordinates (docs/model.md, New result variables)."""
    from spigot.network.compiled import ZONES

    net, mk = m.net, m.market
    assert mk is not None
    mp, lay = mk.params, mk.layout
    n_c = len(net.commodities)
    use_labels = [
        f"{net.sectors[m.sc_sector[i]]}:{net.commodities[c]}" if kind == 0
        else f"{net.nodes[i]}:{net.commodities[c]}"
        for kind, i, c in zip(mp.use_kind, mp.use_item, mp.use_c, strict=True)]
    coords.update({
        "zone": list(ZONES),
        "quantile": list(PRICE_QUANTILES),
        "use": use_labels,
        "use_kind": ("use", ["sector" if k == 0 else "node" for k in mp.use_kind]),
        "use_commodity": ("use", [net.commodities[c] for c in mp.use_c]),
        "node": list(net.nodes),
        "recycling": [f"{net.regions[r]}/{net.commodities[c]}"
                      for r, c in zip(mp.rp_region, mp.rp_c, strict=True)],
        "recycling_region": ("recycling", [net.regions[r] for r in mp.rp_region]),
        "recycling_commodity": ("recycling", [net.commodities[c] for c in mp.rp_c]),
    })

    def mean(group: str) -> npt.NDArray[np.float64]:
        a, z = lay.groups[group]
        return mt.sums[:, a:z] / draws

    rel = mean("price").reshape(mt.sums.shape[0], 2, n_c)
    q = histogram_quantiles(mt.counts, mk.bin_lo, mk.bin_hi, mt.low, mt.high)  # (T, 3, C, Q)
    p0 = mp.p0
    base_spread = p0[1] / p0[0]
    data_vars.update({
        "base_price": (("zone", "commodity"), p0,
                       {"units": "USD/t", "description": "base price (the dataset's prices "
                        "table; unknown prices filled, see docs/model.md)"}),
        "price": (("time", "zone", "commodity", "quantile"),
                  p0[None, :, :, None] * np.exp(q[:, :2]),
                  {"units": "USD/t", "description": "price per zone: quantiles over draws "
                   f"(from histograms of {mt.counts.shape[-1]} bins in log price, exact "
                   "where all draws agree)"}),
        "mean_price": (("time", "zone", "commodity"), p0[None] * rel,
                       {"units": "USD/t", "description": "mean over draws: price per zone"}),
        "price_spread": (("time", "commodity", "quantile"),
                         base_spread[None, :, None] * np.exp(q[:, 2]),
                         {"units": "1", "description": "ex-China price / China price: "
                          "quantiles over draws"}),
        "mean_demand_reduction": (("time", "use"), mean("demand_reduction"),
                                  {"units": "1", "description": "mean over draws: share of the "
                                   "use's base intensity removed by substitution and thrifting"}),
        "mean_demand_destruction": (("time", "sector"), mean("demand_destruction"),
                                    {"units": "unit/step", "description": "mean over draws: "
                                     "output not wanted at current prices, (1 - plan) x output"}),
        "mean_capacity_added": (("time", "node"), mean("capacity_added"),
                                {"units": "t/step", "description": "mean over draws: capacity "
                                 "of projects and restarted nodes above their base activity "
                                 "(t of activity per step)"}),
        "restart_step": (("draw", "node"), mt.restart_step,
                         {"units": "step", "description": "step at which an idle node's "
                          "restart began (-1: none)"}),
        "mean_recycled": (("time", "recycling"), mean("recycled"),
                          {"units": "t/step", "description": "mean over draws: extra "
                           "recycling output"}),
        "mean_stockpile_release": (("time", "stockpile"), mean("stockpile_release"),
                                   {"units": "t/step", "description": "mean over draws: t "
                                    "released from the stockpile"}),
        "mean_safety_multiplier": (("time", "rc"), mean("safety_multiplier"),
                                   {"units": "1", "description": "mean over draws: firms' "
                                    "cover-target multiplier (1: normal cover)"}),
        "recycled_total": (("draw", "commodity"), mt.recycled_total,
                           {"units": "t", "description": "extra recycling over the horizon "
                            "(a source in the mass balance)"}),
    })
