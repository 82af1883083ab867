"""Risk by year: the world of a year's trade and production, and which year each input is from.

``spigot risk --year Y`` scores the world that ``spigot data import-baci --year Y`` builds
(:func:`spigot.datasets.trade_world.import_baci`: BACI trade of Y through the bundled HS map,
World Mining Data production of Y) with the WGI political stability of Y. Nothing of another
year stands in silently: a year without trade, production or WGI data is an error naming the
years each input has, a stage whose statistics lack Y is listed as missing (not scored), and
routes the HS map cannot take from BACI (commodities without an HS code in the extract) keep the
template's pattern and are listed with their own year.

The world of a year is built once per process (:func:`year_world` is cached), so later calls
are as fast as on the bundled world.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from spigot import datasets
from spigot.datasets import baci
from spigot.errors import DataError, InputError, Problem
from spigot.network import SupplyNetwork
from spigot.risk._common import memo, shared_table
from spigot.risk.governance import DEFAULT_WGI_YEAR, political_stability_years

__all__ = ["WGI_EU_YEAR", "YearWorld", "check_year", "route_years", "trade_year", "year_world"]

#: Data year of the six WGI estimates the EU method uses (the only year bundled).
WGI_EU_YEAR = 2022

S_WGI_PS = "World Bank WGI, political stability (estimate), bundled series"
S_WGI_EU = "World Bank WGI 2023 update, six estimates (data year 2022), the only year bundled"


@dataclass(frozen=True)
class YearWorld:
    """A world to score and where its inputs come from.

    Attributes
    ----------
    network
        The world (the bundled one, or the one built from BACI and WMD of ``year``).
    year
        The year asked for (``None``: the bundled world as it is).
    wgi_year
        Year of the WGI political stability (GeoPolRisk).
    from_template
        Commodities whose routes are not from BACI of ``year`` (no HS code with rows): the
        template's routes, scaled to the year's production; ``{"commodity", "year", "why"}``.
    """

    network: SupplyNetwork
    year: int | None
    wgi_year: int
    from_template: list[dict[str, Any]] = field(default_factory=list)


def check_year(year: int) -> None:
    """Refuse a year without trade, production or WGI data.

    Raises
    ------
    InputError
        Naming the input that lacks the year and the years every input has.
    """
    baci.check_year(year)
    years = political_stability_years()
    if year not in years:
        raise InputError(Problem(
            "no data for this year: the bundled WGI political-stability series does not cover "
            "it", field="--year", value=year,
            expected=f"a year from {years[0]} to {years[-1]} (WGI political stability)"))


def year_world(year: int | None, dataset: str = "base") -> YearWorld:
    """The world ``spigot risk`` scores for ``year`` (the bundled ``dataset`` if ``None``).

    Raises
    ------
    InputError
        For a year without data (:func:`check_year`) or a dataset that is not a bundled world
        (a year's world is built from a bundled template).
    """
    if year is None:
        return YearWorld(datasets.load(dataset), None, DEFAULT_WGI_YEAR)
    check_year(year)
    if dataset not in datasets.names():
        raise InputError(Problem(
            "--year builds the world of that year from a bundled world", field="--dataset",
            value=dataset, expected="a bundled dataset: " + ", ".join(datasets.names()),
            hint="for a world you imported yourself ('spigot data import-baci --year Y DIR'), "
                 "drop --year: its years are in the output's inputs"))
    return _built(year, dataset)


@functools.lru_cache(maxsize=8)
def _built(year: int, template: str) -> YearWorld:
    from spigot.datasets.trade_world import import_baci

    try:
        world = import_baci(year, template=template)
    except DataError as exc:
        first = str(exc).splitlines()[1:2] or [str(exc)]
        raise InputError(Problem(
            "--year cannot build the world of the year from this dataset: "
            + first[0].strip(), field="--dataset", value=template,
            expected="a bundled world that the BACI import's HS map covers",
            hint="use --dataset base")) from exc
    years = route_years(world.network)
    kept: list[dict[str, Any]] = [
        {"commodity": str(c["commodity"]), "year": years.get(str(c["commodity"])),
         "why": str(c.get("why", ""))}
        for c in world.report["commodities"] if c.get("routes_from") != "BACI"]
    return YearWorld(world.network, year, year, kept)


def route_years(net: SupplyNetwork) -> dict[str, int | None]:
    """The year of each commodity's routes with a volume (the latest where they differ;
    ``None`` without)."""
    def compute() -> dict[str, int | None]:
        routes = shared_table(net, "routes")
        routes = routes[routes["volume"].astype(float) > 0]
        out: dict[str, int | None] = {}
        for comm, year in zip(routes["commodity"].astype(str), routes["year"], strict=True):
            value = int(year) if year == year and year is not None else None
            if value is not None:
                out[comm] = max(value, out.get(comm) or value)
            else:
                out.setdefault(comm, None)
        return out

    return dict(memo(net, "route_years", compute))


def trade_year(net: SupplyNetwork, commodities: Iterable[str]) -> int | list[int] | None:
    """The year of the routes of ``commodities``: one year, the sorted years where they differ
    (a group whose members' routes come from different years), ``None`` without routes."""
    years = route_years(net)
    found = sorted({y for c in commodities if (y := years.get(str(c))) is not None})
    return None if not found else found[0] if len(found) == 1 else found
