"""``mitigate``: the cost-versus-risk frontier of a holder's mitigation portfolio, each point
verified by the full engine on fresh draws (docs/mitigation.md; ``spigot mitigate``).

1. Run each scenario once without measures, keeping every draw's trajectory; take the holder's
   weekly shortfall per commodity and lost output, and fit the value of a t made available
   (:mod:`spigot.mitigation.sample`); scenarios are pooled by their weights.
2. Calibrate: run each measure alone through the engine on the same draws at a few amounts and
   fit its effective-amount curve (:mod:`spigot.mitigation.calibrate`).
3. Solve the portfolio program (:mod:`spigot.mitigation.program`) for K budgets (or K caps on
   CVaR95): the frontier. Point 0 buys nothing: its loss is the plain run's, exactly.
4. Run every portfolio through the engine on fresh draws (another seed): stockpiles as
   ``StockpileRelease`` policies, extra cover as the sectors' ``cover_weeks``. The prediction it
   is checked against is the abstraction's loss on the same fresh draws (their unmitigated run,
   trajectories kept), so sampling noise does not count as error. Where the two differ by more
   than 10 %, run the frontier's portfolios on the fitted draws, re-fit the curves and solve
   again (at most ``refits`` times; the attempt with the smallest worst error is kept). Without
   calibrated measures, every cell's value per t is scaled by the share of the predicted avoided
   loss the engine delivered instead.
5. Marginal value of each measure by finite differences around point 0, and its breakeven cost.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from spigot.errors import InputError, Problem, SpigotError, UnknownNameError
from spigot.mitigation.calibrate import Calibrator, calibration_targets, flow_targets
from spigot.mitigation.engine_levers import apply_levers, lever_overrides, with_lever_overrides
from spigot.mitigation.levers import lever_option
from spigot.mitigation.measures import (
    ExtraCover,
    Menu,
    StrategicStockpile,
    check_menu,
    measure_cost,
    weekly_use_t,
    with_stockpiles,
)
from spigot.mitigation.pointfit import PointFit, curve_error, fit_point, predict, sizes
from spigot.mitigation.program import (
    CVAR_LEVEL,
    Option,
    Solution,
    evaluate,
    solve,
    weighted_mean,
    weighted_quantile,
)
from spigot.mitigation.sample import LossSample, holder_loss_by_draw, loss_sample

if TYPE_CHECKING:
    from spigot.network import SupplyNetwork
    from spigot.results import Results
    from spigot.scenarios import Scenario

__all__ = ["InfeasibleTargetError", "MitigationResult", "apply_portfolio", "check_weights",
           "cover_trigger_shift", "default_menu", "mitigate", "options_of"]

logger = logging.getLogger(__name__)

#: Relative error above which the abstraction is re-fitted from the verified runs.
REFIT_ABOVE = 0.10
#: Largest extra cover the default menu offers, weeks.
DEFAULT_MAX_COVER_WEEKS = 26.0
#: The default stockpiles' release trigger, weeks of cover (twice the usual 4 weeks firms hold:
#: released before the firms run dry, not after; docs/mitigation.md).
DEFAULT_RELEASE_BELOW_COVER_WEEKS = 8.0
#: Seed offset of the verification draws (fresh draws: another seed).
VERIFY_SEED_OFFSET = 1_000_003
#: Without a budget or a target, the frontier runs up to the cheapest portfolio whose expected
#: loss is at most this share of the unmitigated one (or the least it can reach, if more): the
#: last few % avoided are where a residual of a few USD bn is predicted, and where no
#: abstraction fitted on 500 draws was within 10 % of the engine (docs/mitigation.md).
DEFAULT_TOP_RESIDUAL_SHARE = 0.05


class InfeasibleTargetError(InputError):
    """A P95 target no portfolio of the menu reaches (exit code 2)."""


@dataclass(frozen=True)
class Verification:
    """Predicted against simulated lost output of one portfolio (USD)."""

    predicted_lost_usd_mean: float
    simulated_lost_usd_mean: float
    predicted_lost_usd_p95: float
    simulated_lost_usd_p95: float

    @property
    def relative_error(self) -> float:
        """(simulated - predicted) / predicted (0 when both are 0)."""
        return _relative(self.predicted_lost_usd_mean, self.simulated_lost_usd_mean)

    @property
    def relative_error_p95(self) -> float:
        """(simulated P95 - predicted P95) / predicted P95 (0 when both are 0)."""
        return _relative(self.predicted_lost_usd_p95, self.simulated_lost_usd_p95)


def _relative(predicted: float, simulated: float) -> float:
    return 0.0 if predicted == simulated else (simulated - predicted) / max(abs(predicted), 1e-9)


@dataclass
class MitigationResult:
    """What :func:`mitigate` found: the frontier, its portfolios, their verification, and the
    marginal value of each measure.

    Attributes
    ----------
    holder, members
        The holder as named, and its member regions.
    scenarios
        Scenario names (their weights in ``manifest["scenario_weights"]``).
    options
        The menu as the program saw it.
    points
        The frontier's solutions, cost rising.
    verification
        One :class:`Verification` per point (fresh draws).
    marginal_values
        One row per measure (see :meth:`document`).
    fit
        The abstraction: value per t by cell, R^2 by region, and the re-fit factors.
    lp
        LP size and HiGHS time (``variables``, ``constraints``, ``solve_seconds`` summed).
    manifest
        Draws, seeds, timings.
    menu
        The measures the program chose from (the default menu when none was given).
    """

    holder: str
    members: tuple[str, ...]
    scenarios: tuple[str, ...]
    options: list[Option]
    points: list[Solution]
    verification: list[Verification]
    marginal_values: list[dict[str, Any]]
    fit: dict[str, Any]
    lp: dict[str, Any]
    manifest: dict[str, Any] = field(default_factory=dict)
    menu: Menu | None = None

    @property
    def frontier(self) -> pd.DataFrame:
        """One row per point (USD): cost; mean, P95 and CVaR95 loss predicted on the fitted draws;
        on the fresh draws the abstraction's mean and P95 (``fresh_predicted_lost_usd_mean``,
        ``fresh_predicted_lost_usd_p95``) and the engine's; the relative errors of the engine's
        mean and P95 against the abstraction's (``relative_error``, ``relative_error_p95``)."""
        return pd.DataFrame([{
            "point": i, "cost_usd": p.cost_usd, "lost_usd_mean": p.lost_usd_mean,
            "lost_usd_p95": p.lost_usd_p95, "lost_usd_cvar95": p.lost_usd_cvar95,
            "fresh_predicted_lost_usd_mean": v.predicted_lost_usd_mean,
            "simulated_lost_usd_mean": v.simulated_lost_usd_mean,
            "simulated_lost_usd_p95": v.simulated_lost_usd_p95,
            "relative_error": v.relative_error,
            "fresh_predicted_lost_usd_p95": v.predicted_lost_usd_p95,
            "relative_error_p95": v.relative_error_p95}
            for i, (p, v) in enumerate(zip(self.points, self.verification, strict=True))])

    def portfolio(self, i: int) -> pd.DataFrame:
        """The measures of point ``i``: id, kind, amount, unit, cost_usd (amount > 0 only)."""
        return pd.DataFrame(self._measures(i), columns=["id", "kind", "amount", "unit", "cost_usd"])

    def _measures(self, i: int) -> list[dict[str, Any]]:
        point = self.points[i]
        return [{"id": o.id, "kind": o.kind, "amount": point.amounts[o.id], "unit": o.unit,
                 "cost_usd": o.cost_per_unit * point.amounts[o.id]}
                for o in self.options if point.amounts[o.id] > 1e-9]

    def document(self) -> dict[str, Any]:
        """The JSON document of ``spigot mitigate`` (keys in docs/cli.md)."""
        errors = [abs(v.relative_error) for v in self.verification]
        errors_p95 = [abs(v.relative_error_p95) for v in self.verification]
        return {
            "schema": "spigot.mitigate/1",
            "holder": self.holder, "members": list(self.members),
            "scenarios": list(self.scenarios),
            "frontier": [{
                "point": i, "cost_usd": p.cost_usd, "lost_usd_mean": p.lost_usd_mean,
                "lost_usd_p95": p.lost_usd_p95, "lost_usd_cvar95": p.lost_usd_cvar95,
                "measures": self._measures(i),
                "verification": _verification_doc(v)}
                for i, (p, v) in enumerate(zip(self.points, self.verification, strict=True))],
            "verification": {**_verification_doc(self.verification[-1]),
                             "max_abs_relative_error": max(errors),
                             "points_within_10pct": int(sum(e <= REFIT_ABOVE for e in errors)),
                             "max_abs_relative_error_p95": max(errors_p95),
                             "points_p95_within_10pct": int(sum(e <= REFIT_ABOVE
                                                                for e in errors_p95)),
                             "seed": self.manifest.get("verify_seed")},
            "marginal_values": self.marginal_values,
            "fit": self.fit, "lp": self.lp, "manifest": self.manifest,
        }


