"""What a run's report shows: sections with figures, tables and notes, built from a stored run.

The report renders whatever the run's Dataset has. Variables are found by name: ``X`` matches
``X``, ``X_*`` and ``*_X`` (so ``mean_exports`` and ``traj_exports`` are exports); see
docs/dashboard.md, "What the charts read":

- prices: ``price``/``prices`` with ``time`` and ``zone`` dimensions;
- exports: ``exports``/``export`` with a ``time`` dimension; per-route exports are summed by
  ``route_commodity`` over cross-border routes (``route_exporter`` != ``route_destination``);
- first stoppage: any variable whose name contains ``first_stop``; never-stopped draws are NaN
  or negative; the stop probability from ``stop_probability`` when there is no ``draw`` dimension;
- licence queue: variables whose names contain ``licence`` or ``license`` and have ``time``;
- headline numbers: variables without a ``time`` dimension whose only dimensions are ``draw`` or
  ``quantile``, and per-draw variables whose names contain ``lost`` or ``shortfall`` (summed
  over their other dimensions).

A variable may come as precomputed quantiles (dimension ``quantile``; preferred, they cover all
draws), per draw (``draw``), as the trajectories of a few kept draws (``sample``), or as a mean
over draws (none of these; drawn as a line without a band). A section whose variables are missing
says "not available in this run".
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import xarray as xr
import yaml

from spigot import datasets
from spigot.errors import SpigotError
from spigot.network import SupplyNetwork
from spigot.report.figures import fan_figure, sankey_figure, timeline_figure
from spigot.store import StoredRun

__all__ = ["BAND", "NOT_AVAILABLE", "Chart", "ReportContent", "Section", "band", "build_content",
           "controlled_commodities", "cross_border_by_commodity", "network_for", "pick",
           "stoppage_table"]

logger = logging.getLogger(__name__)

#: Quantiles of the fan charts' band and line.
BAND: tuple[float, float, float] = (0.05, 0.5, 0.95)
#: Note of a section whose variables the run does not have.
NOT_AVAILABLE = "not available in this run"
_DRAW, _SAMPLE, _QUANTILE, _TIME = "draw", "sample", "quantile", "time"
_SAMPLED = (_DRAW, _SAMPLE)


@dataclass
class Chart:
    """What a figure shows, in words and numbers: its text alternative and data-table fallback.

    Attributes
    ----------
    alt
        One or two sentences saying what the chart shows and its main numbers (the ARIA label).
    table
        The numbers behind the chart, small enough to read (shown in a ``<details>`` element).
    group
        The label the section's picker selects it by (a commodity), or ``None``: always shown.
    """

    alt: str
    table: pd.DataFrame | None = None
    group: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The chart's text as JSON values (``table``: ``{"columns", "rows"}`` or null)."""
        table = None if self.table is None else {
            "columns": [str(c) for c in self.table.columns], "rows": _records(self.table)}
        return {"alt": self.alt, "group": self.group, "table": table}


@dataclass
class Section:
    """One part of the report.

    ``figures`` and ``charts`` run in parallel: ``charts[i]`` is the text alternative, data
    table and picker group of ``figures[i]`` (add both with :meth:`add`). ``picker`` names what
    the section's figures are picked by (``"commodity"``) when only one group is shown at a time;
    ``featured`` lists the groups shown first (the commodities the run's policies control).
    """

    key: str
    title: str
    figures: list[go.Figure] = field(default_factory=list)
    table: pd.DataFrame | None = None
    note: str = ""
    text: str | None = None
    charts: list[Chart] = field(default_factory=list)
    picker: str | None = None
    featured: list[str] = field(default_factory=list)

    def add(self, figure: go.Figure, alt: str, table: pd.DataFrame | None = None,
            group: str | None = None) -> None:
        """Append a figure with its text alternative, data table and picker group."""
        self.figures.append(figure)
        self.charts.append(Chart(alt, table, group))

    def chart(self, i: int) -> Chart:
        """The text of figure ``i`` (its title when none was given)."""
        if i < len(self.charts):
            return self.charts[i]
        title = self.figures[i].layout.title.text or self.title
        return Chart(str(title))

    def to_json(self) -> dict[str, Any]:
        """The section as JSON values (figures as plotly JSON dicts, ``charts`` beside them)."""
        return {"key": self.key, "title": self.title, "note": self.note, "text": self.text,
                "figures": [f.to_plotly_json() for f in self.figures],
                "charts": [self.chart(i).to_json() for i in range(len(self.figures))],
                "picker": self.picker, "featured": list(self.featured),
                "table": None if self.table is None else _records(self.table)}


