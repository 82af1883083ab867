"""Turn an ``xr.Dataset`` into tidy tables and a JSON layout, and back.

A stored run keeps each data variable in long ("tidy") form: one row per cell, the variable's
dimensions as columns, and a ``value`` column. Variables with a ``draw`` or ``sample`` dimension
(per-draw values and sampled trajectories) go to one Parquet file each; the others (summaries)
go to the catalog. The *layout* records everything needed to rebuild the Dataset exactly:
coordinates with their dtypes, each variable's dimensions, dtype and attributes, and the
Dataset's attributes.

Supported data-variable dtypes: float, int, unsigned, bool (stored as DOUBLE and cast back) and
datetime64 (stored as seconds since the epoch). Coordinates may be numbers, strings, booleans or
datetimes.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import xarray as xr

from spigot.errors import InputError, Problem

__all__ = [
    "DRAW_DIM",
    "LAYOUT_FORMAT",
    "RESERVED_COLUMNS",
    "SAMPLED_DIMS",
    "column_name",
    "decode_variable",
    "encode_layout",
    "jsonable",
    "labels",
    "summary_table",
    "tidy_frame",
]

#: The dimension of Monte Carlo draws.
DRAW_DIM = "draw"
#: Dimensions that mark a variable as per-draw data or sampled trajectories (stored in Parquet):
#: ``draw`` (one value per draw) and ``sample`` (full trajectories of a few kept draws).
SAMPLED_DIMS: tuple[str, ...] = (DRAW_DIM, "sample")
#: Version of the layout JSON; bumped when its meaning changes.
LAYOUT_FORMAT = 1
#: Column names the tidy tables use themselves; a dimension with one of these names is stored
#: as ``dim_<name>``.
RESERVED_COLUMNS = ("run_id", "variable", "unit", "value")

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_SUPPORTED_KINDS = "fiub"  # float, int, unsigned, bool; datetimes handled separately


def column_name(dim: str) -> str:
    """The tidy-table column that holds dimension ``dim``."""
    return f"dim_{dim}" if dim in RESERVED_COLUMNS else dim


def jsonable(value: Any) -> Any:
    """Convert attribute values (numpy scalars and arrays, dates, tuples) to JSON values."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, np.datetime64):
        return str(np.datetime_as_string(value))
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, dt.datetime | dt.date | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def labels(values: np.ndarray) -> list[str]:
    """String labels of coordinate values, identical on write and on read.

    Datetimes become ISO 8601 strings, everything else ``str(value)``.
    """
    array = np.asarray(values)
    if array.dtype.kind == "M":
        return [str(s) for s in np.datetime_as_string(array.astype("datetime64[ns]"))]
    return [str(v) for v in array.tolist()]


def _check_name(kind: str, name: Hashable) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise InputError(Problem(f"{kind} name cannot be stored", value=name,
                                 expected="a name of letters, digits and '_' starting with a letter "
                                          "or '_' (at most 63 characters)",
                                 hint=f"rename the {kind} before saving"))
    return name


def _encode_values(values: np.ndarray) -> tuple[str, list[Any]]:
    array = np.asarray(values)
    if array.dtype.kind == "M":
        return str(array.dtype), labels(array)
    if array.dtype.kind == "m":
        return str(array.dtype), array.astype("timedelta64[ns]").astype(np.int64).tolist()
    if array.dtype.kind in "OUST":
        return "str", [str(v) for v in array.tolist()]
    return str(array.dtype), [jsonable(v) for v in array.tolist()]


def _decode_values(dtype: str, values: list[Any]) -> np.ndarray:
    if dtype.startswith("datetime64"):
        return np.array(values, dtype="datetime64[ns]").astype(dtype)
    if dtype.startswith("timedelta64"):
        return np.array(values, dtype=np.int64).astype("timedelta64[ns]").astype(dtype)
    if dtype == "str":
        return np.array(values, dtype=object)
    return np.array([np.nan if v is None else v for v in values], dtype=dtype)


