"""`SupplyNetwork`: the validated tables of a world (commodities, regions, nodes, routes, sectors...)."""

from __future__ import annotations

import hashlib
import logging
import math
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spigot.errors import ConsistencyError, DataError, Problem
from spigot.network.checks import balance_table, consistency_problems
from spigot.network.compiled import STAGES, STATUSES, ZONES, CompiledNetwork
from spigot.network.io import read_table, read_table_file
from spigot.network.schema import TABLE_ORDER, schema, schemas
from spigot.units import WEEKS_PER_YEAR

__all__ = ["SupplyNetwork"]

logger = logging.getLogger(__name__)

Rows = pd.DataFrame | Sequence[Mapping[str, Any]] | Mapping[str, Sequence[Any]]


class SupplyNetwork:
    """A world of commodities, regions, nodes, routes, demand sectors, prices and stockpiles.

    Each table follows its schema (``spigot/network/schema/tables/*.csv``, documented in ``docs/data.md``);
    values are converted to canonical units on the way in. A network is immutable: :meth:`add`
    returns a new network and inputs are never mutated.

    Parameters
    ----------
    tables
        Table name to rows (DataFrame, list of mappings, or mapping of columns); missing tables
        are empty.
    name
        A name for display and provenance.
    strict
        If true, unknown columns are errors; otherwise they are dropped with a warning.

    Raises
    ------
    DataError
        If a table does not follow its schema.

    Examples
    --------
    >>> import spigot as sp
    >>> net = sp.datasets.load("base")
    >>> compiled = net.validate().compile()
    """

    def __init__(self, tables: Mapping[str, Rows] | None = None, *, name: str = "",
                 strict: bool = True) -> None:
        given = dict(tables or {})
        unknown = set(given) - set(TABLE_ORDER)
        if unknown:
            schema(sorted(unknown)[0])  # raises UnknownNameError with a suggestion
        self._tables: dict[str, pd.DataFrame] = {}
        for table in TABLE_ORDER:
            rows = given.get(table, [])
            frame = rows if _is_normalised(rows, table) else read_table(
                rows, schemas()[table], strict=strict)
            assert isinstance(frame, pd.DataFrame)
            self._tables[table] = frame
        self.name = name

    # ----------------------------------------------------------------- construction and I/O
    @classmethod
    def from_folder(cls, path: str | os.PathLike[str], *, strict: bool = True,
                    name: str | None = None) -> SupplyNetwork:
        """Load a world from a folder with one CSV or YAML file per table.

        File names are the table names (``nodes.csv`` or ``nodes.yaml``); missing files mean
        empty tables. The tables are read and checked one by one, then across tables
        (:meth:`validate`).

        Raises
        ------
        DataError
            If the folder is missing or a file is malformed.
        ConsistencyError
            If the tables do not fit together.
        """
        folder = Path(path)
        if not folder.is_dir():
            raise DataError(Problem("no such folder", file=str(folder),
                                    expected="a folder with one CSV or YAML file per table",
                                    hint="export a bundled one with 'spigot data export base DIR'"))
        tables: dict[str, pd.DataFrame] = {}
        problems: list[Problem] = []
        known = set(TABLE_ORDER)
        for file in sorted(folder.iterdir()):
            if file.suffix.lower() not in {".csv", ".yaml", ".yml"} or file.stem in known:
                continue
            if file.name.lower() in {"dataset.yaml", "dataset.yml", "meta.yaml"}:
                continue
            from spigot.errors import did_you_mean

            problems.append(Problem("unknown table file", file=str(file), value=file.name,
                                    expected="files named after tables: " + ", ".join(TABLE_ORDER),
                                    hint=did_you_mean(file.stem, TABLE_ORDER) or None))
        for table in TABLE_ORDER:
            files = [folder / f"{table}{ext}" for ext in (".csv", ".yaml", ".yml")]
            found = [f for f in files if f.exists()]
            if len(found) > 1:
                problems.append(Problem("table given twice", file=str(found[1]), value=table,
                                        expected="one file per table"))
                continue
            if not found:
                continue
            try:
                tables[table] = read_table_file(found[0], schemas()[table], strict=strict)
            except DataError as exc:
                problems.extend(exc.problems)
        if problems:
            raise DataError(problems, title=f"{folder} is not a valid spigot dataset:")
        net = cls(tables, name=name or folder.name, strict=strict)
        return net.validate(strict=strict)

    def to_folder(self, path: str | os.PathLike[str], *, overwrite: bool = False,
                  extra_files: Mapping[str, str] | None = None) -> Path:
        """Write every table as a CSV file into ``path``; :meth:`from_folder` reads it back.

        The folder is written atomically: into a temporary folder beside it, then renamed.
        ``extra_files`` (file name -> text; for example ``dataset.yaml`` or a report) are written
        into the same temporary folder, so they appear together with the tables or not at all.

        Raises
        ------
        DataError
            If ``path`` exists and is not empty, unless ``overwrite``.
        """
        target = Path(path)
        if target.exists() and any(target.iterdir()) and not overwrite:
            raise DataError(Problem("folder is not empty", file=str(target),
                                    expected="a new or empty folder",
                                    hint="choose another folder or pass overwrite=True (--force)"))
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            for table in TABLE_ORDER:
                self.table(table).to_csv(staging / f"{table}.csv", index=False,
                                         float_format="%.10g")
            for file_name, text in (extra_files or {}).items():
                (staging / Path(file_name).name).write_text(text, encoding="utf-8")
            if target.exists():
                shutil.rmtree(target)
            staging.rename(target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return target

    def add(self, table: str, rows: Rows, *, strict: bool = True) -> SupplyNetwork:
        """Return a new network with ``rows`` appended to ``table`` (bulk add).

        Parameters
        ----------
        table
            Table name (``"nodes"``, ``"routes"``, ...).
        rows
            DataFrame, list of row mappings, or mapping of columns (scalars broadcast is not
            supported: give one value per row). Units in the rows' unit column are converted.

        Raises
        ------
        DataError
            If the rows do not follow the table's schema.
        """
        table_schema = schema(table)
        new = read_table(rows, table_schema, strict=strict, file=f"rows added to {table!r}")
        old = self._tables[table]
        merged = pd.concat([old, new], ignore_index=True) if len(old) else new
        merged.attrs = {"file": old.attrs.get("file", f"table {table!r}"),
                        "lines": list(old.attrs.get("lines", [])) + list(new.attrs["lines"])}
        tables = dict(self._tables)
        tables[table] = merged
        return SupplyNetwork(tables, name=self.name)

    # ----------------------------------------------------------------- access
    def table(self, name: str) -> pd.DataFrame:
        """A copy of table ``name`` (units in ``.attrs["units"]``)."""
        table_schema = schema(name)
        frame = self._tables[name].copy()
        frame.attrs["units"] = {c.name: c.unit for c in table_schema.columns if c.unit}
        return frame

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Copies of all tables, keyed by name."""
        return {name: self.table(name) for name in TABLE_ORDER}

    commodities = property(lambda self: self.table("commodities"), doc="Commodities table.")
    regions = property(lambda self: self.table("regions"), doc="Regions table.")
    recipes = property(lambda self: self.table("recipes"), doc="Recipes table.")
    nodes = property(lambda self: self.table("nodes"), doc="Nodes table (capacity in t/yr).")
    routes = property(lambda self: self.table("routes"), doc="Routes table (volume in t/yr).")
    sectors = property(lambda self: self.table("sectors"), doc="Demand sectors table.")
    bom = property(lambda self: self.table("bom"), doc="Bills of materials (kg per unit).")
    prices = property(lambda self: self.table("prices"), doc="Base prices (USD/kg).")
    stockpiles = property(lambda self: self.table("stockpiles"), doc="Stockpiles (t).")
    production = property(lambda self: self.table("production"), doc="Production statistics.")

    # ----------------------------------------------------------------- checks
    def problems(self) -> list[Problem]:
        """Every cross-table problem and every imbalance beyond tolerance (empty if none)."""
        found = consistency_problems(self._tables)
        if found:
            return found
        balance = self.balance()
        for row in balance[~balance["ok"]].itertuples(index=False):
            found.append(Problem(
                "supply and use do not balance", file="routes", field=f"{row.place}/{row.commodity}",
                value=f"{row.routed:.6g} t/yr routed",
                expected=f"{row.expected:.6g} t/yr ({row.kind}) within 5 %",
                hint="add or resize routes so flows match production and use"))
        return found

    def validate(self, strict: bool = True) -> SupplyNetwork:
        """Check the tables against each other and the base-year balance.

        Parameters
        ----------
        strict
            If true, raise on any problem; otherwise log each as a warning.

        Returns
        -------
        SupplyNetwork
            ``self``, so calls chain: ``net.validate().compile()``.

        Raises
        ------
        ConsistencyError
            Listing every problem, if ``strict``.
        """
        found = self.problems()
        if found and strict:
            raise ConsistencyError(found, title=f"supply network {self.name!r} is inconsistent:")
        for problem in found:
            logger.warning("%s", problem.describe())
        return self

    def balance(self) -> pd.DataFrame:
        """Supply-use balance of the base year (see :func:`spigot.network.checks.balance_table`)."""
        return balance_table(self._tables)

    # ----------------------------------------------------------------- identity and display
    def content_hash(self) -> str:
        """SHA-256 of the tables' canonical CSV form: equal for equal content, whatever the files."""
        digest = hashlib.sha256()
        for table in TABLE_ORDER:
            digest.update(table.encode())
            digest.update(self._tables[table].to_csv(index=False, float_format="%.10g").encode())
        return digest.hexdigest()

    def summary(self) -> pd.DataFrame:
        """Rows per table."""
        return pd.DataFrame({"table": list(TABLE_ORDER),
                             "rows": [len(self._tables[t]) for t in TABLE_ORDER]})

    def __repr__(self) -> str:
        sizes = ", ".join(f"{len(self._tables[t])} {t}" for t in TABLE_ORDER if len(self._tables[t]))
        return f"<SupplyNetwork {self.name!r}: {sizes or 'empty'}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SupplyNetwork) and self.content_hash() == other.content_hash()

    __hash__ = None  # type: ignore[assignment]

    # ----------------------------------------------------------------- compile
    def compile(self, step_weeks: float = 1.0) -> CompiledNetwork:
        """Compile to integer-indexed arrays with rates per step of ``step_weeks`` weeks.

        Raises
        ------
        ConsistencyError
            If the network is not consistent (balance is not required to compile).
        """
        found = consistency_problems(self._tables)
        if found:
            raise ConsistencyError(found, title=f"cannot compile {self.name!r}:")
        t = self._tables
        steps_per_year = WEEKS_PER_YEAR / step_weeks
        commodities = tuple(str(c) for c in t["commodities"]["id"])
        regions = tuple(str(r) for r in t["regions"]["id"])
        nodes = tuple(str(n) for n in t["nodes"]["id"])
        c_ix = {c: i for i, c in enumerate(commodities)}
        r_ix = {r: i for i, r in enumerate(regions)}
        n_ix = {n: i for i, n in enumerate(nodes)}
        n_nodes, n_comm = len(nodes), len(commodities)

        recipe_in = np.zeros((n_nodes, n_comm))
        recipe_out = np.zeros((n_nodes, n_comm))
        recipes = t["recipes"]
        for i, recipe in enumerate(t["nodes"]["recipe"]):
            for r in recipes[recipes["recipe"] == recipe].to_dict(orient="records"):
                target = recipe_out if r["role"] == "output" else recipe_in
                target[i, c_ix[str(r["commodity"])]] = float(r["coefficient"])

        nodes_t = t["nodes"]
        routes_t = t["routes"]
        production = np.zeros((n_nodes, n_comm))
        production[:] = nodes_t["output"].to_numpy(dtype=float)[:, None] * recipe_out
        route_origin = np.array([n_ix[o] for o in routes_t["origin"]], dtype=np.int64)
        route_commodity = np.array([c_ix[c] for c in routes_t["commodity"]], dtype=np.int64)
        route_volume = routes_t["volume"].to_numpy(dtype=float)
        route_total = np.zeros((n_nodes, n_comm))
        np.add.at(route_total, (route_origin, route_commodity), route_volume)
        denom = route_total[route_origin, route_commodity]
        share = np.divide(route_volume, denom, out=np.zeros_like(route_volume), where=denom > 0)
        dest_node = np.array([n_ix.get(d, -1) for d in routes_t["destination"]], dtype=np.int64)
        node_region = np.array([r_ix[r] for r in nodes_t["region"]], dtype=np.int64)
        dest_region = np.array([node_region[d] if d >= 0 else r_ix[str(name)]
                                for d, name in zip(dest_node, routes_t["destination"], strict=True)],
                               dtype=np.int64)

        sectors_t = t["sectors"]
        sectors = tuple(str(s) for s in sectors_t["id"])
        s_ix = {s: i for i, s in enumerate(sectors)}
        bom = np.zeros((len(sectors), n_comm))
        for b in t["bom"].to_dict(orient="records"):
            bom[s_ix[str(b["sector"])], c_ix[str(b["commodity"])]] += float(b["intensity"]) / 1000.0

        price = np.full((n_comm, len(ZONES)), np.nan)
        for p in t["prices"].to_dict(orient="records"):
            price[c_ix[str(p["commodity"])], ZONES.index(str(p["zone"]))] = float(p["price"]) * 1000.0

        stock_t = t["stockpiles"]
        years = [int(y) for y in nodes_t["year"].dropna()]
        return CompiledNetwork(
            step_weeks=step_weeks,
            base_year=max(years) if years else 0,
            commodities=commodities,
            regions=regions,
            nodes=nodes,
            routes=tuple(str(r) for r in routes_t["id"]),
            sectors=sectors,
            stockpiles=tuple(str(s) for s in stock_t["id"]),
            commodity_basis=tuple(str(b) for b in t["commodities"]["basis"]),
            region_zone=np.array([ZONES.index(str(z)) for z in t["regions"]["zone"]], dtype=np.int64),
            node_region=node_region,
            node_stage=np.array([STAGES.index(str(s)) for s in nodes_t["stage"]], dtype=np.int64),
            node_status=np.array([STATUSES.index(str(s)) for s in nodes_t["status"]], dtype=np.int64),
            node_capacity=nodes_t["capacity"].to_numpy(dtype=float) / steps_per_year,
            node_base_activity=nodes_t["output"].to_numpy(dtype=float) / steps_per_year,
            node_start_year=np.array([_decimal_year(s) for s in nodes_t["start"]]),
            node_ramp_steps=nodes_t["ramp_weeks"].to_numpy(dtype=float) / step_weeks,
            recipe_in=recipe_in,
            recipe_out=recipe_out,
            route_commodity=route_commodity,
            route_origin=route_origin,
            route_dest_node=dest_node,
            route_dest_region=dest_region,
            route_origin_region=node_region[route_origin],
            route_base_flow=route_volume / steps_per_year,
            route_share=share,
            route_transit_steps=np.maximum(
                1, np.ceil(routes_t["transit_weeks"].to_numpy(dtype=float) / step_weeks)
            ).astype(np.int64),
            sector_region=np.array([r_ix[r] for r in sectors_t["region"]], dtype=np.int64),
            sector_priority=sectors_t["priority"].to_numpy(dtype=np.int64),
            sector_output=sectors_t["output"].to_numpy(dtype=float) / steps_per_year,
            sector_value=sectors_t["value_per_unit"].to_numpy(dtype=float),
            sector_cover_steps=sectors_t["cover_weeks"].to_numpy(dtype=float) / step_weeks,
            sector_elasticity=sectors_t["price_elasticity"].to_numpy(dtype=float),
            bom=bom,
            price=price,
            stock_holder=np.array([r_ix[h] for h in stock_t["holder"]], dtype=np.int64),
            stock_commodity=np.array([c_ix[c] for c in stock_t["commodity"]], dtype=np.int64),
            stock_quantity=stock_t["quantity"].to_numpy(dtype=float),
            stock_release_cover_steps=stock_t["release_below_cover_weeks"].to_numpy(dtype=float)
            / step_weeks,
            stock_max_release=stock_t["max_release_per_week"].to_numpy(dtype=float) * step_weeks,
            stock_release_above_price=stock_t["release_above_price"].to_numpy(dtype=float),
            sector_names=tuple(str(s) for s in sectors_t["sector"]),
        )


def _is_normalised(rows: Rows, table: str) -> bool:
    return isinstance(rows, pd.DataFrame) and list(rows.columns) == list(schema(table).names) and (
        "lines" in rows.attrs)


def _decimal_year(text: object) -> float:
    """``"2027"`` -> 2027.0, ``"2027-07"`` -> 2027.5, ``"2027-07-01"`` -> ~2027.5; blank -> NaN."""
    value = str(text or "").strip()
    if not value:
        return math.nan
    try:
        stamp = pd.Timestamp(value if len(value) > 4 else f"{value}-01-01")
    except ValueError:
        return math.nan
    return stamp.year + (stamp.day_of_year - 1) / 365.25

