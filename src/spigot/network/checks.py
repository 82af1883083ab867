"""Consistency and balance checks across the tables of a supply network.

Each table is checked on its own when it is read (:mod:`spigot.network.io`); the checks here
need several tables: unique ids, references between tables, bases of units against commodities,
recipes, and the supply-use balance of the base year.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from spigot.errors import Problem, did_you_mean
from spigot.network.regions import is_iso3, suggest_region
from spigot.network.schema import schemas
from spigot.units import parse_unit

__all__ = ["BALANCE_ABS_TOLERANCE", "BALANCE_REL_TOLERANCE", "balance_table", "consistency_problems"]

#: Relative tolerance of the supply-use balance: flows may differ from production or use by 5 %.
BALANCE_REL_TOLERANCE = 0.05
#: Absolute tolerance of the supply-use balance, in t/yr (rounding of small flows).
BALANCE_ABS_TOLERANCE = 1.0

_ID_COLUMNS = {"commodities": "id", "regions": "id", "nodes": "id", "routes": "id",
               "sectors": "id", "stockpiles": "id"}


def _where(tables: Mapping[str, pd.DataFrame], table: str, row: int) -> tuple[str, int | None]:
    frame = tables[table]
    lines = frame.attrs.get("lines")
    line = lines[row] if lines is not None and row < len(lines) else row + 2
    return frame.attrs.get("file", f"table {table!r}"), line


def consistency_problems(tables: Mapping[str, pd.DataFrame]) -> list[Problem]:
    """Return every cross-table problem of a network's tables (empty if consistent)."""
    problems: list[Problem] = []
    problems += _duplicate_ids(tables)
    problems += _references(tables)
    problems += _regions(tables)
    problems += _recipes(tables)
    problems += _bases(tables)
    problems += _routes(tables)
    problems += _sectors(tables)
    return problems


def _duplicate_ids(tables: Mapping[str, pd.DataFrame]) -> list[Problem]:
    out = []
    for table, column in _ID_COLUMNS.items():
        frame = tables[table]
        dup = frame[column].duplicated()
        for i in np.flatnonzero(dup.to_numpy()):
            file, line = _where(tables, table, int(i))
            out.append(Problem("duplicate id", file=file, line=line, field=column,
                               value=frame[column].iloc[i], expected="ids unique within the table"))
    recipes = tables["recipes"]
    dup = recipes.duplicated(["recipe", "commodity", "role"])
    for i in np.flatnonzero(dup.to_numpy()):
        file, line = _where(tables, "recipes", int(i))
        out.append(Problem("duplicate recipe row", file=file, line=line, field="commodity",
                           value=recipes["commodity"].iloc[i],
                           expected="one row per recipe, commodity and role"))
    return out


def _references(tables: Mapping[str, pd.DataFrame]) -> list[Problem]:
    out = []
    for table, table_schema in schemas().items():
        frame = tables[table]
        for spec in table_schema.columns:
            refs = spec.references
            if not refs:
                continue
            valid: set[str] = set()
            for ref_table, ref_col in refs:
                valid |= {str(v) for v in tables[ref_table][ref_col] if str(v)}
            for i, cell in enumerate(frame[spec.name].astype(str)):
                values = [v.strip() for v in cell.split(";")] if spec.is_list else [cell]
                for value in values:
                    if value in valid or (not value and not spec.required):
                        continue
                    file, line = _where(tables, table, i)
                    targets = " or ".join(f"{t}.{c}" for t, c in refs)
                    is_region = all(t == "regions" for t, _ in refs) or (
                        any(t == "regions" for t, _ in refs) and len(value) <= 3)
                    hint = did_you_mean(value, sorted(valid))
                    if is_region:
                        iso = suggest_region(value)
                        if iso and iso in valid:
                            hint = f"did you mean {iso!r}?"
                        elif iso:
                            hint = f"ISO code {iso!r} is not in regions; add it or use ROW"
                    out.append(Problem("unknown reference" if not is_region else "unknown region code",
                                       file=file, line=line, field=spec.name, value=value,
                                       expected=f"an id from {targets}", hint=hint or None))
    return out


