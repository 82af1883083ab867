"""``StockpileRelease``: a holder releases a strategic stock, t/week, while the price in its zone
or its cover crosses a threshold, for the measure's window.

The measure adds a stockpile row to the world (id = the measure's id; quantity and rate in the
commodity's own unit, t REO, t metal or t product) and owns it: the engine's stockpile rule
(``docs/model.md``, Stockpiles) releases it only in the steps the measure is in force, so a
start, an end, a ``duration_weeks``, a ``probability``, a hazard or a ``Suspension`` all apply.
Released tonnes go to the holder's own sectors (its region pool): a holder whose sectors do not
use the commodity directly releases nothing, and ``release_above_price`` needs the market phase
(without it prices stay at base).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from spigot.errors import DataError, Problem
from spigot.scenarios.kinds._base import KIND_IDS, Loc, Measure, PlanContext, PolicyKind, Timed

if TYPE_CHECKING:
    from spigot.network import SupplyNetwork

__all__ = ["KIND", "StockpileRelease"]


class StockpileRelease(Timed):
    """A strategic stock released by a price or cover trigger while the measure is in force."""

    type: Literal["StockpileRelease"]
    holder: str = Field(description="Region id of the holder (its sectors receive the release).")
    commodity: str = Field(description="Commodity id held (in the commodity's unit basis).")
    stock_t: float = Field(ge=0, description="Tonnes held at the start, in the commodity's "
                           "unit (t REO, t metal or t product).")
    release_t_per_week: float = Field(gt=0, description="Largest release per week, same unit.")
    release_below_cover_weeks: float | None = Field(
        None, gt=0, description="Release while the holder's sectors hold less than this many "
        "weeks of their base use (pool and inventories).")
    release_above_price: float | None = Field(
        None, gt=0, description="Release while the relative price of the commodity in the "
        "holder's zone is at least this (1.0 = base price; needs markets: true).")

    @model_validator(mode="after")
    def _a_trigger(self) -> StockpileRelease:
        if self.release_below_cover_weeks is None and self.release_above_price is None:
            raise ValueError("a release needs a trigger: give release_below_cover_weeks, "
                             "release_above_price, or both")
        return self


_UNIT = {basis: f"t {basis}" for basis in ("REO", "metal", "product")}


def _adjust_world(p: StockpileRelease, world: SupplyNetwork) -> SupplyNetwork:
    """The world with the measure's stock as a stockpile row whose id is the measure's."""
    piles = world.stockpiles
    if p.id in set(piles["id"]):
        raise DataError(Problem(f"the dataset already has a stockpile {p.id!r}",
                                value=p.id, expected="an id no stockpile row uses"))
    comm = world.commodities.set_index("id")
    if p.commodity not in comm.index:
        raise DataError(Problem("a StockpileRelease holds one commodity, not a group",
                                value=p.commodity, expected="a commodity id of the dataset"))
    basis = str(comm.loc[p.commodity, "basis"])
    return world.add("stockpiles", [{
        "id": p.id, "holder": p.holder, "commodity": p.commodity, "quantity": p.stock_t,
        "unit": _UNIT[basis],
        "release_below_cover_weeks": p.release_below_cover_weeks or 0.0,
        "max_release_per_week": p.release_t_per_week,
        "release_above_price": p.release_above_price or 0.0,
        "year": p.start.year if p.start else 0, "source": f"scenario measure {p.id}",
        "note": "StockpileRelease"}])


def _measures(ctx: PlanContext, p: StockpileRelease) -> list[Measure]:
    return [Measure(p.id, KIND_IDS["release"], p, [], [])]


def _references(p: StockpileRelease) -> Iterator[tuple[str, str, Loc]]:
    yield "region", p.holder, ("holder",)
    yield "commodity", p.commodity, ("commodity",)


KIND = PolicyKind("StockpileRelease", StockpileRelease,
                  "a holder releases a strategic stock, t/week, by a price or cover trigger",
                  measures=_measures, references=_references, adjust_world=_adjust_world)
