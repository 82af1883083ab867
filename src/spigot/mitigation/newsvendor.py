"""The one-commodity stockpile problem (a newsvendor) as a sample-average linear program.

A holder chooses a stock ``q`` (t) before it knows the shortfall ``S`` (t over the horizon) it
will face. Each t held costs ``h`` USD over the horizon (holding cost); each t of shortfall the
stock does not cover costs ``v`` USD of lost output. Over draws ``d`` with weights ``w_d``::

    minimise   h q + sum_d w_d v u_d
    subject to u_d >= S_d - q,   u_d >= 0,   q >= 0

built with linopy on the named dimension ``draw`` and solved with HiGHS. Its optimum is the
critical-fractile quantile of the shortfall distribution, ``F(q*) = 1 - h / v`` (the newsvendor
rule): :func:`critical_fractile` and :func:`sample_quantile` give that number by formula, so the
program can be checked by hand (tests/mitigation/test_newsvendor.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from spigot.errors import InputError, Problem, UnknownNameError
from spigot.mitigation.highs import solve_with_highs

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from spigot.results import Results

__all__ = ["NewsvendorSolution", "critical_fractile", "optimal_stockpile", "sample_quantile",
           "shortfall_by_draw"]


def critical_fractile(holding_usd_per_t: float, lost_usd_per_t: float) -> float:
    """The newsvendor's critical fractile ``1 - h / v`` (0 when holding costs more than it saves).

    Parameters
    ----------
    holding_usd_per_t
        ``h``: cost of holding one t over the horizon, USD/t.
    lost_usd_per_t
        ``v``: output lost per t of shortfall not covered, USD/t.

    Raises
    ------
    InputError
        If ``h`` is negative or ``v`` is not positive.
    """
    _check_costs(holding_usd_per_t, lost_usd_per_t)
    return max(0.0, 1.0 - holding_usd_per_t / lost_usd_per_t)


def sample_quantile(shortfall_t: ArrayLike, fractile: float, weights: ArrayLike | None = None) -> float:
    """The smallest ``q`` with weighted share ``P(S <= q) >= fractile`` (the inverse CDF), t."""
    s = np.asarray(shortfall_t, dtype=float)
    w = _weights(weights, len(s))
    order = np.argsort(s, kind="stable")
    cum = np.cumsum(w[order])
    k = int(np.searchsorted(cum, fractile - 1e-12, side="left"))
    return float(s[order][min(k, len(s) - 1)]) if fractile > 0 else 0.0


@dataclass(frozen=True)
class NewsvendorSolution:
    """The optimal stock and what it costs.

    Attributes
    ----------
    stock_t
        Optimal stock ``q*``, t.
    holding_usd
        ``h q*``, USD over the horizon.
    expected_lost_usd
        ``sum_d w_d v max(S_d - q*, 0)``, USD.
    expected_cost_usd
        Their sum (the objective), USD.
    fractile
        The critical fractile ``1 - h / v``.
    quantile_t
        The sample's quantile at the fractile (:func:`sample_quantile`), t: the formula's answer.
    variables, constraints
        Size of the linear program.
    solve_seconds
        HiGHS's wall time, s.
    """

    stock_t: float
    holding_usd: float
    expected_lost_usd: float
    expected_cost_usd: float
    fractile: float
    quantile_t: float
    variables: int
    constraints: int
    solve_seconds: float


def optimal_stockpile(shortfall_t: ArrayLike, holding_usd_per_t: float, lost_usd_per_t: float,
                      weights: ArrayLike | None = None) -> NewsvendorSolution:
    """The stock that minimises expected holding cost plus expected lost output.

    Parameters
    ----------
    shortfall_t
        Shortfall in each draw over the horizon, t (one value per draw, none negative).
    holding_usd_per_t
        ``h``: holding cost of one t over the horizon, USD/t (for a strategic stockpile
        ``MeasureCost.holding_usd_per_t_year x horizon_weeks / 52``).
    lost_usd_per_t
        ``v``: output lost per t short, USD/t.
    weights
        Probability of each draw (default: equal); must sum to 1.

    Raises
    ------
    InputError
        If the sample is empty or negative, a cost is negative, or the weights are not
        probabilities.
    SpigotError
        If HiGHS does not report an optimum (a bug: the program is always feasible and bounded).
    """
    import linopy

    _check_costs(holding_usd_per_t, lost_usd_per_t)
    s = np.asarray(shortfall_t, dtype=float).ravel()
    if s.size == 0 or not np.all(np.isfinite(s)) or s.min() < 0:
        raise InputError(Problem("shortfalls must be finite and not negative", field="shortfall_t",
                                 value=float(s.min()) if s.size else None,
                                 expected="one value >= 0 per draw, t"))
    w = _weights(weights, s.size)
    draws = pd.RangeIndex(s.size, name="draw")
    m = linopy.Model()
    q = m.add_variables(lower=0.0, name="stock_t")
    u = m.add_variables(lower=0.0, coords=[draws], name="unmet_t")
    m.add_constraints(u + q >= xr.DataArray(s, coords=[draws]), name="cover")
    m.add_objective(holding_usd_per_t * q + (u * xr.DataArray(w * lost_usd_per_t, coords=[draws])).sum())
    seconds = solve_with_highs(m, "newsvendor program")
    stock = float(q.solution.item())
    lost = float(np.sum(w * lost_usd_per_t * np.maximum(s - stock, 0.0)))
    fractile = critical_fractile(holding_usd_per_t, lost_usd_per_t)
    return NewsvendorSolution(
        stock_t=stock, holding_usd=holding_usd_per_t * stock, expected_lost_usd=lost,
        expected_cost_usd=holding_usd_per_t * stock + lost, fractile=fractile,
        quantile_t=sample_quantile(s, fractile, w), variables=int(m.nvars),
        constraints=int(m.ncons), solve_seconds=seconds)


def shortfall_by_draw(results: Results, region: str, commodity: str) -> np.ndarray:
    """t of ``commodity`` the sectors of ``region`` lacked over the horizon, one value per draw.

    Raises
    ------
    UnknownNameError
        If the run tracks no such region/commodity pair.
    """
    data = results.data["shortfall_t"]
    key = f"{region}/{commodity}"
    names = [str(v) for v in data["rc"].values]
    if key not in names:
        raise UnknownNameError("region/commodity", key, names, field="region")
    return np.asarray(data.sel(rc=key).values, dtype=float)


def _check_costs(holding_usd_per_t: float, lost_usd_per_t: float) -> None:
    problems = []
    if not np.isfinite(holding_usd_per_t) or holding_usd_per_t < 0:
        problems.append(Problem("negative or undefined cost", field="holding_usd_per_t",
                                value=holding_usd_per_t, expected="a number >= 0, USD/t"))
    if not np.isfinite(lost_usd_per_t) or lost_usd_per_t <= 0:
        problems.append(Problem("the value of lost output must be positive", field="lost_usd_per_t",
                                value=lost_usd_per_t, expected="a number > 0, USD/t"))
    if problems:
        raise InputError(problems)


def _weights(weights: ArrayLike | None, n: int) -> np.ndarray:
    if weights is None:
        return np.full(n, 1.0 / max(n, 1))
    w = np.asarray(weights, dtype=float).ravel()
    if w.shape != (n,) or np.any(w < 0) or not np.isclose(w.sum(), 1.0):
        raise InputError(Problem("weights must be one probability per draw, summing to 1",
                                 field="weights", value=None if w.size > 5 else w.tolist(),
                                 expected=f"{n} numbers >= 0 with sum 1"))
    return w