def encode_layout(dataset: xr.Dataset) -> dict[str, Any]:
    """Describe ``dataset``'s coordinates, variables and attributes as a JSON-able dict.

    Raises
    ------
    InputError
        If a variable or dimension name cannot be stored, or a variable's dtype is unsupported.
    """
    coords: dict[str, Any] = {}
    for name, coord in dataset.coords.items():
        _check_name("coordinate", name)
        dtype, values = _encode_values(coord.values.ravel())
        coords[str(name)] = {"dims": [str(d) for d in coord.dims], "dtype": dtype,
                             "shape": list(coord.shape), "values": values,
                             "attrs": jsonable(coord.attrs)}
    sizes = {str(d): int(n) for d, n in dataset.sizes.items()}
    for dim in sizes:
        _check_name("dimension", dim)
    variables: dict[str, Any] = {}
    for name, var in dataset.data_vars.items():
        text = _check_name("variable", name)
        kind = var.dtype.kind
        if kind not in _SUPPORTED_KINDS and kind != "M":
            raise InputError(Problem("variable dtype cannot be stored", field=text,
                                     value=str(var.dtype),
                                     expected="numbers, booleans or datetimes"))
        sampled = any(d in var.dims for d in SAMPLED_DIMS)
        variables[text] = {"dims": [str(d) for d in var.dims], "dtype": str(var.dtype),
                           "attrs": jsonable(var.attrs),
                           "where": "parquet" if sampled else "summary",
                           "file": f"trajectories/{text}.parquet" if sampled else None}
    return {"format": LAYOUT_FORMAT, "sizes": sizes, "attrs": jsonable(dataset.attrs),
            "coords": coords, "variables": variables}


def _dim_values(dataset: xr.Dataset, dim: str) -> np.ndarray:
    """Labels of ``dim``'s cells: its index coordinate, or positions if it has none or the
    coordinate repeats a label (so every cell has a distinct key)."""
    if dim in dataset.indexes:
        values = np.asarray(dataset.indexes[dim])
        if len(set(labels(values))) == len(values):
            return values
    return np.arange(dataset.sizes[dim])


def tidy_frame(dataset: xr.Dataset, name: str, *, as_labels: bool,
               with_names: bool = True) -> pd.DataFrame:
    """Variable ``name`` in long form: one column per dimension, then ``variable``, ``unit``, ``value``.

    Parameters
    ----------
    dataset
        The Dataset.
    name
        The data variable.
    as_labels
        If true, dimension columns hold string labels (the catalog's form); otherwise their
        native values (Parquet keeps dates as timestamps and draws as integers).
    with_names
        Add the ``variable`` and ``unit`` columns (the same value on every row; a Parquet file
        holds one variable and needs neither).
    """
    var = dataset[name]
    columns: dict[str, Any] = {}
    for dim, cells in _cells(var):
        values = _dim_values(dataset, dim)
        if as_labels:
            columns[column_name(dim)] = np.asarray(labels(values), dtype=object)[cells]
        elif values.dtype.kind in "OUS":  # text labels: dictionary-encoded (one per label)
            columns[column_name(dim)] = pd.Categorical.from_codes(
                cells, categories=pd.Index(values.astype(str), dtype=object))
        else:
            columns[column_name(dim)] = values[cells]
    data = _flat_values(var)
    if with_names:
        columns["variable"] = np.full(data.size, name, dtype=object)
        columns["unit"] = np.full(data.size, str(var.attrs.get("units", "")), dtype=object)
    columns["value"] = data
    return pd.DataFrame(columns)


def _cells(var: xr.DataArray) -> list[tuple[str, np.ndarray]]:
    """For each dimension of ``var``, the index along it of every cell (C order)."""
    grids = np.indices(var.shape).reshape(len(var.dims), int(np.prod(var.shape)))
    return [(str(dim), grids[axis]) for axis, dim in enumerate(var.dims)]


def _flat_values(var: xr.DataArray) -> np.ndarray:
    """``var``'s values in C order as float64 (datetimes as seconds since 1970, NaT as NaN)."""
    data = np.asarray(var.values).reshape(-1)
    if data.dtype.kind == "M":
        seconds = data.astype("datetime64[ns]").astype(np.int64) / 1e9
        data = np.where(np.isnat(data), np.nan, seconds)
    return data.astype(np.float64)


