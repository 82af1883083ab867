"""The portfolio program: which measures a holder buys, and how much of each, over engine draws
(docs/mitigation.md, "The sample-average program").

Variables on named dimensions (linopy), for draws ``d``, weeks ``t``, cells ``k = region/commodity``
of the holder, member regions ``r`` and measures ``m``:

- ``amount[m]`` in ``[0, max_amount[m]]``: t of a stockpile, weeks of extra cover;
- ``release[d, t, k]`` in ``[0, shortfall[d, t, k]]``: t of the measures' material used in a
  week the cell is short, with ``sum_t release[d, t, k] <= sum_m supply_t[m, k] amount[m]``;
- ``lost[d, r] >= sum_t lost_usd[d, t, r] - sum_{t, k in r} value[d, k] release[d, t, k]``,
  ``>= 0``, with ``value[d, k] = value_per_t[k] x draw_scale[d, r]`` (the draw's own loss per t
  short, :attr:`~spigot.mitigation.sample.LossSample.value_per_draw`).

``cost = sum_m cost_per_unit[m] amount[m]``. Either the expected lost output is minimised under a
budget on cost, or the cost is minimised under a cap on CVaR95 of the lost output per draw
(Rockafellar-Uryasev: ``eta + sum_d w_d z_d / 0.05 <= cap``, ``z_d >= loss_d - eta``,
``z_d >= 0``); CVaR95 is at least P95, so the cap holds P95 under it too. A tie-break of
``1e-6`` USD per USD keeps portfolios free of what buys nothing. Money is scaled to a thousandth
of the expected unmitigated loss so that HiGHS sees coefficients near 1.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from spigot.mitigation.highs import solve_with_highs

if TYPE_CHECKING:
    from collections.abc import Sequence

    from spigot.mitigation.sample import LossSample

__all__ = ["CVAR_LEVEL", "Option", "Solution", "closed_form", "evaluate", "rate_array", "room", "solve",
           "supply_matrix", "weighted_cvar", "weighted_mean", "weighted_quantile"]

#: Level of the tail measure (CVaR95, P95).
CVAR_LEVEL = 0.95
#: Weight of cost in the objective when it only breaks ties (USD per USD).
TIE_BREAK = 1e-6


@dataclass(frozen=True)
class Option:
    """One measure on the menu, as the program sees it.

    Attributes
    ----------
    id, kind, unit
        The measure's id, kind (``strategic_stockpile``, ``extra_cover``) and the unit of its
        amount (``t``, ``week``).
    max_amount
        Largest amount the holder may buy, in ``unit``.
    cost_per_unit
        USD over the horizon per unit of amount (holding or carrying cost).
    supply_t
        t of each cell's commodity made available per unit of amount, by cell.
    rate_t_per_week
        t of each cell's commodity made available *each week* per unit of amount, week by week
        from the run's first week (capacity, recycling, substitution, offtake: a flow from the
        lead time on, docs/mitigation.md), by cell; empty for stocks.
    integer
        Whether the amount is 0 or ``max_amount`` (build a project or not): a binary variable,
        so the program is a MILP (no budget dual).
    """

    id: str
    kind: str
    unit: str
    max_amount: float
    cost_per_unit: float
    supply_t: dict[str, float]
    rate_t_per_week: dict[str, tuple[float, ...]] = field(default_factory=dict)
    integer: bool = False


@dataclass(frozen=True)
class Solution:
    """A portfolio and the holder's loss under it, as the program predicts it.

    Attributes
    ----------
    amounts
        Amount of each option, in its unit (option id -> amount).
    cost_usd
        Cost of the portfolio over the horizon, USD.
    lost_usd
        (D,) predicted lost output per draw, USD.
    weights
        (D,) draw probabilities.
    budget_dual
        d(expected lost output)/d(budget), USD per USD (negative), when a budget bound.
    variables, constraints, solve_seconds
        The LP's size and HiGHS's wall time, s.
    """

    amounts: dict[str, float]
    cost_usd: float
    lost_usd: npt.NDArray[np.float64]
    weights: npt.NDArray[np.float64]
    budget_dual: float | None
    variables: int
    constraints: int
    solve_seconds: float

    @property
    def lost_usd_mean(self) -> float:
        """Expected lost output, USD."""
        return weighted_mean(self.lost_usd, self.weights)

    @property
    def lost_usd_p95(self) -> float:
        """P95 of lost output over draws (weighted inverse CDF), USD."""
        return weighted_quantile(self.lost_usd, self.weights, CVAR_LEVEL)

    @property
    def lost_usd_cvar95(self) -> float:
        """CVaR95 (mean of the worst 5 % of draws), USD."""
        return weighted_cvar(self.lost_usd, self.weights, CVAR_LEVEL)


def weighted_mean(values: npt.NDArray[np.float64], weights: npt.NDArray[np.float64]) -> float:
    """The weighted mean; with equal weights exactly ``values.mean()`` (as a plain run says)."""
    if np.all(weights == weights[0]):
        return float(values.mean())
    return float(np.dot(weights, values))


def weighted_quantile(values: npt.NDArray[np.float64], weights: npt.NDArray[np.float64],
                      level: float) -> float:
    """The smallest value ``v`` with weighted share ``P(X <= v) >= level``."""
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    k = int(np.searchsorted(cum, level - 1e-12, side="left"))
    return float(values[order][min(k, len(values) - 1)])


def weighted_cvar(values: npt.NDArray[np.float64], weights: npt.NDArray[np.float64],
                  level: float) -> float:
    """Mean of the worst ``1 - level`` of the weighted distribution (Rockafellar-Uryasev)."""
    eta = weighted_quantile(values, weights, level)
    return float(eta + np.dot(weights, np.maximum(values - eta, 0.0)) / (1.0 - level))


def supply_matrix(options: Sequence[Option], cells: Sequence[str]) -> npt.NDArray[np.float64]:
    """(M, K) t of each cell's commodity made available per unit of each option's amount."""
    return np.array([[o.supply_t.get(k, 0.0) for k in cells] for o in options]).reshape(
        len(options), len(cells))


def rate_array(options: Sequence[Option], cells: Sequence[str], steps: int,
               week_step: float) -> npt.NDArray[np.float64] | None:
    """(M, T, K) t per time step made available per unit of each option's amount (None when no
    option has a weekly rate). A step of ``week_step`` weeks sums its weeks' rates."""
    if not any(o.rate_t_per_week for o in options):
        return None
    out = np.zeros((len(options), steps, len(cells)))
    per = max(1, round(week_step))
    for i, o in enumerate(options):
        for k, cell in enumerate(cells):
            weekly = np.asarray(o.rate_t_per_week.get(cell, ()), dtype=float)
            if weekly.size:
                weekly = np.pad(weekly, (0, max(0, steps * per - weekly.size)), mode="edge")
                out[i, :, k] = weekly[:steps * per].reshape(steps, per).sum(axis=1)
    return out