def _regions(tables: Mapping[str, pd.DataFrame]) -> list[Problem]:
    out = []
    regions = tables["regions"]
    for i, row in enumerate(regions.itertuples(index=False)):
        if row.kind == "country" and not is_iso3(str(row.id)):
            file, line = _where(tables, "regions", i)
            hint = suggest_region(str(row.id))
            out.append(Problem("not an ISO 3166-1 alpha-3 code", file=file, line=line, field="id",
                               value=row.id, expected="a three-letter ISO code such as GBR",
                               hint=f"did you mean {hint!r}?" if hint else
                               "use kind 'aggregate' for a group of countries"))
    production = tables["production"]
    region_ids = set(regions["id"])
    for i, code in enumerate(production["region"].astype(str)):
        if code in region_ids or is_iso3(code):
            continue
        file, line = _where(tables, "production", i)
        hint = suggest_region(code)
        out.append(Problem("unknown region code", file=file, line=line, field="region", value=code,
                           expected="an ISO 3166-1 alpha-3 code, a region id, or WLD",
                           hint=f"did you mean {hint!r}?" if hint else None))
    return out


def _recipes(tables: Mapping[str, pd.DataFrame]) -> list[Problem]:
    out = []
    recipes = tables["recipes"]
    for recipe, rows in recipes.groupby("recipe", sort=False):
        first = int(np.flatnonzero((recipes["recipe"] == recipe).to_numpy())[0])
        file, line = _where(tables, "recipes", first)
        if not (rows["role"] == "output").any():
            out.append(Problem("recipe has no output", file=file, line=line, field="role",
                               value=recipe, expected="at least one row with role 'output'"))
        if not np.isclose(rows["coefficient"].to_numpy(dtype=float), 1.0).any():
            out.append(Problem("recipe has no reference flow", file=file, line=line,
                               field="coefficient", value=recipe,
                               expected="one commodity with coefficient 1 (the activity the "
                               "node's capacity is measured in)"))
    return out


def reference_commodities(recipes: pd.DataFrame) -> dict[str, str]:
    """Map each recipe to the commodity whose tonnes measure its activity.

    That is its coefficient-1 row (the reference flow), outputs before inputs; recipes without one
    are left out (reported by the recipe check).
    """
    ref = recipes[np.isclose(recipes["coefficient"].to_numpy(dtype=float), 1.0)]
    ref = ref.assign(_order=ref["role"].map({"output": 0, "input": 1})).sort_values(
        "_order", kind="stable")
    out: dict[str, str] = {}
    for recipe, commodity in zip(ref["recipe"], ref["commodity"], strict=True):
        out.setdefault(str(recipe), str(commodity))
    return out


def _bases(tables: Mapping[str, pd.DataFrame]) -> list[Problem]:
    out = []
    commodities = tables["commodities"]
    basis = dict(zip(commodities["id"], commodities["basis"], strict=True))
    recipes = tables["recipes"]

    def check(table: str, i: int, commodity: str | None, unit: str) -> None:
        if commodity not in basis or not unit:
            return
        got = parse_unit(unit).basis
        if got is not None and got != basis[commodity]:
            file, line = _where(tables, table, i)
            out.append(Problem("unit basis does not match the commodity", file=file, line=line,
                               field="unit", value=unit,
                               expected=f"basis {basis[commodity]!r} for {commodity!r}",
                               hint=f"write the figure in t {basis[commodity]} or convert it"))

    reference = reference_commodities(recipes)
    for i, row in enumerate(tables["nodes"].itertuples(index=False)):
        check("nodes", i, reference.get(str(row.recipe)), str(row.unit))
    for i, row in enumerate(tables["routes"].itertuples(index=False)):
        check("routes", i, str(row.commodity), str(row.unit))
    for i, row in enumerate(tables["stockpiles"].itertuples(index=False)):
        check("stockpiles", i, str(row.commodity), str(row.unit))
    groups = commodities.groupby(["group", "stage"])["basis"].first().to_dict()
    for i, row in enumerate(tables["production"].itertuples(index=False)):
        commodity = str(row.commodity)
        if commodity in basis:
            check("production", i, commodity, str(row.unit))
        elif (commodity, row.stage) in groups:
            got = parse_unit(str(row.unit)).basis
            want = groups[(commodity, row.stage)]
            if got is not None and got != want:
                file, line = _where(tables, "production", i)
                out.append(Problem("unit basis does not match the commodity group", file=file,
                                   line=line, field="unit", value=row.unit,
                                   expected=f"basis {want!r} for {commodity!r} at {row.stage!r}"))
    return out


