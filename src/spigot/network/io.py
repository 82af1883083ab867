"""Read one supply-network table from a CSV or YAML file, strictly.

Every cell is checked against the table's schema (:mod:`spigot.network.schema`): required columns and
values, dtypes, allowed values, signs and ranges, and units, which are converted to the schema's
canonical unit here, at the boundary. Problems are collected (not raised one at a time) and reported
together with file, line, field, bad value, what was expected and a suggestion.
"""

from __future__ import annotations

import csv
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from spigot.errors import DataError, InputError, Problem, did_you_mean
from spigot.network.files import read_text
from spigot.network.schema import ColumnSpec, TableSchema
from spigot.units import BASES, convert, parse_unit

__all__ = ["RawTable", "read_raw_file", "read_table", "read_table_file"]

logger = logging.getLogger(__name__)

RawTable = tuple[list[dict[str, Any]], list[int]]


def read_raw_file(path: Path) -> RawTable:
    """Read a CSV or YAML table file into records and their 1-based line numbers.

    CSV files have a header line (line 1). YAML files hold a list of mappings, one per row.

    Raises
    ------
    DataError
        If the file cannot be parsed.
    """
    suffix = path.suffix.lower()
    try:  # a regular local file within the size cap (never a FIFO, device or URL)
        text = read_text(path, what="a CSV or YAML table file")
    except InputError as exc:
        raise DataError(exc.problems) from None
    if suffix == ".csv":
        return _read_csv_text(text, path)
    if suffix in {".yaml", ".yml"}:
        return _read_yaml_text(text, path)
    raise DataError(Problem("unsupported file type", file=str(path), value=path.suffix,
                            expected="a .csv, .yaml or .yml file"))


def _read_csv_text(text: str, path: Path) -> RawTable:
    lines = [ln for ln in text.splitlines() if not ln.startswith("#")]
    skipped = len(text.splitlines()) - len(lines)
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise DataError(Problem("file is empty", file=str(path),
                                expected="a header line with column names")) from None
    header = [h.strip() for h in header]
    records: list[dict[str, Any]] = []
    numbers: list[int] = []
    try:
        for row in reader:
            line = reader.line_num + skipped
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise DataError(Problem(
                    "wrong number of cells", file=str(path), line=line, value=len(row),
                    expected=f"{len(header)} cells as in the header",
                    hint="quote cells that contain commas"))
            records.append(dict(zip(header, (c.strip() for c in row), strict=True)))
            numbers.append(line)
    except csv.Error as exc:
        raise DataError(Problem(f"malformed CSV ({exc})", file=str(path),
                                line=reader.line_num + skipped)) from exc
    return records, numbers


def _read_yaml_text(text: str, path: Path) -> RawTable:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DataError(Problem(f"malformed YAML ({getattr(exc, 'problem', exc)})", file=str(path),
                                line=mark.line + 1 if mark else None)) from exc
    if data is None:
        return [], []
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise DataError(Problem("wrong YAML layout", file=str(path), value=type(data).__name__,
                                expected="a list of mappings, one per row"))
    numbers = [item.start_mark.line + 1 for item in node.value]  # type: ignore[union-attr]
    records = [{str(k): ("" if v is None else v) for k, v in r.items()} for r in data]
    return records, numbers


def read_table_file(path: str | Path, table_schema: TableSchema, *, strict: bool = True) -> pd.DataFrame:
    """Read and check one table file.

    Parameters
    ----------
    path
        CSV or YAML file.
    table_schema
        The schema the table must follow.
    strict
        If true, unknown columns are errors; otherwise they are dropped with a warning.

    Returns
    -------
    pandas.DataFrame
        The normalised table: schema columns in schema order, defaults filled in, quantities in
        the schema's canonical units; ``attrs["file"]`` and ``attrs["lines"]`` hold the origin.

    Raises
    ------
    DataError
        Listing every problem found.
    """
    path = Path(path)
    records, lines = read_raw_file(path)
    return read_table(records, table_schema, file=str(path), lines=lines, strict=strict)


