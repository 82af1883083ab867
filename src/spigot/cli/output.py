"""Render results for the terminal: ``--format table|json|csv``."""

from __future__ import annotations

import csv
import enum
import json
import math
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from spigot._lazy import lazy_import

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:
    np = lazy_import("numpy")
    pd = lazy_import("pandas")

__all__ = ["Format", "emit", "emit_rows", "to_jsonable"]


class Format(enum.StrEnum):
    """Output formats every result-printing command takes."""

    table = "table"
    json = "json"
    csv = "csv"


# Options shared by the commands (one declaration each).
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
SeedOption = Annotated[int | None, typer.Option("--seed", "-s", min=0, max=2**63 - 1,
                                                help="Random seed (0 to 2**63 - 1).")]
EngineOption = Annotated[str, typer.Option("--engine", help="numba (fast) or reference (slow).")]
SaveOption = Annotated[bool, typer.Option("--save/--no-save", help="Keep the run in the store.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or notes.")]


def to_jsonable(value: Any) -> Any:
    """Convert numpy/pandas scalars and frames to plain JSON values (NaN -> null).

    pandas and numpy are looked up only when loaded: a value cannot be one of theirs otherwise,
    and commands that never load them stay fast.
    """
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    pandas, numpy = sys.modules.get("pandas"), sys.modules.get("numpy")
    if pandas is not None and isinstance(value, pandas.DataFrame):
        return [to_jsonable(r) for r in value.to_dict(orient="records")]
    if numpy is not None and isinstance(value, numpy.generic):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if pandas is not None and (value is pandas.NA or value is pandas.NaT):
        return None
    return value


def emit_rows(rows: list[dict[str, Any]], fmt: Format, *, title: str | None = None) -> None:
    """Print plain rows (dicts with the same keys) as :func:`emit` does, without pandas."""
    columns = list(rows[0]) if rows else []
    if fmt is Format.json:
        sys.stdout.write(json.dumps(to_jsonable(rows), indent=2, ensure_ascii=False) + "\n")
    elif fmt is Format.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row[c] is None else f"{row[c]:.6g}"
                             if isinstance(row[c], float) else row[c] for c in columns])
    else:
        numeric = [all(isinstance(r[c], int | float) and not isinstance(r[c], bool) for r in rows)
                   for c in columns]
        _print_table(title, columns, numeric, ([row[c] for c in columns] for row in rows))


def emit(frame: pd.DataFrame, fmt: Format, *, title: str | None = None,
         document: dict[str, Any] | None = None) -> None:
    """Print ``frame`` as a rich table, CSV, or JSON.

    Parameters
    ----------
    frame
        The rows.
    fmt
        Output format.
    title
        Table caption (table format only).
    document
        For JSON: the object to print (its stable keys are documented in docs/cli.md); defaults
        to the rows as a list of records.
    """
    if fmt is Format.json:
        payload = document if document is not None else frame
        sys.stdout.write(json.dumps(to_jsonable(payload), indent=2, ensure_ascii=False) + "\n")
    elif fmt is Format.csv:
        frame.to_csv(sys.stdout, index=False, float_format="%.6g")
    else:
        _print_table(title, list(frame.columns),
                     [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns],
                     frame.itertuples(index=False))


def _print_table(title: str | None, columns: list[Any], numeric: list[bool],
                 rows: Iterable[Iterable[Any]]) -> None:
    """A rich table: numeric columns right-aligned, long text folded."""
    table = Table(title=title, show_lines=False)
    for column, right in zip(columns, numeric, strict=True):
        table.add_column(str(column), justify="right" if right else "left", overflow="fold",
                         max_width=60)
    for row in rows:
        table.add_row(*(_cell(v) for v in row))
    Console(width=200 if not sys.stdout.isatty() else None).print(table)


def _cell(value: Any) -> str:
    pandas = sys.modules.get("pandas")
    if value is None or (pandas is not None and value is pandas.NA) or (
            isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.0f}" if abs(value) >= 100 \
            else f"{value:,.3g}"
    return str(value)