def _routes(tables: Mapping[str, pd.DataFrame]) -> list[Problem]:
    out = []
    node_recipe = {str(k): str(v) for k, v in zip(tables["nodes"]["id"], tables["nodes"]["recipe"],
                                                  strict=True)}
    recipes = tables["recipes"]
    outputs: dict[str, set[str]] = {}
    inputs: dict[str, set[str]] = {}
    for rec in recipes.to_dict(orient="records"):
        target = outputs if rec["role"] == "output" else inputs
        target.setdefault(str(rec["recipe"]), set()).add(str(rec["commodity"]))
    sectors, bom = tables["sectors"], tables["bom"]
    region_uses = bom.merge(sectors[["id", "region"]], left_on="sector", right_on="id")
    uses = region_uses.groupby("region")["commodity"].apply(set).to_dict()
    regions = set(tables["regions"]["id"])
    for i, row in enumerate(tables["routes"].itertuples(index=False)):
        file, line = _where(tables, "routes", i)
        if row.destination not in node_recipe and row.destination not in regions:
            continue  # reported as an unknown reference
        if row.origin in node_recipe:
            recipe = node_recipe[str(row.origin)]
            if row.commodity not in outputs.get(recipe, set()):
                out.append(Problem("origin does not produce the commodity", file=file, line=line,
                                   field="commodity", value=row.commodity,
                                   expected=f"an output of recipe {recipe!r} of node {row.origin!r}: "
                                   + ", ".join(sorted(outputs.get(recipe, set())))))
        if row.destination in node_recipe:
            recipe = node_recipe[str(row.destination)]
            if row.commodity not in inputs.get(recipe, set()):
                out.append(Problem("destination does not use the commodity", file=file, line=line,
                                   field="destination", value=row.destination,
                                   expected=f"a node whose recipe takes {row.commodity!r}"))
        elif row.commodity not in uses.get(row.destination, set()):
            out.append(Problem("no sector in the destination region uses the commodity", file=file,
                               line=line, field="destination", value=row.destination,
                               expected=f"a region with a bill-of-materials row for {row.commodity!r}"))
    return out


def _sectors(tables: Mapping[str, pd.DataFrame]) -> list[Problem]:
    out = []
    for i, row in enumerate(tables["sectors"].itertuples(index=False)):
        if row.id != f"{row.region}.{row.sector}":
            file, line = _where(tables, "sectors", i)
            out.append(Problem("sector id does not match region and sector", file=file, line=line,
                               field="id", value=row.id, expected=f"{row.region}.{row.sector}"))
    return out


def balance_table(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Supply-use balance of the base year, one row per (place, commodity, side).

    For each node and commodity it produces, the flows out of the node against its production; for
    each node and commodity it consumes, the flows into it against its need; for each region and
    commodity its sectors use, the flows into the region against the sectors' use.

    Returns
    -------
    pandas.DataFrame
        Columns ``place, kind, commodity, expected, routed, difference, relative, ok``; flows in
        t/yr of the commodity's basis. ``ok`` applies :data:`BALANCE_REL_TOLERANCE` and
        :data:`BALANCE_ABS_TOLERANCE`.
    """
    nodes, recipes, routes = tables["nodes"], tables["recipes"], tables["routes"]
    sectors, bom = tables["sectors"], tables["bom"]
    flows = nodes[["id", "recipe", "output"]].merge(recipes, on="recipe")
    flows["expected"] = flows["output"] * flows["coefficient"]
    rows = []
    out_routed = routes.groupby(["origin", "commodity"])["volume"].sum()
    in_routed = routes.groupby(["destination", "commodity"])["volume"].sum()
    out_map: dict[tuple[str, str], float] = {(str(k[0]), str(k[1])): float(v)  # type: ignore[index]
                                             for k, v in out_routed.items()}
    in_map: dict[tuple[str, str], float] = {(str(k[0]), str(k[1])): float(v)  # type: ignore[index]
                                            for k, v in in_routed.items()}
    for r in flows.to_dict(orient="records"):
        key = (str(r["id"]), str(r["commodity"]))
        routed = (out_map if r["role"] == "output" else in_map).get(key, 0.0)
        rows.append((key[0], f"node {r['role']}", key[1], float(r["expected"]), routed))
    use = bom.merge(sectors[["id", "region", "output"]], left_on="sector", right_on="id")
    use["expected"] = use["output"] * use["intensity"] / 1000.0  # kg -> t
    region_use = use.groupby(["region", "commodity"])["expected"].sum()
    for index, expected in region_use.items():
        region, commodity = (str(part) for part in index)  # type: ignore[attr-defined]
        rows.append((region, "region use", commodity, float(expected),
                     in_map.get((region, commodity), 0.0)))
    table = pd.DataFrame(rows, columns=["place", "kind", "commodity", "expected", "routed"])
    table["difference"] = table["routed"] - table["expected"]
    scale = table["expected"].abs().where(table["expected"].abs() > 0, np.nan)
    table["relative"] = (table["difference"] / scale).fillna(0.0)
    table["ok"] = (table["difference"].abs() <= BALANCE_ABS_TOLERANCE) | (
        table["relative"].abs() <= BALANCE_REL_TOLERANCE)
    table.attrs["unit"] = "t/yr (commodity basis)"
    return table
