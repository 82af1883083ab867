"""The importer's answer to an exporter's policy: a newsvendor stockpile per commodity it lacks.

The answer is one small function, :func:`stockpile_answer`, behind the :data:`ImporterAnswer`
type, so that a fuller mitigation optimiser (``spigot mitigate``, issue 19) can replace it: it
receives the target's shortfalls per draw under the exporter's policy (with no stock of its own)
and returns the strategic stockpiles the target holds, which :func:`with_answer` adds to the
scenario as ``StockpileRelease`` policies (``spigot.mitigation.with_stockpiles``).

For each commodity the target's sectors lacked in some draw, the stock is the newsvendor optimum
(``spigot.mitigation.optimal_stockpile``) with ``h`` = the bundled holding cost of a strategic
stockpile over the horizon (USD/t) and ``v`` = the output the target's sectors make per t of the
commodity they use (sum of output x value over sum of output x kg per unit / 1000, USD/t): in a
bill of materials with fixed proportions every t short stops that much output. The stock is
released at the target's base weekly use of the commodity while its sectors hold less than four
weeks of cover (the mitigation default).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from spigot.mitigation import Menu, StrategicStockpile, measure_cost, optimal_stockpile, with_stockpiles
from spigot.mitigation.frontier import DEFAULT_RELEASE_BELOW_COVER_WEEKS

if TYPE_CHECKING:
    from spigot.network import SupplyNetwork
    from spigot.scenarios import Scenario

__all__ = ["AnswerContext", "ImporterAnswer", "Stock", "stockpile_answer", "with_answer"]

#: Weeks of cover below which the target's stock is released: ``spigot mitigate``'s default
#: (a 4-week trigger released little of a stock while firms were short: docs/mitigation.md).
RELEASE_BELOW_COVER_WEEKS = DEFAULT_RELEASE_BELOW_COVER_WEEKS
#: Significant digits a stock is rounded to (so that equal answers compare equal).
STOCK_DIGITS = 6


@dataclass(frozen=True)
class AnswerContext:
    """What the importer knows when it answers.

    Attributes
    ----------
    world
        The scenario's world.
    targets
        The importing regions that answer.
    shortfall_t
        ``"region/commodity"`` -> t its sectors lacked over the horizon, one value per draw, under
        the exporter's policy with no stock of the importer's own.
    horizon_weeks
        The scenario's horizon, week.
    """

    world: SupplyNetwork
    targets: tuple[str, ...]
    shortfall_t: dict[str, np.ndarray]
    horizon_weeks: float


@dataclass(frozen=True)
class Stock:
    """One stockpile of the answer, and why.

    Attributes
    ----------
    holder, commodity
        Region and commodity ids.
    tonnes
        Stock held, t (in the commodity's basis).
    release_t_per_week
        Largest release per week, t (the holder's base weekly use).
    holding_usd
        Holding cost over the horizon, USD.
    lost_usd_per_t
        Output lost per t short, USD/t (``v``).
    fractile
        The newsvendor's critical fractile ``1 - h / v``.
    """

    holder: str
    commodity: str
    tonnes: float
    release_t_per_week: float
    holding_usd: float
    lost_usd_per_t: float
    fractile: float

    def as_dict(self) -> dict[str, float | str]:
        """The stock as JSON values."""
        return {"holder": self.holder, "commodity": self.commodity, "tonnes": self.tonnes,
                "release_t_per_week": self.release_t_per_week, "holding_usd": self.holding_usd,
                "lost_usd_per_t": self.lost_usd_per_t, "fractile": self.fractile}


#: An importer's answer: what it holds, given what it lacks under the exporter's policy.
ImporterAnswer = Callable[[AnswerContext], tuple[Stock, ...]]


def use_of(world: SupplyNetwork, region: str, commodity: str) -> tuple[float, float]:
    """The region's sectors' base use of ``commodity``, t/yr, and their output value per t used,
    USD/t (0, 0 if none of its sectors uses it)."""
    sectors = world.sectors.set_index("id")
    bom = world.bom
    rows = bom[(bom["commodity"] == commodity)
               & bom["sector"].isin(sectors.index[sectors["region"] == region])]
    used_t = value = 0.0
    for sector, kg in zip(rows["sector"], rows["intensity"], strict=True):
        output = float(sectors.loc[sector, "output"])
        used_t += output * float(kg) / 1000.0
        value += output * float(sectors.loc[sector, "value_per_unit"])
    return used_t, (value / used_t if used_t > 0 else 0.0)


def stockpile_answer(ctx: AnswerContext) -> tuple[Stock, ...]:
    """The newsvendor stockpile of each commodity each target lacked (module docstring)."""
    out = []
    for key, shortfall in sorted(ctx.shortfall_t.items()):
        region, commodity = key.split("/", 1)
        if region not in ctx.targets or float(np.max(shortfall, initial=0.0)) <= 0:
            continue
        used_t_per_yr, v = use_of(ctx.world, region, commodity)
        if used_t_per_yr <= 0 or v <= 0:
            continue
        probe = StrategicStockpile.model_validate({
            "kind": "strategic_stockpile", "id": "probe", "holder": region,
            "commodity": commodity, "tonnes": 1.0, "release_t_per_week": 1.0})
        h = measure_cost(probe, ctx.world).holding_usd_per_t_year[commodity] \
            * ctx.horizon_weeks / 52.0
        solution = optimal_stockpile(np.maximum(shortfall, 0.0), h, v)
        tonnes = float(f"{solution.stock_t:.{STOCK_DIGITS}g}")
        if tonnes <= 0:
            continue
        out.append(Stock(region, commodity, tonnes, used_t_per_yr / 52.0, h * tonnes, v,
                         solution.fractile))
    return tuple(out)


def with_answer(scenario: Scenario, stocks: tuple[Stock, ...]) -> Scenario:
    """``scenario`` with each stock added as a StockpileRelease policy (id
    ``answer_<holder>_<commodity>``)."""
    if not stocks:
        return scenario
    menu = Menu.model_validate({"name": "importer-answer", "dataset": scenario.dataset,
                                "measures": [{
                                    "kind": "strategic_stockpile",
                                    "id": f"answer_{s.holder}_{s.commodity}",
                                    "holder": s.holder, "commodity": s.commodity,
                                    "tonnes": s.tonnes,
                                    "release_t_per_week": s.release_t_per_week,
                                    "release_below_cover_weeks": RELEASE_BELOW_COVER_WEEKS}
                                    for s in stocks]})
    return with_stockpiles(scenario, menu)