def read_table(
    records: pd.DataFrame | Sequence[Mapping[str, Any]] | Mapping[str, Sequence[Any]],
    table_schema: TableSchema,
    *,
    file: str | None = None,
    lines: Sequence[int] | None = None,
    strict: bool = True,
) -> pd.DataFrame:
    """Check and normalise rows of a table (see :func:`read_table_file`).

    ``records`` may be a DataFrame, a list of row mappings or a mapping of columns. Line numbers,
    if not given, count rows from 2 (as if a header were line 1).
    """
    rows = _as_records(records)
    where = file or f"table {table_schema.name!r}"
    line_numbers = list(lines) if lines is not None else list(range(2, len(rows) + 2))
    problems: list[Problem] = []
    present: list[str] = list(rows[0].keys()) if rows else []
    if isinstance(records, pd.DataFrame):
        present = [str(c) for c in records.columns]
    known = set(table_schema.names)

    for col in table_schema.required:
        if rows and all(col not in r for r in rows):
            extra = [c for c in present if c not in known]
            problems.append(Problem(
                "missing column", file=where, field=col,
                expected="columns " + ", ".join(table_schema.required),
                hint=did_you_mean(col, extra) or "add the column (see docs/data.md)"))
    unknown = sorted({c for r in rows for c in r} - known)
    for col in unknown:
        if strict:
            problems.append(Problem("unknown column", file=where, field=col,
                                    expected="one of " + ", ".join(table_schema.names),
                                    hint=did_you_mean(col, table_schema.names) or None))
        else:
            logger.warning("%s: dropping unknown column %r", where, col)
    if problems:
        raise DataError(problems, title=f"{where} does not match the {table_schema.name!r} schema:")

    out: dict[str, list[Any]] = {c.name: [] for c in table_schema.columns}
    unit_col = table_schema.unit_column
    quantity = {c.name for c in table_schema.quantity_columns}
    cells = [(spec, spec.name in quantity) for spec in table_schema.columns if spec.dtype != "unitcol"]
    for row, line in zip(rows, line_numbers, strict=True):
        factor = 1.0
        if unit_col is not None:
            factor = _check_unit(row.get(unit_col, ""), table_schema, where, line, problems, out)
        for spec, is_quantity in cells:
            value = _parse_cell(row.get(spec.name, ""), spec, where, line, problems)
            if is_quantity and isinstance(value, float):
                value *= factor
            out[spec.name].append(value)
    if problems:
        raise DataError(problems, title=f"{where} has invalid values:")
    columns: dict[str, Any] = {}
    for spec in table_schema.columns:
        values = out[spec.name]
        if spec.dtype == "int":
            columns[spec.name] = pd.array(values, dtype="Int64")
        elif spec.dtype == "float":
            columns[spec.name] = np.array(values, dtype="float64")
        else:
            column = np.empty(len(values), dtype=object)
            column[:] = values
            columns[spec.name] = column
    frame = pd.DataFrame(columns, columns=list(table_schema.names))
    frame.attrs["file"] = where
    frame.attrs["lines"] = Lines(line_numbers)
    return frame


class Lines(tuple[int, ...]):
    """Line numbers of a table's rows, kept in ``DataFrame.attrs``.

    pandas deep-copies ``attrs`` on every derived frame; this immutable tuple copies as itself, which
    keeps filtering and merging tables fast.
    """

    __slots__ = ()

    def __deepcopy__(self, memo: dict[int, object]) -> Lines:
        return self


def _as_records(
    records: pd.DataFrame | Sequence[Mapping[str, Any]] | Mapping[str, Sequence[Any]],
) -> list[dict[str, Any]]:
    if isinstance(records, pd.DataFrame):
        frame = records.astype(object).where(records.notna(), "")
        return [{str(k): v for k, v in r.items()} for r in frame.to_dict(orient="records")]
    if isinstance(records, Mapping):
        columns = {str(k): list(v) for k, v in records.items()}
        n = max((len(v) for v in columns.values()), default=0)
        return [{k: v[i] for k, v in columns.items()} for i in range(n)]
    return [dict(r) for r in records]


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, float) and math.isnan(value))