@dataclass
class ReportContent:
    """Every section of one run's report, or of a comparison of two runs.

    Attributes
    ----------
    run_id
        The run's id; ``"<A>..<B>"`` for a comparison.
    title
        The report's title.
    sections
        In reading order.
    kind
        ``"run"`` or ``"compare"``.
    runs
        Catalog rows (:meth:`RunInfo.to_dict`) of the run(s) shown: one, or A then B.
    """

    run_id: str
    title: str
    sections: list[Section]
    kind: str = "run"
    runs: list[dict[str, Any]] = field(default_factory=list)

    def section(self, key: str) -> Section:
        """The section called ``key``."""
        return next(s for s in self.sections if s.key == key)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON values."""
        return {"run_id": self.run_id, "title": self.title, "kind": self.kind,
                "runs": self.runs, "sections": [s.to_json() for s in self.sections]}


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in frame.to_dict(orient="records"):
        out.append({str(k): (None if isinstance(v, float) and not np.isfinite(v)
                             else v.item() if isinstance(v, np.generic) else v)
                    for k, v in row.items()})
    return out


# --------------------------------------------------------------------- variables and bands
def _matches(name: str, names: Sequence[str]) -> bool:
    return name in names or any(name.startswith(n + "_") or name.endswith("_" + n) for n in names)


def _candidates(ds: xr.Dataset, names: Sequence[str], needs: Iterable[str]) -> list[str]:
    need = set(needs)
    return [str(v) for v in ds.data_vars
            if _matches(str(v), names) and need <= set(map(str, ds[v].dims))
            and ds[v].dtype.kind in "fiub"]


def _covers_band(da: xr.DataArray) -> bool:
    levels = np.asarray(da[_QUANTILE].values, dtype=float)
    return all(np.isclose(levels, q, atol=0.011).any() for q in BAND)


def pick(ds: xr.Dataset, names: Sequence[str], needs: Iterable[str]) -> str | None:
    """The variable to chart among ``names``: precomputed quantiles first, then per-draw values,
    then kept trajectories, then means over draws."""
    found = _candidates(ds, names, needs)

    def rank(name: str) -> int:
        dims = ds[name].dims
        if _QUANTILE in dims:
            return 0 if _covers_band(ds[name]) else 9
        return 1 if _DRAW in dims else 2 if _SAMPLE in dims else 3

    ranked = sorted((rank(v), i, v) for i, v in enumerate(found))
    return ranked[0][2] if ranked and ranked[0][0] < 9 else None


def band(da: xr.DataArray, keep: Sequence[str] = (_TIME,)) -> tuple[xr.DataArray, str]:
    """P5, P50, P95 of ``da`` over draws (or its stored quantiles), other dims summed first.

    Returns
    -------
    (xarray.DataArray, str)
        Dims ``("quantile", *keep)`` with quantile = :data:`BAND`, and a note on what it covers.
    """
    extra = [str(d) for d in da.dims if d not in (*keep, *_SAMPLED, _QUANTILE)]
    sampled = next((d for d in _SAMPLED if d in da.dims), None)
    if sampled is not None:
        total = da.sum(extra, min_count=1) if extra else da
        result = total.quantile(list(BAND), dim=sampled)
        note = (f"quantiles over {da.sizes[sampled]} draws" if sampled == _DRAW else
                f"quantiles over the {da.sizes[sampled]} kept trajectories")
    elif _QUANTILE not in da.dims:
        total = da.sum(extra, min_count=1) if extra else da
        result = xr.concat([total] * len(BAND), dim=_QUANTILE).assign_coords(
            {_QUANTILE: list(BAND)})
        note = "mean over draws (this run stores no spread)"
    else:
        levels = np.asarray(da[_QUANTILE].values, dtype=float)
        picks = [int(np.argmin(np.abs(levels - q))) for q in BAND]
        result = da.isel({_QUANTILE: picks}).assign_coords({_QUANTILE: list(BAND)})
        note = "quantiles over all draws"
        if extra:
            result = result.sum(extra, min_count=1)
            note += f" (summed over {', '.join(extra)}: an approximation)"
    return result.transpose(_QUANTILE, *keep), note


def _unit(da: xr.DataArray) -> str:
    return str(da.attrs.get("units", da.attrs.get("unit", "")))


# --------------------------------------------------------------------- sections
def _fan_section(ds: xr.Dataset, key: str, title: str, names: Sequence[str], series: str | None,
                 per: str | None) -> Section:
    needs = [_TIME] + ([series] if series else [])
    name = pick(ds, names, needs)
    section = Section(key, title)
    if name is None:
        section.note = NOT_AVAILABLE
        return section
    da = cross_border_by_commodity(ds[name])
    if series is None:
        series = next((d for d in ("commodity", "zone", "region") if d in da.dims), None)
    keep = list(dict.fromkeys(d for d in (_TIME, series, per) if d is not None and d in da.dims))
    values, note = band(da, keep)
    unit = _unit(da)
    if per and per in values.dims:
        for label in values[per].values:
            part = values.sel({per: label})
            section.figures.append(fan_figure(part, f"{title}: {label}", unit, series))
    else:
        section.figures.append(fan_figure(values, title, unit, series))
    section.note = f"{name}: P5-P95 band and P50 line, {note}"
    return section


def cross_border_by_commodity(da: xr.DataArray) -> xr.DataArray:
    """Per-route values summed by the route's commodity, over cross-border routes only."""
    if "route" not in da.dims or "route_commodity" not in da.coords:
        return da
    if "route_exporter" in da.coords and "route_destination" in da.coords:
        crossing = (da["route_exporter"] != da["route_destination"]).values
        da = da.isel(route=np.flatnonzero(crossing))
    grouped = da.groupby("route_commodity").sum("route")
    return grouped.rename({"route_commodity": "commodity"})


