"""Two stored runs compared: run A (the reference, usually the baseline) against run B.

Contract (used by ``spigot compare``, ``spigot run --against``, ``spigot report --against`` and
the dashboard's compare page; the names are stable):

- :func:`deltas` (from :mod:`spigot.report.deltas`): the numbers, B - A, per region x sector
  and per commodity x zone price, absolute and relative, with notes on what only one run has.
- :func:`find_reference` ``(store, scenario, manifest, exclude)``: the stored run of a scenario
  (the baseline) to compare a run with: same dataset and content hash, start, step and horizon.
- :func:`build_comparison` ``(a, b) -> ReportContent``: the same content type as
  :func:`~spigot.report.build_content`, so it renders through the same JSON and HTML. A comes
  first everywhere (its traces first and in blue, B's in orange and dashed). Sections, in order:

  ``runs``
      the two runs' facts side by side (table ``item, A, B``);
  ``headline``
      totals of both runs and their difference (table ``quantity, unit, A, B, B - A, B / A - 1``);
  ``stoppage``
      the first-stoppage timelines of A and B side by side (one figure, two panels sharing the
      rows and the x range), lost output B - A per region · sector (bars), and a table;
  ``prices``
      per commodity, A's and B's price fans (P5-P95 band, P50 line, both zones) overlaid on one
      pair of axes (so one y range); the commodities the runs' policies control first
      (``featured``), the others behind the commodity picker (``picker = "commodity"``);
  ``price_differences``
      per commodity, B - A of the P50 price per zone (USD/t) and B / A - 1 (%), over the weeks
      both runs cover;
  ``exports``
      per commodity, A's and B's cross-border exports overlaid (t/week);
  ``deltas``
      every row of :func:`deltas` (table), with its notes.

  A section whose variables neither run has says "not available in this run"; one that only one
  run has says which.

Every figure has a :class:`~spigot.report.content.Chart` beside it (``section.charts[i]``): an
``alt`` text for screen readers and a small data table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from spigot.report.content import (
    BAND,
    NOT_AVAILABLE,
    ReportContent,
    Section,
    band,
    controlled_commodities,
    cross_border_by_commodity,
    pick,
    rate_unit,
    stoppage_table,
)
from spigot.report.deltas import Deltas, deltas
from spigot.report.figures import (
    PALETTE,
    RUN_COLOURS,
    bar_difference_figure,
    difference_figure,
    overlay_figure,
    timeline_pair_figure,
)
from spigot.report.variables import unit_of
from spigot.store import RunStore, StoredRun

__all__ = ["build_comparison", "deltas", "find_reference"]

_TIME, _QUANTILE = "time", "quantile"
_DASH = ("solid", "dash")
_ZONE_DASH = {"china": "dot"}
_ZONE_COLOURS = (PALETTE[2], PALETTE[4])


def _names(a: StoredRun, b: StoredRun) -> tuple[str, str]:
    def name(run: StoredRun) -> str:
        return f"{run.info.scenario or run.run_id}"

    na, nb = name(a), name(b)
    if na == nb:
        na, nb = f"{na} ({a.run_id[-6:]})", f"{nb} ({b.run_id[-6:]})"
    return f"A: {na}", f"B: {nb}"


def _fmt(value: float, unit: str = "") -> str:
    if not np.isfinite(value):
        return "n/a"
    if abs(value) < 1e-9:
        value = 0.0
    text = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.3g}"
    return f"{text} {unit}".strip()


def _runs_section(a: StoredRun, b: StoredRun) -> Section:
    rows = []
    for item, get in (("run", lambda r: r.run_id), ("kind", lambda r: r.info.kind),
                      ("scenario", lambda r: r.info.scenario), ("dataset", lambda r: r.info.dataset),
                      ("draws", lambda r: r.info.draws), ("seed", lambda r: r.info.seed),
                      ("weeks", lambda r: r.manifest.get("weeks", r.dataset.sizes.get(_TIME))),
                      ("start", lambda r: r.manifest.get("start")),
                      ("created (UTC)", lambda r: r.info.created_at.strftime("%Y-%m-%d %H:%M"))):
        va, vb = get(a), get(b)
        rows.append({"item": item, "A": "" if va is None else str(va),
                     "B": "" if vb is None else str(vb)})
    section = Section("runs", "Runs compared", table=pd.DataFrame(rows))
    section.note = "A is the reference; every difference is B − A"
    return section


def _headline_section(a: StoredRun, b: StoredRun, found: Deltas) -> Section:
    rows = []
    for metric, label, unit in (("lost_output_usd_mean", "lost output, all sectors (mean)", "USD"),
                                ("lost_output_units_mean", "lost output, all sectors (mean)",
                                 "unit")):
        part = found.sector(metric)
        if len(part):
            va, vb = float(part["a"].sum(min_count=1)), float(part["b"].sum(min_count=1))
            rows.append((label, unit, va, vb))
    part = found.sector("stop_probability")
    if len(part):
        rows.append(("region · sectors that stop in some draw", "count",
                     float((part["a"] > 0).sum()), float((part["b"] > 0).sum())))
    share_a, share_b = _any_stop(a), _any_stop(b)
    if share_a is not None or share_b is not None:
        rows.append(("share of draws in which some sector stops", "1",
                     np.nan if share_a is None else share_a,
                     np.nan if share_b is None else share_b))
    table = pd.DataFrame(rows, columns=["quantity", "unit", "A", "B"])
    table["B − A"] = table["B"] - table["A"]
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = (table["B"] - table["A"]) / table["A"].abs()
    table["B / A − 1"] = rel.where(np.isfinite(rel))
    section = Section("headline", "Headline: B against A", table=table)
    if not rows:
        section.note = NOT_AVAILABLE
    return section


def _any_stop(run: StoredRun) -> float | None:
    found = stoppage_table(run.dataset)
    if found is None or "draw" not in run.dataset[found[2]].dims:
        return None
    stops = run.dataset[found[2]]
    stops = (stops.astype(float) if stops.dtype.kind != "M" else stops.notnull().astype(float))
    stops = stops.where(stops >= 0)
    return float(stops.notnull().any([d for d in stops.dims if d != "draw"]).mean())


def _stoppage_section(a: StoredRun, b: StoredRun, names: tuple[str, str],
                      found: Deltas) -> Section:
    section = Section("stoppage", "What stops when: A and B side by side")
    tables = [stoppage_table(r.dataset) for r in (a, b)]
    if all(t is None for t in tables):
        section.note = NOT_AVAILABLE
        return section
    empty = pd.DataFrame(columns=["label", "probability", "p5", "p50", "p95"])
    pairs = [(name, t[0] if t is not None else empty) for name, t in zip(names, tables, strict=True)]
    unit = next(t[1] for t in tables if t is not None)
    stopping = sorted({lab for _, t in pairs for lab in t.dropna(subset=["p50"])["label"]})
    if stopping:
        figure = timeline_pair_figure(pairs, f"{unit}s from the start",
                                      "First stoppage: A (left) and B (right), same scale")
        data = pd.DataFrame({"region · sector": stopping})
        for name, t in pairs:
            idx = t.set_index("label")
            data[f"{name} P(stop)"] = [idx["probability"].get(lab, np.nan) for lab in stopping]
            data[f"{name} P50 ({unit})"] = [idx["p50"].get(lab, np.nan) for lab in stopping]
        alt = (f"First-stoppage timelines of A and B side by side on one week scale: "
               f"{sum(data.iloc[:, 1] > 0)} region · sectors stop in A, "
               f"{sum(data.iloc[:, 3] > 0)} in B.")
        section.add(figure, alt, data)
    lost = found.sector("lost_output_usd_mean")
    if len(lost) and lost["diff"].abs().fillna(0).gt(0).any():
        top = lost.assign(size=lost["diff"].abs()).sort_values("size", ascending=False).head(15)
        labels = [f"{r} · {s}" for r, s in zip(top["region"], top["sector"], strict=True)]
        figure = bar_difference_figure(labels, top["diff"].fillna(0).tolist(),
                                       "Lost output, B − A (mean over draws)", "USD")
        worst = top.iloc[0]
        alt = (f"Lost output per region · sector, B minus A, the {len(top)} largest changes; "
               f"largest: {worst['region']} · {worst['sector']} "
               f"{_fmt(float(worst['diff']), 'USD')}.")
        section.add(figure, alt, top[["region", "sector", "a", "b", "diff", "rel_diff"]]
                    .rename(columns={"a": "A (USD)", "b": "B (USD)", "diff": "B − A (USD)",
                                     "rel_diff": "B / A − 1"}))
    wide = _sector_wide(found)
    section.table = wide
    section.note = ("times from the start of each run; P5-P95 over the draws that stop; "
                    "table: every region · sector that stops in A or B")
    return section


def _sector_wide(found: Deltas) -> pd.DataFrame:
    rows = found.rows[found.rows["group"] == "sector"]
    if not len(rows):
        return pd.DataFrame()
    wide = rows.pivot_table(index=["region", "sector"], columns="metric",
                            values=["a", "b"], sort=False, dropna=False)
    out = pd.DataFrame(index=wide.index)
    for metric, label in (("stop_probability", "P(stop)"), ("first_stop_week_p50", "P50 week"),
                          ("lost_output_usd_mean", "lost USD")):
        if ("a", metric) in wide.columns:
            out[f"A {label}"] = wide[("a", metric)]
            out[f"B {label}"] = wide[("b", metric)]
    if "lost USD" in " ".join(out.columns):
        out["lost USD B − A"] = out["B lost USD"] - out["A lost USD"]
    if "A P(stop)" in out.columns:
        out = out[(out["A P(stop)"].fillna(0) > 0) | (out["B P(stop)"].fillna(0) > 0)]
    if "lost USD B − A" in out.columns:
        out = out.reindex(out["lost USD B − A"].abs().sort_values(ascending=False).index)
    return out.reset_index()


def _price_bands(run: StoredRun) -> xr.DataArray | None:
    ds = run.dataset
    name = pick(ds, ("price", "prices"), [_TIME, "zone"])
    if name is None or "commodity" not in ds[name].dims:
        return None
    values, _ = band(ds[name], (_TIME, "zone", "commodity"))
    return values


def _commodity_order(a: StoredRun, b: StoredRun, labels: Sequence[str],
                     moved: dict[str, float]) -> tuple[list[str], list[str]]:
    featured = [c for c in dict.fromkeys([*controlled_commodities(a), *controlled_commodities(b)])
                if c in labels]
    rest = sorted((c for c in labels if c not in featured), key=lambda c: -moved.get(c, 0.0))
    return featured, rest


def _prices_sections(a: StoredRun, b: StoredRun, names: tuple[str, str],
                     found: Deltas) -> tuple[Section, Section]:
    section = Section("prices", "Prices: A and B overlaid", picker="commodity")
    diffs = Section("price_differences", "Price differences: B − A", picker="commodity")
    bands = [_price_bands(a), _price_bands(b)]
    if all(v is None for v in bands):
        section.note = diffs.note = NOT_AVAILABLE
        return section, diffs
    labels = list(dict.fromkeys(str(c) for v in bands if v is not None
                                for c in v["commodity"].values))
    ends = found.price("price_p50_end")
    moved = {str(c): float(np.nanmax(np.abs(g["rel_diff"].to_numpy(dtype=float)), initial=0.0))
             for c, g in ends.groupby("commodity")}
    featured, rest = _commodity_order(a, b, labels, moved)
    section.featured = diffs.featured = featured
    unit = next(str(v.attrs.get("units", "USD/t")) for v in bands if v is not None) or "USD/t"
    for commodity in [*featured, *rest]:
        traces = []
        for k, (name, values) in enumerate(zip(names, bands, strict=True)):
            if values is None or commodity not in values["commodity"].values:
                continue
            for zone in values["zone"].values:
                part = values.sel(commodity=commodity, zone=zone)
                dash = _ZONE_DASH.get(str(zone), _DASH[k])
                traces.append((f"{name} · {zone}", part, RUN_COLOURS[k], dash))
        if not traces:
            continue
        mids = np.concatenate([t[1].sel({_QUANTILE: BAND[1]}).values for t in traces])
        positive = mids[np.isfinite(mids)]
        log_y = bool(positive.size and positive.min() > 0 and positive.max() / positive.min() > 20)
        figure = overlay_figure(traces, f"{commodity}: price, A and B", unit, log_y=log_y)
        rows = ends[ends["commodity"] == commodity][["zone", "a", "b", "diff", "rel_diff"]]
        alt = f"Price fans of {commodity} for A and B on one axis; P50 at the end: " + "; ".join(
            f"{z} A {_fmt(float(x), unit)}, B {_fmt(float(y), unit)}"
            for z, x, y in zip(rows["zone"], rows["a"], rows["b"], strict=True))
        section.add(figure, alt, rows.rename(columns={"a": f"A P50 end ({unit})",
                                                      "b": f"B P50 end ({unit})",
                                                      "diff": "B − A", "rel_diff": "B / A − 1"}),
                    group=commodity)
        _add_difference(diffs, bands, commodity, unit)
    section.note = ("P5-P95 band and P50 line per run and zone (China dotted); the same axes for "
                    "A and B; log scale where prices span more than 20x")
    if any(v is None for v in bands):
        side = "A" if bands[0] is None else "B"
        section.note += f"; run {side} has no prices (no market phase)"
        diffs.note = f"run {side} has no prices: no differences"
    elif not diffs.figures:
        diffs.note = "the runs share no weeks: no differences over time"
    else:
        diffs.note = ("P50 of B minus P50 of A per zone, over the weeks both runs cover; below: "
                      "B / A − 1 in %")
    return section, diffs


def _add_difference(diffs: Section, bands: Sequence[xr.DataArray | None], commodity: str,
                    unit: str) -> None:
    va, vb = bands
    if va is None or vb is None or commodity not in va["commodity"].values \
            or commodity not in vb["commodity"].values:
        return
    ma = va.sel({_QUANTILE: BAND[1], "commodity": commodity})
    mb = vb.sel({_QUANTILE: BAND[1], "commodity": commodity})
    ma, mb = xr.align(ma, mb, join="inner")
    if not ma.sizes.get(_TIME):
        return
    absolute, relative = [], []
    rows: list[dict[str, float | str]] = []
    for k, zone in enumerate(ma["zone"].values):
        da, db = ma.sel(zone=zone), mb.sel(zone=zone)
        diff = db - da
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = (db - da) / abs(da)
        colour = _ZONE_COLOURS[k % len(_ZONE_COLOURS)]  # not A's and B's colours
        absolute.append((str(zone), diff, colour))
        relative.append((str(zone), rel.where(np.isfinite(rel)), colour))
        end_rel = float(rel.values[-1]) if np.isfinite(rel.values[-1]) else np.nan
        rows.append({"zone": str(zone), "B − A at the end": float(diff.values[-1]),
                     "B / A − 1 at the end": end_rel,
                     "largest |B − A|": float(np.nanmax(np.abs(diff.values)))})
    figure = difference_figure(absolute, f"{commodity}: price B − A (P50)", unit, relative)
    table = pd.DataFrame(rows)
    alt = f"Difference of the median {commodity} price, B minus A, per zone: " + "; ".join(
        f"{r['zone']} {_fmt(float(r['B − A at the end']), unit)} at the end "
        f"({_fmt(100 * float(r['B / A − 1 at the end']))} %)" for r in rows)
    diffs.add(figure, alt, table, group=commodity)


def _exports_section(a: StoredRun, b: StoredRun, names: tuple[str, str]) -> Section:
    section = Section("exports", "Cross-border exports: A and B overlaid", picker="commodity")
    bands: list[xr.DataArray | None] = []
    notes = []
    units = []
    for run in (a, b):
        name = pick(run.dataset, ("exports", "export"), [_TIME])
        if name is None:
            bands.append(None)
            continue
        da = cross_border_by_commodity(run.dataset[name])
        units.append(rate_unit(unit_of(run.dataset[name]), run.dataset))
        keep = [_TIME] + (["commodity"] if "commodity" in da.dims else [])
        values, note = band(da, keep)
        bands.append(values)
        notes.append(note)
    if all(v is None for v in bands):
        section.note = NOT_AVAILABLE
        return section
    labels = list(dict.fromkeys(str(c) for v in bands if v is not None and "commodity" in v.dims
                                for c in v["commodity"].values))
    featured, rest = _commodity_order(a, b, labels, {})
    section.featured = featured
    for commodity in [*featured, *rest]:
        traces = [(name, v.sel(commodity=commodity), RUN_COLOURS[k], _DASH[k])
                  for k, (name, v) in enumerate(zip(names, bands, strict=True))
                  if v is not None and commodity in v["commodity"].values]
        if not traces:
            continue
        unit = units[0] if len(set(units)) == 1 else " or ".join(dict.fromkeys(units))
        figure = overlay_figure(traces, f"{commodity}: cross-border exports, A and B", unit)
        table = pd.DataFrame({t[0] + " total P50 (t)": [float(np.nansum(
            t[1].sel({_QUANTILE: BAND[1]}).values))] for t in traces})
        alt = (f"Cross-border exports of {commodity}, A and B overlaid; horizon total of the "
               "weekly P50: " + "; ".join(f"{t[0]} {_fmt(float(table[c].iloc[0]), 't')}"
                                            for t, c in zip(traces, table.columns, strict=True)))
        section.add(figure, alt, table, group=commodity)
    shown = " or ".join(dict.fromkeys(units))
    section.note = (f"P5-P95 band and P50 line, {shown}; A: " + (notes[0] if notes else "")
                    + ("; B: " + notes[1] if len(notes) > 1 else ""))
    return section


def _deltas_section(found: Deltas) -> Section:
    section = Section("deltas", "Every difference (B − A)", table=found.rows.copy())
    section.note = "; ".join(found.notes) if found.notes else (
        "relative difference = (B − A) / |A|; status says whether a row is in both runs")
    return section


def find_reference(store: RunStore, scenario: str, manifest: dict[str, Any],
                   exclude: str | None = None) -> str | None:
    """The newest stored run of ``scenario`` comparable with a run of ``manifest``, or ``None``.

    What ``spigot run S --against baseline`` compares with, and what a "compare with baseline"
    button can look up: ``find_reference(store, "baseline", stored.manifest, stored.run_id)``.

    Comparable: the same dataset (name and content hash), start date, step, horizon and growth
    (``growth`` of the scenario: runs with and without scheduled projects differ). Among
    those, one with the same draws and seed is preferred. ``exclude`` (the run being compared)
    is never chosen.
    """
    keys = ("dataset", "dataset_hash", "start", "step_weeks", "weeks", "growth")
    matches = []
    for info in store.list(kind="run"):
        if info.scenario != scenario or info.run_id == exclude:
            continue
        stored = store.get(info.run_id, variables=[])
        if all(stored.manifest.get(k) == manifest.get(k) for k in keys):
            matches.append(stored)
    same = [s for s in matches if s.manifest.get("draws") == manifest.get("draws")
            and s.manifest.get("seed") == manifest.get("seed")]
    chosen = same or matches
    return chosen[0].run_id if chosen else None


def build_comparison(a: StoredRun, b: StoredRun) -> ReportContent:
    """The comparison of run ``b`` against run ``a`` as report content (A first).

    Parameters
    ----------
    a
        The reference run (the baseline), read from the store.
    b
        The run compared with it.

    Returns
    -------
    ReportContent
        ``run_id`` ``"<a>..<b>"``, ``kind`` ``"compare"``, ``runs`` ``[a, b]`` catalog rows, and
        the sections listed in this module's docstring. Never raises for variables only one run
        has; sections and notes say what is missing.
    """
    names = _names(a, b)
    found = deltas(a, b)
    prices, differences = _prices_sections(a, b, names, found)
    sections = [_runs_section(a, b), _headline_section(a, b, found),
                _stoppage_section(a, b, names, found), prices, differences,
                _exports_section(a, b, names), _deltas_section(found)]
    title = f"spigot compare: {names[1][3:]} against {names[0][3:]}"
    return ReportContent(f"{a.run_id}..{b.run_id}", title, sections, kind="compare",
                         runs=[a.info.to_dict(), b.info.to_dict()])
