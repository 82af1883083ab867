"""Table schemas of a supply network, kept as data.

Each table of a :class:`~spigot.network.SupplyNetwork` has a schema file in ``schema/tables/``
stating, per column: dtype, unit, whether it is required, the default, the allowed values and a
description. Validation, defaults, unit conversion and the data documentation are derived from
these files; adding a column is a one-line data change.

Allowed values use a small language: ``a|b|c`` (one of), ``>=0`` / ``>0`` / ``<=0`` (sign), ``0..1`` (closed
range), ``ref:table.column`` (a reference; several separated by ``|``), ``refs:...`` (a
semicolon-separated list of such references).
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from importlib import resources

__all__ = ["TABLE_ORDER", "ColumnSpec", "TableSchema", "schema", "schemas"]

#: Tables of a supply network, in the order they are loaded and validated.
TABLE_ORDER: tuple[str, ...] = (
    "commodities",
    "regions",
    "recipes",
    "nodes",
    "routes",
    "sectors",
    "bom",
    "prices",
    "stockpiles",
    "production",
    "controls",
)


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a table schema.

    Attributes
    ----------
    name
        Column name.
    dtype
        ``str``, ``float``, ``int`` or ``unitcol`` (a column that holds the unit of the table's
        quantity columns).
    unit
        Canonical unit of a quantity column (values are converted to it on load), or ``""``.
    required
        Whether the column must be present in a data file.
    default
        Default used where the column is absent or a cell is blank (``""`` means none).
    allowed
        Constraint in the mini-language of this module, or ``""``.
    description
        What the column means.
    """

    name: str
    dtype: str
    unit: str
    required: bool
    default: str
    allowed: str
    description: str

    @property
    def choices(self) -> tuple[str, ...] | None:
        """The allowed values when the constraint is an enumeration, else ``None``."""
        if not self.allowed or self.allowed.startswith(("ref", ">", "<")) or ".." in self.allowed:
            return None
        return tuple(self.allowed.split("|"))

    @property
    def is_list(self) -> bool:
        """Whether a cell holds a semicolon-separated list (``refs:`` constraint)."""
        return self.allowed.startswith("refs:")

    @property
    def references(self) -> tuple[tuple[str, str], ...]:
        """``(table, column)`` pairs this column refers to, if it is a reference."""
        if not self.allowed.startswith(("ref:", "refs:")):
            return ()
        out = []
        for part in self.allowed.split(":", 1)[1].split("|"):
            table, column = part.split(".")
            out.append((table, column))
        return tuple(out)


@dataclass(frozen=True)
class TableSchema:
    """The schema of one table: its name and its columns in order."""

    name: str
    columns: tuple[ColumnSpec, ...]

    def __getitem__(self, column: str) -> ColumnSpec:
        for spec in self.columns:
            if spec.name == column:
                return spec
        raise KeyError(column)

    @property
    def names(self) -> tuple[str, ...]:
        """Column names in order."""
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        """Names of the columns a data file must have."""
        return tuple(c.name for c in self.columns if c.required and not c.default)

    @property
    def unit_column(self) -> str | None:
        """Name of the column that holds the unit of the quantity columns, if any."""
        for c in self.columns:
            if c.dtype == "unitcol":
                return c.name
        return None

    @property
    def quantity_columns(self) -> tuple[ColumnSpec, ...]:
        """Numeric columns whose unit the unit column states (their unit mentions tonnes)."""
        return tuple(c for c in self.columns if c.dtype == "float" and c.unit.startswith("t"))


@functools.cache
def schemas() -> dict[str, TableSchema]:
    """Return every table schema, keyed by table name, in :data:`TABLE_ORDER`."""
    folder = resources.files("spigot.network.schema") / "tables"
    out: dict[str, TableSchema] = {}
    for name in TABLE_ORDER:
        with (folder / f"{name}.csv").open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        out[name] = TableSchema(
            name=name,
            columns=tuple(
                ColumnSpec(
                    name=r["column"],
                    dtype=r["dtype"],
                    unit=r["unit"],
                    required=r["required"] == "yes",
                    default=r["default"],
                    allowed=r["allowed"],
                    description=r["description"],
                )
                for r in rows
            ),
        )
    return out


def schema(table: str) -> TableSchema:
    """Return the schema of ``table``.

    Raises
    ------
    UnknownNameError
        If there is no such table.
    """
    from spigot.errors import UnknownNameError

    all_schemas = schemas()
    if table not in all_schemas:
        raise UnknownNameError("table", table, all_schemas)
    return all_schemas[table]