def _verification_doc(v: Verification) -> dict[str, float]:
    return {"predicted_lost_usd_mean": v.predicted_lost_usd_mean,
            "simulated_lost_usd_mean": v.simulated_lost_usd_mean,
            "predicted_lost_usd_p95": v.predicted_lost_usd_p95,
            "simulated_lost_usd_p95": v.simulated_lost_usd_p95,
            "relative_error": v.relative_error, "relative_error_p95": v.relative_error_p95}


def default_menu(sample: LossSample, world: SupplyNetwork,
                 firms: Sequence[str] | None = None) -> Menu:
    """A strategic stockpile for every cell the holder is short of (up to its worst draw's
    shortfall) and extra cover up to 26 weeks for every member sector that loses output; for a
    firm as holder (``firms``: sector ids), only those sectors' own extra cover."""
    measures: list[dict[str, Any]] = []
    for j, cell in enumerate(sample.cells if firms is None else ()):
        region, commodity = cell.split("/")
        worst = float(sample.shortfall_t[:, :, j].sum(axis=1).max())
        weekly = float(sample.shortfall_t[:, :, j].max())
        if worst <= 0:
            continue
        measures.append({"kind": "strategic_stockpile", "id": f"{region}_{commodity}_stockpile",
                         "holder": region, "commodity": commodity, "tonnes": worst,
                         "release_t_per_week": max(weekly, worst / 26.0),
                         "release_below_cover_weeks": DEFAULT_RELEASE_BELOW_COVER_WEEKS})
    sectors = world.sectors
    bom = world.bom
    short_commodities = {c.split("/")[1] for c in sample.cells}
    for region in sample.regions:
        for sector in sorted(sectors.loc[sectors["region"] == region, "sector"].astype(str)):
            uses = set(bom.loc[bom["sector"] == f"{region}.{sector}", "commodity"].astype(str))
            if firms is not None and f"{region}.{sector}" not in firms:
                continue
            if uses & short_commodities:
                measures.append({"kind": "extra_cover", "id": f"{region}_{sector}_cover",
                                 "region": region, "sector": sector,
                                 "weeks": DEFAULT_MAX_COVER_WEEKS})
    return Menu.model_validate({"name": "default", "dataset": world.name or "base",
                                "measures": measures})


