"""Observed series bundled for the historical replays (back-tests), with their provenance.

Each series is a tidy CSV in ``spigot/replays/data/`` built by ``tools/build_replay_observed.py``
from the project's collection of facts; ``sources.csv`` there names every file's title, units,
source, coverage and caveats. Every row carries its own ``source``, ``confidence`` (H/M/L) and
``note``. What is bundled and what is not: ``docs/replays-data.md``.

=========================== ===============================================================
name                        what
=========================== ===============================================================
prices_2010_2015            Nd, Dy, Ce, La, Tb (Eu, PrNd) oxide/metal prices 2010-2015,
                            ex-China (USD/kg) and China domestic (CNY/kg)
japan_imports_2010          Japan's rare-earth imports from China, Sep-Nov 2010, China share
china_re_export_quotas      China's export quotas and actual exports 2005-2015
china_exports_monthly       China-reported monthly exports 2017-2024 (rare-earth group by
                            destination, sub-group values, graphite by destination)
china_exports_annual        China's annual exports 2017-2024 by destination (BACI): RE
                            metals and compounds, W and Sb ores, W powders, graphite
calibration_targets_2010    what the 2010 replay must reproduce, with tolerances
production_events           reported production stoppages and quiet periods per replay (the
                            record the stoppage skill score is graded against)
=========================== ===============================================================

Out-of-sample rule: only the 2010-2012 episode and the quiet record of 2023-2024 (no production
stoppage attributed to the licences) calibrate the model; nothing else here describes the outcome
of the 2023 gallium/germanium or 2025 rare-earth episodes.

>>> from spigot.replays import load_observed, names
>>> "japan_imports_2010" in names()
True
>>> frame = load_observed("japan_imports_2010")
>>> frame.attrs["units"]
{'china_share': '%', 'imports': 't'}
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

from spigot.bundled import BundledCatalog
from spigot.errors import UnknownNameError

__all__ = ["describe", "load_observed", "names", "path"]

_TEXT_COLUMNS = ("region", "partner", "commodity", "hs", "spigot_commodity", "period", "partners",
                 "window_start", "window_end", "unit", "period_start", "period_end", "regions",
                 "sectors", "commodities", "observed")


#: The series' folder; their names come from ``sources.csv`` there, not from file names.
_FOLDER = BundledCatalog("spigot.replays", "observed series", "*.csv", subfolder="data")


@functools.lru_cache(maxsize=1)
def _sources() -> dict[str, dict[str, str]]:
    frame = pd.read_csv(_FOLDER.root() / "sources.csv", dtype=str, keep_default_na=False)
    return {str(row["name"]): {str(k): str(v) for k, v in row.items()}
            for row in frame.to_dict(orient="records")}


def names() -> tuple[str, ...]:
    """Names of the bundled observed series, sorted."""
    return tuple(sorted(_sources()))


def describe(name: str) -> dict[str, str]:
    """Provenance of observed series ``name``: file, title, units, source, coverage, note.

    Raises
    ------
    UnknownNameError
        If there is no such series.
    """
    if name not in _sources():
        raise UnknownNameError("observed series", name, names())
    return dict(_sources()[name])


def path(name: str) -> Path:
    """The CSV file of observed series ``name``."""
    return _FOLDER.root() / describe(name)["file"]


@functools.lru_cache(maxsize=8)
def _read(name: str) -> pd.DataFrame:
    file = path(name)
    dtypes = {c: str for c in _TEXT_COLUMNS}
    frame = pd.read_csv(file, dtype=dtypes, keep_default_na=False, na_values={"value": [""]})
    for column in ("value", "value_low", "value_high", "tolerance"):
        if column in frame:
            frame[column] = pd.to_numeric(frame[column].replace("", None), errors="raise").astype(float)
    if "date" in frame:
        frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d")
    return frame


def load_observed(name: str) -> pd.DataFrame:
    """Load bundled observed series ``name`` as a tidy DataFrame (a fresh copy).

    Columns: at least ``value, unit, source, confidence, note``; dated series also ``date``
    (datetime64, the first day of the month or year for monthly and annual figures, see
    ``date_precision``), ``series``, ``region`` and ``partner`` (the destination of exports, the
    origin of imports), ``commodity``.

    ``attrs``: ``name``, ``units`` (series or metric to unit; one unit per series), ``source``,
    ``title``, ``coverage``, ``note`` and ``file``.

    Raises
    ------
    UnknownNameError
        If there is no such series (the message lists the names and suggests the closest).
    """
    meta = describe(name)
    frame = _read(name).copy()
    key = "series" if "series" in frame else "metric"
    units = frame.groupby(key, sort=True)["unit"].agg(lambda u: "; ".join(sorted(set(u))))
    frame.attrs = {"name": name, "units": {str(k): str(v) for k, v in units.items()},
                   "source": meta["source"], "title": meta["title"], "coverage": meta["coverage"],
                   "note": meta["note"], "file": meta["file"]}
    return frame