def _check_unit(raw: Any, table_schema: TableSchema, where: str, line: int,
                problems: list[Problem], out: dict[str, list[Any]]) -> float:
    """Check a row's unit cell, store its canonical form, return the conversion factor."""
    unit_col = table_schema.unit_column
    assert unit_col is not None
    quantity = table_schema.quantity_columns
    canonical = quantity[0].unit if quantity else "t"
    text = "" if _is_blank(raw) else str(raw).strip()
    if not text:
        problems.append(Problem("missing unit", file=where, line=line, field=unit_col,
                                expected=f"a unit convertible to {canonical} with a basis "
                                f"({', '.join(BASES)}), for example 't REO/yr'"))
        out[unit_col].append("")
        return 1.0
    try:
        parsed = parse_unit(text)
        factor = convert(1.0, parsed.magnitude, canonical)
    except ValueError:
        problems.append(Problem("unit does not match the schema", file=where, line=line,
                                field=unit_col, value=text,
                                expected=f"a unit convertible to {canonical}, for example "
                                f"'{canonical.replace('t', 't REO', 1)}' or 'kt metal/yr'"))
        out[unit_col].append(text)
        return 1.0
    if parsed.basis is None:
        problems.append(Problem("unit has no basis", file=where, line=line, field=unit_col,
                                value=text, expected=f"one of the bases {', '.join(BASES)}",
                                hint=f"write for example '{parsed.magnitude.replace('t', 't REO', 1)}'"))
    basis = parsed.basis or ""
    out[unit_col].append(canonical.replace("t", f"t {basis}", 1) if basis else canonical)
    return factor


def _parse_cell(raw: Any, spec: ColumnSpec, where: str, line: int,
                problems: list[Problem]) -> Any:
    if _is_blank(raw):
        if spec.default != "":
            raw = spec.default
        elif spec.required:
            problems.append(Problem("missing value", file=where, line=line, field=spec.name,
                                    expected=_expected(spec)))
            return None
        else:
            return None if spec.dtype in {"int"} else (math.nan if spec.dtype == "float" else "")
    if spec.dtype == "float":
        try:
            value: Any = float(raw)
        except (TypeError, ValueError):
            problems.append(Problem("not a number", file=where, line=line, field=spec.name,
                                    value=raw, expected=_expected(spec)))
            return math.nan
        if math.isnan(value) or math.isinf(value):
            problems.append(Problem("not a finite number", file=where, line=line, field=spec.name,
                                    value=raw, expected=_expected(spec)))
            return math.nan
    elif spec.dtype == "int":
        try:
            as_float = float(raw)
            if as_float != int(as_float):
                raise ValueError
            value = int(as_float)
        except (TypeError, ValueError, OverflowError):
            problems.append(Problem("not a whole number", file=where, line=line, field=spec.name,
                                    value=raw, expected=_expected(spec)))
            return None
    else:
        value = str(raw).strip()
    problem = _check_allowed(value, spec)
    if problem:
        problems.append(Problem(problem, file=where, line=line, field=spec.name, value=raw,
                                expected=_expected(spec),
                                hint=(did_you_mean(value, spec.choices) or None)
                                if spec.choices else None))
    return value


def _check_allowed(value: Any, spec: ColumnSpec) -> str | None:
    allowed = spec.allowed
    if not allowed or allowed.startswith("ref"):
        return None
    if allowed == ">=0":
        return "negative value" if value < 0 else None
    if allowed == ">0":
        return "value must be positive" if value <= 0 else None
    if allowed == "<=0":
        return "positive value" if value > 0 else None
    if ".." in allowed:
        lo, hi = (float(x) for x in allowed.split(".."))
        return "value out of range" if not lo <= value <= hi else None
    choices = spec.choices or ()
    if str(value) not in choices:
        return "value not allowed"
    return None


def _expected(spec: ColumnSpec) -> str:
    allowed = spec.allowed
    unit = f" in {spec.unit}" if spec.unit else ""
    kind = {"float": "a number", "int": "a whole number"}.get(spec.dtype, "text")
    if not allowed or allowed.startswith("ref"):
        return kind + unit
    if allowed == ">=0":
        return f"a number >= 0{unit}"
    if allowed == ">0":
        return f"a number > 0{unit}"
    if allowed == "<=0":
        return f"a number <= 0{unit}"
    if ".." in allowed:
        lo, hi = allowed.split("..")
        return f"a number between {lo} and {hi}{unit}"
    return "one of " + ", ".join(repr(c) for c in allowed.split("|"))


def iter_problems(problems: Iterable[Problem]) -> list[str]:
    """Render problems as lines (used by ``spigot data validate``)."""
    return [p.describe() for p in problems]