def options_of(menu: Menu, world: SupplyNetwork, horizon_weeks: float,
               start: dt.date | None = None) -> list[Option]:
    """The menu as options of the program: the amount each measure states is the most the holder
    may buy; its cost per unit is its holding (carrying) cost over the horizon. Capacity,
    recycling, substitution and offtake are weekly rates from their lead time (counted from
    ``start``, the scenario's first week; default the scenarios' default start) with their
    annualised costs (:func:`spigot.mitigation.levers.lever_cost`)."""
    out = []
    for m in menu.measures:
        if not isinstance(m, StrategicStockpile | ExtraCover):
            out.append(lever_option(m, world, horizon_weeks, start))
            continue
        cost = measure_cost(m, world)
        horizon_cost = cost.holding_usd(horizon_weeks)
        if isinstance(m, StrategicStockpile):
            amount, unit = m.tonnes, "t"
            supply = {f"{m.holder}/{m.commodity}": 1.0}
        else:
            amount, unit = m.weeks, "week"
            supply = {f"{m.region}/{c}": t / m.weeks for c, t in cost.tonnes.items()}
        out.append(Option(m.id, m.kind, unit, float(amount),
                          horizon_cost / amount if amount > 0 else 0.0, supply))
    return out


def _apply(scenario: Scenario, world: SupplyNetwork, menu: Menu,
           amounts: dict[str, float]) -> tuple[Scenario, SupplyNetwork]:
    """The scenario and world with the portfolio in them (stockpiles as StockpileRelease,
    extra cover added to the sectors' cover_weeks; a stockpile's cover trigger raised by the
    weeks of cover the portfolio adds to its holder's use of the commodity,
    :func:`cover_trigger_shift`)."""
    from spigot.network import SupplyNetwork

    covers = {f"{m.region}.{m.sector}": amounts[m.id] for m in menu.measures
              if isinstance(m, ExtraCover) and amounts.get(m.id, 0.0) > 1e-6}
    piles = [m.model_copy(update={"tonnes": amounts[m.id]}) for m in menu.measures
             if isinstance(m, StrategicStockpile) and amounts.get(m.id, 0.0) > 1e-6]
    piles = [p.model_copy(update={"release_below_cover_weeks": p.release_below_cover_weeks
                                  + cover_trigger_shift(world, p.holder, p.commodity, covers)})
             if p.release_below_cover_weeks is not None and covers else p for p in piles]
    scen = scenario
    if piles:
        scen = with_stockpiles(scenario, Menu.model_validate(
            {"name": menu.name, "dataset": menu.dataset,
             "measures": [p.model_dump() for p in piles]}))
    levers = [m for m in menu.measures if not isinstance(m, StrategicStockpile | ExtraCover)]
    if levers:  # capacity, recycling, offtake: the world changes; substitution: parameters
        world = apply_levers(world, levers, amounts, scenario.start)
        scen = with_lever_overrides(scen, lever_overrides(levers, amounts))
    if covers:
        tables = world.tables
        sectors = tables["sectors"]
        extra = sectors["id"].map(covers).fillna(0.0)
        sectors["cover_weeks"] = sectors["cover_weeks"].astype(float) + extra
        tables["sectors"] = sectors
        world = SupplyNetwork(tables, name=world.name)
    return scen, world