def solve(sample: LossSample, options: Sequence[Option], *, budget_usd: float | None = None,
          cvar_cap_usd: float | None = None, mean_cap_usd: float | None = None,
          fixed: dict[str, float] | None = None,
          objective: str = "lost", weekly: bool = False) -> Solution:
    """Solve the portfolio program on ``sample``.

    Parameters
    ----------
    sample
        Shortfalls, losses and the fitted values per t.
    options
        The menu.
    budget_usd
        Upper bound on the portfolio's cost, USD (None: none).
    cvar_cap_usd
        Upper bound on CVaR95 of lost output, USD (None: none).
    mean_cap_usd
        Upper bound on expected lost output, USD (None: none).
    fixed
        Amounts to fix (option id -> amount): the program then only releases.
    objective
        ``"lost"``: minimise expected lost output (cost breaks ties); ``"cost"``: minimise cost
        (expected lost output breaks ties); ``"cvar"``: minimise CVaR95 (cost breaks ties).
    weekly
        Release week by week even where each region has one valued cell (then, by default, the
        per-draw closed form ``avoided[d, k] <= v_k x min(usable_k, room[d, k])`` replaces the
        weekly releases: the same optimum, with draws x cells variables instead of draws x weeks
        x cells; tested against each other).

    Raises
    ------
    SpigotError
        If HiGHS reports no optimum (``status`` says why; an infeasible cap is checked by the
        caller with ``objective="cvar"`` first).
    """
    with warnings.catch_warnings():
        from linopy.config import LinopySemanticsWarning

        # masked slots add nothing to a sum (linopy's legacy semantics, which the model relies on)
        warnings.simplefilter("ignore", LinopySemanticsWarning)
        return _solve(sample, options, budget_usd=budget_usd, cvar_cap_usd=cvar_cap_usd,
                      mean_cap_usd=mean_cap_usd, fixed=fixed, objective=objective,
                      weekly=weekly)


