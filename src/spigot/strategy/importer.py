"""The importer's answer to an exporter's policy: what the target holds against it.

Two answers stand behind the :data:`ImporterAnswer` type (``--importer`` of ``spigot
strategy``, :data:`IMPORTERS`). Each receives the target's situation under the exporter's policy
with no stock of its own (:class:`AnswerContext`) and returns the target's stance: strategic
stockpiles (:class:`Stock`), which :func:`with_answer` adds to the scenario as
``StockpileRelease`` policies (``spigot.mitigation.with_stockpiles``), and extra cover of its
sectors (:class:`Cover`), which :func:`apply_answer` adds to the world's ``cover_weeks``.

- ``newsvendor`` (:func:`stockpile_answer`): a newsvendor stockpile per commodity it lacks, below.
- ``mitigate`` (:func:`mitigation_answer`): the mitigation optimiser of ``spigot mitigate``
  (:func:`spigot.mitigation.mitigate`) on the scenario with the exporter's policy, the same draws
  and seed, the default menu (a stockpile of each commodity the target is short of, extra cover
  for each of its sectors that uses one): of its frontier's portfolios, each verified by the
  engine on fresh draws, the one with the least expected cost + expected lost output (cost over
  the horizon plus the engine's mean lost output on the fresh draws).

For each commodity the target's sectors lacked in some draw, the stock is the newsvendor optimum
(``spigot.mitigation.optimal_stockpile``) with ``h`` = the bundled holding cost of a strategic
stockpile over the horizon (USD/t) and ``v`` = the output the target's sectors make per t of the
commodity they use (sum of output x value over sum of output x kg per unit / 1000, USD/t): in a
bill of materials with fixed proportions every t short stops that much output. The stock is
released at the target's base weekly use of the commodity while its sectors hold less than four
weeks of cover (the mitigation default).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from spigot.mitigation import (
    ExtraCover,
    Menu,
    MitigationResult,
    StrategicStockpile,
    measure_cost,
    mitigate,
    optimal_stockpile,
    with_stockpiles,
)
from spigot.mitigation.frontier import DEFAULT_RELEASE_BELOW_COVER_WEEKS, apply_portfolio

if TYPE_CHECKING:
    from spigot.network import SupplyNetwork
    from spigot.scenarios import Scenario

__all__ = ["DEFAULT_IMPORTER", "IMPORTERS", "MITIGATE_POINTS", "MITIGATE_REFITS", "AnswerContext", "Cover",
           "ImporterAnswer", "Stance", "Stock", "apply_answer", "cheapest_point",
           "importer_name", "mitigation_answer", "portfolio_stance", "stance_key",
           "stockpile_answer", "with_answer"]

#: Weeks of cover below which the target's stock is released: ``spigot mitigate``'s default
#: (a 4-week trigger released little of a stock while firms were short: docs/mitigation.md).
RELEASE_BELOW_COVER_WEEKS = DEFAULT_RELEASE_BELOW_COVER_WEEKS
#: Significant digits a stock is rounded to (so that equal answers compare equal).
STOCK_DIGITS = 6
#: Frontier points of the ``mitigate`` answer (point 0 buys nothing; each other point is one
#: engine run per attempt to verify it).
MITIGATE_POINTS = 6
#: Most re-fits of the ``mitigate`` answer's abstraction (``spigot mitigate --refits``).
MITIGATE_REFITS = 1


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
    scenario
        The scenario with the exporter's policy and no stock of the importer's own (None when
        the exporter restricts nothing).
    draws, seed
        The draws and seed of the runs behind ``shortfall_t``.
    """

    world: SupplyNetwork
    targets: tuple[str, ...]
    shortfall_t: dict[str, np.ndarray]
    horizon_weeks: float
    scenario: Scenario | None = None
    draws: int = 0
    seed: int = 0


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
        Output lost per t short, USD/t (``v``; the fitted value of a t made available in a short
        week for the ``mitigate`` answer).
    fractile
        The newsvendor's critical fractile ``1 - h / v`` (None for the ``mitigate`` answer).
    """

    holder: str
    commodity: str
    tonnes: float
    release_t_per_week: float
    holding_usd: float
    lost_usd_per_t: float
    fractile: float | None

    def as_dict(self) -> dict[str, Any]:
        """The stock as JSON values."""
        return {"kind": "strategic_stockpile", "holder": self.holder,
                "commodity": self.commodity, "tonnes": self.tonnes,
                "release_t_per_week": self.release_t_per_week, "holding_usd": self.holding_usd,
                "lost_usd_per_t": self.lost_usd_per_t, "fractile": self.fractile}

    def key(self) -> tuple[str, str, str, float]:
        """What identifies the stock in a stance (settle and cycle tests)."""
        return ("stock", self.holder, self.commodity, self.tonnes)

    def text(self) -> str:
        """One line for tables."""
        return f"{self.holder} holds {self.tonnes:.4g} t {self.commodity}"


@dataclass(frozen=True)
class Cover:
    """Extra cover of one of the target's sectors (weeks of its use held on top of its own).

    Attributes
    ----------
    holder, sector
        Region id and the sector's id within the region (``sectors.sector``).
    weeks
        Weeks of extra cover.
    cost_usd
        Carrying cost over the horizon, USD.
    """

    holder: str
    sector: str
    weeks: float
    cost_usd: float

    def as_dict(self) -> dict[str, Any]:
        """The cover as JSON values."""
        return {"kind": "extra_cover", "holder": self.holder, "sector": self.sector,
                "weeks": self.weeks, "holding_usd": self.cost_usd}

    def key(self) -> tuple[str, str, str, float]:
        """What identifies the cover in a stance (settle and cycle tests)."""
        return ("cover", self.holder, self.sector, self.weeks)

    def text(self) -> str:
        """One line for tables."""
        return f"{self.holder}.{self.sector} +{self.weeks:.3g} weeks of cover"


#: The importer's stance: its stockpiles and extra cover.
Stance = tuple[Stock | Cover, ...]
#: An importer's answer: what it holds, given what it lacks under the exporter's policy.
ImporterAnswer = Callable[[AnswerContext], Stance]


def stance_key(stance: Stance) -> tuple[tuple[str, str, str, float], ...]:
    """The stance as a sorted tuple of its items' keys (equal stances, equal keys)."""
    return tuple(sorted(item.key() for item in stance))


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