def summary_table(dataset: xr.Dataset, names: list[str], run_id: str) -> pa.Table:
    """The catalog's summary rows of variables ``names``: :func:`tidy_frame` with labels, as one
    Arrow table (``run_id``, one column per dimension, ``variable``, ``unit``, ``value``).

    Built in Arrow rather than pandas: a 10,000 x 520 run has ~10^6 summary rows, and Python
    string objects per cell cost seconds to build and to hand to DuckDB.
    """
    tables = []
    for name in names:
        var = dataset[name]
        size = int(np.prod(var.shape))
        if size == 0:
            continue
        columns: dict[str, pa.Array] = {"run_id": pa.repeat(pa.scalar(run_id), size)}
        for dim, cells in _cells(var):
            names_of_cells = pa.array(labels(_dim_values(dataset, dim)), pa.string())
            columns[column_name(dim)] = names_of_cells.take(pa.array(cells))
        columns["variable"] = pa.repeat(pa.scalar(name), size)
        columns["unit"] = pa.repeat(pa.scalar(str(var.attrs.get("units", ""))), size)
        columns["value"] = pa.array(_flat_values(var))
        tables.append(pa.table(columns))
    if not tables:
        return pa.table({})
    return pa.concat_tables(tables, promote_options="default")


def decode_coords(layout: Mapping[str, Any]) -> dict[str, xr.Variable]:
    """Rebuild the coordinates described by ``layout``."""
    out: dict[str, xr.Variable] = {}
    for name, spec in layout["coords"].items():
        values = _decode_values(spec["dtype"], spec["values"]).reshape(spec["shape"])
        out[name] = xr.Variable(spec["dims"], values, attrs=spec.get("attrs") or {})
    return out


def decode_variable(layout: Mapping[str, Any], coords: Mapping[str, xr.Variable], name: str,
                    frame: pd.DataFrame) -> xr.Variable:
    """Rebuild variable ``name`` from its tidy rows ``frame`` (in any row order).

    Cells without a row are NaN (or NaT). A frame with no rows (a variable with a zero-length
    dimension, such as ``licence_route`` in a run without licences, or all cells missing) needs no
    dimension columns.
    """
    spec = layout["variables"][name]
    dims: list[str] = spec["dims"]
    shape = tuple(int(layout["sizes"][d]) for d in dims)
    flat = np.full(int(np.prod(shape, dtype=np.int64)), np.nan)
    if dims and len(frame):
        positions = np.zeros(len(frame), dtype=np.int64)
        for dim, size in zip(dims, shape, strict=True):
            column = frame[column_name(dim)]
            known = [str(i) for i in range(size)]
            if dim in coords and coords[dim].dims == (dim,):
                named = labels(coords[dim].values)
                if len(set(named)) == len(named):
                    known = named
            lookup = {label: i for i, label in enumerate(known)}
            codes, uniques = pd.factorize(column)
            unique_labels = labels(np.asarray(uniques))
            missing = [u for u in unique_labels if u not in lookup]
            if missing or (codes < 0).any():
                raise ValueError(f"stored variable {name!r} has {dim!r} labels that are not among "
                                 f"its coordinates: {missing[:3] or ['(missing)']}")
            index = np.array([lookup[u] for u in unique_labels], dtype=np.int64)[codes]
            positions = positions * size + index
        flat[positions] = frame["value"].to_numpy(dtype=np.float64)
    elif len(frame):
        flat[0] = float(frame["value"].iloc[0])
    data: np.ndarray = flat.reshape(shape)
    dtype = str(spec["dtype"])
    if dtype.startswith("datetime64"):
        nat = np.isnan(data)
        data = (np.where(nat, 0, data) * 1e9).round().astype(np.int64).astype("datetime64[ns]")
        data[nat] = np.datetime64("NaT")
        data = data.astype(dtype)
    elif np.dtype(dtype).kind in "iub":
        if np.isnan(data).any():
            raise ValueError(f"stored variable {name!r} of dtype {dtype} has missing cells")
        data = data.astype(dtype)
    elif data.dtype != np.dtype(dtype):
        data = data.astype(dtype)
    return xr.Variable(dims, data, attrs=spec.get("attrs") or {})


def layout_json(layout: Mapping[str, Any]) -> str:
    """``layout`` as compact JSON text."""
    return json.dumps(layout, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
