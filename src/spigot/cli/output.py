"""Render results for the terminal: ``--format table|json|csv``."""

from __future__ import annotations

import enum
import json
import math
import sys
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

__all__ = ["Format", "emit", "to_jsonable"]


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
    """Convert numpy/pandas scalars and frames to plain JSON values (NaN -> null)."""
    if isinstance(value, pd.DataFrame):
        return [to_jsonable(r) for r in value.to_dict(orient="records")]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


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
        table = Table(title=title, show_lines=False)
        for column in frame.columns:
            numeric = pd.api.types.is_numeric_dtype(frame[column])
            table.add_column(str(column), justify="right" if numeric else "left",
                             overflow="fold", max_width=60)
        for row in frame.itertuples(index=False):
            table.add_row(*(_cell(v) for v in row))
        Console(width=200 if not sys.stdout.isatty() else None).print(table)


def _cell(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.0f}" if abs(value) >= 100 \
            else f"{value:,.3g}"
    return str(value)