def cover_trigger_shift(world: SupplyNetwork, region: str, commodity: str,
                        extra_weeks: dict[str, float]) -> float:
    """Weeks by which extra cover raises ``region``'s cover of ``commodity`` (its sectors'
    inventories over their base use, as a StockpileRelease trigger counts it):
    ``sum_s extra_weeks[s] x use[s] / sum_s use[s]`` over the region's sectors using it, with
    ``use`` the sector's base weekly use of it (:func:`~spigot.mitigation.measures.weekly_use_t`,
    t/week; ``extra_weeks``: sector id -> weeks).

    A stockpile bought together with extra cover has its cover trigger raised by this much, so
    that it releases at the same depletion of the firms' usual stocks whatever cover is bought
    with it: otherwise the cover bought delays the stockpile's release (the engine's trigger is
    the region's aggregate cover), and what the two do together is not what each does alone
    (USA on licence-squeeze: a magnet stockpile bought with 10 weeks of automotive cover avoided
    much less than alone, and the abstraction, which adds what each supplies, was off by
    20-60 % at the frontier's top points).
    """
    use = {sid: weekly_use_t(world, sid).get(commodity, 0.0)
           for sid in map(str, world.sectors["id"]) if sid.startswith(f"{region}.")}
    total = sum(use.values())
    if total <= 0:
        return 0.0
    return sum(extra_weeks.get(sid, 0.0) * u for sid, u in use.items()) / total


def apply_portfolio(scenario: Scenario, world: SupplyNetwork, menu: Menu,
                    amounts: dict[str, float]) -> tuple[Scenario, SupplyNetwork]:
    """The scenario and world with a portfolio of ``menu``'s measures in them (``amounts``: id ->
    t of a stockpile or weeks of extra cover): stockpiles as ``StockpileRelease`` policies,
    extra cover added to the sectors' ``cover_weeks``, as :func:`mitigate` verifies them."""
    return _apply(scenario, world, menu, amounts)


