"""Bundled datasets: source-tagged worlds that ship inside the package and load offline.

>>> import spigot as sp
>>> sp.datasets.names()
('base', 'toy')
>>> net = sp.datasets.load("base")
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

import yaml

from spigot.errors import UnknownNameError
from spigot.network import SupplyNetwork

__all__ = ["describe", "export", "load", "names", "path"]


def _root() -> Path:
    return Path(str(resources.files("spigot.datasets")))


def names() -> tuple[str, ...]:
    """Names of the bundled datasets."""
    return tuple(sorted(p.name for p in _root().iterdir()
                        if p.is_dir() and (p / "dataset.yaml").exists()))


def path(name: str) -> Path:
    """Folder of bundled dataset ``name``.

    Raises
    ------
    UnknownNameError
        If there is no such dataset.
    """
    if name not in names():
        raise UnknownNameError("dataset", name, names())
    return _root() / name


def describe(name: str) -> dict[str, object]:
    """The dataset's ``dataset.yaml``: title, description, base year, sources and tolerances."""
    with (path(name) / "dataset.yaml").open(encoding="utf-8") as fh:
        meta = yaml.safe_load(fh)
    return dict(meta or {})


@functools.lru_cache(maxsize=8)
def _load_cached(name: str) -> SupplyNetwork:
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
    if Path(name).is_dir():
        return SupplyNetwork.from_folder(name)
    path(name)  # raises UnknownNameError with a suggestion
    raise AssertionError("unreachable")  # pragma: no cover


def export(name: str, folder: str | Path, *, overwrite: bool = False) -> Path:
    """Write bundled dataset ``name`` as an editable folder that ``from_folder`` reads back."""
    target = load(name).to_folder(folder, overwrite=overwrite)
    (target / "dataset.yaml").write_text(
        yaml.safe_dump(describe(name), sort_keys=False, allow_unicode=True), encoding="utf-8")
    return target