def controlled_commodities(stored: StoredRun, network: SupplyNetwork | None = None) -> list[str]:
    """The commodities the run's policies name, in the order named (groups expanded).

    Read from the run's scenario text (``policies[].commodities``); a group name (such as
    ``rare_earths``) stands for the run's commodities of that group in ``network``. Only
    commodities the run's Dataset has are returned; an unreadable scenario gives ``[]``.
    """
    try:
        doc = yaml.safe_load(stored.scenario_text or "") or {}
    except yaml.YAMLError:
        return []
    policies = doc.get("policies") if isinstance(doc, dict) else None
    ds = stored.dataset
    known = [str(c) for c in ds["commodity"].values] if "commodity" in ds.coords else []
    groups: dict[str, list[str]] = {}
    if network is not None and "group" in network.commodities:
        for ident, group in zip(network.commodities["id"], network.commodities["group"],
                                strict=True):
            groups.setdefault(str(group), []).append(str(ident))
    out: list[str] = []
    for policy in policies if isinstance(policies, list) else []:
        names = policy.get("commodities", []) if isinstance(policy, dict) else []
        for name in names if isinstance(names, list) else [names]:
            for c in groups.get(str(name), [str(name)]) if str(name) not in known else [str(name)]:
                if c in known and c not in out:
                    out.append(c)
    return out


