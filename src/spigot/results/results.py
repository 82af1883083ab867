"""`Results`: what a run produced, as an xarray Dataset with named dimensions and units.

Three kinds of variables (see docs/design.md, section Engine):

- ``mean_*`` (dims ``time`` and an item dim): the mean over all draws of a weekly quantity;
- per-draw totals (dim ``draw``): lost output, stopped weeks, first stoppage week, shortfall,
  and the conservation residual per commodity; quantiles come from these exactly;
- ``traj_*`` (dims ``sample``, ``time``, item): full trajectories of the first kept draws.

Every variable carries ``units`` and ``description`` in its attrs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from spigot.errors import ConservationError

if TYPE_CHECKING:
    from spigot.results.metrics import Metrics
    from spigot.scenario.models import Scenario
    from spigot.sim.model import SimModel

__all__ = ["Results"]

#: Record groups: (item dim, units, description).
GROUPS: dict[str, tuple[str, str, str]] = {
    "exports": ("route", "t/step", "t leaving the exporter on the route (after any licence)"),
    "held": ("route", "t/step", "t held back in the exporter's stock by bans, quotas, denials"),
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
                 traj: npt.NDArray[np.float64]) -> Results:
        """Assemble results from the engine's arrays (used by :func:`spigot.simulate`)."""
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
                                      {"units": "t", "description": "initial + produced - used - "
                                       "consumed - final stocks (0 if mass is conserved)"}),
            "throughput": (("draw", "commodity"), throughput,
                           {"units": "t", "description": "initial + produced + used + consumed"}),
            "sector_value": (("sector",), net.sector_value, {"units": "USD/unit"}),
            "sector_output": (("sector",), net.sector_output, {"units": "unit/step"}),
        })
        data = xr.Dataset(data_vars, coords=coords,
                          attrs={"scenario": scen.name, "step_weeks": scen.step_weeks,
                                 "stop_below": scen.stop_below})
        return cls(data, manifest)

    # ------------------------------------------------------------------ checks and views
    def check_conservation(self, rtol: float = 1e-9) -> Results:
        """Prove that every draw conserved mass, commodity by commodity.

        For each draw and commodity: initial stocks + production - recipe inputs - sector use -
        final stocks (including material in transit and in licensing) must be zero within
        ``rtol`` times the throughput.

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