def _solve(sample: LossSample, options: Sequence[Option], *, budget_usd: float | None,
           cvar_cap_usd: float | None, mean_cap_usd: float | None,
           fixed: dict[str, float] | None, objective: str, weekly: bool) -> Solution:
    import linopy

    # money in units of a thousandth of the expected unmitigated loss: coefficients near 1
    unit = max(float(sample.total_lost_usd @ sample.weights), 1.0) / 1e3
    cells = list(sample.cells)
    regions = list(sample.regions)
    draw = pd.RangeIndex(sample.draws, name="draw")
    step = pd.RangeIndex(sample.steps, name="time")
    cell = pd.Index(cells, name="cell")
    measure = pd.Index([o.id for o in options], name="measure")
    w = xr.DataArray(sample.weights, coords=[draw])
    m = linopy.Model()
    upper = np.array([o.max_amount for o in options], dtype=float)
    lower = np.zeros(len(options))
    for i, o in enumerate(options):
        if fixed is not None and o.id in fixed:
            lower[i] = upper[i] = fixed[o.id]
    amount = m.add_variables(lower=xr.DataArray(lower, coords=[measure]),
                             upper=xr.DataArray(upper, coords=[measure]), name="amount")
    supply = xr.DataArray(supply_matrix(options, cells), coords=[measure, cell])
    usable = _usable(m, sample, amount, supply, measure)
    integer = [i for i, o in enumerate(options) if o.integer and not (fixed and o.id in fixed)]
    if integer:  # build a named project or not: a binary, the program a MILP
        index = pd.Index([options[i].id for i in integer], name="measure")
        build = m.add_variables(coords=[index], name="build", binary=True)
        most = xr.DataArray([options[i].max_amount for i in integer], coords=[index])
        m.add_constraints(amount.sel(measure=list(index)) - build * most == 0, name="build_all")
    cost_per_unit = xr.DataArray([o.cost_per_unit / unit for o in options], coords=[measure])
    cost = (amount * cost_per_unit).sum()
    # weekly supply of capacity, recycling, substitution and offtake (docs/mitigation.md): it
    # varies over time, so the per-draw closed form (a stock used whenever) does not hold
    rates = rate_array(options, cells, sample.steps, sample.week_step)
    closed = (not weekly and rates is None and closed_form(sample)
              and bool(np.any(sample.value_per_t > 0)))
    flow = None
    if closed:  # one valued cell per region: per draw, avoided <= v x min(usable, room)
        useful = np.flatnonzero(sample.value_per_t > 0)
        ucell = pd.Index([cells[j] for j in useful], name="cell")
        value = sample.value_per_draw[:, useful]  # (D, U)
        room = np.stack([value[:, i] * _room(sample, int(j)) for i, j in enumerate(useful)],
                        axis=1)
        avoided = m.add_variables(lower=0.0, upper=xr.DataArray(room / unit, coords=[draw, ucell]),
                                  name="avoided")
        m.add_constraints(avoided - usable.sel(cell=list(ucell))
                          * xr.DataArray(value / unit, coords=[draw, ucell]) <= 0, name="stock")
        per_draw: Any = (-1.0 * avoided).sum("cell") + xr.DataArray(
            sample.total_lost_usd / unit, coords=[draw])
        const = float(sample.weights @ sample.total_lost_usd) / unit  # not in an objective
        variable_part = ((-1.0 * avoided).sum("cell") * w).sum()
    else:
        short = xr.DataArray(sample.shortfall_t, coords=[draw, step, cell])
        release = m.add_variables(lower=0.0, upper=short, name="release", mask=short > 0)
        m.add_constraints(release.sum("time") - usable <= 0, name="stock")
        used: Any = release
        if rates is not None:
            rate = xr.DataArray(rates, coords=[measure, step, cell])
            # only where some option supplies the cell in that week and the cell is short
            live = (short > 0) & xr.DataArray(rates.sum(axis=0) > 0, coords=[step, cell])
            flow = m.add_variables(lower=0.0, upper=short, name="flow", mask=live)
            m.add_constraints(flow - (amount * rate).sum("measure") <= 0, name="flow_cap",
                              mask=live)
            m.add_constraints(release + flow <= short, name="short_cap", mask=live)
            used = release + flow
        lost_vars = []
        region_lost = sample.region_lost_usd
        value_dk = sample.value_per_draw
        for r, region in enumerate(regions):
            lost_r = xr.DataArray(region_lost[:, r] / unit, coords=[draw])
            ks = [k for k, i in zip(cells, sample.cell_region, strict=True) if i == r]
            lost = m.add_variables(lower=0.0, coords=[draw], name=f"lost_{r}", mask=lost_r > 0)
            if ks:  # a draw's releases avoid at the draw's value, never more than its loss
                value_k = xr.DataArray(value_dk[:, [cells.index(k) for k in ks]] / unit,
                                       coords=[draw, pd.Index(ks, name="cell")])
                m.add_constraints(lost + (used.sel(cell=ks) * value_k).sum(["cell", "time"])
                                  >= lost_r, name=f"loss_{region}", mask=lost_r > 0)
            else:
                m.add_constraints(lost >= lost_r, name=f"loss_{region}", mask=lost_r > 0)
            lost_vars.append(lost)
        per_draw = lost_vars[0]
        for lv in lost_vars[1:]:
            per_draw = per_draw + lv
        const, variable_part = 0.0, (per_draw * w).sum()
    expected = variable_part  # expected lost output is this + const
    tail = None
    if cvar_cap_usd is not None or objective == "cvar":
        eta = m.add_variables(name="var95")
        excess = m.add_variables(lower=0.0, coords=[draw], name="excess")
        m.add_constraints(excess - per_draw + eta >= 0, name="tail")
        tail = eta + (excess * w).sum() / (1.0 - CVAR_LEVEL)
        if cvar_cap_usd is not None:
            m.add_constraints(tail <= cvar_cap_usd / unit, name="cvar_cap")
    if mean_cap_usd is not None:
        m.add_constraints(expected <= mean_cap_usd / unit - const, name="mean_cap")
    if budget_usd is not None:
        m.add_constraints(cost <= budget_usd / unit, name="budget")
    if objective == "lost":
        m.add_objective(expected + TIE_BREAK * cost)
    elif objective == "cost":
        m.add_objective(cost + TIE_BREAK * expected)
    else:
        assert tail is not None
        m.add_objective(tail + TIE_BREAK * cost)
    seconds = solve_with_highs(m, "portfolio program")
    amounts = {o.id: max(float(v), 0.0) for o, v in zip(options, amount.solution.values,
                                                         strict=True)}
    if closed:  # the best releases for these amounts (the LP's need not be, off the tail)
        lost_usd = sample.total_lost_usd - _avoided_closed(sample, options, amounts, concave=True)
    else:
        rel = np.nan_to_num(np.asarray(release.solution.values, dtype=float))
        if flow is not None:
            rel = rel + np.nan_to_num(np.asarray(flow.solution.values, dtype=float))
        lost_usd = predicted_loss(sample, rel)
    dual = None
    if budget_usd is not None and not integer:
        dual = float(m.constraints["budget"].dual.item())
    return Solution(amounts=amounts, cost_usd=sum(o.cost_per_unit * amounts[o.id] for o in options),
                    lost_usd=np.asarray(lost_usd, dtype=float), weights=sample.weights,
                    budget_dual=dual, variables=int(m.nvars), constraints=int(m.ncons),
                    solve_seconds=seconds)