def stoppage_table(ds: xr.Dataset) -> tuple[pd.DataFrame, str, str] | None:
    """First stoppage per region · sector: stop probability and P5, P50, P95 of its time.

    Returns
    -------
    (pandas.DataFrame, str, str) or None
        Rows ``label, probability, p5, p50, p95`` (``p*`` NaN where no draw stops), the unit of
        the times, and the variable used; ``None`` if the run has no first-stoppage variable.
    """
    names = [str(v) for v in ds.data_vars if "first_stop" in str(v)]
    names = [n for n in names if _DRAW in ds[n].dims] + [n for n in names if _QUANTILE in ds[n].dims]
    if not names:
        return None
    name = names[0]
    da = ds[name].astype(float) if ds[name].dtype.kind != "M" else _weeks_since(ds, ds[name])
    unit = "week" if ds[name].dtype.kind == "M" else _unit(ds[name]) or "step"
    da = da.where(da >= 0)
    groups = [str(d) for d in da.dims if d not in (_DRAW, _QUANTILE)]
    stacked = da.stack(place=groups) if groups else da.expand_dims(place=[0])
    rows = []
    probability = _stop_probability(ds, groups)
    for i in range(stacked.sizes["place"]):
        cell = stacked.isel(place=i)
        label = _place_label(stacked, groups, i)
        if _DRAW in cell.dims:
            values = cell.values[np.isfinite(cell.values)]
            prob = values.size / cell.sizes[_DRAW]
            qs = np.quantile(values, BAND) if values.size else [np.nan] * 3
        else:
            levels = np.asarray(cell[_QUANTILE].values, dtype=float)
            qs = [float(cell.values[int(np.argmin(np.abs(levels - q)))]) for q in BAND]
            prob = probability.get(label, np.nan)
        rows.append({"label": label, "probability": float(prob), "p5": float(qs[0]),
                     "p50": float(qs[1]), "p95": float(qs[2])})
    return pd.DataFrame(rows), unit, name


def _weeks_since(ds: xr.Dataset, da: xr.DataArray) -> xr.DataArray:
    start = ds[_TIME].values[0] if _TIME in ds.coords else da.min().values
    return (da - start) / np.timedelta64(7, "D")


def _place_label(stacked: xr.DataArray, groups: Sequence[str], i: int) -> str:
    """``region · sector`` of cell ``i``, from the dims or from ``sector_region``/``sector_name``."""
    if not groups:
        return "all"
    parts = []
    for g in groups:
        value = str(stacked[g].values[i])
        if g == "sector" and "region" not in groups and "sector_region" in stacked.coords:
            name = (str(stacked["sector_name"].values[i]) if "sector_name" in stacked.coords
                    else value.split(".")[-1])
            value = f"{stacked['sector_region'].values[i]} · {name}"
        parts.append(value)
    return " · ".join(parts)


def _stop_probability(ds: xr.Dataset, groups: Sequence[str]) -> dict[str, float]:
    for name in ("stop_probability", "p_stop", "stoppage_probability"):
        if name in ds.data_vars and set(map(str, ds[name].dims)) == set(groups) and groups:
            stacked = ds[name].transpose(*groups).stack(place=list(groups))
            return {_place_label(stacked, groups, i): float(stacked.values[i])
                    for i in range(stacked.sizes["place"])}
    return {}


def _stoppage_section(ds: xr.Dataset) -> Section:
    section = Section("stoppage", "First stoppage by region and sector")
    found = stoppage_table(ds)
    if found is None:
        section.note = NOT_AVAILABLE
        return section
    table, unit, name = found
    stoppers = table[table["p50"].notna()].sort_values(["p50", "probability"],
                                                       ascending=[True, False])
    if len(stoppers):
        section.figures.append(timeline_figure(stoppers, f"{unit}s from the start"))
    shown = stoppers if len(stoppers) else table
    section.table = shown.rename(columns={"label": "region · sector", "probability": "P(stop)",
                                          "p5": f"P5 ({unit})", "p50": f"P50 ({unit})",
                                          "p95": f"P95 ({unit})"}).reset_index(drop=True)
    section.note = (f"{name}: {len(stoppers)} of {len(table)} region · sector pairs stop in at "
                    "least one draw (the others are not listed); times counted from the start of "
                    "the run; P5-P95 over the draws that stop")
    return section


