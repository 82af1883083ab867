"""Mitigation measures as data: what a holder can buy, and what it costs (docs/mitigation.md).

A *menu* is YAML, validated by pydantic with line numbers (as scenario files are)::

    name: jpn-dy
    dataset: base
    measures:
      - kind: strategic_stockpile
        id: jpn_dy_reserve
        holder: JPN                      # a region id of the dataset
        commodity: dy_oxide              # a commodity id (t in its basis: REO, metal, product)
        tonnes: 20
        release_t_per_week: 2            # released by the StockpileRelease policy
        release_below_cover_weeks: 4
      - kind: extra_cover
        id: jpn_auto_cover
        region: JPN
        sector: automotive               # the sector JPN.automotive
        weeks: 4                         # extra weeks of every input the sector uses

Costs (:func:`measure_cost`): the stock is bought at the holder zone's base price (the dataset's
``prices`` table) and held at a yearly cost that is a share of its value; the shares not given in
the menu come from the bundled :func:`mitigation_table` (each with its source or "assumption").

Every mistake (an unknown region, commodity or sector, a negative cost) is an
:class:`~spigot.errors.InputError` (exit code 2) naming the field, the bad value, what was expected
and, where one is close, a suggestion.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Annotated, Any, Literal

import pandas as pd
import pydantic
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from spigot.errors import DataError, InputError, Problem, UnknownNameError, did_you_mean
from spigot.mitigation.levers import (
    LEVER_KINDS,
    DiversifiedOfftake,
    NewCapacity,
    Recycling,
    Substitution,
    check_lever,
    lever_names,
    name_pool,
    unknown_name_problem,
)
from spigot.scenarios.kinds.stockpile_release import StockpileRelease
from spigot.scenarios.loader import YamlSource, dedupe_problems, problem_from_pydantic, relevant_errors

if TYPE_CHECKING:
    from spigot.network import SupplyNetwork
    from spigot.scenarios import Scenario

__all__ = ["ExtraCover", "MeasureCost", "Menu", "StrategicStockpile", "check_menu",
           "load_menu_text", "measure_cost", "mitigation_table", "release_policy",
           "weekly_use_t", "with_stockpiles"]

#: Weeks in a year (costs per year are spread over the horizon's weeks).
WEEKS_PER_YEAR = 52.0


@functools.cache
def _read_table() -> pd.DataFrame:
    with (resources.files("spigot.mitigation") / "data" / "mitigations.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh)


def mitigation_table() -> pd.DataFrame:
    """A copy of the bundled cost priors (``src/spigot/mitigation/data/mitigations.csv``).

    Columns ``kind, parameter, value, unit, source, confidence, note``: one row per cost parameter
    of a measure kind, used where a menu does not give its own value.
    """
    return _read_table().copy()


def _prior(kind: str, parameter: str) -> float:
    table = _read_table()
    row = table[(table["kind"] == kind) & (table["parameter"] == parameter)]
    return float(row["value"].iloc[0])


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_ID = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$",
            description="Stable id of the measure (letters, digits, _ . -).")


class StrategicStockpile(_Model):
    """A stock of one commodity a holder buys, holds and releases by the StockpileRelease rule."""

    kind: Literal["strategic_stockpile"]
    id: str = _ID
    holder: str = Field(description="Region id of the holder (its sectors receive the release).")
    commodity: str = Field(description="Commodity id held, in its unit basis (t REO, metal, product).")
    tonnes: float = Field(ge=0, description="t held at the start.")
    release_t_per_week: float = Field(gt=0, description="Largest release per week, t.")
    release_below_cover_weeks: float | None = Field(
        4.0, gt=0, description="Release while the holder's sectors hold less than this many weeks "
        "of their base use.")
    release_above_price: float | None = Field(
        None, gt=0, description="Release while the relative price is at least this (needs markets).")
    holding_cost_share_per_year: float | None = Field(
        None, ge=0, le=1, description="Yearly holding cost as a share of the stock's value, 1/yr "
        "(default: the bundled prior).")
    acquisition_premium: float | None = Field(
        None, ge=0, description="Price paid above the zone's base price, as a share of it "
        "(default: the bundled prior, 0).")


class ExtraCover(_Model):
    """Firms of one region x sector hold more weeks of every input they use."""

    kind: Literal["extra_cover"]
    id: str = _ID
    region: str = Field(description="Region id of the sector.")
    sector: str = Field(description="Sector name (automotive), the sector <region>.<sector>.")
    weeks: float = Field(gt=0, le=520, description="Extra weeks of base use held, week.")
    carrying_cost_share_per_year: float | None = Field(
        None, ge=0, le=1, description="Yearly carrying cost as a share of the cover's value, 1/yr "
        "(default: the bundled prior).")
    acquisition_premium: float | None = Field(
        None, ge=0, description="Price paid above the zone's base price, as a share of it.")


Measure = Annotated[StrategicStockpile | ExtraCover | NewCapacity | Recycling | Substitution
                    | DiversifiedOfftake, Field(discriminator="kind")]


class Menu(_Model):
    """The measures a holder may buy, on one world."""

    name: str = Field(min_length=1, description="Short name of the menu.")
    dataset: str = Field("base", description="The world whose names and prices the menu uses.")
    measures: list[Measure] = Field(min_length=1, max_length=200)
    _source: YamlSource | None = PrivateAttr(None)

    @pydantic.field_validator("measures")
    @classmethod
    def _unique_ids(cls, measures: list[Any]) -> list[Any]:
        ids = [m.id for m in measures]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"measure ids must be unique; repeated: {', '.join(twice)}")
        return measures


def load_menu_text(text: str, file: str = "<menu>") -> Menu:
    """Parse and validate a menu's YAML text (names are checked against a world by
    :func:`check_menu`).

    Raises
    ------
    InputError
        One problem per mistake, each with the file, line, field, bad value and what was expected.
    """
    try:
        source = YamlSource(text, file)
    except InputError as exc:
        raise InputError(exc.problems, title=f"{file} is not a valid mitigation menu:") from None
    if not isinstance(source.data, dict):
        raise InputError(Problem("a menu must be a mapping of keys to values", file=file, line=1,
                                 expected="keys name, dataset, measures"))
    try:
        menu = Menu.model_validate(source.data)
    except pydantic.ValidationError as exc:
        tags = {"strategic_stockpile", "extra_cover", *LEVER_KINDS}  # union tags in a loc
        problems = [problem_from_pydantic({**e, "loc": tuple(p for p in e["loc"] if p not in tags)},
                                          source) for e in relevant_errors(exc.errors())]
        raise InputError(dedupe_problems(problems),
                         title=f"{file} is not a valid mitigation menu:") from None
    menu._source = source  # for line numbers in check_menu
    return menu


def check_menu(menu: Menu, world: SupplyNetwork) -> None:
    """Check every name of ``menu`` against ``world`` and that each measure has a price.

    Raises
    ------
    InputError
        Listing every unknown region, commodity or sector (with a "did you mean") and every
        commodity without a base price in the holder's zone.
    """
    source = menu._source
    file = source.file if source else None
    problems: list[Problem] = []
    for i, m in enumerate(menu.measures):
        if not isinstance(m, StrategicStockpile | ExtraCover):  # capacity, recycling, ...
            problems.extend(_check_lever(m, world, i, source))
            continue
        for name, value in _names(m):
            pool = _pool(world, name, m)
            if value not in pool:
                loc: tuple[int | str, ...] = ("measures", i, name)
                problems.append(Problem(
                    f"unknown {_KIND_OF[name]}", file=file, line=source.line(loc) if source else None,
                    field=f"measures[{i}].{name}", value=value,
                    expected="one of " + ", ".join(sorted(pool)[:20]),
                    hint=did_you_mean(value, pool) or None))
        if not problems:
            try:
                measure_cost(m, world)
            except InputError as exc:
                problems.extend(exc.problems)
    if problems:
        raise InputError(problems, title=f"menu {menu.name!r} does not fit the world:")


def _check_lever(m: NewCapacity | Recycling | Substitution | DiversifiedOfftake,
                 world: SupplyNetwork, i: int, source: YamlSource | None) -> list[Problem]:
    """Unknown names of a lever measure (with a "did you mean"), then its own checks."""
    file = source.file if source else None
    problems = []
    for name, value, what in lever_names(m):
        pool = name_pool(world, what, m)
        if value not in pool:
            line = source.line(("measures", i, name)) if source else None
            problems.append(unknown_name_problem(file, line, i, name, value, what, pool))
    if problems:
        return problems
    line = source.line(("measures", i)) if source else None
    return [Problem(p.message, file=file, line=line, field=f"measures[{i}].{p.field}",
                    value=p.value, expected=p.expected, hint=p.hint)
            for p in check_lever(m, world)]


_KIND_OF = {"holder": "region", "region": "region", "commodity": "commodity", "sector": "sector"}


def _names(m: StrategicStockpile | ExtraCover) -> list[tuple[str, str]]:
    if isinstance(m, StrategicStockpile):
        return [("holder", m.holder), ("commodity", m.commodity)]
    return [("region", m.region), ("sector", m.sector)]


def _pool(world: SupplyNetwork, name: str, m: StrategicStockpile | ExtraCover) -> list[str]:
    if name in ("holder", "region"):
        return [str(r) for r in world.regions["id"]]
    if name == "commodity":
        return [str(c) for c in world.commodities["id"]]
    sectors = world.sectors
    region = m.region if isinstance(m, ExtraCover) else m.holder
    return sorted({str(s) for s in sectors.loc[sectors["region"] == region, "sector"]})


@dataclass(frozen=True)
class MeasureCost:
    """What a measure holds and costs.

    Attributes
    ----------
    tonnes
        t held by commodity (in each commodity's basis).
    value_usd
        Value of what is held at the price paid, USD.
    acquisition_usd
        What buying it costs, USD (equal to ``value_usd``: the stock keeps its value).
    holding_usd_per_year
        Cost of holding it, USD/yr (capital, storage, insurance).
    holding_usd_per_t_year
        Holding cost per t held, USD/(t yr), by commodity.
    """

    tonnes: dict[str, float]
    value_usd: float
    acquisition_usd: float
    holding_usd_per_year: float
    holding_usd_per_t_year: dict[str, float] = field(default_factory=dict)

    def holding_usd(self, horizon_weeks: float) -> float:
        """Holding cost over ``horizon_weeks`` weeks, USD."""
        return self.holding_usd_per_year * horizon_weeks / WEEKS_PER_YEAR


def _price_usd_per_t(world: SupplyNetwork, commodity: str, region: str) -> float:
    regions = world.regions.set_index("id")
    if region not in regions.index:
        raise UnknownNameError("region", region, [str(r) for r in regions.index], field="holder")
    zone = str(regions.loc[region, "zone"])
    prices = world.prices
    row = prices[(prices["commodity"] == commodity) & (prices["zone"] == zone)]
    if row.empty:
        raise DataError(Problem(f"no base price of {commodity!r} in zone {zone!r}", field="commodity",
                                value=commodity, expected="a commodity with a row in the "
                                "dataset's prices table for the holder's zone"))
    return float(row["price"].iloc[0]) * 1000.0  # USD/kg -> USD/t


def weekly_use_t(world: SupplyNetwork, sector: str) -> dict[str, float]:
    """Base weekly use of each commodity in a sector's bill of materials, t/week: output / 52 x
    kg per unit / 1000 (``sector``: a sector id of ``world``, ``REGION.sector``)."""
    output = float(world.sectors.set_index("id").loc[sector, "output"])
    bom = world.bom
    return {str(b["commodity"]): output / WEEKS_PER_YEAR * float(b["intensity"]) / 1000.0
            for b in bom[bom["sector"] == sector].to_dict(orient="records")}


def measure_cost(m: StrategicStockpile | ExtraCover, world: SupplyNetwork) -> MeasureCost:
    """What ``m`` holds and costs on ``world``.

    A strategic stockpile holds ``tonnes`` of its commodity bought at the holder zone's base price
    (times ``1 + acquisition_premium``); extra cover holds ``weeks`` of the sector's base weekly
    use of each commodity in its bill of materials (output / 52 x kg per unit / 1000), at the
    region zone's prices. Either is held at ``share x value`` USD a year.

    Raises
    ------
    UnknownNameError
        If the region, commodity or sector is not in ``world``.
    DataError
        If a commodity has no base price in the zone.
    """
    if isinstance(m, StrategicStockpile):
        commodities = [str(c) for c in world.commodities["id"]]
        if m.commodity not in commodities:
            raise UnknownNameError("commodity", m.commodity, commodities, field="commodity")
        tonnes = {m.commodity: m.tonnes}
        region = m.holder
        share = (m.holding_cost_share_per_year if m.holding_cost_share_per_year is not None
                 else _prior("strategic_stockpile", "holding_cost_share_per_year"))
        premium = (m.acquisition_premium if m.acquisition_premium is not None
                   else _prior("strategic_stockpile", "acquisition_premium"))
    else:
        region = m.region
        sectors = world.sectors
        sid = f"{m.region}.{m.sector}"
        if sid not in set(sectors["id"]):
            raise UnknownNameError("sector", m.sector, _pool(world, "sector", m), field="sector")
        tonnes = {c: m.weeks * use for c, use in weekly_use_t(world, sid).items()}
        share = (m.carrying_cost_share_per_year if m.carrying_cost_share_per_year is not None
                 else _prior("extra_cover", "carrying_cost_share_per_year"))
        premium = (m.acquisition_premium if m.acquisition_premium is not None
                   else _prior("extra_cover", "acquisition_premium"))
    price = {c: _price_usd_per_t(world, c, region) * (1.0 + premium) for c in tonnes}
    value = sum(t * price[c] for c, t in tonnes.items())
    return MeasureCost(tonnes=tonnes, value_usd=value, acquisition_usd=value,
                       holding_usd_per_year=share * value,
                       holding_usd_per_t_year={c: share * p for c, p in price.items()})


def release_policy(m: StrategicStockpile, tonnes: float | None = None) -> StockpileRelease:
    """The scenario policy that holds and releases ``m`` (optionally at another size, t)."""
    return StockpileRelease.model_validate({
        "type": "StockpileRelease", "id": m.id, "holder": m.holder, "commodity": m.commodity,
        "stock_t": m.tonnes if tonnes is None else tonnes,
        "release_t_per_week": m.release_t_per_week,
        "release_below_cover_weeks": m.release_below_cover_weeks,
        "release_above_price": m.release_above_price})


def with_stockpiles(scenario: Scenario, menu: Menu) -> Scenario:
    """``scenario`` with every strategic stockpile of ``menu`` added as a StockpileRelease policy.

    Extra cover has no policy: it enters the engine as the sectors' cover weeks, and capacity,
    recycling, substitution and offtake as changes of the world
    (:func:`spigot.mitigation.engine_levers.apply_levers`).
    """
    added = [release_policy(m).model_dump(mode="json", exclude_none=True)
             for m in menu.measures if isinstance(m, StrategicStockpile)]
    policies = [p.model_dump(mode="json", exclude_none=True) for p in scenario.policies]
    return scenario.with_options(policies=policies + added)
