"""Supply response: restarts of idle capacity, planned projects, qualification of new suppliers.

Per node and step (``docs/model.md``, section Supply):

- **fixed** nodes (operating, or anything not below) keep the engine's usable capacity;
- **projects** (``planned`` and ``ramping`` nodes) start on a per-draw sampled step ``t0``
  (:func:`sample_project_starts`; announced date plus a triangular delay) and ramp linearly:
  ``cap(t) = max(base, capacity x min(1, (t - t0 + 1) / ramp))`` for ``t >= t0``, else ``base``;
- **idle** nodes outside the exporting zone count the consecutive steps in which the relative
  price of their main output in their zone is at least ``restart_price``; after ``lag`` such
  steps the restart begins at the next step ``t_r`` and capacity ramps as above over
  ``restart_ramp`` steps. A restart is not undone within a run (the restart cost is sunk);
- **qualification**: capacity beyond the base activity counts for routes that deliver to
  sectors only from ``t0 + qual`` (``t_r + qual``): until then customers are qualifying the new
  supplier, and the capacity serves only routes into other nodes (for a magnet plant, none: its
  unqualified capacity stands idle, sample lots being negligible in mass).
- **margin**: a project or idle node plans only as much of its new activity as its margin at
  today's prices supports (:func:`margin_step`): the share
  ``phi = clip(1 + eta x ln(R / R0), 0, 1)``, ``R / R0`` the value of its outputs over the cost
  of its inputs at the zone's prices, relative to the same ratio at base prices. A new plant
  that would have to outbid existing buyers for feed whose price has risen further than its
  products' prices throttles, instead of draining its feed's market (docs/model.md, "Margin").

:func:`route_weights_step` turns capacities (times ``phi``) into the weights with which a
buffer's total order is split over its routes, so new capacity takes orders without adding to
them.
"""

# ruff: noqa: N806 - sizes are named as in the docs (C commodities, W lanes, ...)

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from spigot.market._common import jit
from spigot.market.parameters import KIND_IDLE, KIND_PROJECT, MarketParams