def _licence_section(ds: xr.Dataset) -> Section:
    section = Section("licences", "Licence queue")
    kinds: dict[str, str] = {}
    for var in ds.data_vars:
        text = str(var)
        match = next((w for w in ("licence", "license") if w in text), None)
        if match is None or _TIME not in ds[var].dims or ds[var].dtype.kind not in "fiub":
            continue
        kind = match + text.split(match, 1)[1]  # licence_queue of mean_licence_queue
        best = pick(ds, [kind], [_TIME])
        if best is not None:
            kinds[kind] = best
    if not kinds:
        section.note = NOT_AVAILABLE
        return section
    rows = []
    for kind, name in kinds.items():
        values, note = band(ds[name], (_TIME,))
        mid = values.sel({_QUANTILE: BAND[1]}).values.astype(float)
        high = values.sel({_QUANTILE: BAND[2]}).values.astype(float)
        rows.append({"quantity": kind, "variable": name, "unit": _unit(ds[name]),
                     "mean P50": float(np.nanmean(mid)) if np.isfinite(mid).any() else np.nan,
                     "peak P50": float(np.nanmax(mid)) if np.isfinite(mid).any() else np.nan,
                     "peak P95": float(np.nanmax(high)) if np.isfinite(high).any() else np.nan,
                     "end P50": float(mid[-1]) if mid.size else np.nan})
        if "queue" in name and not section.figures:
            section.figures.append(fan_figure(values, f"Licence queue ({name})", _unit(ds[name])))
            section.note = f"summed over licensed routes; {note}"
    section.table = pd.DataFrame(rows)
    return section


def _headline_table(ds: xr.Dataset) -> pd.DataFrame:
    rows = []
    for var in ds.data_vars:
        da = ds[var]
        dims = set(map(str, da.dims))
        if da.dtype.kind not in "fiub":
            continue
        additive = _unit(da).split("/")[0].strip() in {"USD", "EUR", "t", "kt"}
        summed = any(w in str(var) for w in ("lost", "shortfall")) and _DRAW in dims and (
            additive or dims == {_DRAW})
        if _TIME in dims or not (dims <= {_DRAW, _QUANTILE} or summed):
            continue
        if _DRAW in dims:
            total = da.sum([d for d in da.dims if d != _DRAW], min_count=1).values.astype(float)
            finite = total[np.isfinite(total)]
            if not finite.size:
                continue
            p5, p50, p95 = np.quantile(finite, BAND)
            mean = float(finite.mean())
        elif _QUANTILE in dims:
            if not _covers_band(da):
                continue
            levels = np.asarray(da[_QUANTILE].values, dtype=float)
            p5, p50, p95 = (float(da.values[int(np.argmin(np.abs(levels - q)))]) for q in BAND)
            mean = np.nan
        else:
            p5 = p50 = p95 = mean = float(da.values)
        quantity = str(da.attrs.get("long_name") or da.attrs.get("description") or var)
        if summed and len(dims) > 1:
            quantity += " (sum over " + ", ".join(sorted(dims - {_DRAW})) + ")"
        rows.append({"quantity": quantity, "variable": str(var), "unit": _unit(da),
                     "mean": mean, "P5": p5, "P50": p50, "P95": p95})
    found = stoppage_table(ds)
    if found is not None and _DRAW in ds[found[2]].dims:
        stops = ds[found[2]].astype(float)
        stops = stops.where(stops >= 0)
        anywhere = stops.notnull().any([d for d in stops.dims if d != _DRAW]).values
        share = float(anywhere.mean())
        rows.append({"quantity": "share of draws in which some sector stops",
                     "variable": found[2], "unit": "1", "mean": share, "P5": np.nan,
                     "P50": np.nan, "P95": np.nan})
    return pd.DataFrame(rows, columns=["quantity", "variable", "unit", "mean", "P5", "P50", "P95"])


