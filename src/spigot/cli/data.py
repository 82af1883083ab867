"""``spigot data``: list, show, validate, audit, export and import-baci datasets."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from spigot._lazy import lazy_from, lazy_import
from spigot.cli.output import Format, FormatOption, emit, emit_rows

if TYPE_CHECKING:
    import pandas as pd

    from spigot import datasets
    from spigot.datasets import trade_world
    from spigot.network import SupplyNetwork
    from spigot.network.statistics import production_shares
    from spigot.risk.audit import audit as audit_world
else:
    datasets = lazy_from("spigot", "datasets")
    trade_world = lazy_import("spigot.datasets.trade_world")
    SupplyNetwork = lazy_from("spigot.network", "SupplyNetwork")
    production_shares = lazy_from("spigot.network.statistics", "production_shares")
    audit_world = lazy_from("spigot.risk.audit", "audit")
    pd = lazy_import("pandas")

app = typer.Typer(help="Bundled and user datasets: list, show, validate, audit, export, "
                  "import from BACI trade.",
                  no_args_is_help=True)

DatasetOption = Annotated[str, typer.Option("--dataset", "-d", help="Bundled dataset name, "
                                            "or a folder in the same format.")]


@app.command("list")
def list_datasets(fmt: FormatOption = Format.table) -> None:
    """List the bundled datasets."""
    rows = []
    for name in datasets.names():
        meta = datasets.describe(name)
        sizes = datasets.table_rows(name)
        rows.append({"name": name, "base_year": meta.get("base_year"),
                     "commodities": sizes.get("commodities", 0), "nodes": sizes.get("nodes", 0),
                     "routes": sizes.get("routes", 0), "sectors": sizes.get("sectors", 0),
                     "description": " ".join(str(meta.get("description", "")).split())})
    emit_rows(rows, fmt, title="Bundled datasets")


@app.command("show")
def show(
    commodity: Annotated[str | None, typer.Option(help="Commodity id or group, e.g. rare_earths.")]
    = None,
    stage: Annotated[str | None, typer.Option(help="mining, separation, refining, metal, magnet.")]
    = None,
    year: Annotated[int | None, typer.Option(help="Year (default: latest with data).")] = None,
    dataset: DatasetOption = "base",
    fmt: FormatOption = Format.table,
) -> None:
    """Production and shares by country, with the source of each row."""
    net = datasets.load(dataset)
    frame = production_shares(net, commodity, stage, year)
    columns = ["commodity", "stage", "region", "year", "value", "unit", "share", "source",
               "confidence", "note"]
    frame = frame[columns]
    document = {
        "dataset": net.name,
        "blocks": [
            {"commodity": c, "stage": s, "year": int(block["year"].iloc[0]),
             "unit": str(block["unit"].iloc[0]),
             "share_sum": float(block["share"].sum()),
             "rows": block[["region", "value", "share", "source", "confidence", "note"]]}
            for (c, s), block in frame.groupby(["commodity", "stage"], sort=False)
        ],
    }
    emit(frame, fmt, title=f"Production by country ({net.name})", document=document)


@app.command("validate")
def validate(path: Annotated[Path, typer.Argument(help="Folder with one file per table.")],
             fmt: FormatOption = Format.table) -> None:
    """Check a dataset folder: schema, references, units, and the supply-use balance."""
    net = SupplyNetwork.from_folder(path)
    summary = net.summary()
    if fmt is Format.table:
        typer.echo(f"{path}: valid ({int(summary['rows'].sum())} rows in "
                   f"{int((summary['rows'] > 0).sum())} tables; balanced within 5 %)")
    else:
        emit(summary, fmt, document={"path": str(path), "valid": True, "tables": summary})


@app.command("audit")
def audit(
    dataset: Annotated[str, typer.Argument(help="Bundled dataset name, or a folder in the "
                                           "same format.")] = "base",
    fmt: FormatOption = Format.table,
) -> None:
    """Compare a world with independent totals (USGS import sources and production, customs).

    One row per comparison, with the published figure, the world's, the error and whether it
    is within the tolerance; docs/data-audit.md explains them.
    """
    net = (SupplyNetwork.from_folder(Path(dataset)) if Path(dataset).is_dir()
           else datasets.load(dataset))
    table = audit_world(net)
    columns = ["id", "fact", "model", "unit", "error", "tolerance", "within", "source"]
    document = {"dataset": net.name, "comparisons": len(table),
                "within": int(table["within"].sum()) if len(table) else 0, "rows": table}
    shown = table[columns].round({"model": 4, "error": 4})  # a table for people; JSON is exact
    shown["error"] = shown["error"] + 0.0  # no "-0" after rounding
    emit(shown if fmt is Format.table else table, fmt,
         title=f"{net.name} against independent totals", document=document)


@app.command("export")
def export(name: Annotated[str, typer.Argument(help="Bundled dataset name.")],
           folder: Annotated[Path, typer.Argument(help="Folder to write (new or empty).")],
           force: Annotated[bool, typer.Option("--force", help="Replace a non-empty folder.")]
           = False) -> None:
    """Write a bundled dataset as an editable folder of CSV files."""
    target = datasets.export(name, folder, overwrite=force)
    typer.echo(f"wrote {name} to {target}")


@app.command("import-baci")
def import_baci(
    folder: Annotated[Path, typer.Argument(help="Folder to write the world to (new or empty).")],
    year: Annotated[int, typer.Option("--year", help="Trade and production year (2018-2024).",
                                      show_default=False)],
    hs_map: Annotated[Path | None, typer.Option(
        "--hs-map", help="HS map CSV (hs6, commodity, factor, source[, note]); default: the "
        "bundled one.", show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace a non-empty folder.")] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Build a world whose routes are BACI trade of a year, with an import report.

    The bundled world base, scaled to the year's World Mining Data production; each importer's
    shares by origin from BACI (HS6 codes mapped to commodities and their unit basis by the HS
    map). Writes the tables, dataset.yaml, import_report.json and import_report.md atomically.
    """
    world = trade_world.import_baci(year, hs_map=hs_map)
    target = world.write(folder, overwrite=force)
    report = world.report
    if fmt is not Format.table:
        emit(pd.DataFrame(report["shares"]), fmt, document={"path": str(target), **report})
        return
    from_trade = [c["commodity"] for c in report["commodities"] if c["routes_from"] == "BACI"]
    kept = [c["commodity"] for c in report["commodities"] if c["routes_from"] != "BACI"]
    typer.echo(f"wrote {world.network.name} to {target}: routes of {len(from_trade)} commodities "
               f"from BACI {year} ({', '.join(from_trade)}); {len(kept)} keep the template's "
               f"({', '.join(kept)})")
    for label, key in [("re-exports and flows the world cannot carry", "re_exports"),
                       ("importers or exporters without a BACI flow", "unmatched"),
                       ("trade partners that are not countries", "missing_partners"),
                       ("codes with rows but no tonnes", "no_quantity"),
                       ("codes of the extract not in the HS map", "unmapped_codes")]:
        typer.echo(f"  {label}: {len(report[key])}")
    shifts = [(abs(v), c["commodity"], k, v) for c in report["commodities"]
              for k, v in (c.get("share_shift_pp") or {}).items()]
    for _, commodity, region, value in sorted(shifts, reverse=True)[:5]:
        typer.echo(f"  share shift {commodity} from {region}: {value:+.1f} pp (the world's "
                   "export supply differs from BACI's)")
    typer.echo(f"  details: {target / trade_world.REPORT_TEXT}")
