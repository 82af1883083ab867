"""ISO 3166 region codes: checks and suggestions for wrong codes."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

import pycountry

__all__ = ["COMMON_MISTAKES", "holder_region", "is_iso3", "iso3_codes", "suggest_region"]

#: Codes people write that are not ISO 3166 alpha-3, mapped to the right one.
COMMON_MISTAKES: dict[str, str] = {
    "UK": "GBR",
    "EL": "GRC",
    "ENG": "GBR",
    "GER": "DEU",
    "SUI": "CHE",
    "NED": "NLD",
    "HOL": "NLD",
    "RSA": "ZAF",
    "KSA": "SAU",
    "UAE": "ARE",
    "BUR": "MMR",
    "BRM": "MMR",
    "KOS": "XKX",
    "PRC": "CHN",
    "ROK": "KOR",
    "DPRK": "PRK",
    "JAP": "JPN",
    "US": "USA",
}


@functools.cache
def iso3_codes() -> frozenset[str]:
    """Return every ISO 3166-1 alpha-3 code (from pycountry) plus ``WLD`` for the world total."""
    return frozenset({c.alpha_3 for c in pycountry.countries} | {"WLD"})


def is_iso3(code: str) -> bool:
    """Whether ``code`` is an ISO 3166-1 alpha-3 country code (or ``WLD``)."""
    return code in iso3_codes()


def suggest_region(code: str) -> str | None:
    """Suggest the ISO alpha-3 code a user probably meant by ``code``.

    Handles well-known mistakes (``UK`` for ``GBR``), alpha-2 codes (``DE``), and country names.
    """
    text = code.strip()
    if text.upper() in COMMON_MISTAKES:
        return COMMON_MISTAKES[text.upper()]
    if len(text) == 2:
        country = pycountry.countries.get(alpha_2=text.upper())
        if country is not None:
            return str(country.alpha_3)
    if len(text) == 3 and text.upper() in iso3_codes():
        return text.upper()
    try:
        match = pycountry.countries.search_fuzzy(text)
    except LookupError:
        return None
    return str(match[0].alpha_3) if match else None


def holder_region(rows: Sequence[Mapping[str, str]], iso3: str) -> Mapping[str, str] | None:
    """The row of a regions table that holds country ``iso3``.

    The country's own row if it is a region; else the aggregate whose ``members`` list it; else
    the aggregate whose ``members`` is ``*`` (all countries not listed elsewhere); ``None`` if
    the table has none of these.

    Parameters
    ----------
    rows
        The regions table as records (``id``, ``members``; values as strings).
    iso3
        An ISO 3166-1 alpha-3 country code.
    """
    own = next((r for r in rows if r["id"] == iso3), None)
    if own is not None:
        return own
    return next((r for r in rows if iso3 in str(r.get("members", "")).split(";")), None) or next(
        (r for r in rows if r.get("members", "") == "*"), None)