def _summary_section(stored: StoredRun) -> Section:
    info = stored.info
    facts = [("run", info.run_id), ("kind", info.kind), ("scenario", info.scenario),
             ("dataset", info.dataset), ("draws", info.draws), ("seed", info.seed),
             ("spigot version", info.spigot_version),
             ("created (UTC)", info.created_at.strftime("%Y-%m-%d %H:%M:%S")),
             ("run time (s)", None if info.run_seconds is None else round(info.run_seconds, 2)),
             ("dataset hash", (info.dataset_hash or "")[:16]),
             ("scenario hash", (info.scenario_hash or "")[:16])]
    table = pd.DataFrame([{"item": k, "value": "" if v is None else str(v)} for k, v in facts])
    return Section("summary", "Summary", table=table)


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


def _sankey_section(net: SupplyNetwork | None, note: str) -> Section:
    section = Section("sankey", "Base flows: mine → separation → metal → magnet → demand")
    if net is None:
        section.note = note or NOT_AVAILABLE
        return section
    section.figures.append(sankey_figure(net, f"Base-year flows of {net.name!r} by stage and region"))
    section.note = (note + "; " if note else "") + ("t/yr in each commodity's basis (REO, metal "
                                                   "or product); hover a link for its commodity")
    return section


_CHOKEPOINT_CACHE: dict[str, pd.DataFrame] = {}


def _chokepoints(net: SupplyNetwork) -> pd.DataFrame:
    """:func:`spigot.metrics.chokepoints` of ``net``, cached by content (networks are immutable)."""
    from spigot.metrics import chokepoints

    key = net.content_hash()
    if key not in _CHOKEPOINT_CACHE:
        if len(_CHOKEPOINT_CACHE) >= 4:
            _CHOKEPOINT_CACHE.pop(next(iter(_CHOKEPOINT_CACHE)))
        _CHOKEPOINT_CACHE[key] = chokepoints(net)
    return _CHOKEPOINT_CACHE[key].copy()


def _chokepoint_section(net: SupplyNetwork | None) -> Section:
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
                    "most concentrated stage of each chain (spigot.metrics.chokepoints)")
    return section


def build_content(stored: StoredRun, network: SupplyNetwork | None = None,
                  network_note: str = "") -> ReportContent:
    """Every section of the report of ``stored``.

    Parameters
    ----------
    stored
        The run, read from the store.
    network
        The network it ran on; found with :func:`network_for` when ``None``.
    network_note
        A note to show with the base flows (when ``network`` is given).
    """
    if network is None:
        network, network_note = network_for(stored)
    ds = stored.dataset
    summary = _summary_section(stored)
    headline = Section("headline", "Headline numbers", table=_headline_table(ds))
    if not len(headline.table):  # type: ignore[arg-type]
        headline.note = NOT_AVAILABLE
    scenario = Section("scenario", "Scenario", text=stored.scenario_text)
    sections = [
        summary, headline,
        _sankey_section(network, network_note),
        _chokepoint_section(network),
        _stoppage_section(ds),
        _fan_section(ds, "prices", "Prices by market zone", ("price", "prices"), "zone",
                     "commodity"),
        _fan_section(ds, "exports", "Exports", ("exports", "export"), None, None),
        _licence_section(ds),
        scenario,
    ]
    title = f"spigot run {stored.run_id}" + (f": {stored.info.scenario}" if stored.info.scenario
                                             else "")
    return ReportContent(stored.run_id, title, sections)