def mitigate(scenarios: Sequence[Scenario] | Scenario, holder: str, *, menu: Menu | None = None,
             budget_usd: float | None = None, target_p95_usd: float | None = None,
             draws: int | None = None, points: int = 10, seed: int | None = None,
             refits: int = 2, engine: str = "numba", world: SupplyNetwork | None = None,
             marginal: bool = True,
             weights: Sequence[float] | None = None,
             calibrate: bool = True) -> MitigationResult:
    """The cost-versus-risk frontier of ``holder``'s mitigation, verified by simulation.

    Parameters
    ----------
    scenarios
        One scenario or several (same dataset and horizon), weighted by ``weights``.
    holder
        A region id (``USA``), a group of the regions table (``EU27``), region ids joined by
        commas, or a firm: a sector id (``USA.automotive``), whose loss is that sector's lost
        output and whose default menu is its own extra cover.
    menu
        The measures the holder may buy (default: :func:`default_menu`).
    budget_usd
        Frontier over budgets 0..this (default: up to the cost of the cheapest portfolio that
        leaves at most ``DEFAULT_TOP_RESIDUAL_SHARE`` (5 %) of the unmitigated expected loss, or
        avoids all it can where that is more).
    target_p95_usd
        Frontier of the cheapest portfolios whose CVaR95 (so P95 too) stays under caps that
        fall from the unmitigated P95 to this target.
    draws, seed
        Monte Carlo draws per scenario and the seed of the fitted run; verification uses fresh
        draws (another seed).
    points
        Frontier points, 2..20 (point 0 buys nothing).
    refits
        Most re-fits of the abstraction when verification disagrees by more than 10 %.
    weights
        Probability of each scenario, in their order, summing to 1 (default: equal). Every
        expectation, P95 and CVaR95 is over the weighted mixture of the scenarios' draws.
    calibrate
        Calibrate each measure by engine runs on the fitted draws (the default; about four runs
        per useful measure, more on re-fits). False: the constant value per t with the one-factor
        re-fit (faster, far less accurate; docs/mitigation.md).

    Raises
    ------
    InputError
        An unknown holder, a bad menu (negative cost, unknown names), bad numbers.
    InfeasibleTargetError
        If no portfolio of the menu keeps CVaR95 under ``target_p95_usd``: the message gives the
        best reachable P95 and its cost.
    """
    from spigot.risk._common import resolve_importer
    from spigot.sim import simulate

    scens = [scenarios] if not isinstance(scenarios, Sequence) else list(scenarios)
    _check_numbers(budget_usd, target_p95_usd, points, draws)
    w_s = check_weights(weights, [s.name for s in scens])
    if world is None:
        from spigot import datasets

        world = datasets.load(scens[0].dataset)
    firm = _firm(world, holder)
    if firm is None:
        who = resolve_importer(world, holder, field="holder")
        members, label = tuple(who.members), who.label
    else:
        members, label = (firm.split(".")[0],), firm
    own = None if firm is None else (firm,)
    started = time.perf_counter()
    n = draws or scens[0].draws
    base_seed = scens[0].seed if seed is None else seed
    verify_seed = base_seed + VERIFY_SEED_OFFSET
    horizon = float(scens[0].horizon_weeks)
    t0 = time.perf_counter()
    runs = [simulate(s, draws=n, seed=base_seed, keep_trajectories=n, network=world,
                     engine=engine) for s in scens]  # type: ignore[arg-type]
    fit_seconds = time.perf_counter() - t0
    sample = loss_sample(runs, world, members, weights=list(w_s), own_sectors=own)
    if menu is None:
        menu = default_menu(sample, world, own)
    else:
        check_menu(menu, world)
    options = options_of(menu, world, horizon, scens[0].start)
    lp = {"variables": 0, "constraints": 0, "solve_seconds": 0.0, "solves": 0}
    base_lost = sample.total_lost_usd
    t0 = time.perf_counter()
    fresh_runs = [simulate(s, draws=n, seed=verify_seed, keep_trajectories=n, network=world,
                           engine=engine) for s in scens]  # type: ignore[arg-type]
    fresh = loss_sample(fresh_runs, world, members, weights=list(w_s), like=sample,
                        own_sectors=own)
    verify_seconds = time.perf_counter() - t0
    factor = np.ones(len(sample.cells))
    t0 = time.perf_counter()
    targets = calibration_targets(sample, options) if calibrate else []
    flows = flow_targets(sample, options) if calibrate else []
    calibrator = Calibrator(sample, options, targets, functools.partial(
        _simulate_portfolio, scens, world, menu, draws=n, seed=base_seed, members=members,
        engine=engine, simulate=simulate, sectors=own), flows)
    calibrator.start(budget_usd)
    factor, curves = calibrator.fit()
    calibration_seconds = time.perf_counter() - t0
    best: tuple[tuple[bool, float], list[Solution], list[Verification], np.ndarray, Any,
                list[PointFit]] | None = None
    attempt_errors: list[float] = []
    curve_errors: list[float] = []
    for attempt in range(refits + 1):
        fitted = sample.calibrated(factor, curves)
        sols = _frontier(fitted, options, budget_usd, target_p95_usd, points, lp)
        fresh_model = fresh.calibrated(factor, curves)
        t0 = time.perf_counter()
        # the engine at this frontier's portfolios on the fitted draws; each point's prediction
        # through its own scale of the effective amounts (docs/mitigation.md, "Point scale")
        learned = bool(targets or flows) and calibrator.measure([s.amounts for s in sols])
        error = curve_error(calibrator, sols) if targets else 0.0
        reference = np.asarray(sample.weights @ sizes(fitted), dtype=float)
        fits = [fit_point(fitted, options, s.amounts, calibrator.loss_at(s.amounts), reference)
                if targets or flows else (1.0, 0.0) for s in sols]
        sols = [replace(s, lost_usd=predict(fitted, options, s.amounts, x, reference).lost_usd)
                if x != (1.0, 0.0) else s for s, x in zip(sols, fits, strict=True)]
        calibration_seconds += time.perf_counter() - t0
        t0 = time.perf_counter()
        sims = [fresh.total_lost_usd if not any(v > 1e-6 for v in s.amounts.values()) else
                _simulate_portfolio(scens, world, menu, s.amounts, n, verify_seed, members,
                                    engine, simulate, own) for s in sols]
        verify_seconds += time.perf_counter() - t0
        preds = [predict(fresh_model, options, s.amounts, x, reference)
                 for s, x in zip(sols, fits, strict=True)]
        checks = [_verify(p, sim) for p, sim in zip(preds, sims, strict=True)]
        worst = max(abs(c.relative_error) for c in checks)
        attempt_errors.append(worst)
        curve_errors.append(error)
        logger.info("attempt %d: worst relative error %.3f, of the curves on the fitted draws "
                    "%.3f", attempt, worst, error)
        rank = (worst > REFIT_ABOVE, error if worst <= REFIT_ABOVE else worst)
        if best is None or rank < best[0]:
            best = (rank, sols, checks, factor, curves, fits)
        if (worst <= REFIT_ABOVE and error <= REFIT_ABOVE) or attempt == refits:
            break
        t0 = time.perf_counter()
        if targets or flows:  # re-fit on the fitted draws, this frontier's portfolios measured
            if not learned:
                break  # nothing new to learn from
            factor, curves = calibrator.fit()
        else:  # nothing to calibrate: one factor on every value per t
            factor = factor * _refit_factor(fresh_model, preds, sims)
        calibration_seconds += time.perf_counter() - t0
    assert best is not None  # the loop runs at least once
    _, sols, checks, factor, curves, fits = best
    dominated = 0
    if target_p95_usd is None:  # a budget frontier keeps its efficient points only
        keep = efficient_points([s.cost_usd for s in sols],
                                [c.predicted_lost_usd_mean for c in checks])
        dominated = len(sols) - len(keep)
        sols = [sols[i] for i in keep]
        checks = [checks[i] for i in keep]
        fits = [fits[i] for i in keep]
    fitted = sample.calibrated(factor, curves)
    marginal_values = _marginal_values(fitted, options, sols[0], lp) if marginal else []
    fit = {"cells": list(sample.cells),
           "value_usd_per_t": [float(v) for v in fitted.value_per_t],
           "fitted_value_usd_per_t": [float(v) for v in sample.value_per_t],
           "refit_factor": [float(f) for f in factor], "attempts": attempt + 1,
           "point_scales": [float(x[0]) for x in fits],
           "point_tilts": [float(x[1]) for x in fits],
           "attempt_curve_errors": curve_errors,
           "curves": {k: {"amount": [float(x) for x in c.knots],
                          "effective": [float(y) for y in c.effective]}
                      for k, c in (curves or {}).items()},
           "calibration": [{"amounts": b, "credited_to": lead, "avoided_usd": a}
                           for b, lead, a in calibrator.records],
           "calibration_runs": calibrator.runs, "attempt_max_abs_errors": attempt_errors,
           "r2_by_region": dict(zip(sample.regions, map(float, sample.fit_r2), strict=True))}
    manifest = {"holder": holder, "members": list(members), "sectors": own, "draws": n,
                "seed": base_seed,
                "verify_seed": verify_seed, "points": len(sols),
                "dominated_points_dropped": dominated,
                "scenarios": [s.name for s in scens], "dataset": scens[0].dataset,
                "scenario_weights": [float(x) for x in w_s],
                "horizon_weeks": horizon, "engine": engine,
                "budget_usd": budget_usd, "target_p95_usd": target_p95_usd,
                "unmitigated_lost_usd_mean": float(base_lost @ sample.weights),
                "fit_run_seconds": fit_seconds, "verify_seconds": verify_seconds,
                "calibration_seconds": calibration_seconds,
                "total_seconds": time.perf_counter() - started}
    return MitigationResult(holder=label, members=members,
                            scenarios=tuple(s.name for s in scens), options=options, points=sols,
                            verification=checks, marginal_values=marginal_values, fit=fit,
                            lp=lp, manifest=manifest, menu=menu)


