"""The network side of a run's report: base and simulated flows (Sankey), and chokepoints."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import xarray as xr

from spigot import datasets
from spigot.errors import SpigotError
from spigot.network import SupplyNetwork
from spigot.report.figures import DEMAND, sankey_figure
from spigot.report.model import NOT_AVAILABLE, Section
from spigot.store import StoredRun

__all__ = ["chokepoint_section", "flow_links", "network_for", "sankey_section"]

logger = logging.getLogger(__name__)


def network_for(stored: StoredRun) -> tuple[SupplyNetwork | None, str]:
    """The bundled network a run ran on, and a note when it is missing or has changed."""
    name = stored.info.dataset
    if not name:
        return None, "the run does not record its dataset"
    if name not in datasets.names():
        return None, (f"dataset {name!r} is not bundled; pass it with --dataset to draw the "
                      "base flows")
    net = datasets.load(name)
    recorded = stored.info.dataset_hash
    if recorded and len(recorded) == 64 and recorded != net.content_hash():
        return net, (f"dataset {name!r} has changed since this run (content hash differs); the "
                     "flows shown are those of the current version")
    return net, ""


_CHOKEPOINT_CACHE: dict[str, pd.DataFrame] = {}


def _chokepoints(net: SupplyNetwork) -> pd.DataFrame:
    """:func:`spigot.risk.chokepoints` of ``net``, cached by content (networks are immutable)."""
    from spigot.risk import chokepoints

    key = net.content_hash()
    if key not in _CHOKEPOINT_CACHE:
        if len(_CHOKEPOINT_CACHE) >= 4:
            _CHOKEPOINT_CACHE.pop(next(iter(_CHOKEPOINT_CACHE)))
        _CHOKEPOINT_CACHE[key] = chokepoints(net)
    return _CHOKEPOINT_CACHE[key].copy()


def chokepoint_section(net: SupplyNetwork | None) -> Section:
    section = Section("chokepoints", "Chokepoints")
    if net is None:
        section.note = NOT_AVAILABLE
        return section
    try:
        table = _chokepoints(net)
    except (ImportError, SpigotError, LookupError, ValueError) as exc:
        logger.warning("chokepoint table unavailable: %s", exc)
        section.note = f"chokepoint metrics unavailable: {exc}"
        return section
    columns = [c for c in ("chain", "commodity", "stage", "year", "hhi_points", "cr1",
                           "top_supplier", "top_share", "chokepoint", "source") if c in table]
    section.table = table[columns].reset_index(drop=True)
    section.note = ("concentration of each stage (HHI, 0-10,000 points); the chokepoint is the "
                    "most concentrated stage of each chain (spigot.risk.chokepoints)")
    return section


def flow_links(net: SupplyNetwork, ds: xr.Dataset | None = None) -> pd.DataFrame:
    """Base and simulated flows between (stage, region) places, per commodity (t/yr).

    Parameters
    ----------
    net
        The network the run used (its routes and base volumes).
    ds
        The run's Dataset; its per-route mean exports (``mean_exports``, t per step, dims
        ``time, route``) give the run's flows, annualised over the horizon. ``None`` or a run
        without them: ``run`` is NaN.

    Returns
    -------
    pandas.DataFrame
        ``source, target, commodity, unit, base, run`` (t/yr in the commodity's basis), one row
        per link and commodity; flows within one place are left out.
    """
    nodes = net.nodes.set_index("id")
    basis = dict(zip(net.commodities["id"], net.commodities["basis"], strict=True))
    run: dict[str, float] = {}
    if ds is not None and "mean_exports" in ds.data_vars and {"time", "route"} <= set(
            map(str, ds["mean_exports"].dims)) and ds.sizes.get("time", 0):
        step = float(ds.attrs.get("step_weeks", 1.0) or 1.0)
        weeks = ds.sizes["time"] * step
        per_year = ds["mean_exports"].sum("time").values * (52.0 / weeks)
        run = {str(r): float(v) for r, v in zip(ds["route"].values, per_year, strict=True)}
    rows = []
    for route in net.routes.itertuples(index=False):
        origin = nodes.loc[route.origin]
        source = f"{origin['stage']} · {origin['region']}"
        if route.destination in nodes.index:
            dest = nodes.loc[route.destination]
            target = f"{dest['stage']} · {dest['region']}"
        else:
            target = f"{DEMAND} · {route.destination}"
        if source == target:
            continue
        rows.append({"source": source, "target": target, "commodity": str(route.commodity),
                     "unit": f"t {basis.get(route.commodity, '')}/yr".replace("  ", " "),
                     "base": float(route.volume), "run": run.get(str(route.id), np.nan)})
    frame = pd.DataFrame(rows, columns=["source", "target", "commodity", "unit", "base", "run"])
    def total(values: pd.Series) -> float:
        return float(values.sum(min_count=1))

    return frame.groupby(["source", "target", "commodity", "unit"], as_index=False, sort=False
                         ).agg({"base": "sum", "run": total})


def _commodity_order(links: pd.DataFrame, featured: list[str]) -> list[str]:
    totals = links.groupby("commodity", sort=False)["base"].sum()
    rest = [str(c) for c in totals.sort_values(ascending=False).index if c not in featured]
    return [c for c in featured if c in totals.index] + rest


def sankey_section(net: SupplyNetwork | None, note: str, ds: xr.Dataset | None = None,
                   featured: list[str] | None = None) -> Section:
    """One Sankey per commodity (picked with the commodity picker): this run's flows against base.

    Each link's width is the run's mean flow; where the run moved less than the base flow, the
    difference is drawn in red beside it, so the base width is run + red. Without run flows
    (a run that stores no per-route exports) the base flows are drawn.
    """
    section = Section("sankey", "Flows by commodity: this run against base", picker="commodity")
    if net is None:
        section.note = note or NOT_AVAILABLE
        return section
    links = flow_links(net, ds)
    links = links[(links["base"] > 0) | (links["run"].fillna(0) > 0)]
    has_run = bool(links["run"].notna().any())
    order = _commodity_order(links, list(featured or []))
    section.featured = [c for c in (featured or []) if c in order]
    for commodity in order:
        part = links[links["commodity"] == commodity].reset_index(drop=True)
        unit = str(part["unit"].iloc[0])
        figure = sankey_figure(part, f"{commodity}: flows, {unit}", has_run)
        base, run = float(part["base"].sum()), float(part["run"].sum(min_count=1))
        if has_run:
            change = (run / base - 1) if base > 0 else np.nan
            alt = (f"Sankey of {commodity} flows between stages and regions: {run:,.0f} {unit} in "
                   f"this run against {base:,.0f} at base ({change:+.0%}); red: base flow not "
                   "shipped in this run.")
        else:
            alt = f"Sankey of the base {commodity} flows between stages and regions: {base:,.0f} {unit}."
        table = part[["source", "target", "base", "run"]].copy()
        table["run / base − 1"] = np.where(table["base"] > 0, table["run"] / table["base"] - 1,
                                           np.nan)
        section.add(figure, alt, table.rename(columns={"base": f"base ({unit})",
                                                       "run": f"run ({unit})"}), group=commodity)
    section.note = (note + "; " if note else "") + (
        "width: this run's mean flow, t/yr in the commodity's basis; red: base flow not shipped "
        "in this run (base width = run + red); green: more than base" if has_run else
        "base-year flows, t/yr in the commodity's basis (this run stores no per-route flows)")
    return section
