r"""Governance indicators: the World Bank WGI, scaled as the EU and GeoPolRisk methods use them.

* EU CRM methodology (JRC 2017): the mean of the six WGI estimates (voice and accountability,
  political stability, government effectiveness, regulatory quality, rule of law, control of
  corruption; each about -2.5 to +2.5, higher = better governance) rescaled to 0-10 with 10 the
  poorest governance: :math:`WGI^{EU}_i = 2\,(2.5 - \overline{WGI}_i)`.
* GeoPolRisk (Santillán-Saldivar et al. 2021; geopolrisk-py): the political-stability estimate
  rescaled to 0-1 with 1 the least stable: :math:`g_i = (2.5 - PS_i) / 5`.

Values are clipped to the scale. The bundled table is the WGI 2023 update (data year 2022) for
51 countries (``metrics/data/wgi.csv``).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from spigot.risk._common import reference_table

__all__ = ["WGI_COLUMNS", "WGI_MIDPOINT", "political_stability_scaled", "wgi_scaled", "wgi_table"]

#: The six WGI estimates.
WGI_COLUMNS: tuple[str, ...] = ("va", "ps", "ge", "rq", "rl", "cc")

#: Value used for a country without WGI data: the middle of the scale (0 on the raw scale).
WGI_MIDPOINT = 0.0

REFERENCE_WGI = ("World Bank Worldwide Governance Indicators, 2023 update (data year 2022); "
                 "Kaufmann, Kraay & Mastruzzi (2010)")


def wgi_table() -> pd.DataFrame:
    """The bundled WGI estimates: ``region, year, va, ps, ge, rq, rl, cc, source``."""
    return reference_table("wgi")


def _raw(column: str | None, regions: Iterable[str] | None) -> tuple[pd.Series, list[str]]:
    table = wgi_table().set_index("region")
    values = table[list(WGI_COLUMNS)].mean(axis=1) if column is None else table[column]
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


def political_stability_scaled(regions: Iterable[str] | None = None) -> pd.Series:
    r"""GeoPolRisk governance score, 0-1 (1 = least stable): :math:`(2.5 - PS) / 5`.

    Parameters
    ----------
    regions
        ISO alpha-3 codes; all if ``None``. Missing countries get 0.5 (``attrs["missing"]``).

    Examples
    --------
    >>> round(float(political_stability_scaled(["CHN"])["CHN"]), 4)
    0.5882
    """
    raw, missing = _raw("ps", regions)
    out = pd.Series(np.clip((2.5 - raw.to_numpy()) / 5, 0, 1), index=raw.index, name="g")
    out.attrs = {"missing": missing, "unit": "0-1 (1 = least stable)", "reference": REFERENCE_WGI}
    return out