def efficient_points(cost_usd: Sequence[float], lost_usd: Sequence[float]) -> list[int]:
    """Indices of the points no other point dominates, in their order: a point is dominated
    when another costs no more and loses no more (USD), and is strictly better in one of the
    two (or equal in both and earlier). Point 0, buying nothing, is never dropped.

    Examples
    --------
    >>> efficient_points([0, 90, 103, 181], [120, 105, 106, 107])
    [0, 1]
    """
    keep = []
    for i, (c_i, l_i) in enumerate(zip(cost_usd, lost_usd, strict=True)):
        beaten = i > 0 and any(
            c_j <= c_i and l_j <= l_i and (c_j < c_i or l_j < l_i or j < i)
            for j, (c_j, l_j) in enumerate(zip(cost_usd, lost_usd, strict=True)) if j != i)
        if not beaten:
            keep.append(i)
    return keep


def _firm(world: SupplyNetwork, holder: str) -> str | None:
    """The sector id when ``holder`` names a firm (``REGION.sector``), else None.

    Raises
    ------
    UnknownNameError
        If ``holder`` is ``REGION.x`` with a known region but no such sector.
    """
    if "." not in holder:
        return None
    ids = set(world.sectors["id"].astype(str))
    if holder in ids:
        return holder
    region = holder.split(".")[0]
    if region in set(world.sectors["region"].astype(str)):
        raise UnknownNameError("sector", holder, sorted(i for i in ids if i.startswith(region + ".")),
                               field="holder")
    return None


