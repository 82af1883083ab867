"""Reports of ``spigot data import-baci``: each importer's shares against BACI's, and the
import report as Markdown."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from spigot.datasets import baci
from spigot.network import SupplyNetwork

__all__ = ["EXCEPTION_CAUSES", "exceptions", "exporter_regions", "import_shares", "pair_gaps",
           "records", "report_markdown"]

#: Why a (HS code, importer) pair of a world may miss BACI's shares by more than the tolerance
#: (docs/design.md, "The base world's routes from BACI"):
#: ``no_exporter_node``: BACI names an exporter the world has no producing node in for the code's
#: commodities (re-exports, small processors, trade inside the EU between two of its regions),
#: holding more than the tolerance of the importer's imports; ``hs_basket``: the code carries
#: more (or other) goods than the world's commodities of it, or one commodity is carried by two
#: codes; ``usgs``: the US's origins follow USGS import sources, which BACI's year disagrees with;
#: ``volume``: the world's supply of an exporter is far from what BACI's shares ask of it;
#: ``allocation``: the base build's routing rule (domestic first, the largest producer closing).
EXCEPTION_CAUSES: tuple[str, ...] = ("no_exporter_node", "hs_basket", "usgs", "volume",
                                     "allocation")


def import_shares(net: SupplyNetwork, year: int, hs_map: str | Path | None = None, *,
                  flows: pd.DataFrame | None = None,
                  mapping: baci.HsMap | None = None) -> pd.DataFrame:
    """Each importer's shares by origin in a world against BACI's, per HS code.

    The world's cross-border routes of the commodities a code covers are summed (and turned back
    into tonnes of product with the map's factors); BACI's rows of the code between regions of
    ``net`` (partners that are not countries, rows without tonnes and trade inside a region left
    out) give the other side.

    Returns
    -------
    pandas.DataFrame
        ``hs6, importer, exporter, world_t, baci_t`` (t of product per year) and ``world_share``,
        ``baci_share`` (fractions of the importer's imports of the code) and ``diff_pp``
        (world minus BACI, percentage points). Importers with imports on one side only have
        shares of 0 on the other.
    """
    baci.check_year(year)
    mapping = mapping or baci.read_hs_map(hs_map, net.commodities["id"])
    if flows is None:
        flows = baci.trade_flows(year, mapping.rows["hs6"], net.regions)
    region_ids = set(net.regions["id"])
    node_region = dict(zip(net.nodes["id"], net.nodes["region"], strict=True))
    routes = net.routes.assign(
        o=net.routes["origin"].map(node_region),
        d=[d if d in region_ids else node_region[d] for d in net.routes["destination"]])
    routes = routes[(routes["o"] != routes["d"]) & (routes["volume"] > 0)]
    out = []
    for hs6, block in mapping.rows.groupby("hs6"):
        factor = dict(zip(block["commodity"], block["factor"], strict=True))
        world = routes[routes["commodity"].isin(factor)]
        world = (world["volume"] / world["commodity"].map(factor)).groupby(
            [world["d"], world["o"]]).sum().rename("world_t")
        trade = flows[(flows["hs6"] == hs6) & (flows["exporter_region"] != "")
                      & (flows["importer_region"] != "")
                      & (flows["exporter_region"] != flows["importer_region"])]
        seen = trade.groupby(["importer_region", "exporter_region"])["tonnes"].sum(min_count=1)
        both = pd.concat([world, seen.rename("baci_t").rename_axis(["d", "o"])], axis=1)
        both = both.fillna(0.0)
        both = both[(both["world_t"] > 0) | (both["baci_t"] > 0)]
        for importer, rows in both.groupby(level=0):
            w, b = rows["world_t"].sum(), rows["baci_t"].sum()
            for (_, exporter), row in rows.iterrows():
                ws = row["world_t"] / w if w > 0 else 0.0
                bs = row["baci_t"] / b if b > 0 else 0.0
                out.append({"hs6": hs6, "importer": importer, "exporter": exporter,
                            "world_t": float(row["world_t"]), "baci_t": float(row["baci_t"]),
                            "world_share": ws, "baci_share": bs, "diff_pp": 100 * (ws - bs)})
    columns = ["hs6", "importer", "exporter", "world_t", "baci_t", "world_share", "baci_share",
               "diff_pp"]
    frame = pd.DataFrame(out, columns=columns)
    frame.attrs["units"] = {"world_t": "t product/yr", "baci_t": "t product/yr",
                            "diff_pp": "percentage points"}
    return frame.sort_values(["hs6", "importer", "exporter"]).reset_index(drop=True)


def pair_gaps(table: pd.DataFrame) -> pd.DataFrame:
    """The largest share difference of each (HS code, importer) pair with imports on both sides.

    Parameters
    ----------
    table : pandas.DataFrame
        What :func:`import_shares` returns.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``hs6, importer``: ``exporter`` (where the gap is largest), ``diff_pp`` (world
        minus BACI at that exporter, percentage points), ``world_t`` and ``baci_t`` (the
        importer's imports of the code, t of product per year).
    """
    table = table.assign(abs_pp=table["diff_pp"].abs())
    rows = table.loc[table.groupby(["hs6", "importer"])["abs_pp"].idxmax()]
    totals = table.groupby(["hs6", "importer"])[["world_t", "baci_t"]].sum()
    rows = rows.set_index(["hs6", "importer"])[["exporter", "diff_pp"]].join(totals)
    return rows[(rows["world_t"] > 0) & (rows["baci_t"] > 0)]


def exporter_regions(net: SupplyNetwork, commodities: Iterable[str]) -> set[str]:
    """Regions with a node that makes any of ``commodities`` in the world's base year (output
    above zero): the exporters a world can ship these commodities from."""
    recipes = net.recipes
    made = set(recipes.loc[(recipes["role"] == "output")
                           & recipes["commodity"].isin(list(commodities)), "recipe"])
    nodes = net.nodes
    return set(nodes.loc[nodes["recipe"].isin(made) & (nodes["output"] > 0), "region"])


def exceptions() -> pd.DataFrame:
    """The bundled ``base`` world's documented exceptions to BACI 2024's import shares.

    Returns
    -------
    pandas.DataFrame
        ``trade/base_baci_exceptions.csv``: one row per (HS code, importer) pair that may miss
        BACI's shares by more than 5 points, with ``cause`` (one of :data:`EXCEPTION_CAUSES`),
        ``exporter`` (the exporter the cause is about; several separated by ``;``) and ``note``
        (the figures behind it).
    """
    path = resources.files("spigot.datasets").joinpath("trade", "base_baci_exceptions.csv")
    with resources.as_file(path) as file:
        return pd.read_csv(file, dtype=str, keep_default_na=False)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as JSON-ready records (NaN as ``None``)."""
    return [{str(k): (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
            for r in frame.to_dict(orient="records")]


def report_markdown(report: Mapping[str, Any]) -> str:
    """The import report as Markdown (what ``import_report.md`` holds)."""
    lines = [f"# Import report: BACI {report['year']} (template {report['template']}, HS map "
             f"{report['hs_map']})", "", "## Production", "",
             "| group | factor | world t (year) | world t (template year) |", "|---|---|---|---|"]
    lines += [f"| {p['group']} | {p['factor']:.4f} | {p['world_t']} | {p['template_world_t']} |"
              for p in report["production"]]
    lines += ["", "## Routes by commodity", "",
              "Share shift: percentage points added to (or taken from) every importer's share of "
              "an exporter, where the world's export supply differs from what BACI's shares ask "
              "of it.", "", "| commodity | HS | routes from | cross-border t/yr | share shifts "
              "(pp) | note |", "|---|---|---|---|---|---|"]
    for c in report["commodities"]:
        shifts = ", ".join(f"{k} {v:+.1f}" for k, v in (c.get("share_shift_pp") or {}).items())
        cross = c.get("cross_border_t")
        lines.append(f"| {c['commodity']} | {' '.join(c['hs6'])} | {c['routes_from']} | "
                     f"{'' if cross is None else f'{cross:,.1f}'} | {shifts} | "
                     f"{c.get('why', '')} |")
    sections = [("Re-exports and flows this world cannot carry", "re_exports"),
                ("Exporters and importers without a BACI flow", "unmatched"),
                ("Trade partners that are not countries", "missing_partners"),
                ("Rows without a quantity", "no_quantity"),
                ("Trade inside one region", "within_region"),
                ("Codes of the extract the HS map leaves out", "unmapped_codes")]
    for title, key in sections:
        rows = report.get(key) or []
        lines += ["", f"## {title} ({len(rows)})", ""]
        lines += ["- " + ", ".join(f"{k}: {v}" for k, v in row.items()) for row in rows]
    missing = report.get("codes_without_rows") or []
    lines += ["", f"## Codes of the HS map without rows in {report['year']}", "",
              ", ".join(missing) or "none", ""]
    return "\n".join(lines)