def _usable(m: Any, sample: LossSample, amount: Any, supply: xr.DataArray,
            measure: pd.Index) -> Any:
    """t the portfolio makes available to each cell: ``sum_m supply[m, k] x amount[m]``, or,
    for a measure with an effective-amount curve (:mod:`spigot.mitigation.curve`), the least
    concave majorant of its curve at the amount: the amount split into the majorant's segments
    (``segment_amount``, bounded by their widths), each worth its slope. The slopes fall, so
    filling the segments in order is optimal: exact in an LP. (Where the measured curve is not
    concave the program is optimistic between its points; :func:`evaluate` uses the curve
    itself.)"""
    curves = sample.curves or {}
    if not any(o in curves for o in measure):
        return (amount * supply).sum("measure")
    n_seg = max(len(c.concave().knots) - 1 for c in curves.values())
    widths = np.zeros((len(measure), n_seg))
    slopes = np.zeros((len(measure), n_seg))
    for j, o in enumerate(measure):
        if o in curves:
            c = curves[o].concave()
            widths[j, :len(c.knots) - 1] = c.widths
            slopes[j, :len(c.knots) - 1] = c.slopes
        else:  # the identity: one unbounded segment of slope 1
            widths[j, 0], slopes[j, 0] = np.inf, 1.0
    segment = pd.RangeIndex(n_seg, name="segment")
    seg = m.add_variables(lower=0.0, upper=xr.DataArray(widths, coords=[measure, segment]),
                          name="segment_amount")
    m.add_constraints(seg.sum("segment") - amount == 0, name="segments")
    effective = (seg * xr.DataArray(slopes, coords=[measure, segment])).sum("segment")
    return (effective * supply).sum("measure")


