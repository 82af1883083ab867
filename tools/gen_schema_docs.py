"""Rewrite the generated sections of docs/data.md from the schema and the base dataset.

* between ``<!-- schema:start -->`` and ``<!-- schema:end -->``: one section per table, listing its
  columns with dtype, unit, whether required, default, allowed values and meaning, taken from
  ``src/spigot/network/schema/tables/*.csv``;
* between ``<!-- facilities:start -->`` and ``<!-- facilities:end -->``: the named facilities of the
  bundled dataset ``base`` (its ``nodes.csv`` rows of kind ``facility``).

Run ``.venv/bin/python tools/gen_schema_docs.py`` after changing a schema file or the facilities;
``--check`` exits 1 if docs/data.md is out of date.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from _gendoc import write_or_check

from spigot.network.schema import TABLE_ORDER, schemas

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "data.md"
BASE = ROOT / "src" / "spigot" / "datasets" / "base"

PURPOSE = {
    "commodities": "What is traded: one row per commodity, with the stage that produces it and the "
                   "basis its tonnes are measured in.",
    "regions": "Countries (ISO 3166-1 alpha-3) and documented aggregates (`EU_OTHER`, `ROW`), with "
               "the market zone whose price they pay.",
    "recipes": "Inputs and outputs per tonne of a node's activity; one row per recipe, commodity and "
               "role. The coefficient-1 commodity is the reference flow that measures activity.",
    "nodes": "Producers: a country's stage aggregate or a named facility, with the recipe it runs, "
             "capacity and base-year output in tonnes of activity per year.",
    "routes": "Base-year flows from a node to a node (intermediate goods) or to a region (final use "
              "by that region's sectors).",
    "sectors": "Demand sectors by region (`REGION.sector`): output, value per unit, inventory cover "
               "and allocation priority.",
    "bom": "Bills of materials: kilograms of each commodity (in its own basis) per unit of a "
           "sector's output.",
    "prices": "Base prices per kilogram of the commodity's basis, by market zone.",
    "stockpiles": "Strategic stocks by holder region and their release rule.",
    "production": "Country production statistics (not part of the network) for `spigot data show` "
                  "and the risk metrics.",
    "controls": "Export-control measures (quotas, licences, bans) by exporter, commodity and "
                "destination.",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") if text else ""


def schema_section() -> str:
    out = []
    for name in TABLE_ORDER:
        table = schemas()[name]
        out.append(f"### `{name}`\n")
        out.append(PURPOSE.get(name, "") + "\n")
        out.append("| column | type | unit | required | default | allowed | meaning |")
        out.append("|---|---|---|---|---|---|---|")
        for c in table.columns:
            allowed = f"`{_cell(c.allowed)}`" if c.allowed else ""
            default = f"`{_cell(c.default)}`" if c.default else ""
            out.append(f"| `{c.name}` | {c.dtype} | {_cell(c.unit)} | "
                       f"{'yes' if c.required else 'no'} | {default} | {allowed} | "
                       f"{_cell(c.description)} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def facilities_section() -> str:
    with (BASE / "nodes.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["kind"] == "facility"]
    out = ["| node id | facility | region | stage | capacity | base output | unit | status | start | "
           "source | confidence |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| `{r['id']}` | {_cell(r['name'])} | {r['region']} | {r['stage']} | "
                   f"{float(r['capacity']):,.0f} | {float(r['output']):,.0f} | {r['unit']} | "
                   f"{r['status']} | {r['start']} | {_cell(r['source'])} | {r['confidence']} |")
    return "\n".join(out) + "\n"


def replace_between(text: str, marker: str, body: str) -> str:
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    if start not in text or end not in text:
        raise SystemExit(f"{DOC}: markers {start} ... {end} not found")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n\n{body}\n{end}{tail}"


def main(argv: list[str]) -> int:
    text = DOC.read_text(encoding="utf-8")
    new = replace_between(text, "schema", schema_section())
    new = replace_between(new, "facilities", facilities_section())
    return write_or_check(DOC, new, argv, "tools/gen_schema_docs.py")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
