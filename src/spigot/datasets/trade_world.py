"""Worlds from real trade data: ``spigot data import-baci --year Y [--hs-map FILE] DIR``.

:func:`import_baci` builds a complete world for a year of the bundled BACI extract:

1. **Template.** The bundled world ``base`` gives the commodities, regions, recipes, nodes,
   demand sectors, prices and stockpiles (its builder, ``tools/build_base_dataset.py``, is the
   only world builder; nothing here builds nodes or sectors of its own).
2. **Production of the year.** Every volume of a commodity group (node outputs, routes, bill of
   materials intensities) is multiplied by the group's World Mining Data world production of the
   year over that of the template's base year, so the world stays balanced; the ``production``
   table carries WMD's country figures of the year.
3. **Routes from trade.** For each commodity the HS map covers, each region's use is served
   first by its own producers; what crosses a border follows BACI's flows of the year between
   regions (tonnes of product times the map's factor = tonnes of the commodity's basis): each
   importer's imports are split by its BACI shares, and an exporter whose supply in the world
   differs from what those shares ask of it shifts every importer's share from it by the same
   percentage points (the least-squares fit; :func:`_fit`). Commodities without trade rows keep
   the template's routes.
4. **Report.** Re-exports (flows from a region that makes none of the commodity, or uses all it
   makes), trade partners BACI does not name as a country, importers and exporters the data have
   no flow for (and how they were filled), rows without a quantity, trade inside one region, codes
   of the extract the map leaves out, and each importer's shares against BACI's.

Design notes are in docs/design.md ("Worlds from trade data"), the mapping and factors in
docs/data.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from spigot import datasets
from spigot.datasets import baci
from spigot.datasets.trade_report import import_shares, records, report_markdown
from spigot.datasets.transit import transit
from spigot.errors import InputError, Problem
from spigot.network import SupplyNetwork

__all__ = ["BaciWorld", "import_baci", "import_shares"]

#: Groups without a production series of their own, scaled with another group's.
GROUP_PROXY: dict[str, str] = {"ndfeb_magnet": "rare_earths"}

#: Iterations and tolerance (relative, on the margins) of the RAS fit.
RAS_ITERATIONS = 1000
RAS_TOLERANCE = 1e-9

REPORT_FILE = "import_report.json"
REPORT_TEXT = "import_report.md"


@dataclass(frozen=True)
class BaciWorld:
    """A world imported from BACI trade of one year, with its import report.

    Attributes
    ----------
    network
        The world (validated, balanced within the schema's tolerance).
    report
        What the import did and could not do (see :func:`import_baci`); JSON-ready.
    meta
        The world's ``dataset.yaml`` (title, description, base year, sources).
    """

    network: SupplyNetwork
    report: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)

    def write(self, folder: str | Path, *, overwrite: bool = False) -> Path:
        """Write the world, ``dataset.yaml`` and the report (``import_report.json`` and ``.md``)
        into ``folder`` atomically: all of it appears at once, or nothing.

        Raises
        ------
        DataError
            If ``folder`` exists and is not empty, unless ``overwrite``.
        """
        import json

        extra = {"dataset.yaml": yaml.safe_dump(self.meta, sort_keys=False, allow_unicode=True),
                 REPORT_FILE: json.dumps(self.report, indent=2, ensure_ascii=False) + "\n",
                 REPORT_TEXT: report_markdown(self.report)}
        return self.network.to_folder(folder, overwrite=overwrite, extra_files=extra)


def import_baci(year: int, *, hs_map: str | Path | None = None, template: str = "base",
                trade: pd.DataFrame | None = None) -> BaciWorld:
    """Build a world whose cross-border routes are BACI's trade of ``year``.

    Parameters
    ----------
    year
        Trade and production year (:func:`spigot.datasets.baci.available_years`).
    hs_map
        HS map file (``hs6, commodity, factor, source[, note]``; factor in tonnes of the
        commodity's basis per tonne of product); ``None``: the bundled map.
    template
        Bundled world that gives everything but the year's volumes and routes.
    trade
        BACI rows to use instead of the bundled extract (columns ``t, i, j, k, v, q`` as CEPII
        ships them: year, exporter and importer codes, HS6, thousand USD, tonnes of product).

    Returns
    -------
    BaciWorld
        The world (volumes in t/yr of each commodity's basis) and its report.

    Raises
    ------
    InputError
        If the year has no trade or production data (naming the years that have).
    DataError
        If the HS map is malformed (naming file, line and field).
    """
    base = datasets.load(template)
    base_year = int(str(datasets.describe(template).get("base_year", 0)))
    baci.check_year(year)
    if base_year not in baci.available_years():
        raise InputError(Problem("template's base year has no production series", field="template",
                                 value=template, expected="a bundled world with a base year in "
                                 f"{baci.available_years()}", hint="use 'base'"))
    mapping = baci.read_hs_map(hs_map, base.commodities["id"])
    tables = {name: frame.copy() for name, frame in base.tables.items()}
    factors, production_report = _year_factors(base, year, base_year)
    _scale(tables, base, factors, year)
    report: dict[str, Any] = {"year": year, "template": template, "hs_map": mapping.origin,
                              "production": production_report}
    rows = None if trade is None else baci.normalise_trade(trade)
    flows = baci.trade_flows(year, mapping.rows["hs6"], base.regions, rows)
    report.update(_flow_checks(flows, mapping, year, base.regions, rows))
    tables["routes"], commodity_report, partners = _trade_routes(tables, base, flows, mapping,
                                                                 year)
    report["commodities"] = commodity_report
    report.update(partners)
    tables["production"] = _production(tables["production"], year)
    world = SupplyNetwork(tables, name=f"baci-{year}").validate()
    report["shares"] = records(import_shares(world, year, hs_map, flows=flows, mapping=mapping))
    meta = _meta(year, template, mapping.origin)
    return BaciWorld(world, report, meta)


# ----------------------------------------------------------------------------- the year's volumes
def _year_factors(base: SupplyNetwork, year: int,
                  base_year: int) -> tuple[dict[str, float], list[dict[str, Any]]]:
    now, then = baci.world_production(year), baci.world_production(base_year)
    out: dict[str, float] = {}
    rows = []
    for group in sorted(set(base.commodities["group"])):
        series = GROUP_PROXY.get(group, group)
        if series in now and then.get(series, 0.0) > 0:
            out[group] = now[series] / then[series]
            rows.append({"group": group, "series": series, "world_t": now[series],
                         "template_world_t": then[series], "factor": out[group],
                         "source": baci.S_WMD})
        else:
            out[group] = 1.0
            rows.append({"group": group, "series": None, "world_t": None,
                         "template_world_t": None, "factor": 1.0,
                         "source": "no production series: volumes of the template kept"})
    return out, rows


def _scale(tables: dict[str, pd.DataFrame], base: SupplyNetwork, factors: Mapping[str, float],
           year: int) -> None:
    group = dict(zip(base.commodities["id"], base.commodities["group"], strict=True))
    recipes = base.table("recipes")
    recipe_group = {r: group[c] for r, c in zip(recipes["recipe"], recipes["commodity"],
                                                strict=True)}
    nodes = tables["nodes"]
    f = nodes["recipe"].map(recipe_group).map(factors).astype(float)
    active = nodes["output"] > 0
    nodes["output"] = (nodes["output"] * f).round(3)
    nodes["capacity"] = np.maximum(nodes["capacity"], nodes["output"])
    note = [f"output scaled to {year}: x {x:.4f} (WMD world production of the group, {year} over "
            "the template's base year)" for x in f]
    nodes.loc[active, "note"] = _append(nodes.loc[active, "note"],
                                        pd.Series(note, index=nodes.index)[active])
    nodes.loc[active, "year"] = year
    routes = tables["routes"]
    routes["volume"] = (routes["volume"] * routes["commodity"].map(group).map(factors)).round(3)
    bom = tables["bom"]
    g = bom["commodity"].map(group).map(factors).astype(float)
    bom["intensity"] = bom["intensity"] * g
    bom["note"] = _append(bom["note"], pd.Series(
        [f"intensity scaled to {year}: x {x:.4f} (world use follows WMD world production)"
         for x in g], index=bom.index))


def _append(notes: pd.Series, extra: pd.Series) -> pd.Series:
    return pd.Series([f"{n}; {e}" if isinstance(n, str) and n else e
                      for n, e in zip(notes, extra.loc[notes.index], strict=True)],
                     index=notes.index)


def _production(template: pd.DataFrame, year: int) -> pd.DataFrame:
    rows = baci.production_rows(year)
    covered = set(zip(rows["commodity"], rows["stage"], strict=True))
    kept = template[[(c, s) not in covered for c, s in zip(template["commodity"],
                                                            template["stage"], strict=True)]]
    return pd.concat([rows, kept], ignore_index=True)


# ----------------------------------------------------------------------------- report on the data
def _flow_checks(flows: pd.DataFrame, mapping: baci.HsMap, year: int, regions: pd.DataFrame,
                 trade: pd.DataFrame | None) -> dict[str, Any]:
    """Partners that are not countries, rows without tonnes, trade inside a region, codes with no
    rows; and the codes of the extract that the map leaves out."""
    out: dict[str, Any] = {}
    missing = []
    for side in ("exporter", "importer"):
        lost = flows[flows[f"{side}_region"] == ""]
        for (code, name, hs6), block in lost.groupby([f"{side}_code", f"{side}_name", "hs6"]):
            missing.append({"hs6": hs6, "side": side, "code": code, "name": name,
                            "rows": len(block), "tonnes": float(block["tonnes"].sum()),
                            "value_kusd": float(block["value_kusd"].sum()),
                            "action": "left out of the routes and the shares: not an ISO 3166 "
                                      "country (a BACI aggregate or a former country), so no "
                                      "region can be chosen"})
    out["missing_partners"] = missing
    no_q = flows[flows["tonnes"].isna()]
    out["no_quantity"] = [{"hs6": k, "rows": len(b), "value_kusd": float(b["value_kusd"].sum()),
                           "action": "left out (BACI gives a value but no tonnes)"}
                          for k, b in no_q.groupby("hs6")]
    inside = flows[(flows["exporter_region"] == flows["importer_region"])
                   & (flows["exporter_region"] != "")]
    out["within_region"] = [{"hs6": k, "region": r, "tonnes": float(b["tonnes"].sum()),
                             "action": "not a route: both partners are in this region"}
                            for (k, r), b in inside.groupby(["hs6", "exporter_region"])]
    present = set(flows["hs6"])
    out["codes_without_rows"] = sorted(set(mapping.rows["hs6"]) - present)
    rest = baci.trade_flows(year, set(baci.hs_codes()) - set(mapping.rows["hs6"]), regions,
                            trade)
    out["unmapped_codes"] = [{"hs6": k, "rows": len(b), "tonnes": float(b["tonnes"].sum()),
                              "action": "not imported: no commodity in the HS map"}
                             for k, b in rest.groupby("hs6")]
    out["aliases"] = [{"partner": k, "region": v, "why": "the regions table counts it in this "
                       "region for trade flows"} for k, v in baci.TRADE_ALIASES.items()]
    return out


# ----------------------------------------------------------------------------- routes from trade
def _trade_routes(tables: dict[str, pd.DataFrame], base: SupplyNetwork, flows: pd.DataFrame,
                  mapping: baci.HsMap, year: int
                  ) -> tuple[pd.DataFrame, list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    routes = tables["routes"]
    region_ids = set(base.regions["id"])
    node_region = dict(zip(tables["nodes"]["id"], tables["nodes"]["region"], strict=True))

    def region(place: str) -> str:
        return place if place in region_ids else node_region[place]

    usable = flows[(flows["exporter_region"] != "") & (flows["importer_region"] != "")
                   & (flows["exporter_region"] != flows["importer_region"])
                   & flows["tonnes"].notna()]
    kept: list[pd.DataFrame] = []
    made: list[dict[str, Any]] = []
    summary: list[dict[str, Any]] = []
    partners: dict[str, list[dict[str, Any]]] = {"re_exports": [], "unmatched": []}
    covered = set(mapping.commodities())
    for commodity in dict.fromkeys(routes["commodity"]):
        block = routes[routes["commodity"] == commodity]
        codes = mapping.codes_of(commodity)
        trade = usable[usable["hs6"].isin(codes)]
        if commodity not in covered or trade.empty:
            kept.append(block)
            summary.append({"commodity": commodity, "hs6": codes, "routes_from": "template",
                            "why": "not in the HS map" if commodity not in covered else
                            f"no BACI rows for HS {', '.join(codes)} in {year}"})
            continue
        factor = mapping.rows[mapping.rows["commodity"] == commodity].set_index("hs6")["factor"]
        seed = (trade.assign(basis=trade["tonnes"] * trade["hs6"].map(factor))
                .pivot_table(index="exporter_region", columns="importer_region", values="basis",
                             aggfunc="sum", fill_value=0.0))
        active = block[block["volume"] > 0]
        rows, info = _allocate(commodity, active, region, seed, year, codes)
        for where, change in info["own_use"].items():
            _scale_use(tables, where, commodity, change["factor"], year)
        made.extend(rows)
        kept.append(block[(block["volume"] <= 0)
                          & ~block["id"].isin({r["id"] for r in rows})])
        partners["re_exports"].extend(info.pop("re_exports"))
        partners["unmatched"].extend(info.pop("unmatched"))
        summary.append({"commodity": commodity, "hs6": codes, "routes_from": "BACI", **info})
    new = pd.DataFrame(made, columns=list(routes.columns))
    transit_of = dict(zip(routes["id"], routes["transit_weeks"], strict=True))
    new["transit_weeks"] = [transit_of.get(i, transit(region(o), region(d))) for i, o, d in
                            zip(new["id"], new["origin"], new["destination"], strict=True)]
    out = pd.concat([*kept, new], ignore_index=True)
    return out, summary, partners


def _scale_use(tables: dict[str, pd.DataFrame], where: str, commodity: str, factor: float,
               year: int) -> None:
    """Scale the intensities of ``commodity`` in the bills of materials of region ``where``."""
    sectors = set(tables["sectors"].loc[tables["sectors"]["region"] == where, "id"])
    bom = tables["bom"]
    rows = bom["sector"].isin(sectors) & (bom["commodity"] == commodity)
    bom.loc[rows, "intensity"] = bom.loc[rows, "intensity"] * factor
    bom.loc[rows, "note"] = _append(bom.loc[rows, "note"], pd.Series(
        f"x {factor:.4f}: the region's use of {commodity} is its production less the exports "
        f"BACI {year} shares ask of it (import_report.json, own_use)", index=bom.index))


def _allocate(commodity: str, active: pd.DataFrame, region: Any, seed: pd.DataFrame, year: int,
              codes: list[str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """New routes of one commodity: domestic first, then BACI's shares fitted to the margins.

    Exporting regions whose sectors use the commodity share the exports by what the importers'
    BACI shares ask of each (within what its producers make beyond its plants' needs); their
    sectors use the rest (apparent consumption: production less exports). Their exports
    together stay what the others leave (total imports are the importers' needs); regions
    without such use export all their surplus, and the gaps that leaves shift the shares
    (:func:`_fit`).
    """
    supply = active.groupby("origin")["volume"].sum()
    need = active.groupby("destination")["volume"].sum()
    s_reg = supply.groupby(supply.index.map(region)).sum()
    d_reg = need.groupby(need.index.map(region)).sum()
    final = need[[region(p) == p for p in need.index]]
    regions = sorted(set(s_reg.index) | set(d_reg.index))
    s_reg, d_reg = s_reg.reindex(regions, fill_value=0.0), d_reg.reindex(regions, fill_value=0.0)
    final_reg = final.reindex(regions, fill_value=0.0)
    domestic = pd.concat([s_reg, d_reg], axis=1).min(axis=1)
    exports, imports = s_reg - domestic, d_reg - domestic
    spare = (s_reg - (d_reg - final_reg)).clip(lower=0.0)  # all but its plants' needs
    exporters = [r for r in regions if imports[r] <= 1e-9 and spare[r] > 1e-9]
    importers = [r for r in regions if imports[r] > 1e-9]
    seed = seed.reindex(index=sorted(set(seed.index) | set(regions)),
                        columns=sorted(set(seed.columns) | set(regions)), fill_value=0.0)
    template_flow = _region_flows(active, region).reindex(index=exporters, columns=importers,
                                                           fill_value=0.0)
    sub = seed.loc[exporters, importers]
    shares, _ = _shares(sub, exports[exporters], template_flow)
    target = _export_targets(exports[exporters], shares @ imports[importers], spare[exporters],
                             final_reg[exporters] > 1e-9, float(imports[importers].sum()))
    own = final_reg[exporters] + exports[exporters] - target
    changed = {str(r): {"use_template_t": float(final_reg[r]), "use_t": float(own[r]),
                        "factor": float(own[r] / final_reg[r])}
               for r in exporters if final_reg[r] > 1e-9 and abs(own[r] - final_reg[r]) > 1e-6}
    need = need.copy()
    for r, change in changed.items():
        need[r] = change["use_t"]
        d_reg[r] += change["use_t"] - change["use_template_t"]
        domestic[r] = s_reg[r] - target[r]
    exports[exporters] = target
    re_exports = _re_exports(commodity, seed, s_reg, exports, imports, codes)
    fit, unmatched, shifts = _fit(sub, target, imports[importers], template_flow)
    gap = float(np.abs(fit.sum(axis=1) - target).sum()) if exporters else 0.0
    for row in unmatched:
        row["commodity"] = commodity
    rows = _node_routes(commodity, active, region, supply, need, s_reg, d_reg, domestic, fit,
                        year, codes, unmatched)
    info = {"cross_border_t": float(fit.to_numpy().sum()),
            "domestic_t": float(domestic.sum()),
            "filled_without_trade_t": sum(u["tonnes"] for u in unmatched),
            "share_shift_pp": shifts, "margin_gap_t": gap, "own_use": changed,
            "re_exports": re_exports, "unmatched": unmatched}
    return rows, info


def _export_targets(supply: pd.Series, asked: pd.Series, spare: pd.Series, flexible: pd.Series,
                    total: float) -> pd.Series:
    """Exports of each exporting region: what BACI's shares ask of it where its own use can
    give or take the difference (``flexible``, within ``0..spare``), its surplus ``supply``
    otherwise; the flexible ones then close the sum to ``total`` in proportion to their
    exports. Where they cannot, every region exports its surplus (the template's use kept)."""
    target = supply.where(~flexible, asked.clip(lower=0.0, upper=spare))
    for _ in range(len(target) + 1):
        rest = total - float(target.sum())
        if abs(rest) <= 1e-9 * max(total, 1.0):
            return target
        free = flexible & ((target < spare) if rest > 0 else (target > 0))
        if not free.any():
            break
        weight = target[free] if target[free].sum() > 0 else spare[free]
        target[free] = (target[free] + rest * weight / weight.sum()).clip(lower=0.0,
                                                                          upper=spare[free])
    return supply


def _region_flows(active: pd.DataFrame, region: Any) -> pd.DataFrame:
    frame = active.assign(o=active["origin"].map(region), d=active["destination"].map(region))
    frame = frame[frame["o"] != frame["d"]]
    return frame.pivot_table(index="o", columns="d", values="volume", aggfunc="sum",
                             fill_value=0.0)


def _re_exports(commodity: str, seed: pd.DataFrame, s_reg: pd.Series, exports: pd.Series,
                imports: pd.Series, codes: list[str]) -> list[dict[str, Any]]:
    """BACI flows the world cannot carry: from regions with nothing to export, to regions that
    need no imports; one row per exporter (or importer) with its tonnes and partners."""
    out = []
    for exporter, row in seed.iterrows():
        if float(exports.get(exporter, 0.0)) > 1e-9 or row.sum() <= 0:
            continue
        made = float(s_reg.get(exporter, 0.0)) > 1e-9
        partners = row[row > 0].sort_values(ascending=False)
        out.append({"commodity": commodity, "hs6": codes, "side": "exporter", "region": exporter,
                    "tonnes_basis": float(partners.sum()),
                    "partners": {str(k): round(float(v), 3) for k, v in partners.items()},
                    "why": ("the region's producers serve its own use first; none is left to "
                            "export" if made else "re-export or unmodelled production: the world "
                            "has no producer of it in this region"),
                    "action": "left out: its importers' imports come from the other exporters "
                              "in proportion"})
    for importer in seed.columns:
        column = seed[importer]
        if float(imports.get(importer, 0.0)) > 1e-9 or column.sum() <= 0:
            continue
        partners = column[column > 0].sort_values(ascending=False)
        out.append({"commodity": commodity, "hs6": codes, "side": "importer", "region": importer,
                    "tonnes_basis": float(partners.sum()),
                    "partners": {str(k): round(float(v), 3) for k, v in partners.items()},
                    "why": "the region imports it in BACI but needs no imports in this world (no "
                           "use, or its own producers cover it)",
                    "action": "left out"})
    return out


def _shares(seed: pd.DataFrame, rows: pd.Series, fallback: pd.DataFrame
            ) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Each importer's shares of its imports by exporter (columns sum to 1).

    An importer without BACI flows from these exporters takes the template's pattern
    (``fallback``) or, without one, the exporters' supplies ``rows``; it is listed.
    """
    m = seed.to_numpy(dtype=float).copy()
    fb = fallback.to_numpy(dtype=float)
    unmatched: list[dict[str, Any]] = []
    for j in np.flatnonzero(m.sum(axis=0) <= 0):
        how = "the template's routes" if fb[:, j].sum() > 0 else "the export supplies"
        m[:, j] = fb[:, j] if fb[:, j].sum() > 0 else rows.to_numpy(dtype=float)
        unmatched.append({"side": "importer", "region": str(seed.columns[int(j)]),
                          "filled_from": how})
    total = m.sum(axis=0)
    shares = m / np.where(total > 0, total, 1.0)[None, :]
    return pd.DataFrame(shares, index=seed.index, columns=seed.columns), unmatched


def _fit(seed: pd.DataFrame, rows: pd.Series, cols: pd.Series, fallback: pd.DataFrame
         ) -> tuple[pd.DataFrame, list[dict[str, Any]], dict[str, float]]:
    """Flows between regions that keep each importer's BACI shares as far as the world allows.

    Each importer's imports ``cols`` are split by its shares (:func:`_shares`) over the
    exporters with something to export (``rows``: their export supply). An exporter whose supply
    differs from what those shares ask of it (``rows - asked``) gives (or takes) the difference
    to every importer in proportion to its imports: the least-squares change of the shares, the
    same number of percentage points for every importer. Negative flows are cut to zero and the
    margins restored by proportional fitting (RAS).

    Returns
    -------
    tuple
        The flows (exporter x importer, t/yr), the importers and exporters filled without
        trade data, and each exporter's share shift in percentage points.
    """
    shares_frame, unmatched = _shares(seed, rows, fallback)
    r, c = rows.to_numpy(dtype=float), cols.to_numpy(dtype=float)
    for row in unmatched:
        row["tonnes"] = float(cols[row["region"]])
    if not seed.size:
        return pd.DataFrame(np.zeros(seed.shape), index=rows.index, columns=cols.index), \
            unmatched, {}
    shares = shares_frame.to_numpy()
    shift = (r - shares @ c) / float(c.sum())
    for i in np.flatnonzero((seed.to_numpy().sum(axis=1) <= 0) & (r > 1e-9)):
        unmatched.append({"side": "exporter", "region": str(rows.index[int(i)]),
                          "tonnes": float(r[i]),
                          "filled_from": "every importer in proportion to its imports"})
    flows = np.maximum(shares * c[None, :] + np.outer(shift, c), 0.0)
    for _ in range(RAS_ITERATIONS):
        flows *= (r / np.where(flows.sum(axis=1) > 0, flows.sum(axis=1), 1.0))[:, None]
        flows *= (c / np.where(flows.sum(axis=0) > 0, flows.sum(axis=0), 1.0))[None, :]
        if np.allclose(flows.sum(axis=1), r, rtol=RAS_TOLERANCE, atol=1e-6):
            break
    shifts = {str(k): float(100 * v) for k, v in zip(rows.index, shift, strict=True)}
    return pd.DataFrame(flows, index=rows.index, columns=cols.index), unmatched, shifts


def _northwest(supplies: list[tuple[str, float]], demands: list[tuple[str, float]]
               ) -> list[tuple[str, str, float]]:
    """Fill ``demands`` from ``supplies`` in the order given (the north-west corner rule): at
    most ``len(supplies) + len(demands) - 1`` pieces, so few routes."""
    out: list[tuple[str, str, float]] = []
    keys = [key for key, amount in supplies if amount > 0]
    left = [amount for _, amount in supplies if amount > 0]
    i = 0
    for key, amount in demands:
        rest = amount
        while rest > 1e-9 and i < len(left):
            take = min(rest, left[i])
            out.append((keys[i], key, take))
            rest -= take
            left[i] -= take
            if left[i] <= 1e-9:
                i += 1
        if rest > 1e-9 and out:  # rounding: the last supplier closes it
            out.append((out[-1][0], key, rest))
    return out


def _to_nodes(between: Mapping[tuple[str, str], float], supply: pd.Series, need: pd.Series,
              region: Any) -> dict[tuple[str, str], float]:
    """Flows between regions split over the producers and users in them: each region's
    producers (largest first) fill its outflows (domestic first, then the largest), and what
    arrives in a region fills its users (largest first); few routes, every balance kept."""
    by_node: list[tuple[str, str, float]] = []
    for o_reg in sorted({o for o, _ in between}):
        nodes = sorted(((str(n), float(v)) for n, v in supply.items() if region(n) == o_reg),
                       key=lambda x: -x[1])
        outs = sorted(((d, t) for (o, d), t in between.items() if o == o_reg),
                      key=lambda x: (x[0] != o_reg, -x[1]))
        by_node += _northwest(nodes, outs)
    flows: dict[tuple[str, str], float] = {}
    for d_reg in sorted({d for _, d in between}):
        arriving = sorted(((n, t) for n, d, t in by_node if d == d_reg),
                          key=lambda x: -x[1])
        users = sorted(((str(u), float(v)) for u, v in need.items() if region(u) == d_reg),
                       key=lambda x: -x[1])
        for origin, user, tonnes in _northwest(arriving, users):
            flows[(origin, user)] = flows.get((origin, user), 0.0) + tonnes
    return flows


def _node_routes(commodity: str, active: pd.DataFrame, region: Any, supply: pd.Series,
                 need: pd.Series, s_reg: pd.Series, d_reg: pd.Series, domestic: pd.Series,
                 fit: pd.DataFrame, year: int, codes: list[str],
                 unmatched: list[dict[str, Any]]) -> list[dict[str, Any]]:
    unit = str(active["unit"].iloc[0])
    filled = {(u["side"], u["region"]) for u in unmatched}
    between = {(r, r): float(domestic[r]) for r in s_reg.index if domestic[r] > 0}
    between.update({(o, d): float(fit.loc[o, d]) for o in fit.index for d in fit.columns
                    if fit.loc[o, d] > 0})
    flows = _to_nodes(between, supply, need, region)
    src = (f"derived: {baci.S_BACI}, {year}, HS {' + '.join(codes)}: flows between regions "
           "each importer's shares, shifted to fit this world's export supply (import_report)")
    rows = []
    for (o, d), vol in flows.items():
        if round(vol, 3) <= 0:
            continue
        o_reg, d_reg_ = region(o), region(d)
        if o_reg == d_reg_:
            source, conf, note = ("derived: domestic use served first by producers in the same "
                                  "region (spigot allocation)", "L",
                                  f"producers' outputs scaled to {year}; see docs/data.md")
        elif ("exporter", o_reg) in filled or ("importer", d_reg_) in filled:
            source, conf, note = (src, "L", "no BACI flow for this exporter or importer: filled "
                                  "from the template's routes (see import_report.json, unmatched)")
        else:
            source, conf, note = (src, "M", f"share of {d_reg_}'s imports from {o_reg} as in "
                                  "BACI, scaled to this world's supply and use")
        rows.append({"id": f"{commodity}__{o}__{d}".lower(), "commodity": commodity, "origin": o,
                     "destination": d, "volume": round(vol, 3), "unit": unit,
                     "transit_weeks": math.nan, "year": year, "source": source,
                     "confidence": conf, "note": note})
    return rows


# ----------------------------------------------------------------------------- metadata and text
def _meta(year: int, template: str, hs_map: str) -> dict[str, Any]:
    meta = datasets.describe(template)
    return {
        "title": f"baci-{year}",
        "description": (
            f"The {template} world with its volumes scaled to {year} by World Mining Data world "
            f"production and its cross-border routes from CEPII BACI trade of {year} (HS map: "
            f"{hs_map}); built by 'spigot data import-baci'. What the import could not map is in "
            f"{REPORT_TEXT} and {REPORT_FILE}."),
        "base_year": year,
        "balance_tolerance": meta.get("balance_tolerance"),
        "sources": [baci.S_BACI, baci.S_WMD, f"the bundled world '{template}' (template)"],
    }