def stockpile_answer(ctx: AnswerContext) -> Stance:
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


def _round(x: float) -> float:
    return float(f"{x:.{STOCK_DIGITS}g}")


def mitigation_answer(ctx: AnswerContext, points: int = MITIGATE_POINTS,
                      refits: int = MITIGATE_REFITS) -> Stance:
    """The portfolio of ``spigot mitigate`` with the least expected cost + expected lost output
    (module docstring): stockpiles and extra cover of the targets (one holder, all targets).

    Runs :func:`spigot.mitigation.mitigate` on ``ctx.scenario`` with ``ctx.draws`` draws and
    ``ctx.seed`` (no marginal values); nothing when the exporter restricts nothing or the
    targets lack nothing. Amounts are rounded to :data:`STOCK_DIGITS` significant digits.
    """
    short = any(float(np.max(v, initial=0.0)) > 0 for k, v in ctx.shortfall_t.items()
                if k.split("/", 1)[0] in ctx.targets)
    if ctx.scenario is None or not short:
        return ()
    result = mitigate(ctx.scenario, ",".join(ctx.targets), draws=ctx.draws, seed=ctx.seed,
                      points=points, refits=refits, world=ctx.world, marginal=False)
    return portfolio_stance(result, cheapest_point(result))


def cheapest_point(result: MitigationResult) -> int:
    """The frontier point with the least cost + the engine's mean lost output on the fresh
    draws (the first of equals)."""
    totals = [p.cost_usd + v.simulated_lost_usd_mean
              for p, v in zip(result.points, result.verification, strict=True)]
    return int(np.argmin(totals))


def portfolio_stance(result: MitigationResult, i: int) -> Stance:
    """Point ``i`` of a mitigation frontier as a stance."""
    assert result.menu is not None  # mitigate() keeps the menu it used
    by_id = {m.id: m for m in result.menu.measures}
    value = dict(zip(result.fit["cells"], result.fit["value_usd_per_t"], strict=True))
    out: list[Stock | Cover] = []
    for o in result.options:
        amount = _round(result.points[i].amounts[o.id])
        if amount <= 1e-6:
            continue
        m = by_id[o.id]
        if isinstance(m, StrategicStockpile):
            out.append(Stock(m.holder, m.commodity, amount, m.release_t_per_week,
                             o.cost_per_unit * amount,
                             float(value.get(f"{m.holder}/{m.commodity}", math.nan)), None))
        elif isinstance(m, ExtraCover):
            out.append(Cover(m.region, m.sector, amount, o.cost_per_unit * amount))
    return tuple(out)


#: The importer's answers by name (``spigot strategy --importer``).
IMPORTERS: dict[str, ImporterAnswer] = {"newsvendor": stockpile_answer,
                                        "mitigate": mitigation_answer}
#: The answer of ``spigot strategy`` and :func:`spigot.strategy.strategy` when none is given:
#: ``licence-squeeze --exporter CHN --target USA`` took 229 s with it (75 s with the newsvendor)
#: on the shared 2-core machine at a load of 5-8 (docs/model.md, "Best responses").
DEFAULT_IMPORTER = "mitigate"


def importer_name(answer: ImporterAnswer) -> str:
    """The name of ``answer`` in :data:`IMPORTERS` (``"custom"`` for another function)."""
    return next((k for k, v in IMPORTERS.items() if v is answer), "custom")


def apply_answer(scenario: Scenario, world: SupplyNetwork,
                 stance: Stance) -> tuple[Scenario, SupplyNetwork]:
    """The scenario with the stance's stocks (:func:`with_answer`) and the world with its extra
    cover added to the sectors' ``cover_weeks`` (the world itself when the stance has none), as
    :func:`spigot.mitigation.mitigate` verifies a portfolio."""
    scen = with_answer(scenario, stance)
    covers = [c for c in stance if isinstance(c, Cover)]
    if not covers:
        return scen, world
    ids = [f"answer_{c.holder}_{c.sector}" for c in covers]
    menu = Menu.model_validate({"name": "importer-answer", "dataset": scenario.dataset,
                                "measures": [{"kind": "extra_cover", "id": i,
                                              "region": c.holder, "sector": c.sector,
                                              "weeks": c.weeks}
                                             for i, c in zip(ids, covers, strict=True)]})
    _, out = apply_portfolio(scen, world, menu,
                             {i: c.weeks for i, c in zip(ids, covers, strict=True)})
    return scen, out


def with_answer(scenario: Scenario, stance: Stance) -> Scenario:
    """``scenario`` with each stock of the stance added as a StockpileRelease policy (id
    ``answer_<holder>_<commodity>``; extra cover goes into the world, :func:`apply_answer`)."""
    stocks = [s for s in stance if isinstance(s, Stock)]
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
