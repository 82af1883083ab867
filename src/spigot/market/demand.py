"""Demand response: slow thrifting and substitution, and the short-run price elasticity.

Two mechanisms (``docs/model.md``, section Demand):

- **Substitution and thrifting** per *use* (a sector-commodity pair or a node's recipe input):
  the intensity reduction ``r`` (share of t per unit removed) follows a first-order lag towards
  ``r* = cap x g(log rel)``, ``g`` the ramp in log price between ``log(substitution_price_on)``
  and ``log(substitution_price_full)``. It moves
  up with the adoption rate ``1 - exp(-dt / tau_adopt)`` and back down with the much slower
  reversal rate ``1 - exp(-dt / tau_revert)``. The engine multiplies the use's intensity (a
  sector's bill of materials or a node's recipe input) by ``1 - r``.
- **Short-run elasticity** per sector: the share of planned output the sector still wants at
  current prices, ``f = clip(I^eps, floor, 1)`` with ``I = prod_q rel_q^w_q`` the
  base-cost-weighted (Cobb-Douglas) price index of its inputs in its zone and ``eps <= 0`` from
  the sectors table; ``f = 1`` while ``I <= 1`` (cheaper inputs do not raise output above plan).
"""

# ruff: noqa: N806 - sizes are named as in the docs (C commodities, W lanes, ...)

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from spigot.market._common import jit, ramp, ramp_py

__all__ = ["plan_step", "plan_step_ref", "substitution_step", "substitution_step_ref",
           "thrift_step", "thrift_step_ref"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@jit
def substitution_step(lrel: FloatArray, use_zone: IntArray, use_c: IntArray, use_cap: FloatArray,
                      log_on: float, log_full: float, adopt_rate: float, revert_rate: float,
                      reduction: FloatArray) -> None:
    """Move the intensity reductions ``reduction`` (U, W) one step, in place.

    Parameters
    ----------
    lrel
        (2, C, W) log relative prices, log(price / base).
    use_zone, use_c, use_cap
        (U,) zone, commodity and cap (largest reduction) of each use.
    log_on, log_full
        Logs of the relative prices where substitution starts and where the full cap is
        targeted (the ramp is linear in log price).
    adopt_rate, revert_rate
        Shares of the gap closed per step going up and going down.
    reduction
        (U, W) share of the base intensity removed, in ``[0, cap]``; updated in place.
    """
    U = reduction.shape[0]
    W = reduction.shape[1]
    for u in range(U):
        z = use_zone[u]
        c = use_c[u]
        cap = use_cap[u]
        for lane in range(W):
            target = cap * ramp(lrel[z, c, lane], log_on, log_full)
            r = reduction[u, lane]
            rate = adopt_rate if target > r else revert_rate
            reduction[u, lane] = r + (target - r) * rate


def substitution_step_ref(lrel: FloatArray, use_zone: IntArray, use_c: IntArray,
                          use_cap: FloatArray, log_on: float, log_full: float,
                          adopt_rate: float, revert_rate: float,
                          reduction: FloatArray) -> FloatArray:
    """Reference twin of :func:`substitution_step` for one draw; returns the new (U,) array."""
    out = np.array(reduction, dtype=float)
    for u in range(len(out)):
        target = use_cap[u] * ramp_py(float(lrel[use_zone[u], use_c[u]]), log_on, log_full)
        rate = adopt_rate if target > out[u] else revert_rate
        out[u] = out[u] + (target - out[u]) * rate
    return out


@jit
def thrift_step(use_floor: FloatArray, floor_step: IntArray, t: int, apply: bool,
                reduction: FloatArray) -> None:
    """Compose (``apply``) or take out the dated thrift in force at step ``t``, in place.

    A use ``u`` with ``use_floor[u] = f > 0`` has, from step ``floor_step[u]`` on, its
    intensity multiplied by ``1 - f`` on top of the price-driven reduction ``r``: the state
    holds ``1 - (1 - r)(1 - f)``. The engine takes the thrift out before
    :func:`substitution_step` moves ``r`` (with the floor of the previous step) and composes it
    after (with this step's), so the price-driven part keeps its own dynamics. Uses with
    ``f = 0`` (every use of a world without the measure) are not touched: bit for bit.
    """
    U = reduction.shape[0]
    W = reduction.shape[1]
    for u in range(U):
        f = use_floor[u]
        if f <= 0.0 or t < floor_step[u]:
            continue
        for lane in range(W):
            if apply:
                reduction[u, lane] = 1.0 - (1.0 - reduction[u, lane]) * (1.0 - f)
            else:
                reduction[u, lane] = 1.0 - (1.0 - reduction[u, lane]) / (1.0 - f)


def thrift_step_ref(use_floor: FloatArray, floor_step: IntArray, t: int, apply: bool,
                    reduction: FloatArray) -> FloatArray:
    """Reference twin of :func:`thrift_step` for one draw; returns the new (U,) array."""
    out = np.array(reduction, dtype=float)
    for u in range(len(out)):
        f = float(use_floor[u])
        if f <= 0.0 or t < floor_step[u]:
            continue
        out[u] = 1.0 - (1.0 - out[u]) * (1.0 - f) if apply else 1.0 - (1.0 - out[u]) / (1.0 - f)
    return out


@jit
def plan_step(lrel: FloatArray, group_zone: IntArray, elasticity: FloatArray, group_ptr: IntArray,
              entry_c: IntArray, entry_w: FloatArray, floor: float, plan: FloatArray) -> None:
    """Share of planned output each sector group still wants at current prices, (G, W).

    A *group* is a set of sectors with the same zone, elasticity and input weights (the same
    sector in several regions of a zone): they share one plan, ``plan[plan_group[s]]``.
    ``plan[g] = clip(I_g^eps_g, floor, 1)`` with the input price index
    ``log I_g = sum_i w_i lrel[zone_g, c_i]`` over the group's entries ``group_ptr[g]:
    group_ptr[g+1]`` (a weighted geometric mean: the Cobb-Douglas cost index; weights are base
    material bill shares summing to 1).
    """
    G = plan.shape[0]
    W = plan.shape[1]
    for g in range(G):
        eps = elasticity[g]
        z = group_zone[g]
        a = group_ptr[g]
        b = group_ptr[g + 1]
        if eps >= 0.0 or a == b:
            for lane in range(W):
                plan[g, lane] = 1.0
            continue
        for lane in range(W):  # the log price index, accumulated lane-wise (contiguous)
            plan[g, lane] = 0.0
        for i in range(a, b):
            w = entry_w[i]
            c = entry_c[i]
            for lane in range(W):
                plan[g, lane] += w * lrel[z, c, lane]
        for lane in range(W):
            log_index = plan[g, lane]
            plan[g, lane] = 1.0 if log_index <= 0.0 else max(floor, math.exp(eps * log_index))


def plan_step_ref(lrel: FloatArray, group_zone: IntArray, elasticity: FloatArray,
                  group_ptr: IntArray, entry_c: IntArray, entry_w: FloatArray,
                  floor: float) -> FloatArray:
    """Reference twin of :func:`plan_step` for one draw; returns (G,)."""
    out = np.ones(len(elasticity))
    for g in range(len(out)):
        entries = range(group_ptr[g], group_ptr[g + 1])
        if elasticity[g] >= 0 or len(entries) == 0:
            continue
        index = math.prod(math.exp(float(lrel[group_zone[g], entry_c[i]])) ** float(entry_w[i])
                          for i in entries)
        if index > 1.0:
            out[g] = max(floor, index ** float(elasticity[g]))
    return out
