r"""What a simulation run shipped, per route and period, beside the network's base flows.

The dynamic indices (:mod:`spigot.risk.dynamic`, :mod:`spigot.risk.crma`) read only what a run
records: ``mean_exports`` (t leaving each route's origin per step, mean over draws; domestic
routes included) and, for stock changes, ``mean_sector_stock``. A run does not record each
node's production, so a region's *actual* output of a commodity at a stage is estimated as its
base output times its **activity index**

.. math::

    a_{r}(p) = \frac{\sum_{k \in K_r} x_k(p)}{\sum_{k \in K_r} \bar x_k \, n_p},

the t its nodes shipped on the routes :math:`K_r` (its routes of the commodities and stage
asked for) in period :math:`p` over what the same routes carry at base (:math:`\bar x_k`: the
route's base volume per step; :math:`n_p` steps in the period). Material a measure holds back in
the exporter's stock is not supply, so it lowers the index. A region without base shipments on
those routes keeps :math:`a = 1` (its base share is kept; the outputs list it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from spigot.errors import InputError, Problem
from spigot.network import SupplyNetwork
from spigot.units import WEEKS_PER_YEAR

__all__ = ["PERIODS", "RunFlows", "run_dataset"]

#: Periods the indices can be computed over: every step, calendar months, calendar years.
PERIODS: tuple[str, ...] = ("step", "month", "year")
_FREQ = {"month": "MS", "year": "YS"}

FloatArray = npt.NDArray[np.float64]


def run_dataset(run: Any) -> xr.Dataset:
    """The ``xarray.Dataset`` of a :class:`~spigot.results.Results`, a stored run or a Dataset."""
    if isinstance(run, xr.Dataset):
        return run
    for attr in ("data", "dataset"):
        ds = getattr(run, attr, None)
        if isinstance(ds, xr.Dataset):
            return ds
    raise InputError(Problem("not a run", field="run", value=type(run).__name__,
                             expected="spigot.Results, a stored run or an xarray.Dataset"))


@dataclass(frozen=True)
class RunFlows:
    """A run's route flows summed per period, with each route's places and base flow.

    Attributes
    ----------
    times
        Start of each period.
    steps
        Steps in each period (``n_p``).
    step_weeks
        Weeks per step.
    flows
        (period, route) t shipped in the period.
    routes
        One row per route of the run found in the network: ``route, commodity, group,
        commodity_stage, origin_node, origin, stage, destination, base`` (``base``: t per step
        at base; ``stage``: the origin node's stage).
    unit
        The period's name for rate units (``week``, ``month``, ``year``, ``N weeks``).
    stocks
        (period, rc) sector stocks at the end of each period, or ``None``; ``stock_keys`` the
        ``(region, commodity)`` of each column.
    """

    times: pd.DatetimeIndex
    steps: FloatArray
    step_weeks: float
    flows: FloatArray
    routes: pd.DataFrame
    unit: str
    stocks: FloatArray | None
    stock_keys: list[tuple[str, str]]

    @classmethod
    def of(cls, run: Any, net: SupplyNetwork, period: str = "step") -> RunFlows:
        """Read ``run``'s flows (see module docs) and sum them per ``period``.

        Raises
        ------
        InputError
            For an unknown period, or a run without per-route exports (``mean_exports``).
        """
        if period not in PERIODS:
            raise InputError(Problem("unknown period", field="period", value=period,
                                     expected=" or ".join(PERIODS)))
        ds = run_dataset(run)
        if "mean_exports" not in ds.data_vars or not {"time", "route"} <= set(
                map(str, ds["mean_exports"].dims)):
            raise InputError(Problem("the run stores no per-route exports", field="mean_exports",
                                     value=sorted(map(str, ds.data_vars))[:8],
                                     expected="a run of spigot.simulate (variable mean_exports "
                                              "with dims time, route)"))
        step_weeks = float(ds.attrs.get("step_weeks", 1.0) or 1.0)
        exports = ds["mean_exports"].transpose("time", "route")
        routes = _route_table(net, [str(r) for r in exports["route"].values], step_weeks)
        exports = exports.sel(route=routes["route"].to_list())
        ones = xr.ones_like(exports.isel(route=0, drop=True))
        stocks_da = ds["mean_sector_stock"] if "mean_sector_stock" in ds.data_vars and {
            "rc_region", "rc_commodity"} <= set(map(str, ds.coords)) else None
        if period == "step":
            flows, counts = exports, ones
            stock_end = stocks_da
        else:
            freq = _FREQ[period]
            flows = exports.resample(time=freq).sum()
            counts = ones.resample(time=freq).sum()
            stock_end = None if stocks_da is None else stocks_da.resample(time=freq).last()
        keys: list[tuple[str, str]] = []
        stocks = None
        if stock_end is not None:
            keys = [(str(r), str(c)) for r, c in zip(ds["rc_region"].values,
                                                     ds["rc_commodity"].values, strict=True)]
            stocks = np.asarray(stock_end.transpose("time", "rc").values, dtype=float)
        unit = ("week" if step_weeks == 1 else f"{step_weeks:g} weeks") if period == "step" \
            else period
        return cls(times=pd.DatetimeIndex(flows["time"].values),
                   steps=np.asarray(counts.values, dtype=float), step_weeks=step_weeks,
                   flows=np.asarray(flows.values, dtype=float), routes=routes, unit=unit,
                   stocks=stocks, stock_keys=keys)

    # ------------------------------------------------------------------ selections
    def mask(self, *, commodities: Iterable[str] | None = None, stage: str | None = None,
             origins: Iterable[str] | None = None, destinations: Iterable[str] | None = None,
             not_origins: Iterable[str] = (), not_destinations: Iterable[str] = (),
             commodity_stage: str | None = None) -> npt.NDArray[np.bool_]:
        """Routes matching every filter given."""
        r = self.routes
        keep = np.ones(len(r), dtype=bool)
        if commodities is not None:
            keep &= r["commodity"].isin(set(commodities)).to_numpy()
        if stage is not None:
            keep &= (r["stage"] == stage).to_numpy()
        if commodity_stage is not None:
            keep &= (r["commodity_stage"] == commodity_stage).to_numpy()
        if origins is not None:
            keep &= r["origin"].isin(set(origins)).to_numpy()
        if destinations is not None:
            keep &= r["destination"].isin(set(destinations)).to_numpy()
        keep &= ~r["origin"].isin(set(not_origins)).to_numpy()
        keep &= ~r["destination"].isin(set(not_destinations)).to_numpy()
        return keep

    def shipped(self, mask: npt.NDArray[np.bool_]) -> FloatArray:
        """(period,) t shipped on the routes of ``mask``."""
        return self.flows[:, mask].sum(axis=1)

    def base(self, mask: npt.NDArray[np.bool_]) -> FloatArray:
        """(period,) t the routes of ``mask`` carry at base in each period."""
        return float(self.routes["base"].to_numpy()[mask].sum()) * self.steps

    def by(self, mask: npt.NDArray[np.bool_], column: str) -> pd.DataFrame:
        """(period x value of ``column``) t shipped on the routes of ``mask``."""
        labels = self.routes[column].to_numpy()[mask]
        frame = pd.DataFrame(self.flows[:, mask], columns=labels)
        return frame.T.groupby(level=0).sum().T

    def activity(self, mask: npt.NDArray[np.bool_]) -> tuple[FloatArray, bool]:
        """Activity index (module docs) of the routes of ``mask``, and whether it is defined
        (``False``: no base shipments, the index is 1)."""
        base = self.base(mask)
        if not base.size or not float(base.max()) > 0:
            return np.ones(len(self.times)), False
        return self.shipped(mask) / base, True

    def stock_release(self, regions: Sequence[str], commodity: str) -> FloatArray:
        """(period,) t drawn from the sector stocks of ``regions`` (negative when they grow):
        the end stock of the previous period minus this one's; 0 in the first period."""
        out = np.zeros(len(self.times))
        if self.stocks is None:
            return out
        cols = [i for i, (r, c) in enumerate(self.stock_keys) if r in regions and c == commodity]
        if not cols:
            return out
        level = self.stocks[:, cols].sum(axis=1)
        out[1:] = level[:-1] - level[1:]
        return out


def _route_table(net: SupplyNetwork, run_routes: list[str], step_weeks: float) -> pd.DataFrame:
    routes = net.routes
    nodes = net.nodes.set_index("id")
    table = net.commodities.astype(str).set_index("id")
    group = table["group"].to_dict() if "group" in table else {}
    cstage = table["stage"].to_dict() if "stage" in table else {}
    rows = []
    known = set(run_routes)
    for row in routes.to_dict(orient="records"):
        rid = str(row["id"])
        if rid not in known:
            continue
        origin = nodes.loc[str(row["origin"])]
        dest = str(row["destination"])
        comm = str(row["commodity"])
        rows.append({"route": rid, "commodity": comm, "group": group.get(comm, comm) or comm,
                     "commodity_stage": cstage.get(comm, ""), "origin_node": str(row["origin"]),
                     "origin": str(origin["region"]), "stage": str(origin["stage"]),
                     "destination": str(nodes.loc[dest, "region"]) if dest in nodes.index
                     else dest,
                     "base": float(row["volume"]) * step_weeks / WEEKS_PER_YEAR})
    return pd.DataFrame(rows, columns=["route", "commodity", "group", "commodity_stage",
                                       "origin_node", "origin", "stage", "destination", "base"])


def region_of(net: SupplyNetwork) -> dict[str, str]:
    """Country or region id -> the network region that holds it (itself, the aggregate whose
    ``members`` list it, else the catch-all aggregate with members ``*``)."""
    regions = net.regions.astype(str)
    out = {r: r for r in regions["id"]}
    members = regions["members"] if "members" in regions else pd.Series([""] * len(regions))
    for rid, listed in zip(regions["id"], members, strict=True):
        for m in str(listed).split(";"):
            if m and m != "*" and m != "nan":
                out.setdefault(m.strip(), rid)
    return out


def catch_all(net: SupplyNetwork) -> str | None:
    """The region of countries the network does not list (``members`` = ``*``), if any."""
    regions = net.regions.astype(str)
    if "members" not in regions:
        return None
    found = regions.loc[regions["members"] == "*", "id"]
    return str(found.iloc[0]) if len(found) else None


def groups_of(net: SupplyNetwork) -> dict[str, list[str]]:
    """Region groups (``EU27``) of ``net`` -> their member region ids."""
    regions = net.regions.astype(str)
    out: dict[str, list[str]] = {}
    if "groups" not in regions:
        return out
    for rid, text in zip(regions["id"], regions["groups"], strict=True):
        for g in str(text).split(";"):
            if g and g != "nan":
                out.setdefault(g.strip(), []).append(rid)
    return out