__all__ = [
    "NEVER",
    "capacity_step",
    "capacity_step_ref",
    "fill_step",
    "fill_step_ref",
    "margin_step",
    "margin_step_ref",
    "route_weights_step",
    "route_weights_step_ref",
    "sample_project_starts",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Start step of nodes that never start (not projects, or a restart not triggered).
NEVER = np.iinfo(np.int64).max // 4
_WEEKS_PER_YEAR = 365.25 / 7.0


def sample_project_starts(params: MarketParams, rng: np.random.Generator, size: int,
                          start_year: float) -> IntArray:
    """Sample the start step of every planned project for ``size`` draws.

    Parameters
    ----------
    params
        The market parameters (announced start years, delay distribution, step length).
    rng
        The random stream of the draws (a block's generator in the engine).
    size
        Number of draws.
    start_year
        Decimal year of the run's step 0.

    Returns
    -------
    numpy.ndarray
        (size, N) int64: start step of each project (may be negative: already started);
        :data:`NEVER` for nodes that are not projects or have no start date. Projects whose
        announced start lies before step 0 have started and get no delay. Draws come node by
        node in index order, one triangular draw per future project, so a draw's starts depend
        only on its stream.
    """
    N = len(params.node_kind)
    out = np.full((size, N), NEVER, dtype=np.int64)
    per_year = _WEEKS_PER_YEAR / params.step_weeks
    lo, mode, hi = params.delay_min, params.delay_mode, params.delay_max
    committed = _committed(params)
    for n in range(N):
        if params.node_kind[n] != KIND_PROJECT or not math.isfinite(params.node_start_year[n]):
            continue
        if committed[n]:  # a measure's project: no random draw (other draws do not move)
            out[:, n] = _start_step(params.node_start_year[n], start_year, per_year)
            continue
        delay = np.zeros(size)
        if params.node_start_year[n] > start_year and hi > lo:  # not started yet: may slip
            delay = rng.triangular(lo, mode, hi, size)
        out[:, n] = np.floor((params.node_start_year[n] + delay - start_year) * per_year
                             + 0.5).astype(np.int64)
    return out


def committed_starts(params: MarketParams, size: int, start_year: float) -> IntArray:
    """Start steps of the committed projects only (a run without scenario growth), (size, N).

    A node whose status is ``committed`` (a project a mitigation measure pays for) starts on its
    start date, with no sampled delay; every other node gets :data:`NEVER` (it keeps its base
    output). Draws no random number.
    """
    out = np.full((size, len(params.node_kind)), NEVER, dtype=np.int64)
    per_year = _WEEKS_PER_YEAR / params.step_weeks
    committed = _committed(params)
    for n in np.flatnonzero(committed):
        if math.isfinite(params.node_start_year[n]):
            out[:, n] = _start_step(params.node_start_year[n], start_year, per_year)
    return out


def _committed(params: MarketParams) -> npt.NDArray[np.bool_]:
    flags = params.node_committed
    return flags if len(flags) == len(params.node_kind) else np.zeros(len(params.node_kind), bool)


def _start_step(year: float, start_year: float, per_year: float) -> int:
    return math.floor((year - start_year) * per_year + 0.5)


def _ramp_share(t: int, t0: int, ramp: float) -> float:
    if t < t0:
        return 0.0
    if ramp <= 1.0:
        return 1.0
    return min(1.0, (t - t0 + 1) / ramp)


_ramp_share_jit = jit(_ramp_share)


@jit
def capacity_step(t: int, lrel: FloatArray, node_kind: IntArray, node_zone: IntArray,
                  node_ref_c: IntArray, node_capacity: FloatArray, node_base: FloatArray,
                  node_usable: FloatArray, node_ramp: FloatArray, qual_steps: IntArray,
                  restart_ok: npt.NDArray[np.bool_], log_restart: float, restart_lag: int,
                  restart_ramp: float, start: IntArray, above: IntArray, restart_at: IntArray,
                  cap_avail: FloatArray, cap_qual: FloatArray) -> None:
    """Capacity of every node at step ``t``, for a block of lanes.

    Parameters
    ----------
    t
        The step.
    lrel
        (2, C, W) log relative prices (those of the previous step's market phase).
    node_kind, node_zone, node_ref_c, node_capacity, node_base, node_usable, node_ramp,
    qual_steps, restart_ok
        (N,) static node arrays of :class:`~spigot.market.parameters.MarketParams`.
    log_restart, restart_lag, restart_ramp
        Log of the restart price (relative), lag (steps, >= 1) and ramp (steps).
    start
        (N, W) sampled start step of projects (:func:`sample_project_starts`, per lane).
    above, restart_at
        (N, W) state: consecutive steps above the restart price; step the restart began
        (:data:`NEVER` if none). Updated in place.
    cap_avail, cap_qual
        (N, W) out: usable capacity (t activity/step) and the part of it that sector-bound
        routes may order. Rows of fixed nodes are not written: they hold ``node_usable`` from
        :meth:`~spigot.market.state.MarketState.allocate`.
    """
    N = cap_avail.shape[0]
    W = cap_avail.shape[1]
    for n in range(N):
        kind = node_kind[n]
        if kind != KIND_PROJECT and kind != KIND_IDLE:
            continue  # fixed nodes keep their values (set once by MarketState.allocate)
        base = node_base[n]
        for lane in range(W):
            if kind == KIND_PROJECT:
                t0 = start[n, lane]
                cap = max(base, node_capacity[n] * _ramp_share_jit(t, t0, node_ramp[n]))
                cap_avail[n, lane] = cap
                cap_qual[n, lane] = cap if t >= t0 + qual_steps[n] else base
            else:
                if restart_ok[n] and restart_at[n, lane] == NEVER:
                    c = node_ref_c[n]
                    if c >= 0 and lrel[node_zone[n], c, lane] >= log_restart:
                        above[n, lane] += 1
                    else:
                        above[n, lane] = 0
                    if above[n, lane] >= restart_lag:
                        restart_at[n, lane] = t + 1
                tr = restart_at[n, lane]
                cap = max(base, node_capacity[n] * _ramp_share_jit(t, tr, restart_ramp))
                cap_avail[n, lane] = cap
                cap_qual[n, lane] = cap if tr != NEVER and t >= tr + qual_steps[n] else base


def capacity_step_ref(t: int, lrel: FloatArray, p: MarketParams, start: IntArray,
                      above: IntArray, restart_at: IntArray
                      ) -> tuple[FloatArray, FloatArray, IntArray, IntArray]:
    """Reference twin of :func:`capacity_step` for one draw (arrays without the lane axis).

    Returns ``(cap_avail, cap_qual, above, restart_at)`` as new arrays.
    """
    N = len(p.node_kind)
    avail, qual = np.zeros(N), np.zeros(N)
    above, restart_at = np.array(above), np.array(restart_at)
    for n in range(N):
        base = float(p.node_base[n])
        if p.node_kind[n] == KIND_PROJECT:
            t0 = int(start[n])
            avail[n] = max(base, p.node_capacity[n] * _ramp_share(t, t0, p.node_ramp_steps[n]))
            qual[n] = avail[n] if t >= t0 + p.qual_steps[n] else base
        elif p.node_kind[n] == KIND_IDLE:
            if p.restart_ok[n] and restart_at[n] == NEVER:
                c = p.node_ref_c[n]
                hot = c >= 0 and lrel[p.node_zone[n], c] >= p.log_restart
                above[n] = above[n] + 1 if hot else 0
                if above[n] >= p.restart_lag:
                    restart_at[n] = t + 1
            tr = int(restart_at[n])
            avail[n] = max(base, p.node_capacity[n] * _ramp_share(t, tr, p.restart_ramp))
            qual[n] = avail[n] if tr != NEVER and t >= tr + p.qual_steps[n] else base
        else:
            avail[n] = qual[n] = p.node_usable[n]
    return avail, qual, above, restart_at


@jit
def route_weights_step(cap_avail: FloatArray, cap_qual: FloatArray, node_base: FloatArray,
                       recipe_out: FloatArray, route_origin: IntArray, route_c: IntArray,
                       route_to_region: npt.NDArray[np.bool_], route_base: FloatArray,
                       route_weight: FloatArray, routes: IntArray, margin: FloatArray,
                       fill: FloatArray, weight: FloatArray) -> None:
    """Order weights of routes, (K, W): base flow plus the route's share of new capacity.

    ``weight[k] = base_k + max(0, cap_x[n] - base[n]) x phi[n] x f[n, c] x recipe_out[n, c] x
    route_weight[k]``, ``phi`` = ``margin`` (:func:`margin_step`), ``f`` = ``fill``
    ((N, C, W), :func:`fill_step`),
    ``cap_x`` = ``cap_qual`` for routes into regions (sectors), ``cap_avail`` otherwise. The
    engine splits a buffer's total order over its routes in proportion to these weights.
    Only the rows ``routes`` (routes out of projects and idle nodes,
    ``MarketParams.route_responsive``) are written; the others hold their base flow from
    :meth:`~spigot.market.state.MarketState.allocate`.
    """
    W = weight.shape[1]
    for i in range(routes.shape[0]):
        k = routes[i]
        n = route_origin[k]
        y = recipe_out[n, route_c[k]] * route_weight[k]
        for lane in range(W):
            cap = cap_qual[n, lane] if route_to_region[k] else cap_avail[n, lane]
            trust = margin[n, lane] * fill[n, route_c[k], lane]
            weight[k, lane] = route_base[k] + max(0.0, cap - node_base[n]) * trust * y


def route_weights_step_ref(cap_avail: FloatArray, cap_qual: FloatArray, node_base: FloatArray,
                           recipe_out: FloatArray, route_origin: IntArray, route_c: IntArray,
                           route_to_region: npt.NDArray[np.bool_], route_base: FloatArray,
                           route_weight: FloatArray, routes: IntArray,
                           margin: FloatArray, fill: FloatArray) -> FloatArray:
    """Reference twin of :func:`route_weights_step` for one draw; returns (K,)."""
    out = np.array(route_base, dtype=float)
    for k in routes:
        n = route_origin[k]
        cap = cap_qual[n] if route_to_region[k] else cap_avail[n]
        y = recipe_out[n, route_c[k]] * route_weight[k]
        trust = margin[n] * fill[n, route_c[k]]
        out[k] = route_base[k] + max(0.0, cap - node_base[n]) * trust * y
    return out


@jit
def fill_step(node_kind: IntArray, recipe_out: FloatArray, dem: FloatArray,
              ratio: FloatArray, rate: float, fill: FloatArray) -> None:
    """Smoothed share of its orders a project or idle node has shipped, (N, C, W), in place.

    Per output ``c``: ``f += rate x (x - f)``, ``x`` the share of this step's orders of ``c``
    the node shipped (``ratio``), or 1 in a step without orders (customers come back to a
    supplier they have stopped asking). Fixed nodes keep 1. Customers split new orders by
    ``f`` (:func:`route_weights_step`): a new plant that cannot deliver, for want of feed or
    because its by-product comes in small amounts, loses those orders to suppliers that can.

    Parameters
    ----------
    node_kind
        (N,) kind of each node.
    recipe_out
        (N, C) t of output per t of activity (the outputs updated are those > 0).
    dem, ratio
        (N, C, W) this step's orders of each node's output, t, and the share shipped, 1.
    rate
        Share of the gap closed per step, ``1 - exp(-step / supplier_fill_weeks)``.
    fill
        (N, C, W) the smoothed share, updated.
    """
    N, C = recipe_out.shape
    W = fill.shape[2]
    for n in range(N):
        if node_kind[n] != KIND_PROJECT and node_kind[n] != KIND_IDLE:
            continue
        for c in range(C):
            if recipe_out[n, c] <= 0:
                continue
            for lane in range(W):
                x = ratio[n, c, lane] if dem[n, c, lane] > 0 else 1.0
                fill[n, c, lane] += rate * (x - fill[n, c, lane])


def fill_step_ref(p: MarketParams, recipe_out: FloatArray, dem: FloatArray,
                  ratio: FloatArray, rate: float, fill: FloatArray) -> FloatArray:
    """Reference twin of :func:`fill_step` for one draw (``dem``, ``ratio``, ``fill`` (N, C))."""
    out = np.array(fill, dtype=float)
    for n in range(len(out)):
        if p.node_kind[n] not in (KIND_PROJECT, KIND_IDLE):
            continue
        for c in np.flatnonzero(recipe_out[n] > 0):
            x = ratio[n, c] if dem[n, c] > 0 else 1.0
            out[n, c] += rate * (x - out[n, c])
    return out


@jit
def margin_step(lrel: FloatArray, rel: FloatArray, node_kind: IntArray, node_zone: IntArray,
                out_share: FloatArray, in_share: FloatArray, out_ptr: IntArray,
                out_c: IntArray, in_ptr: IntArray, in_c: IntArray, eta: float,
                eta_fixed: float, margin: FloatArray) -> None:
    """Share of its activity a node runs at today's prices, (N, W).

    ``phi[n] = clip(1 + e_n x (ln sum_o s_o exp(l_zo) - ln sum_i s_i exp(l_zi)), 0, 1)``:
    ``s_o`` the base value shares of the node's outputs, ``s_i`` the base cost shares of its
    inputs (each set sums to 1; a node without inputs has the second term 0), ``l`` the log
    relative prices in the node's zone ``z``, ``e_n`` = ``eta`` for projects and idle nodes
    (the share of their *new* activity they plan) and ``eta_fixed`` for operating plants (the
    share of their orders they run: docs/model.md, Margin). A sum of one term is that term's
    log price (no logarithm). At base prices ``phi`` is exactly 1.

    Parameters
    ----------
    lrel, rel
        Log price relative to base and ``exp(lrel)``, per zone, commodity and lane, (2, C, W)
        (the engine computes ``rel`` once per step).
    node_kind, node_zone
        (N,) kind (``KIND_FIXED`` ...) and market zone of each node.
    out_share, in_share
        (N, C) base value shares of outputs and base cost shares of inputs, 1.
    out_ptr, out_c, in_ptr, in_c
        The positive entries of ``out_share`` and ``in_share`` by node (CSR, ascending
        commodity): the terms of the two sums.
    eta, eta_fixed
        Elasticity of planned new activity (projects, idle nodes) and of an operating plant's
        activity (fixed nodes) to the log margin ratio, 1 (0: off).
    margin
        (N, W) written: ``phi``, share (0..1).
    """
    N = node_kind.shape[0]
    W = margin.shape[1]
    x = np.empty(W)  # log margin ratio per lane
    acc = np.empty(W)  # a sum of several terms per lane
    for n in range(N):
        e = eta if node_kind[n] == KIND_PROJECT or node_kind[n] == KIND_IDLE else eta_fixed
        if e <= 0.0:
            for lane in range(W):
                margin[n, lane] = 1.0
            continue
        z = node_zone[n]
        for lane in range(W):
            x[lane] = 0.0
        _add_log_index(lrel, rel, out_share, n, z, out_c, out_ptr[n], out_ptr[n + 1], 1.0,
                       acc, x)
        _add_log_index(lrel, rel, in_share, n, z, in_c, in_ptr[n], in_ptr[n + 1], -1.0, acc, x)
        for lane in range(W):
            margin[n, lane] = min(1.0, max(0.0, 1.0 + e * x[lane]))


@jit
def _add_log_index(lrel: FloatArray, rel: FloatArray, share: FloatArray, n: int, z: int,
                   cs: IntArray, h0: int, h1: int, sign: float, acc: FloatArray,
                   x: FloatArray) -> None:
    """``x += sign x ln(sum_c s_c exp(l_zc) / sum_c s_c)`` per lane over the terms
    ``cs[h0:h1]`` (nothing without terms; the log price itself for one term). Lane loops
    innermost: the terms are few, the lanes many."""
    if h1 == h0:
        return
    W = x.shape[0]
    if h1 - h0 == 1:
        c = cs[h0]
        for lane in range(W):
            x[lane] += sign * lrel[z, c, lane]
        return
    total = 0.0
    for lane in range(W):
        acc[lane] = 0.0
    for h in range(h0, h1):
        c = cs[h]
        s = share[n, c]
        total += s
        for lane in range(W):
            acc[lane] += s * rel[z, c, lane]
    for lane in range(W):
        x[lane] += sign * math.log(acc[lane] / total)


def margin_step_ref(lrel: FloatArray, p: MarketParams) -> FloatArray:
    """Reference twin of :func:`margin_step` for one draw (``lrel`` (2, C)); returns (N,)."""
    out = np.ones(len(p.node_kind))
    for n in range(len(out)):
        e = (p.margin_elasticity if p.node_kind[n] in (KIND_PROJECT, KIND_IDLE)
             else p.fixed_margin_elasticity)
        if e <= 0.0:
            continue
        z = p.node_zone[n]
        x = 0.0
        for sign, share in ((1.0, p.margin_out_share[n]), (-1.0, p.margin_in_share[n])):
            cs = np.flatnonzero(share > 0)
            if len(cs) == 1:  # one term: its log price
                x += sign * float(lrel[z, cs[0]])
            elif len(cs):  # over the shares' own sum, summed in the kernel's order
                x += sign * math.log(sum(share[c] * math.exp(lrel[z, c]) for c in cs)
                                     / sum(share[c] for c in cs))
        out[n] = min(1.0, max(0.0, 1.0 + e * x))
    return out
