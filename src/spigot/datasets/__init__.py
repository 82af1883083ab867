"""Bundled datasets: source-tagged worlds that ship inside the package and load offline.

>>> import spigot as sp
>>> sp.datasets.names()
('base', 'toy')
>>> net = sp.datasets.load("base")
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from spigot.bundled import BundledCatalog
from spigot.errors import DataError, Problem
from spigot.network.files import is_url

if TYPE_CHECKING:  # imported where a world is loaded, so that names() and describe() stay light
    from spigot.network import SupplyNetwork

__all__ = ["REQUIRED_TABLES", "check_folder", "describe", "export", "load", "names", "path",
           "table_rows"]


_CATALOG = BundledCatalog("spigot.datasets", "dataset", "*/dataset.yaml")


def names() -> tuple[str, ...]:
    """Names of the bundled datasets."""
    return _CATALOG.names()


def path(name: str) -> Path:
    """Folder of bundled dataset ``name``.

    Raises
    ------
    UnknownNameError
        If there is no such dataset.
    """
    return _CATALOG.path(name)


def describe(name: str) -> dict[str, object]:
    """The dataset's ``dataset.yaml``: title, description, base year, sources and tolerances."""
    with (path(name) / "dataset.yaml").open(encoding="utf-8") as fh:
        meta = yaml.safe_load(fh)
    return dict(meta or {})


@functools.lru_cache(maxsize=8)
def _load_cached(name: str) -> SupplyNetwork:
    from spigot.network import SupplyNetwork

    return SupplyNetwork.from_folder(path(name), name=name)


def load(name: str = "base") -> SupplyNetwork:
    """Load bundled dataset ``name``, or a dataset folder given by its path.

    Bundled datasets are immutable and cached, so repeated loads share one object; a folder is
    read (and validated) on every call, since its files may have changed.

    Raises
    ------
    UnknownNameError
        If ``name`` is neither a bundled dataset nor a folder.
    """
    if name in names():
        return _load_cached(name)
    if is_url(name):
        raise DataError(Problem("URLs are not read: spigot fetches nothing from the network",
                                field="dataset", value=name,
                                expected="a bundled dataset name or a dataset folder on this "
                                         "machine"))
    if Path(name).is_dir():
        from spigot.network import SupplyNetwork

        check_folder(name)
        return SupplyNetwork.from_folder(name)
    path(name)  # raises UnknownNameError with a suggestion
    raise AssertionError("unreachable")  # pragma: no cover


def table_rows(name: str) -> dict[str, int]:
    """Rows of each table of bundled dataset ``name`` (read with the csv module: no pandas, no
    validation; the bundled datasets are validated by the tests)."""
    out: dict[str, int] = {}
    for file in sorted(path(name).glob("*.csv")):
        with file.open(encoding="utf-8", newline="") as fh:
            out[file.stem] = max(sum(1 for _ in csv.reader(fh)) - 1, 0)
    return out


#: Tables a dataset folder must have: without them there is no world to simulate.
REQUIRED_TABLES: tuple[str, ...] = ("commodities", "regions", "nodes", "routes", "sectors", "bom")


def check_folder(folder: str | Path) -> None:
    """Refuse a folder that is not a dataset (a system folder, a typo'd path) before reading it.

    Raises
    ------
    DataError
        Naming the folder and the required table files it lacks.
    """
    root = Path(folder)
    missing = [t for t in REQUIRED_TABLES
               if not any((root / f"{t}{ext}").is_file() for ext in (".csv", ".yaml", ".yml"))]
    if missing:
        raise DataError(Problem(
            "not a spigot dataset folder: missing table file(s) "
            + ", ".join(f"{t}.csv" for t in missing), file=str(root), field="dataset",
            expected="a folder with one CSV or YAML file per table (at least "
                     + ", ".join(REQUIRED_TABLES) + ")",
            hint="export a bundled one to start from: 'spigot data export base DIR'"))


def export(name: str, folder: str | Path, *, overwrite: bool = False) -> Path:
    """Write bundled dataset ``name`` as an editable folder that ``from_folder`` reads back."""
    meta = yaml.safe_dump(describe(name), sort_keys=False, allow_unicode=True)
    return load(name).to_folder(folder, overwrite=overwrite, extra_files={"dataset.yaml": meta})
