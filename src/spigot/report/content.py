"""What a run's report shows, top-down: headline, what stopped when, prices, exports, licences,
flows, chokepoints, the run's facts and its scenario.

The report renders whatever the run's Dataset has; variables are found by name (see
:mod:`spigot.report.variables` and docs/dashboard.md, "What the charts read"). A section whose
variables are missing says "not available in this run". Every figure comes with a text
alternative and a small data table (:class:`~spigot.report.model.Chart`). Commodity charts put
the commodities the run's policies control first (``featured``) and the rest behind a commodity
picker (``picker = "commodity"``), ordered by how much they moved.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from spigot.network import SupplyNetwork
from spigot.report.criticality import criticality_section
from spigot.report.figures import fan_figure, licence_figure, timeline_figure
from spigot.report.flows import chokepoint_section, network_for, sankey_section
from spigot.report.model import NOT_AVAILABLE, Chart, ReportContent, Section
from spigot.report.variables import (
    BAND,
    _covers_band,
    band,
    controlled_commodities,
    cross_border_by_commodity,
    pick,
    stoppage_table,
    unit_of,
)
from spigot.results import Results
from spigot.results.metrics import draw_quantiles
from spigot.store import StoredRun

__all__ = ["BAND", "NOT_AVAILABLE", "Chart", "ReportContent", "Section", "band", "build_content",
           "controlled_commodities", "cross_border_by_commodity", "network_for", "pick",
           "rate_unit", "stoppage_table"]

logger = logging.getLogger(__name__)

_DRAW, _SAMPLE, _QUANTILE, _TIME = "draw", "sample", "quantile", "time"
_unit = unit_of


def rate_unit(unit: str, ds: xr.Dataset) -> str:
    """``t/step`` (the engine's per-step unit) as ``t/week``, or per N weeks for longer steps."""
    if not unit.endswith("/step"):
        return unit
    step = float(ds.attrs.get("step_weeks", 1) or 1)
    per = "week" if step == 1 else "month" if abs(step - 52 / 12) < 0.05 else f"{step:g} weeks"
    return unit[: -len("/step")] + "/" + per


def _fmt(value: float, unit: str = "") -> str:
    if not np.isfinite(value):
        return "n/a"
    if abs(value) < 1e-9:
        value = 0.0
    size = abs(value)
    text = (f"{value / 1e9:,.3g} bn" if size >= 1e9 else f"{value / 1e6:,.3g} M" if size >= 1e6
            else f"{value:,.0f}" if size >= 1000 else f"{value:,.3g}")
    return f"{text} {unit}".strip()


# --------------------------------------------------------------------- headline

def _headline_text(stored: StoredRun, table: pd.DataFrame, controlled: Sequence[str]) -> str:
    """One paragraph: horizon and draws, how much stops and when, lost output, controls."""
    ds = stored.dataset
    weeks = stored.manifest.get("weeks") or ds.sizes.get(_TIME)
    draws = stored.info.draws or ds.sizes.get(_DRAW)
    parts = [f"{draws} draws over {weeks} weeks" if draws and weeks else "This run"]
    found = stoppage_table(ds)
    if found is not None:
        stops, unit, _ = found
        stopping = stops[stops["probability"] > 0].sort_values(["p50", "probability"],
                                                               ascending=[True, False])
        parts.append(f"{len(stopping)} of {len(stops)} region · sectors stop in at least one draw")
        if len(stopping):
            first = stopping.iloc[0]
            parts.append(f"the first to stop is {first['label']} (median {unit} "
                         f"{first['p50']:.0f}, in {first['probability']:.0%} of draws)")
    lost = table[table["variable"].str.contains("lost", na=False) & (table["unit"] == "USD")]
    if len(lost):
        row = lost.iloc[0]
        parts.append(f"lost output USD {_fmt(float(row['mean']))} on average (P5 "
                     f"{_fmt(float(row['P5']))}, P95 {_fmt(float(row['P95']))})")
    if controlled:
        parts.append("controlled: " + ", ".join(controlled))
    return "; ".join(parts) + "."


def _headline_section(stored: StoredRun, controlled: Sequence[str]) -> Section:
    table = _headline_table(stored.dataset)
    section = Section("headline", "Headline", table=table)
    section.lead = _headline_text(stored, table, controlled)
    if not len(table):
        section.note = NOT_AVAILABLE
    return section


# --------------------------------------------------------------------- stoppage
def _stoppage_section(ds: xr.Dataset) -> Section:
    section = Section("stoppage", "What stopped when")
    found = stoppage_table(ds)
    if found is None:
        section.note = NOT_AVAILABLE
        return section
    table, unit, name = found
    stoppers = table[table["p50"].notna()].sort_values(["p50", "probability"],
                                                       ascending=[True, False])
    if len(stoppers):
        end = float(ds.sizes.get(_TIME, 0)) * float(ds.attrs.get("step_weeks", 1) or 1)
        figure = timeline_figure(stoppers, f"{unit}s from the start",
                                 "First stoppage: P5-P95 over the draws that stop, P50 marked")
        if end > 0 and unit == "week":
            figure.update_xaxes(range=[0, end])
        first = stoppers.iloc[0]
        alt = (f"Timeline of first stoppages: {len(stoppers)} region · sectors stop; the first, "
               f"{first['label']}, at {unit} {first['p50']:.0f} (P50) in "
               f"{first['probability']:.0%} of draws.")
        data = stoppers.rename(columns={"label": "region · sector", "probability": "P(stop)"})
        section.add(figure, alt, data.head(40).reset_index(drop=True))
    if not len(stoppers):
        section.note = (f"{name}: none of the {len(table)} region · sector pairs stops in any "
                        "draw")
        return section
    section.table = stoppers.rename(columns={"label": "region · sector", "probability": "P(stop)",
                                          "p5": f"P5 ({unit})", "p50": f"P50 ({unit})",
                                          "p95": f"P95 ({unit})"}).reset_index(drop=True)
    section.note = (f"{name}: {len(stoppers)} of {len(table)} region · sector pairs stop in at "
                    "least one draw (the others are not listed); times counted from the start of "
                    "the run; P5-P95 over the draws that stop")
    return section


def _reactions_section(ds: xr.Dataset) -> Section:
    """When each reaction's trigger fired and its action applied (issue 20, item 3)."""
    section = Section("reactions", "Reactions")
    table = Results(ds, {}).metrics.reactions()
    if not len(table):
        section.note = "no reactions in this scenario"
        return section
    rows = table.assign(label=table["reaction"] + ": " + table["trigger"] + " -> "
                        + table["action"], probability=table["share_applied"],
                        p5=table["applied_week_p5"], p50=table["applied_week_p50"],
                        p95=table["applied_week_p95"])
    applied = rows[rows["p50"].notna()].sort_values("p50")
    if len(applied):
        figure = timeline_figure(applied, "weeks from the start",
                                 "Reactions applied: P5-P95 over the draws where they apply, "
                                 "P50 marked")
        first = applied.iloc[0]
        alt = (f"Timeline of reactions: {len(applied)} of {len(rows)} apply within the horizon; "
               f"the first, {first['reaction']}, at week {first['p50']:.0f} (P50) in "
               f"{first['probability']:.0%} of draws.")
        section.add(figure, alt, applied[["label", "probability", "p5", "p50", "p95"]]
                    .reset_index(drop=True))
    keep = ["reaction", "measure", "trigger", "action", "share_fired", "fired_date",
            "share_applied", "applied_date"]
    section.table = table[[c for c in keep if c in table.columns]]
    section.note = ("share of draws in which each trigger fired and each action applied within "
                    "the horizon; dates are the P50 weeks over those draws (docs/scenarios.md, "
                    "Reactions)")
    return section


# --------------------------------------------------------------------- prices and exports
def _moved(values: xr.DataArray, per: str) -> dict[str, float]:
    """How far each ``per`` label's P50 strays from its first value (log ratio, max over time)."""
    mid = values.sel({_QUANTILE: BAND[1]})
    first = mid.isel({_TIME: 0})
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio: xr.DataArray = abs(xr.apply_ufunc(np.log, mid / first))
    ratio = ratio.where(np.isfinite(ratio), 0.0)
    other = [d for d in ratio.dims if d != per]
    out = ratio.max(other) if other else ratio
    return {str(k): float(v) if np.isfinite(v) else 0.0
            for k, v in zip(out[per].values, out.values, strict=True)}


def _order(labels: Sequence[str], featured: Sequence[str], moved: dict[str, float]
           ) -> tuple[list[str], list[str]]:
    first = [c for c in featured if c in labels]
    rest = sorted((c for c in labels if c not in first), key=lambda c: -moved.get(c, 0.0))
    return first, rest


def _prices_section(ds: xr.Dataset, controlled: Sequence[str]) -> Section:
    section = Section("prices", "Prices", picker="commodity")
    name = pick(ds, ("price", "prices"), [_TIME, "zone"])
    if name is None:
        section.note = NOT_AVAILABLE
        return section
    da = ds[name]
    unit = _unit(da) or "USD/t"
    if "commodity" not in da.dims:
        values, note = band(da, (_TIME, "zone"))
        section.add(fan_figure(values, "Price by market zone", unit, "zone"),
                    "Price fan by market zone (P5-P95 band, P50 line).")
        section.note = f"{name}: {note}"
        return section
    values, note = band(da, (_TIME, "zone", "commodity"))
    labels = [str(c) for c in values["commodity"].values]
    first, rest = _order(labels, controlled, _moved(values, "commodity"))
    section.featured = first
    base = ds["base_price"] if "base_price" in ds.data_vars else None
    for commodity in [*first, *rest]:
        part = values.sel(commodity=commodity).transpose(_QUANTILE, _TIME, "zone")
        figure = fan_figure(part, f"{commodity}: price by market zone", unit, "zone")
        rows = []
        for zone in part["zone"].values:
            end = part.sel(zone=zone).isel({_TIME: -1}).values.astype(float)
            mid = part.sel(zone=zone, quantile=BAND[1]).values.astype(float)
            row = {"zone": str(zone), "P5 end": end[0], "P50 end": end[1], "P95 end": end[2],
                   "P50 peak": float(np.nanmax(mid)) if np.isfinite(mid).any() else np.nan}
            if base is not None and {"zone", "commodity"} <= set(map(str, base.dims)):
                b = float(base.sel(zone=zone, commodity=commodity).values)
                row["base"] = b
                row["P50 end / base"] = end[1] / b if b > 0 else np.nan
            rows.append(row)
        table = pd.DataFrame(rows)
        alt = f"Price fan of {commodity} ({unit}) per market zone; P50 at the end: " + "; ".join(
            f"{r['zone']} {_fmt(r['P50 end'], unit)}"
            + (f" ({r['P50 end / base']:.2f} × base)" if np.isfinite(r.get("P50 end / base",
                                                                            np.nan)) else "")
            for r in rows) + "."
        section.add(figure, alt, table, group=commodity)
    controlled_note = (f"the controlled commodities ({', '.join(first)}) first, the others by the "
                       "picker, largest moves first" if first else
                       "pick a commodity; largest moves first")
    section.note = f"{name}: P5-P95 band and P50 line, {note}; {unit}; {controlled_note}"
    return section


def _exports_section(ds: xr.Dataset, controlled: Sequence[str]) -> Section:
    section = Section("exports", "Cross-border exports", picker="commodity")
    name = pick(ds, ("exports", "export"), [_TIME])
    if name is None:
        section.note = NOT_AVAILABLE
        return section
    da = cross_border_by_commodity(ds[name])
    unit = rate_unit(_unit(da) or _unit(ds[name]), ds)
    if "commodity" not in da.dims:
        values, note = band(da, (_TIME,))
        section.add(fan_figure(values, "Cross-border exports", unit), "Fan of exports.")
        section.note = f"{name}: {note}"
        return section
    values, note = band(da, (_TIME, "commodity"))
    labels = [str(c) for c in values["commodity"].values]
    first, rest = _order(labels, controlled, _moved(values, "commodity"))
    section.featured = first
    for commodity in [*first, *rest]:
        part = values.sel(commodity=commodity)
        mid = part.sel({_QUANTILE: BAND[1]}).values.astype(float)
        if not np.isfinite(mid).any():
            continue
        figure = fan_figure(part, f"{commodity}: cross-border exports", unit)
        start, low = float(mid[0]), float(np.nanmin(mid))
        table = pd.DataFrame([{"P50 first week": start, "P50 lowest": low,
                               "P50 last week": float(mid[-1]),
                               "P50 total over the horizon": float(np.nansum(mid))}])
        alt = (f"Fan of {commodity} cross-border exports ({unit}): P50 {_fmt(start)} in the first "
               f"week, lowest {_fmt(low)}, last {_fmt(float(mid[-1]))}.")
        section.add(figure, alt, table, group=commodity)
    section.note = (f"{name}: P5-P95 band and P50 line, {note}; {unit}, summed over cross-border "
                    "routes; one chart per commodity (each on its own scale)")
    return section


# --------------------------------------------------------------------- licences
_LICENCE_KINDS = {"queue": "queued (waiting for review)", "pipeline": "under review",
                  "applications": "applied for", "approved": "approved", "denied": "denied"}


def _licence_mean(ds: xr.Dataset, kind: str) -> tuple[xr.DataArray | None, str]:
    """The weekly mean over draws of ``licence_<kind>`` (per licensed route), and its variable."""
    for word in ("licence", "license"):
        name = pick(ds, [f"{word}_{kind}"], [_TIME])
        if name is None:
            continue
        mean = f"mean_{word}_{kind}"
        da = ds[mean] if mean in ds.data_vars else ds[name]
        for dim in (_DRAW, _SAMPLE):
            if dim in da.dims:
                da = da.mean(dim)
        if _QUANTILE in da.dims:
            levels = np.asarray(da[_QUANTILE].values, dtype=float)
            da = da.isel({_QUANTILE: int(np.argmin(np.abs(levels - 0.5)))})
        return da, str(da.name or name)
    return None, ""


def _licence_section(ds: xr.Dataset) -> Section:
    section = Section("licences", "Licence pipeline")
    found = {k: _licence_mean(ds, k) for k in _LICENCE_KINDS}
    found = {k: v for k, v in found.items() if v[0] is not None}
    if not found:
        section.note = NOT_AVAILABLE
        return section
    empty = [d for k, (da, _) in found.items() for d in da.dims  # type: ignore[union-attr]
             if d != _TIME and da.sizes[d] == 0]  # type: ignore[union-attr]
    if empty:
        section.note = "no licensed routes in this run (no licence policy)"
        return section
    totals: dict[str, xr.DataArray] = {}
    for kind, (da, _) in found.items():
        assert da is not None
        other = [d for d in da.dims if d != _TIME]
        totals[kind] = da.sum(other) if other else da
    units = {k: rate_unit(_unit(found[k][0]), ds) for k in found}  # type: ignore[arg-type]
    figure = licence_figure(totals, _LICENCE_KINDS, units)
    stock = [k for k in ("queue", "pipeline") if k in totals]
    held = sum(float(totals[k].mean()) for k in stock)
    peak = float(np.nanmax(np.sum([totals[k].values for k in stock], axis=0))) if stock else np.nan
    alt = (f"Licence pipeline over time, summed over licensed routes: on average {_fmt(held)} "
           f"{units.get('pipeline', 't')} queued or under review (peak {_fmt(peak)})")
    if "approved" in totals:
        alt += f"; {_fmt(float(totals['approved'].sum()))} t approved over the horizon"
    alt += "."
    data = pd.DataFrame({_LICENCE_KINDS[k]: [float(totals[k].mean()), float(totals[k].max())]
                         for k in totals}, index=["weekly mean", "peak"]).T.reset_index(
        names="quantity")
    data.insert(1, "unit", [units[k] for k in totals])
    section.add(figure, alt, data)
    section.table = _licence_by_commodity(ds, found)
    names = ", ".join(v[1] for v in found.values())
    section.note = (f"means over draws ({names}), summed over licensed routes; 'queued' waits "
                    "for a review slot, 'under review' is being processed; table: per commodity")
    return section


def _licence_by_commodity(ds: xr.Dataset, found: dict[str, tuple[xr.DataArray | None, str]]
                          ) -> pd.DataFrame | None:
    first = next(iter(found.values()))[0]
    assert first is not None
    dim = next((str(d) for d in first.dims if d != _TIME), None)
    if dim is None or f"{dim.split('_')[0]}_commodity" not in ds.coords:
        return None
    key = f"{dim.split('_')[0]}_commodity"
    rows: dict[str, dict[str, float]] = {}
    for kind, (da, _) in found.items():
        assert da is not None
        grouped = da.groupby(ds[key]).sum(dim)
        for commodity in grouped[key].values:
            series = grouped.sel({key: commodity})
            value = float(series.mean() if kind in ("queue", "pipeline") else series.sum())
            label = (f"{_LICENCE_KINDS[kind]} (t, weekly mean)" if kind in ("queue", "pipeline")
                     else f"{_LICENCE_KINDS[kind]} (t, horizon total)")
            rows.setdefault(str(commodity), {})[label] = value
    return pd.DataFrame.from_dict(rows, orient="index").reset_index(names="commodity")


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
            p5, p50, p95 = draw_quantiles(finite)
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
    return Section("summary", "About this run", table=table)


def build_content(stored: StoredRun, network: SupplyNetwork | None = None,
                  network_note: str = "") -> ReportContent:
    """Every section of the report of ``stored``, top-down.

    Sections: ``headline``, ``stoppage`` (what stopped when), ``prices``, ``exports``,
    ``licences`` (the pipeline), ``reactions`` (when each trigger fired and its action
    applied), ``sankey`` (flows per commodity against base),
    ``chokepoints``, ``criticality`` (CRMA benchmarks and HHI of actual supply over the run),
    ``summary`` (the run's facts) and ``scenario``. A sweep entry gets
    :func:`spigot.report.sweep.build_sweep_content` instead, a strategy entry
    :func:`spigot.report.strategy.build_strategy_content`, a mitigate entry
    :func:`spigot.report.mitigate.build_mitigate_content`.

    Parameters
    ----------
    stored
        The run, read from the store.
    network
        The network it ran on; found with :func:`network_for` when ``None``.
    network_note
        A note to show with the flows (when ``network`` is given).
    """
    if stored.info.kind == "sweep":  # a sweep's points, not a run's variables
        from spigot.report.sweep import build_sweep_content

        return build_sweep_content(stored)
    if stored.info.kind == "strategy":  # a strategic search's surface and rounds
        from spigot.report.strategy import build_strategy_content

        return build_strategy_content(stored)
    if stored.info.kind == "mitigate":  # a frontier of portfolios, not a run's variables
        from spigot.report.mitigate import build_mitigate_content

        return build_mitigate_content(stored)
    if network is None:
        network, network_note = network_for(stored)
    ds = stored.dataset
    controlled = controlled_commodities(stored, network)
    sections = [
        _headline_section(stored, controlled),
        _stoppage_section(ds),
        _prices_section(ds, controlled),
        _exports_section(ds, controlled),
        _licence_section(ds),
        _reactions_section(ds),
        sankey_section(network, network_note, ds, controlled),
        chokepoint_section(network),
        criticality_section(stored, network, controlled),
        _summary_section(stored),
        Section("scenario", "Scenario", text=stored.scenario_text),
    ]
    title = f"spigot run {stored.run_id}" + (f": {stored.info.scenario}" if stored.info.scenario
                                             else "")
    return ReportContent(stored.run_id, title, sections, kind="run",
                         runs=[stored.info.to_dict()])