def predicted_loss(sample: LossSample, release_t: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """(D,) the holder's lost output per draw given the weekly releases (D, T, K), USD.

    The run's own total minus what the releases avoid (at the draw's value per t, never more
    than the region's loss in the draw), so that no release gives the run's numbers exactly.
    """
    rel = np.clip(release_t, 0.0, None).sum(axis=1) * sample.value_per_draw  # (D, K) USD
    region_lost = sample.region_lost_usd
    avoided = np.zeros(sample.draws)
    for r in range(len(sample.regions)):
        cols = sample.cell_region == r
        if np.any(cols):
            avoided += np.minimum(region_lost[:, r], rel[:, cols].sum(axis=1))
    return np.asarray(sample.total_lost_usd - avoided, dtype=float)


def evaluate(sample: LossSample, options: Sequence[Option], amounts: dict[str, float],
             clip: bool = True) -> Solution:
    """The predicted loss of a given portfolio (the program with every amount fixed; amounts
    above a measure's most are cut to it unless ``clip`` is False, as a calibration needs).

    Where each member region has at most one cell with a positive value per t (the usual case),
    and only stocks are bought, the optimal releases have a closed form: a draw avoids
    ``v[d] x min(available, room[d])``, with ``room[d]`` the t it can use with profit
    (:func:`_room`); otherwise (weekly flows of capacity, recycling, substitution or offtake, or several
    valued cells) HiGHS solves the program with the amounts fixed.
    """
    fixed = {o.id: min(max(amounts.get(o.id, 0.0), 0.0), o.max_amount if clip else np.inf)
             for o in options}
    flows = any(o.rate_t_per_week and fixed[o.id] > 0 for o in options)  # weekly supply bought
    if flows or not closed_form(sample):  # no closed form: the program with the amounts fixed
        return solve(sample, options, fixed=fixed, objective="lost")
    avoided = _avoided_closed(sample, options, fixed, concave=False)
    return Solution(amounts=fixed, cost_usd=sum(o.cost_per_unit * fixed[o.id] for o in options),
                    lost_usd=np.asarray(sample.total_lost_usd - avoided, dtype=float),
                    weights=sample.weights, budget_dual=None, variables=0, constraints=0,
                    solve_seconds=0.0)


def closed_form(sample: LossSample) -> bool:
    """Whether each member region has at most one cell with a positive value per t (then the
    best releases have a closed form, and the program needs no week-by-week releases)."""
    useful = sample.value_per_t > 0
    return bool(np.all(np.bincount(sample.cell_region[useful],
                                   minlength=len(sample.regions)) <= 1))


def room(short: npt.NDArray[np.float64], lost: npt.NDArray[np.float64],
         value: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """t of a valued cell a draw can use with profit (arrays of one shape, per draw or per draw
    and cell): its shortfall over the horizon ``short``, t, or fewer where the draw's value per
    t ``value``, USD/t, times that exceeds its region's loss in the draw ``lost``, USD (a value
    raised by a calibration or a point fit): ``min(short, lost / value)``."""
    return np.asarray(np.minimum(short, lost / np.where(value > 0, value, np.inf)), dtype=float)


def _room(sample: LossSample, k: int) -> npt.NDArray[np.float64]:
    """(D,) :func:`room` of cell ``k`` (one valued cell in its region)."""
    return room(sample.shortfall_t[:, :, k].sum(axis=1),
                sample.region_lost_usd[:, sample.cell_region[k]], sample.value_per_draw[:, k])


def _avoided_closed(sample: LossSample, options: Sequence[Option], amounts: dict[str, float],
                    concave: bool) -> npt.NDArray[np.float64]:
    """(D,) USD the best releases avoid with ``amounts`` (one valued cell per region): a draw
    avoids ``v x min(usable, room)`` per cell; ``usable`` through each measure's curve (its
    concave majorant with ``concave``, as the LP sees it)."""
    ids = [o.id for o in options]
    bought = np.array([amounts.get(o.id, 0.0) for o in options], dtype=float)
    if concave and sample.curves:
        eff = np.array([float(sample.curves[m].concave()(a)) if m in sample.curves else a
                        for m, a in zip(ids, bought, strict=True)])
    else:
        eff = sample.effective(ids, bought)
    available = supply_matrix(options, list(sample.cells)).T @ eff
    avoided = np.zeros(sample.draws)
    value = sample.value_per_draw
    for k in np.flatnonzero(sample.value_per_t > 0):
        avoided += value[:, k] * np.minimum(available[k], _room(sample, int(k)))
    return avoided