def check_weights(weights: Sequence[float] | None, names: Sequence[str]) -> np.ndarray:
    """The scenarios' weights as an array (equal when ``weights`` is None).

    Raises
    ------
    InputError
        If the count differs from the scenarios', a weight is negative or not finite, or they do
        not sum to 1 (within 1e-6; the message gives them normalised).
    """
    if weights is None:
        return np.full(len(names), 1.0 / len(names))
    w = np.asarray(list(weights), dtype=float)
    given = ",".join(f"{x:g}" for x in w)
    if len(w) != len(names):
        raise InputError(Problem("one weight per scenario", field="weights", value=given,
                                 expected=f"{len(names)} weights for {', '.join(names)}",
                                 hint="give them in the scenarios' order, e.g. --weights "
                                 + ",".join([f"{1 / len(names):.3g}"] * len(names))))
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise InputError(Problem("a weight is negative or not a number", field="weights",
                                 value=given, expected="probabilities >= 0 summing to 1"))
    total = float(w.sum())
    if abs(total - 1.0) > 1e-6:
        norm = ",".join(f"{x / total:.4g}" for x in w) if total > 0 else None
        raise InputError(Problem(f"the weights sum to {total:g}, not 1", field="weights",
                                 value=given, expected="probabilities summing to 1",
                                 hint=f"normalised they are {norm}" if norm else
                                 "give at least one positive weight"))
    return w


def _check_numbers(budget: float | None, target: float | None, points: int,
                   draws: int | None) -> None:
    problems = []
    if budget is not None and not (np.isfinite(budget) and budget > 0):
        problems.append(Problem("the budget must be a positive number", field="budget",
                                value=budget, expected="USD > 0"))
    if target is not None and not (np.isfinite(target) and target >= 0):
        problems.append(Problem("the P95 target must not be negative", field="target_p95",
                                value=target, expected="USD >= 0"))
    if budget is not None and target is not None:
        problems.append(Problem("give a budget or a P95 target, not both", field="budget",
                                expected="--budget USD or --target-p95 USD"))
    if not 2 <= points <= 20:
        problems.append(Problem("a frontier has 2 to 20 points", field="points", value=points,
                                expected="an integer in 2..20"))
    if draws is not None and draws < 2:
        problems.append(Problem("too few draws for a distribution", field="draws", value=draws,
                                expected="at least 2"))
    if problems:
        raise InputError(problems)


def _solve(lp: dict[str, Any], sample: LossSample, options: list[Option],
           **kwargs: Any) -> Solution:
    """Solve, and where measures have curves, predict the portfolio's loss through the curves
    themselves (the program bought through their concave majorants)."""
    sol = solve(sample, options, **kwargs)
    if sample.curves:
        sol = replace(sol, lost_usd=evaluate(sample, options, sol.amounts).lost_usd)
    lp["variables"] = max(lp["variables"], sol.variables)
    lp["constraints"] = max(lp["constraints"], sol.constraints)
    lp["solve_seconds"] += sol.solve_seconds
    lp["solves"] += 1
    return sol


def _frontier(sample: LossSample, options: list[Option], budget: float | None,
              target: float | None, points: int, lp: dict[str, Any]) -> list[Solution]:
    zero = evaluate(sample, options, {})
    if target is not None:
        best = _solve(lp, sample, options, objective="cvar")
        if best.lost_usd_cvar95 > target * (1 + 1e-6):
            raise InfeasibleTargetError(Problem(
                "no portfolio of the menu keeps P95 of lost output under the target",
                field="target_p95", value=target,
                expected=f"a target of at least USD {best.lost_usd_cvar95:,.0f} (CVaR95 of the "
                f"best portfolio; its P95 is USD {best.lost_usd_p95:,.0f}, at a cost of USD "
                f"{best.cost_usd:,.0f})",
                hint="raise the target, or add measures (larger stockpiles, more cover) to the "
                "menu"))
        top = zero.lost_usd_p95
        caps = np.linspace(top, target, points)[1:]
        return [zero] + [_capped(lp, sample, options, float(c)) for c in caps]
    if budget is None:  # the cheapest portfolio that avoids all it can, or 95 % of the loss
        least = _solve(lp, sample, options, objective="lost").lost_usd_mean
        cap = max(least + 1e-6 * max(zero.lost_usd_mean, 1.0),
                  DEFAULT_TOP_RESIDUAL_SHARE * zero.lost_usd_mean)
        budget = _solve(lp, sample, options, objective="cost", mean_cap_usd=cap).cost_usd
    if budget <= 0:
        return [zero] * points
    budgets = np.linspace(0.0, budget, points)[1:]
    return [zero] + [_solve(lp, sample, options, budget_usd=float(b)) for b in budgets]


def _capped(lp: dict[str, Any], sample: LossSample, options: list[Option],
            cap: float) -> Solution:
    """The cheapest portfolio whose CVaR95, predicted through the curves, is under ``cap``: the
    program buys through the curves' concave majorants (optimistic between measured amounts),
    so its cap is lowered by the overshoot and it is solved again (at most 5 times; the last
    solution is kept if the lowered cap becomes unreachable)."""
    sol = _solve(lp, sample, options, cvar_cap_usd=cap, objective="cost")
    lp_cap = cap
    for _ in range(5):
        over = sol.lost_usd_cvar95 - cap
        if over <= 1e-6 * max(cap, 1.0):
            break
        lp_cap -= over
        try:
            sol = _solve(lp, sample, options, cvar_cap_usd=lp_cap, objective="cost")
        except SpigotError:
            break
    return sol


def _simulate_portfolio(scens: list[Scenario], world: SupplyNetwork, menu: Menu,
                        amounts: dict[str, float], draws: int, seed: int,
                        members: tuple[str, ...], engine: str,
                        simulate: Any, sectors: tuple[str, ...] | None = None) -> np.ndarray:
    parts = []
    for s in scens:
        scen, w = _apply(s, world, menu, amounts)
        res: Results = simulate(scen, draws=draws, seed=seed, network=w, engine=engine)
        parts.append(holder_loss_by_draw(res, members, sectors))
    return np.concatenate(parts)


def _verify(sol: Solution, simulated: np.ndarray) -> Verification:
    w = sol.weights
    return Verification(predicted_lost_usd_mean=sol.lost_usd_mean,
                        simulated_lost_usd_mean=weighted_mean(simulated, w),
                        predicted_lost_usd_p95=sol.lost_usd_p95,
                        simulated_lost_usd_p95=weighted_quantile(simulated, w, CVAR_LEVEL))


def _refit_factor(fresh: LossSample, preds: list[Solution],
                  sims: list[np.ndarray]) -> np.ndarray:
    """How much of the loss the abstraction says the portfolios avoid on the fresh draws the
    engine avoided there, pooled over the points: the factor that scales every cell's value per t
    (one factor for all cells: one number per point cannot tell cells apart)."""
    w = fresh.weights
    base = float(w @ fresh.total_lost_usd)
    pred = np.array([base - p.lost_usd_mean for p in preds])
    real = np.array([base - float(w @ x) for x in sims])
    ok = pred > 0
    if not np.any(ok):
        return np.ones(len(fresh.cells))
    ratio = float(np.clip(real[ok].sum() / pred[ok].sum(), 0.05, 2.0))
    return np.full(len(fresh.cells), ratio)


def _marginal_values(sample: LossSample, options: list[Option], at: Solution,
                     lp: dict[str, Any]) -> list[dict[str, Any]]:
    """Finite differences from the portfolio ``at`` (the frontier's point 0: nothing bought): one
    step of each measure (5 % of its largest amount) alone. The value of a unit of the first step
    is also the measure's breakeven cost: above it, buying none is cheaper."""
    out = []
    base_mean, base_p95 = at.lost_usd_mean, at.lost_usd_p95
    for o in options:
        step = 0.05 * o.max_amount
        if step <= 0:
            continue
        amounts = dict(at.amounts)
        if amounts[o.id] + step > o.max_amount:
            step = -step  # at the top of its range: the value of the last step
        amounts[o.id] = amounts[o.id] + step
        moved = evaluate(sample, options, amounts)
        per_unit_mean = (base_mean - moved.lost_usd_mean) / step
        per_unit_p95 = (base_p95 - moved.lost_usd_p95) / step
        per = 1000.0 if o.unit == "t" else 1.0
        out.append({
            "id": o.id, "kind": o.kind, "unit": o.unit,
            "amount_at": at.amounts[o.id],
            "per": f"{per:g} {o.unit}",
            "avoided_lost_usd_mean": per_unit_mean * per,
            "avoided_lost_usd_p95": per_unit_p95 * per,
            "cost_usd": o.cost_per_unit * per,
            "breakeven_cost_usd": per_unit_mean * per,
            "text": (f"{per:g} {o.unit} more of {o.id} avoids USD {per_unit_mean * per:,.0f} of "
                     f"expected and USD {per_unit_p95 * per:,.0f} of P95 lost output; it costs "
                     f"USD {o.cost_per_unit * per:,.0f} over the horizon")})
    return out
