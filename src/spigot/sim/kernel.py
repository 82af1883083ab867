"""The fast engine: the reference rules compiled with numba, vectorised over lanes of draws.

Same phases and the same arithmetic as :mod:`spigot.sim.reference`; the differential tests hold
the two together. The state of a block's lanes, up to :data:`LANES` draws, is held side by side
(draws on the last axis), so each rule runs once per route, buffer or sector for all lanes and
index work is shared.
Routes that can never carry material (no base flow, no policy) are skipped, transit ring buffers
advance a head index, a licence decision is spread over the non-zero lags of its kernel only
(licence rings and kernels lane-major, so those lags are contiguous), per-lane parameters are
copied lane-major before the weekly loop, a quotient shared by several items (a node's shipping
ratio, a priority class's share, a buffer's order factor) is computed once, and the block sums
skip the parts of the record that are structurally 0. None of this changes a result bit.
Blocks of draws run in parallel (``prange``). The weekly
loop allocates nothing and draws no random numbers: all per-draw parameters arrive in arrays
sampled beforehand (:mod:`spigot.policy.plan`). Running totals (material in transit, in
licensing) replace the reference engine's sums over ring buffers.

The market phase (``SimModel.market``; docs/model.md, "What the engine does (as built)") shares
the phase functions of production, allocation, consumption and reorder (``_produce``,
``_allocate``, ``_consume``, ``_reorder``): each tests the run's flag ``mg[0]`` where the market
changes a rule (planned activity of projects, substituted intensities, safety stocks, split
orders, the need at the current plan); without a market phase they do the flow model's
arithmetic exactly (the base need and want per lane, a product with a plan of 1.0), so the
results are bit for bit the kernel before the market phase. The rest of the market phase is in
the ``_mk_*`` functions (export tax, the markets hook with phase 9, the market record), which call
the kernels of :mod:`spigot.market` on the lane block (``W`` lanes). The market arrays travel
packed in a few flat arrays
(:func:`market_tuple`): a tuple of ~80 arrays through the parallel loop made LLVM's SROA pass
take minutes.
"""

# ruff: noqa: N803, N806 - sizes are named as in the docs (N nodes, C commodities, ...)
from __future__ import annotations

import math
from typing import Any

import numba as nb
import numpy as np

from spigot.market.demand import plan_step, substitution_step
from spigot.market.parameters import KIND_FIXED
from spigot.market.prices import price_step
from spigot.market.recycling import recycling_step
from spigot.market.stockpiles import release_step, safety_stock_step
from spigot.market.supply import (
    NEVER,
    capacity_step,
    fill_step,
    margin_step,
    route_weights_step,
)
from spigot.policy.plan import BlockParams
from spigot.sim.model import (
    MAX_ORDER_FACTOR,
    NODE_COVER_WEEKS,
    PRICE_BINS,
    SimModel,
    export_route_commodity,
)

__all__ = ["LANES", "market_tuple", "model_tuple", "run_chunk_numba"]

#: Most draws simulated side by side in one pass of the weekly loop (a block's lane width).
LANES = 64
#: Lane widths are multiples of this (the AVX-512 vector of eight doubles).
LANE_STEP = 8
_BAN, _LICENCE, _QUOTA = 1, 0, 2


@nb.njit(cache=True, fastmath=False, error_model="numpy", nogil=True)
def _add_lanes(rec: Any, f: int, f_end: int, n_live: int, sums: Any) -> None:
    """Add rows ``f .. f_end - 1`` of ``rec`` (rows x lanes) over their first ``n_live`` lanes,
    in lane (draw) order, into ``sums[f .. f_end - 1]``; eight rows at a time (eight
    independent sums, each row still in draw order: the block sums do not depend on it)."""
    while f + 8 <= f_end:
        a0 = sums[f]
        a1 = sums[f + 1]
        a2 = sums[f + 2]
        a3 = sums[f + 3]
        a4 = sums[f + 4]
        a5 = sums[f + 5]
        a6 = sums[f + 6]
        a7 = sums[f + 7]
        for ln in range(n_live):
            a0 += rec[f, ln]
            a1 += rec[f + 1, ln]
            a2 += rec[f + 2, ln]
            a3 += rec[f + 3, ln]
            a4 += rec[f + 4, ln]
            a5 += rec[f + 5, ln]
            a6 += rec[f + 6, ln]
            a7 += rec[f + 7, ln]
        sums[f] = a0
        sums[f + 1] = a1
        sums[f + 2] = a2
        sums[f + 3] = a3
        sums[f + 4] = a4
        sums[f + 5] = a5
        sums[f + 6] = a6
        sums[f + 7] = a7
        f += 8
    while f < f_end:
        acc = sums[f]
        for ln in range(n_live):
            acc += rec[f, ln]
        sums[f] = acc
        f += 1


@nb.njit(cache=True, fastmath=False, error_model="numpy", nogil=True)
def _mk_init(draws: Any, g: Any, mg: Any, pa: Any, sc_want: Any) -> Any:
    """The market state of the lanes at the base state (docs/model.md, "State per lane block").

    Returns the tuple ``ms`` the market phases share (zero-size arrays without a market phase);
    runs ``capacity_step(0)`` and the route weights (a project starts with its ramp at step 0).
    """
    recipe_in = g[1]
    C = recipe_in.shape[1]
    group_zone = mg[5][mg[6][3]:mg[6][4]]
    G = group_zone.shape[0]
    route_base = g[12]
    K = route_base.shape[0]
    N = recipe_in.shape[0]
    pile_qty = g[38]
    P = pile_qty.shape[0]
    rp_c = mg[5][mg[6][7]:mg[6][8]]
    RP = rp_c.shape[0]
    sb_c = mg[5][mg[6][18]:mg[6][19]]
    SB = sb_c.shape[0]
    sc_c = g[28]
    SC = sc_c.shape[0]
    use_zone = mg[5][mg[6][1]:mg[6][2]]
    U = use_zone.shape[0]
    W = draws.shape[0]
    tax_measure = mg[5][mg[6][26]:mg[6][27]]
    X = tax_measure.shape[0]
    log_restart = mg[1][11]
    mkt = mg[0]
    mroute_base = mg[3][mg[4][13]:mg[4][14]]
    node_act0 = mg[3][mg[4][20]:mg[4][21]]
    node_base = mg[3][mg[4][10]:mg[4][11]]
    node_capacity = mg[3][mg[4][9]:mg[4][10]]
    node_kind = mg[5][mg[6][10]:mg[6][11]]
    node_ramp = mg[3][mg[4][12]:mg[4][13]]
    node_ref_c = mg[5][mg[6][12]:mg[6][13]]
    node_usable = mg[3][mg[4][11]:mg[4][12]]
    node_zone = mg[5][mg[6][11]:mg[6][12]]
    qual_steps = mg[5][mg[6][13]:mg[6][14]]
    recipe_out = g[2]
    restart_lag = mg[2][2]
    restart_ok = mg[5][mg[6][14]:mg[6][15]]
    restart_ramp = mg[1][12]
    route_c = g[10]
    route_origin = g[9]
    route_resp = mg[5][mg[6][16]:mg[6][17]]
    route_to_region = mg[5][mg[6][15]:mg[6][16]]
    route_weight = mg[3][mg[4][14]:mg[4][15]]
    sc_need = g[29]
    start_d = pa[7]
    tax_d = pa[6]
    # ---- market state (docs/model.md, "State per lane block"; zero-size without markets)
    CM = C if mkt else 0
    NM = N if mkt else 0
    KM = K if mkt else 0
    PM = P if mkt else 0
    lrel = np.zeros((2, CM, W))
    zstock = np.zeros((2, CM, W))
    zuse = np.zeros((2, CM, W))
    tax = np.zeros((CM, W))
    openness = np.ones((CM, W))
    exported = np.zeros((CM, W))
    blocked = np.zeros((CM, W))
    reduction = np.zeros((U, W))
    plan = np.ones((G, W))
    start = np.empty((NM, W), dtype=np.int64)
    above = np.zeros((NM, W), dtype=np.int64)
    restart_at = np.full((NM, W), NEVER, dtype=np.int64)
    cap_av = np.empty((NM, W))
    cap_q = np.empty((NM, W))
    activity = np.empty((NM, W))
    weight = np.empty((KM, W))
    share_k = np.zeros((KM, W))
    recycled = np.zeros((RP, W))
    recyc_tot = np.zeros((CM, W))
    on_hand = np.zeros((PM, W))
    released = np.zeros((PM, W))
    short_sb = np.zeros((SB, W))
    mult = np.ones((SB, W))
    need_l = np.empty((SC, W))  # each pair's need this step and what it asks for (target +
    want_l = np.empty((SC, W))  # need): the base values without the market phase
    for q in range(SC):
        for ln in range(W):
            need_l[q, ln] = sc_need[q]
            want_l[q, ln] = sc_want[q]
    tax_l = np.zeros((X, W))
    tgt = np.zeros(W)
    infl = np.zeros(W)
    vec3 = np.zeros(W)
    margin = np.ones((NM, W))
    fill = np.ones((NM, CM, W))
    rel = np.ones((2, CM, W))  # exp(lrel), once per step after the price update
    if mkt:
        for n in range(N):
            for ln in range(W):
                start[n, ln] = start_d[draws[ln], n]
                cap_av[n, ln] = node_usable[n]
                cap_q[n, ln] = node_usable[n]
                activity[n, ln] = node_act0[n]
        for k in range(K):
            for ln in range(W):
                weight[k, ln] = mroute_base[k]
        for xi in range(X):
            for ln in range(W):
                tax_l[xi, ln] = tax_d[draws[ln], tax_measure[xi]]
        # capacity of step 0 (a project starts with its ramp) and the routes' order weights
        capacity_step(0, lrel, node_kind, node_zone, node_ref_c, node_capacity, node_base,
                      node_usable, node_ramp, qual_steps, restart_ok, log_restart, restart_lag,
                      restart_ramp, start, above, restart_at, cap_av, cap_q)
        route_weights_step(cap_av, cap_q, node_base, recipe_out, route_origin, route_c,
                           route_to_region, mroute_base, route_weight, route_resp, margin,
                           fill, weight)
    return (lrel, zstock, zuse, tax, openness, exported, blocked, reduction, plan, start, above,
            restart_at, cap_av, cap_q, activity, weight, share_k, recycled, recyc_tot, on_hand,
            released, short_sb, mult, need_l, want_l, tax_l, tgt, infl, vec3, margin, fill,
            rel)


@nb.njit(cache=True, fastmath=False, error_model="numpy", nogil=True)
def _order_rate(n: int, joint: bool, net_of_stock: bool, dem: Any, inv_out: Any, out_c: Any,
                out_ptr: Any, recipe_out: Any, z: int, share: Any, rel: Any, vec: Any,
                vsum: Any) -> None:
    """Activity node ``n``'s orders ask for, into ``vec`` (W,).

    ``gap_o`` is the orders of output ``o``, less (``net_of_stock``) its stock. The flow rule:
    ``max_o gap_o / y_o``. A joint-product node (``joint``: markets on, several outputs;
    docs/model.md, "Joint products") runs for what its orders are worth instead:
    ``sum_o v_o max(0, gap_o) / y_o / sum_o v_o``, ``v_o = share[n, o] x rel[z, o]`` the
    output's value at today's prices (``share``: base value shares, ``rel`` = exp(lrel)).
    """
    W = vec.shape[0]
    for ln in range(W):
        vec[ln] = 0.0
        vsum[ln] = 0.0
    for i in range(out_ptr[n], out_ptr[n + 1]):
        c = out_c[i]
        y = recipe_out[n, c]
        if y <= 0 or (joint and share[n, c] <= 0):
            continue
        for ln in range(W):
            gap = dem[n, c, ln] - inv_out[n, c, ln] if net_of_stock else dem[n, c, ln]
            if joint:
                v = share[n, c] * rel[z, c, ln]
                vec[ln] += v * max(0.0, gap) / y
                vsum[ln] += v
            else:
                vec[ln] = max(vec[ln], gap / y)
    if joint:
        for ln in range(W):
            vec[ln] = vec[ln] / vsum[ln] if vsum[ln] > 0 else 0.0


@nb.njit(cache=True, fastmath=False, error_model="numpy", nogil=True)
def _produce(g: Any, mg: Any, ms: Any, fs: Any, market: Any) -> None:
    """Phase 3: each node makes what its routes order less what it holds, within capacity and
    input stock (Leontief over its recipe).

    Without the market phase every node is fixed at its capacity and its recipe's intensities;
    with it, projects and idle nodes plan their activity and use the capacity of the step, and
    inputs are at their substituted intensity; a node with more than one output runs for the
    value of its orders (:func:`_order_rate`).
    """
    mkt = nb.literally(market)
    recipe_in = g[1]
    N = recipe_in.shape[0]
    W = fs[0].shape[2]
    activity = ms[14]
    cap_av = ms[12]
    dem = fs[2]
    in_c = g[4]
    in_ptr = g[3]
    inv_in = fs[0]
    inv_out = fs[1]
    margin = ms[29]
    rel = ms[31]
    joint_share = mg[3][mg[4][21]:mg[4][22]].reshape((mg[2][1], mg[2][0]))
    node_zone = mg[5][mg[6][11]:mg[6][12]]
    vsum = ms[26]
    node_act0 = mg[3][mg[4][20]:mg[4][21]]
    node_cap = g[0]
    node_kind = mg[5][mg[6][10]:mg[6][11]]
    node_use = mg[5][mg[6][22]:mg[6][23]].reshape((mg[2][1], mg[2][0]))
    out_c = g[6]
    out_ptr = g[5]
    produced = fs[17]
    recipe_out = g[2]
    reduction = ms[7]
    used = fs[16]
    vec = fs[21]
    for n in range(N):
        fixed = not mkt or node_kind[n] == KIND_FIXED
        if fixed and node_cap[n] <= 0:
            continue
        joint = mkt and out_ptr[n + 1] - out_ptr[n] > 1
        z = node_zone[n] if mkt else 0
        if not fixed:  # a project or idle node plans for what its routes order (reorder)
            _order_rate(n, joint, False, dem, inv_out, out_c, out_ptr, recipe_out, z,
                        joint_share, rel, vec, vsum)
            a0 = node_act0[n]
            for ln in range(W):  # what its margin supports (supply.margin_step)
                activity[n, ln] = max(a0, min(cap_av[n, ln], vec[ln]) * margin[n, ln])
        _order_rate(n, joint, True, dem, inv_out, out_c, out_ptr, recipe_out, z, joint_share,
                    rel, vec, vsum)
        if fixed:  # capacity as in the flow model (node_usable is node_cap)
            cap = node_cap[n]
            for ln in range(W):
                vec[ln] = min(cap, vec[ln])
        else:
            for ln in range(W):
                vec[ln] = min(cap_av[n, ln], vec[ln])
        for i in range(in_ptr[n], in_ptr[n + 1]):
            c = in_c[i]
            r_in = recipe_in[n, c]
            if r_in > 0:
                u = node_use[n, c] if mkt else -1
                if u >= 0:
                    for ln in range(W):
                        vec[ln] = min(vec[ln], inv_in[n, c, ln]
                                      / (r_in * (1.0 - reduction[u, ln])))
                else:
                    for ln in range(W):
                        vec[ln] = min(vec[ln], inv_in[n, c, ln] / r_in)
        if fixed:
            for ln in range(W):
                vec[ln] = max(vec[ln], 0.0)
        else:  # a lane without capacity does not produce (the reference skips it)
            for ln in range(W):
                vec[ln] = max(vec[ln], 0.0) if cap_av[n, ln] > 0 else 0.0
        for i in range(in_ptr[n], in_ptr[n + 1]):
            c = in_c[i]
            r_in = recipe_in[n, c]
            u = node_use[n, c] if mkt else -1
            if u >= 0:
                for ln in range(W):
                    rr = r_in * (1.0 - reduction[u, ln])
                    inv_in[n, c, ln] -= vec[ln] * rr
                    used[c, ln] += vec[ln] * rr
            else:
                for ln in range(W):
                    inv_in[n, c, ln] -= vec[ln] * r_in
                    used[c, ln] += vec[ln] * r_in
        for i in range(out_ptr[n], out_ptr[n + 1]):
            c = out_c[i]
            r_out = recipe_out[n, c]
            for ln in range(W):
                inv_out[n, c, ln] += vec[ln] * r_out
                produced[c, ln] += vec[ln] * r_out


@nb.njit(cache=True, fastmath=False, error_model="numpy", nogil=True)
def _allocate(g: Any, ms: Any, fs: Any) -> None:
    """Phase 5: each region pool to its sectors by priority class, then pro rata to requests.

    A pair requests ``want - stock`` (``want_l``: target + need, the base values without the
    market phase, the current need, intensity and safety stock with it).
    """
    buf_c = g[18]
    B = buf_c.shape[0]
    W = fs[0].shape[2]
    buf_sc = g[26]
    buf_sc_ptr = g[25]
    fac = fs[23]
    pool = fs[3]
    rbuf0 = g[27]
    sc_priority = g[31]
    si = fs[4]
    vec = fs[21]
    vec2 = fs[22]
    want_l = ms[24]
    for b in range(rbuf0, B):
        for ln in range(W):
            vec[ln] = pool[b, ln]
        i = buf_sc_ptr[b]
        stop = buf_sc_ptr[b + 1]
        while i < stop:
            prio = sc_priority[buf_sc[i]]
            g_end = i
            for ln in range(W):
                vec2[ln] = 0.0
            while g_end < stop and sc_priority[buf_sc[g_end]] == prio:
                q = buf_sc[g_end]
                for ln in range(W):
                    vec2[ln] += max(0.0, want_l[q, ln] - si[q, ln])
                g_end += 1
            for ln in range(W):  # the class's share of its requests (0: it asks nothing)
                total = vec2[ln]
                fac[ln] = 1.0 if vec[ln] >= total else vec[ln] / total
            for h in range(i, g_end):
                q = buf_sc[h]
                for ln in range(W):
                    if vec2[ln] > 0:
                        si[q, ln] += max(0.0, want_l[q, ln] - si[q, ln]) * fac[ln]
            for ln in range(W):
                total = vec2[ln]
                if total > 0:
                    vec[ln] = vec[ln] - total if vec[ln] >= total else 0.0
            i = g_end
        for ln in range(W):
            pool[b, ln] = vec[ln]


@nb.njit(cache=True, fastmath=False, error_model="numpy", nogil=True)
def _consume(t: Any, g: Any, mg: Any, ms: Any, fs: Any, market: Any) -> None:
    """Phase 6: sectors consume their need (Leontief); lost output, shortfall and stoppages.

    With the market phase the need is at the current intensity and plan, lost output is that
    of the plan and the unplanned part is recorded as demand destruction; without it the need
    is the base need and the plan 1 (the same arithmetic: a product with 1.0 is exact).
    """
    mkt = nb.literally(market)
    sector_output = g[35]
    S = sector_output.shape[0]
    sb_c = mg[5][mg[6][18]:mg[6][19]]
    SB = sb_c.shape[0]
    W = fs[0].shape[2]
    consumed = fs[18]
    first_stop = fs[20]
    mrec = fs[24]
    need_l = ms[23]
    moffs = mg[5][mg[6][0]:mg[6][1]]
    o_destr = moffs[2] if mkt else 0
    offs = g[56]
    o_lost = offs[2]
    o_short = offs[4]
    o_stop = offs[3]
    plan = ms[8]
    plan_group = mg[5][mg[6][32]:mg[6][33]]
    rbuf_sb = mg[5][mg[6][24]:mg[6][25]]
    rec = fs[6]
    sc_c = g[28]
    sc_rbuf = g[32]
    scal = fs[19]
    sec_ptr = g[33]
    sec_sc = g[34]
    sector_value = g[36]
    short_sb = ms[21]
    si = fs[4]
    stop_below = g[54]
    vec = fs[21]
    for f in range(SB):
        for ln in range(W):
            short_sb[f, ln] = 0.0
    for s in range(S):
        for ln in range(W):
            vec[ln] = 1.0
        for h in range(sec_ptr[s], sec_ptr[s + 1]):
            q = sec_sc[h]
            for ln in range(W):  # a pair with a step's need on hand does not bind (no division)
                if si[q, ln] < need_l[q, ln]:
                    vec[ln] = min(vec[ln], si[q, ln] / need_l[q, ln])
        for h in range(sec_ptr[s], sec_ptr[s + 1]):
            q = sec_sc[h]
            c = sc_c[q]
            r = o_short + sc_rbuf[q]
            sb = rbuf_sb[sc_rbuf[q]] if mkt else -1
            for ln in range(W):
                nd = need_l[q, ln]
                short = max(0.0, nd - si[q, ln])
                rec[r, ln] += short
                if mkt:
                    short_sb[sb, ln] += short
                si[q, ln] -= vec[ln] * nd
                consumed[c, ln] += vec[ln] * nd
        out_s = sector_output[s]
        val_s = sector_value[s]
        gi = plan_group[s] if mkt else -1
        for ln in range(W):
            ps = plan[gi, ln] if mkt else 1.0  # the plan of the last market phase
            lost = (1.0 - vec[ln]) * out_s * ps
            if mkt:
                mrec[o_destr + s, ln] = (1.0 - ps) * out_s
            rec[o_lost + s, ln] = lost
            scal[0, s, ln] += lost
            scal[1, s, ln] += lost * val_s
            rec[o_stop + s, ln] = 0.0
            if vec[ln] < stop_below:
                rec[o_stop + s, ln] = 1.0
                scal[2, s, ln] += 1.0
                if first_stop[s, ln] < 0:
                    first_stop[s, ln] = t


@nb.njit(cache=True, fastmath=False, error_model="numpy", nogil=True)
def _reorder(g: Any, mg: Any, ms: Any, fs: Any, market: Any) -> None:
    """Phase 7: each buffer orders from its routes to reach its target inventory position.

    With the market phase safety stocks raise the targets of region buffers, and buffers fed
    by a project or an idle node split their total order by the routes' weights.
    """
    mkt = nb.literally(market)
    buf_c = g[18]
    B = buf_c.shape[0]
    W = fs[0].shape[2]
    activity = ms[14]
    appr_l = fs[14]
    banned = fs[10]
    buf_adjust = g[21]
    buf_inflow = g[20]
    buf_is_region = g[16]
    buf_new_node = mg[5][mg[6][29]:mg[6][30]]
    buf_place = g[17]
    buf_rt = g[24]
    buf_rt_ptr = g[23]
    buf_sc = g[26]
    buf_sc_ptr = g[25]
    buf_target_onhand = mg[3][mg[4][19]:mg[4][20]]
    buf_target_pos = g[19]
    buf_weighted = mg[5][mg[6][28]:mg[6][29]]
    fac = fs[23]
    gov_e = fs[12]
    gov_m = fs[11]
    in_transit = fs[7]
    infl = ms[27]
    inv_in = fs[0]
    lead_l = fs[15]
    lic_tot = fs[9]
    live = g[57]
    max_factor = g[55]
    mult = ms[22]
    node_cover = mg[1][18]
    node_use = mg[5][mg[6][22]:mg[6][23]].reshape((mg[2][1], mg[2][0]))
    orders = fs[8]
    pair_share = g[47]
    pool = fs[3]
    rbuf0 = g[27]
    rbuf_sb = mg[5][mg[6][24]:mg[6][25]]
    recipe_in = g[1]
    reduction = ms[7]
    route_base = g[12]
    route_slot = g[49]
    route_transit = g[13]
    share_k = ms[16]
    si = fs[4]
    tgt = ms[26]
    valid = fs[13]
    vec = fs[21]
    vec2 = fs[22]
    vec3 = ms[28]
    weight = ms[15]
    for b in range(B):
        if buf_is_region[b]:
            for ln in range(W):
                vec[ln] = pool[b, ln]
            for h in range(buf_sc_ptr[b], buf_sc_ptr[b + 1]):
                q = buf_sc[h]
                for ln in range(W):
                    vec[ln] += si[q, ln]
        else:
            for ln in range(W):
                vec[ln] = inv_in[buf_place[b], buf_c[b], ln]
        for h in range(buf_rt_ptr[b], buf_rt_ptr[b + 1]):
            k = buf_rt[h]
            if not live[k]:
                continue
            for ln in range(W):
                vec[ln] += in_transit[k, ln]
        target = buf_target_pos[b]
        inflow = buf_inflow[b]
        adj = buf_adjust[b]
        sb = rbuf_sb[b - rbuf0] if mkt and buf_is_region[b] else -1
        nn = buf_new_node[b] if mkt else -1
        split = mkt and (nn >= 0 or buf_weighted[b])
        if not split:  # the flow model's rule, the target raised by the safety stock
            if sb >= 0:
                toh = buf_target_onhand[b]
                for ln in range(W):
                    tgt[ln] = target + (mult[sb, ln] - 1.0) * toh
            else:
                for ln in range(W):
                    tgt[ln] = target
            denom = inflow * adj
            for ln in range(W):  # the buffer's own gap, for its unlicensed routes
                fac[ln] = min(max_factor, max(0.0, 1.0 + (tgt[ln] - vec[ln]) / denom)) \
                    if inflow > 0 else 0.0
            for h in range(buf_rt_ptr[b], buf_rt_ptr[b + 1]):
                k = buf_rt[h]
                if not live[k]:  # its orders stay 0
                    continue
                j = route_slot[k]
                base = route_base[k]
                if j < 0:
                    for ln in range(W):
                        orders[k, ln] = base * fac[ln]
                    continue
                for ln in range(W):
                    position = vec[ln]
                    goal = tgt[ln]
                    if not banned[k, ln]:
                        mi = gov_m[k, ln]
                        if mi >= 0:
                            e = gov_e[k, ln]
                            position += appr_l[e, ln] * lic_tot[j, ln]
                            if valid[j, ln] == 0:
                                goal += base * pair_share[e] * lead_l[mi, ln]
                        else:
                            position += lic_tot[j, ln]
                    factor = min(max_factor, max(0.0, 1.0 + (goal - position) / denom)) \
                        if inflow > 0 else 0.0
                    orders[k, ln] = base * factor
            continue
        # a buffer fed by a project or idle node: its total order split by the routes' weights
        for ln in range(W):
            tgt[ln] = target
            infl[ln] = inflow
        if sb >= 0:
            toh = buf_target_onhand[b]
            for ln in range(W):
                tgt[ln] += (mult[sb, ln] - 1.0) * toh
        if nn >= 0:  # a new plant's feed: its planned activity at today's intensity
            c = buf_c[b]
            r_in = recipe_in[nn, c]
            u = node_use[nn, c]
            for ln in range(W):
                rr = r_in * (1.0 - reduction[u, ln]) if u >= 0 else r_in
                infl[ln] = activity[nn, ln] * rr
        r0 = buf_rt_ptr[b]
        r1 = buf_rt_ptr[b + 1]
        for ln in range(W):  # each route's part of the inflow: by weight, equal if all are 0
            vec2[ln] = 0.0
        for h in range(r0, r1):
            k = buf_rt[h]
            for ln in range(W):
                vec2[ln] += weight[k, ln]
        for ln in range(W):  # inflow per unit of weight (fac is free until the gap below)
            wsum = vec2[ln]
            fac[ln] = infl[ln] / wsum if wsum > 0 else infl[ln] / (r1 - r0)
        for h in range(r0, r1):
            k = buf_rt[h]
            for ln in range(W):
                share_k[k, ln] = weight[k, ln] * fac[ln] if vec2[ln] > 0 else fac[ln]
        if nn >= 0:  # cover on hand plus the routes' transit
            for ln in range(W):
                vec3[ln] = 0.0
            for h in range(r0, r1):
                k = buf_rt[h]
                tr = route_transit[k]
                for ln in range(W):
                    vec3[ln] += share_k[k, ln] * tr
            for ln in range(W):
                tgt[ln] = infl[ln] * node_cover + vec3[ln]
        for ln in range(W):  # the buffer's own gap, for its unlicensed routes
            denom = infl[ln] * adj
            fac[ln] = min(max_factor, max(0.0, 1.0 + (tgt[ln] - vec[ln]) / denom)) \
                if infl[ln] > 0 else 0.0
        for h in range(r0, r1):
            k = buf_rt[h]
            if not live[k]:  # its orders stay 0
                continue
            j = route_slot[k]
            base = route_base[k]
            if j < 0:
                for ln in range(W):
                    orders[k, ln] = share_k[k, ln] * fac[ln]
                continue
            for ln in range(W):
                position = vec[ln]
                goal = tgt[ln]
                if not banned[k, ln]:
                    mi = gov_m[k, ln]
                    if mi >= 0:
                        e = gov_e[k, ln]
                        position += appr_l[e, ln] * lic_tot[j, ln]
                        if valid[j, ln] == 0:
                            goal += base * pair_share[e] * lead_l[mi, ln]
                    else:
                        position += lic_tot[j, ln]
                denom = infl[ln] * adj
                factor = min(max_factor, max(0.0, 1.0 + (goal - position) / denom)) \
                    if infl[ln] > 0 else 0.0
                orders[k, ln] = share_k[k, ln] * factor


@nb.njit(cache=True, fastmath=False, error_model="numpy", nogil=True)
def _mk_markets(t: Any, n_live: Any, g: Any, mg: Any, ms: Any, fs: Any) -> None:
    """Phases 8 (markets and responses, docs/model.md "Where each kernel runs") and 9.

    Openness, zone stocks and uses, then the kernels of :mod:`spigot.market` in the reference
    engine's order, the responses for the next step's allocation, and phase 9's release rule.
    """
    recipe_in = g[1]
    C = recipe_in.shape[1]
    slot_route = g[50]
    J = slot_route.shape[0]
    N = recipe_in.shape[0]
    rbuf_zone = mg[5][mg[6][23]:mg[6][24]]
    NR = rbuf_zone.shape[0]
    pile_qty = g[38]
    P = pile_qty.shape[0]
    rp_c = mg[5][mg[6][7]:mg[6][8]]
    RP = rp_c.shape[0]
    sc_c = g[28]
    SC = sc_c.shape[0]
    W = fs[0].shape[2]
    above = ms[10]
    activity = ms[14]
    adopt_rate = mg[1][5]
    band = mg[1][1]
    blocked = ms[6]
    buf_c = g[18]
    buf_sc = g[26]
    buf_sc_ptr = g[25]
    cap_av = ms[12]
    cap_q = ms[13]
    cover_target = mg[3][mg[4][0]:mg[4][1]].reshape((2, mg[2][0]))
    entry_c = mg[5][mg[6][5]:mg[6][6]]
    entry_w = mg[3][mg[4][7]:mg[4][8]]
    export_k = mg[5][mg[6][25]:mg[6][26]]
    exported = ms[5]
    group_eps = mg[3][mg[4][6]:mg[4][7]]
    group_ptr = mg[5][mg[6][4]:mg[6][5]]
    group_zone = mg[5][mg[6][3]:mg[6][4]]
    inv_flex = mg[3][mg[4][1]:mg[4][2]]
    inv_in = fs[0]
    inv_out = fs[1]
    lic_tot = fs[9]
    log_cap = mg[3][mg[4][3]:mg[4][4]]
    log_floor = mg[3][mg[4][2]:mg[4][3]]
    log_restart = mg[1][11]
    lrel = ms[0]
    dem = fs[2]
    fill = ms[30]
    fill_rate = mg[1][20]
    margin = ms[29]
    margin_eta = mg[1][19]
    m_in = mg[3][mg[4][22]:mg[4][23]]
    m_out = mg[3][mg[4][21]:mg[4][22]]
    ratio = fs[29]
    rel = ms[31]
    mpile_c = mg[5][mg[6][20]:mg[6][21]]
    mpile_max = mg[3][mg[4][16]:mg[4][17]]
    mrec = fs[24]
    mroute_base = mg[3][mg[4][13]:mg[4][14]]
    mult = ms[22]
    need_l = ms[23]
    node_base = mg[3][mg[4][10]:mg[4][11]]
    node_capacity = mg[3][mg[4][9]:mg[4][10]]
    node_kind = mg[5][mg[6][10]:mg[6][11]]
    node_ramp = mg[3][mg[4][12]:mg[4][13]]
    node_ref_c = mg[5][mg[6][12]:mg[6][13]]
    node_usable = mg[3][mg[4][11]:mg[4][12]]
    node_use = mg[5][mg[6][22]:mg[6][23]].reshape((mg[2][1], mg[2][0]))
    node_zone = mg[5][mg[6][11]:mg[6][12]]
    offs = g[56]
    o_app = offs[8]
    moffs = mg[5][mg[6][0]:mg[6][1]]
    o_capadd = moffs[3]
    o_exp = offs[0]
    o_held = offs[1]
    on_hand = ms[19]
    openness = ms[4]
    pair_use = mg[5][mg[6][21]:mg[6][22]]
    pile_buf = g[37]
    pile_cover = g[39]
    pile_trig = mg[1][17]
    pile_use = mg[3][mg[4][15]:mg[4][16]]
    pile_zone = mg[5][mg[6][19]:mg[6][20]]
    plan = ms[8]
    plan_floor = mg[1][7]
    plan_group = mg[5][mg[6][32]:mg[6][33]]
    pool = fs[3]
    qual_steps = mg[5][mg[6][13]:mg[6][14]]
    rbuf0 = g[27]
    rbuf_sb = mg[5][mg[6][24]:mg[6][25]]
    rec = fs[6]
    recipe_out = g[2]
    recyc_full = mg[1][9]
    recyc_on = mg[1][8]
    recyc_rate = mg[1][10]
    recyc_tot = ms[18]
    recycled = ms[17]
    reduction = ms[7]
    released = ms[20]
    restart_at = ms[11]
    restart_lag = mg[2][2]
    restart_ok = mg[5][mg[6][14]:mg[6][15]]
    restart_ramp = mg[1][12]
    revert_rate = mg[1][6]
    route_c = g[10]
    route_origin = g[9]
    route_resp = mg[5][mg[6][16]:mg[6][17]]
    route_slot = g[49]
    route_to_region = mg[5][mg[6][15]:mg[6][16]]
    route_weight = mg[3][mg[4][14]:mg[4][15]]
    rp_buf = mg[5][mg[6][8]:mg[6][9]]
    rp_capacity = mg[3][mg[4][8]:mg[4][9]]
    rp_node = mg[5][mg[6][9]:mg[6][10]]
    rp_zone = mg[5][mg[6][6]:mg[6][7]]
    safety_down = mg[1][16]
    safety_extra = mg[1][13]
    safety_trig = mg[1][14]
    safety_up = mg[1][15]
    sb_c = mg[5][mg[6][18]:mg[6][19]]
    sb_zone = mg[5][mg[6][17]:mg[6][18]]
    sc_need = g[29]
    sc_rbuf = g[32]
    sc_sector = mg[5][mg[6][30]:mg[6][31]]
    sc_target = g[30]
    sector_zone = mg[5][mg[6][31]:mg[6][32]]
    short_sb = ms[21]
    si = fs[4]
    sp = fs[5]
    speed = mg[1][0]
    start = ms[9]
    strength = mg[1][2]
    subst_full = mg[1][4]
    subst_on = mg[1][3]
    tax = ms[3]
    use_c = mg[5][mg[6][2]:mg[6][3]]
    use_cap = mg[3][mg[4][5]:mg[4][6]]
    use_zone = mg[5][mg[6][1]:mg[6][2]]
    vec = fs[21]
    want_l = ms[24]
    weight = ms[15]
    zone_share = mg[3][mg[4][4]:mg[4][5]].reshape((2, mg[2][0]))
    zs_c = mg[5][mg[6][34]:mg[6][35]]
    zs_ptr = mg[5][mg[6][33]:mg[6][34]]
    zstock = ms[1]
    zuse = ms[2]
    # openness of the exporting zone's exports this step
    for c in range(C):
        for ln in range(W):
            exported[c, ln] = 0.0
            blocked[c, ln] = 0.0
    for xi in range(export_k.shape[0]):
        k = export_k[xi]
        c = route_c[k]
        j = route_slot[k]
        for ln in range(W):
            exported[c, ln] += rec[o_exp + k, ln]
            blocked[c, ln] += rec[o_held + k, ln]
        if j >= 0:
            for ln in range(W):
                blocked[c, ln] += rec[o_app + j, ln]
    for c in range(C):
        for ln in range(W):
            held_c = blocked[c, ln]  # nothing held: exactly 1 (x / x), no division
            sent_c = exported[c, ln] + held_c
            openness[c, ln] = exported[c, ln] / sent_c if held_c != 0.0 and sent_c > 0 else 1.0
    # zone stocks and uses (spigot.sim.model.zone_stock_use, in its order; the node
    # pairs that are always 0 are skipped, which adds nothing)
    for z in range(2):
        for c in range(C):
            for ln in range(W):
                zstock[z, c, ln] = 0.0
                zuse[z, c, ln] = 0.0
    for n in range(N):
        z = node_zone[n]
        for i in range(zs_ptr[n], zs_ptr[n + 1]):
            c = zs_c[i]
            for ln in range(W):
                zstock[z, c, ln] += inv_in[n, c, ln]
                zstock[z, c, ln] += inv_out[n, c, ln]
            r_in = recipe_in[n, c]
            if r_in > 0:
                u = node_use[n, c]
                if u >= 0:
                    for ln in range(W):
                        zuse[z, c, ln] += activity[n, ln] * (
                            r_in * (1.0 - reduction[u, ln]))
                else:
                    for ln in range(W):
                        zuse[z, c, ln] += activity[n, ln] * r_in
    for i in range(NR):
        b = rbuf0 + i
        z = rbuf_zone[i]
        c = buf_c[b]
        for ln in range(W):
            zstock[z, c, ln] += pool[b, ln]
    for q in range(SC):  # use: need x (1 - r) x plan is the pair's need (set by the last hook)
        c = sc_c[q]
        z = sector_zone[sc_sector[q]]
        sb = rbuf_sb[sc_rbuf[q]]
        for ln in range(W):
            zstock[z, c, ln] += si[q, ln]
            zuse[z, c, ln] += need_l[q, ln] * mult[sb, ln]
    for j in range(J):  # in licensing: in the exporter's warehouse
        k = slot_route[j]
        z = node_zone[route_origin[k]]
        c = route_c[k]
        for ln in range(W):
            zstock[z, c, ln] += lic_tot[j, ln]
    for i in range(P):
        z = pile_zone[i]
        c = mpile_c[i]
        q0 = pile_qty[i]
        for ln in range(W):
            zstock[z, c, ln] += sp[i, ln] - q0
    price_step(zstock, zuse, cover_target, inv_flex, log_floor, log_cap, zone_share,
               speed, band, strength, tax, openness, lrel)
    for z in range(2):
        for c in range(C):
            for ln in range(W):
                rel[z, c, ln] = math.exp(lrel[z, c, ln])
    substitution_step(lrel, use_zone, use_c, use_cap, subst_on, subst_full, adopt_rate,
                      revert_rate, reduction)
    plan_step(lrel, group_zone, group_eps, group_ptr, entry_c, entry_w, plan_floor, plan)
    recycling_step(lrel, rp_zone, rp_c, rp_capacity, recyc_on, recyc_full, recyc_rate,
                   recycled)
    for i in range(RP):  # a source: into the region's pool or its largest user's input
        c = rp_c[i]
        b = rp_buf[i]
        n = rp_node[i]
        for ln in range(W):
            y = recycled[i, ln]
            if b >= 0:
                pool[b, ln] += y
            else:
                inv_in[n, c, ln] += y
            recyc_tot[c, ln] += y
    for n in range(N):  # the capacity this step's production used, for the record
        if node_kind[n] != KIND_FIXED:
            nb0 = node_base[n]
            for ln in range(W):
                mrec[o_capadd + n, ln] = cap_av[n, ln] - nb0
    fill_step(node_kind, recipe_out, dem, ratio, fill_rate, fill)
    capacity_step(t + 1, lrel, node_kind, node_zone, node_ref_c, node_capacity,
                  node_base, node_usable, node_ramp, qual_steps, restart_ok, log_restart,
                  restart_lag, restart_ramp, start, above, restart_at, cap_av, cap_q)
    margin_step(rel, node_kind, node_zone, m_out.reshape((N, C)), m_in.reshape((N, C)),
                margin_eta, margin)
    route_weights_step(cap_av, cap_q, node_base, recipe_out, route_origin, route_c,
                       route_to_region, mroute_base, route_weight, route_resp, margin, fill,
                       weight)
    safety_stock_step(lrel, short_sb, sb_zone, sb_c, safety_extra, safety_trig,
                      safety_up, safety_down, mult)
    # intensities, plans and cover multipliers for the next step's allocation
    for q in range(SC):
        u = pair_use[q]
        gi = plan_group[sc_sector[q]]
        sb = rbuf_sb[sc_rbuf[q]]
        nd = sc_need[q]
        tg = sc_target[q]
        for ln in range(W):
            keep_q = 1.0 - reduction[u, ln] if u >= 0 else 1.0
            need_q = nd * keep_q * plan[gi, ln]
            need_l[q, ln] = need_q
            want_l[q, ln] = tg * keep_q * mult[sb, ln] + need_q
    # ---- 9. stockpiles: the release rule of spigot.market.stockpiles
    for i in range(P):
        b = pile_buf[i]
        for ln in range(W):
            on_hand[i, ln] = 0.0
        if b < 0:
            continue
        for ln in range(W):
            vec[ln] = 0.0
        for h in range(buf_sc_ptr[b], buf_sc_ptr[b + 1]):
            q = buf_sc[h]
            for ln in range(W):
                vec[ln] += si[q, ln]
        for ln in range(W):
            on_hand[i, ln] = pool[b, ln] + vec[ln]
    release_step(on_hand, pile_use, pile_cover, mpile_max, pile_trig, lrel, pile_zone,
                 mpile_c, sp, released)
    for i in range(P):
        b = pile_buf[i]
        if b >= 0:
            for ln in range(W):
                pool[b, ln] += released[i, ln]


@nb.njit(cache=True, fastmath=False, error_model="numpy", nogil=True)
def _mk_record(t: Any, n_live: Any, g: Any, mg: Any, ms: Any, fs: Any) -> None:
    """The market record (``MarketLayout``), its block sums, the price bins and their range."""
    recipe_in = g[1]
    C = recipe_in.shape[1]
    mrec = fs[24]
    MF = mrec.shape[0]
    rbuf_zone = mg[5][mg[6][23]:mg[6][24]]
    NR = rbuf_zone.shape[0]
    pile_qty = g[38]
    P = pile_qty.shape[0]
    rp_c = mg[5][mg[6][7]:mg[6][8]]
    RP = rp_c.shape[0]
    use_zone = mg[5][mg[6][1]:mg[6][2]]
    U = use_zone.shape[0]
    W = fs[0].shape[2]
    bin_lo = mg[3][mg[4][17]:mg[4][18]].reshape((3, mg[2][0]))
    bin_scale = mg[3][mg[4][18]:mg[4][19]].reshape((3, mg[2][0]))
    lrel = ms[0]
    msum_b = fs[25]
    mult = ms[22]
    moffs = mg[5][mg[6][0]:mg[6][1]]
    o_mult = moffs[6]
    o_price = moffs[0]
    o_recyc = moffs[4]
    o_red = moffs[1]
    o_rel = moffs[5]
    pmax_b = fs[28]
    pmin_b = fs[27]
    price_bin = fs[26]
    rbuf_sb = mg[5][mg[6][24]:mg[6][25]]
    recycled = ms[17]
    reduction = ms[7]
    released = ms[20]
    rel = ms[31]
    for c in range(C):
        for z in range(2):
            for ln in range(W):  # exp(lrel), computed once per step by the markets hook
                mrec[o_price + z * C + c, ln] = rel[z, c, ln]
    for i in range(U):
        for ln in range(W):
            mrec[o_red + i, ln] = reduction[i, ln]
    for i in range(RP):
        for ln in range(W):
            mrec[o_recyc + i, ln] = recycled[i, ln]
    for i in range(P):
        for ln in range(W):
            mrec[o_rel + i, ln] = released[i, ln]
    for i in range(NR):
        sb = rbuf_sb[i]
        if sb >= 0:
            for ln in range(W):
                mrec[o_mult + i, ln] = mult[sb, ln]
        else:
            for ln in range(W):
                mrec[o_mult + i, ln] = 1.0
    _add_lanes(mrec, 0, MF, n_live, msum_b[t])  # block sums in draw order
    for ln in range(n_live):  # each draw's bins (the block's draws are contiguous in a step)
        for zk in range(3):
            for c in range(C):
                v = lrel[zk, c, ln] if zk < 2 else lrel[1, c, ln] - lrel[0, c, ln]
                x_bin = int((v - bin_lo[zk, c]) * bin_scale[zk, c])
                price_bin[t, ln, zk, c] = min(PRICE_BINS - 1, max(0, x_bin))
    for zk in range(3):  # the block's range
        for c in range(C):
            v_min = pmin_b[t, zk, c]
            v_max = pmax_b[t, zk, c]
            for ln in range(n_live):
                v = lrel[zk, c, ln] if zk < 2 else lrel[1, c, ln] - lrel[0, c, ln]
                v_min = min(v_min, v)
                v_max = max(v_max, v)
            pmin_b[t, zk, c] = v_min
            pmax_b[t, zk, c] = v_max



@nb.njit(cache=True, fastmath=False, error_model="numpy", nogil=True)
def _mk_tax(t: Any, draws: Any, g: Any, pa: Any, mg: Any, ms: Any) -> None:
    """Phase 1 with the market phase: the export tax in force on each commodity (largest)."""
    recipe_in = g[1]
    C = recipe_in.shape[1]
    W = draws.shape[0]
    tax_measure = mg[5][mg[6][26]:mg[6][27]]
    X = tax_measure.shape[0]
    active = pa[0]
    tax = ms[3]
    tax_c = mg[5][mg[6][27]:mg[6][28]]
    tax_l = ms[25]
    for c in range(C):
        for ln in range(W):
            tax[c, ln] = 0.0
    for xi in range(X):
        mi = tax_measure[xi]
        c = tax_c[xi]
        for ln in range(W):
            if active[draws[ln], mi, t]:
                tax[c, ln] = max(tax[c, ln], tax_l[xi, ln])


@nb.njit(cache=True, fastmath=False, error_model="numpy", nogil=True)
def _run_lanes(draws: Any, n_live: int, g: Any, pa: Any, rec: Any, keep: Any, block_sum_b: Any,
               traj: Any, sector_scalars: Any, first_stop_out: Any, short_out: Any,
               resid_out: Any, thru_out: Any, mg: Any, mrec: Any, msum_b: Any, price_bin: Any,
               pmin_b: Any, pmax_b: Any, restart_out: Any, recyc_out: Any, exp_rc: Any,
               exp_out: Any) -> None:
    """Simulate the draws ``draws`` side by side, one lane each; the first ``n_live`` are real.

    ``exp_out`` (T, n_live, C) receives each draw's exports on the cross-border routes, summed
    by commodity (``exp_rc[k]``: route ``k``'s commodity, -1 for a domestic route).

    ``mg`` is the market phase's tuple (:func:`market_tuple`); its first item says whether the
    run has one. Without it every market array has a zero size and the market branches (one
    test per phase) are skipped: the flow model runs exactly as before the market phase.
    """
    (_node_cap, recipe_in, _recipe_out, in_ptr, in_c, out_ptr, out_c, node_in0, node_npair,
     route_origin, route_c, route_dest_node, route_base, route_transit, pipe_off, route_buf,
     _buf_is_region, _buf_place, buf_c, _buf_target_pos, _buf_inflow, _buf_adjust, buf_use,
     _buf_rt_ptr, _buf_rt, buf_sc_ptr, buf_sc, rbuf0, sc_c, sc_need, sc_target, _sc_priority,
     _sc_rbuf, _sec_ptr, _sec_sc, sector_output, _sector_value, pile_buf, pile_qty, pile_cover,
     pile_max, pile_c, quota_reset, kind, rm_ptr, rm_measure, rm_pair, pair_share, pair_ship_t,
     route_slot, slot_route, validity_steps, L, T, _stop_below, _max_factor, offs, _live,
     live_k, ctrl_k, free_k, first_k, sum_ranges) = g
    active, approve, kernel, capacity, quota, lead = pa[0], pa[1], pa[2], pa[3], pa[4], pa[5]
    mkt = mg[0]
    o_exp, o_held, o_short = offs[0], offs[1], offs[4]
    o_sstock, o_nstock, o_pile, o_app, o_ok = offs[5], offs[6], offs[7], offs[8], offs[9]
    o_no, o_queue, o_pipe = offs[10], offs[11], offs[12]
    W = rec.shape[1]
    N, C = recipe_in.shape
    K = route_base.shape[0]
    B = buf_c.shape[0]
    SC = sc_c.shape[0]
    S = sector_output.shape[0]
    P = pile_qty.shape[0]
    M = kind.shape[0]
    J = slot_route.shape[0]
    F = rec.shape[0]
    RB = short_out.shape[1]

    # ---- state of W draws (allocated once, outside the weekly loop)
    inv_in = np.empty((N, C, W))
    inv_out = np.zeros((N, C, W))
    dem = np.zeros((N, C, W))
    for n in range(N):
        for c in range(C):
            for ln in range(W):
                inv_in[n, c, ln] = node_in0[n, c]
    pipe = np.empty((pipe_off[K], W))
    in_transit = np.empty((K, W))
    orders = np.empty((K, W))
    sent = np.zeros((K, W))
    for k in range(K):
        for i in range(pipe_off[k], pipe_off[k + 1]):
            for ln in range(W):
                pipe[i, ln] = route_base[k]
        for ln in range(W):
            in_transit[k, ln] = route_base[k] * route_transit[k]
            orders[k, ln] = route_base[k]
    pool = np.zeros((B, W))
    si = np.empty((SC, W))
    for i in range(SC):
        for ln in range(W):
            si[i, ln] = sc_target[i]
    sp = np.empty((P, W))
    for i in range(P):
        for ln in range(W):
            sp[i, ln] = pile_qty[i]
    queue = np.zeros((J, W))
    lic_ok = np.zeros((J, L, W))  # licence decisions due in ring slot s: [j, s, lane]
    lic_no = np.zeros((J, L, W))
    ok_l = np.zeros(W)  # one slot's decisions of this step, per lane
    no_l = np.zeros(W)
    wt_l = np.zeros((L, W))  # their processing-time weights when the lanes' measures differ
    lic_tot = np.zeros((J, W))
    valid = np.zeros((J, W), dtype=np.int64)
    quota_left = np.zeros((M, W))
    served = np.ones((M, W))  # share of each quota's requests it can serve this step
    has_quota = False
    for mi in range(M):
        if kind[mi] == _QUOTA:
            has_quota = True
    apps = np.zeros((M, W))
    banned = np.zeros((K, W), dtype=np.bool_)
    gov_m = np.full((K, W), -1, dtype=np.int64)
    gov_e = np.full((K, W), -1, dtype=np.int64)
    ratio = np.zeros((N, C, W))  # share of a node's orders of c that it can ship this step
    act = np.zeros((M, W), dtype=np.bool_)  # measures in force this step
    fac = np.zeros(W)
    produced = np.zeros((C, W))
    used = np.zeros((C, W))
    consumed = np.zeros((C, W))
    initial = np.zeros((C, W))
    scal = np.zeros((3, S, W))
    first_stop = np.full((S, W), -1, dtype=np.int64)
    short_tot = np.zeros((RB, W))
    vec = np.zeros(W)
    vec2 = np.zeros(W)
    for n in range(N):
        for c in range(C):
            for ln in range(W):
                initial[c, ln] += inv_in[n, c, ln]
    for k in range(K):
        for i in range(pipe_off[k], pipe_off[k + 1]):
            for ln in range(W):
                initial[route_c[k], ln] += pipe[i, ln]
    for i in range(SC):
        for ln in range(W):
            initial[sc_c[i], ln] += si[i, ln]
    for i in range(P):
        for ln in range(W):
            initial[pile_c[i], ln] += sp[i, ln]
    # Per-lane parameters copied lane-major once, so that the weekly loop reads them without
    # going through draws[ln]: review capacity, approval shares, processing-time kernels (with
    # their non-zero span: the licence phase spreads decisions over these lags only, the
    # others have weight 0 and add nothing) and mean lead times.
    E = pair_share.shape[0]
    cap_l = np.zeros((M, W))
    lead_l = np.zeros((M, W))
    appr_l = np.zeros((E, W))
    kern_l = np.zeros((M, L, W))
    lag_lo = np.zeros((M, W), dtype=np.int64)
    lag_hi = np.zeros((M, W), dtype=np.int64)
    for ln in range(W):
        d = draws[ln]
        for e in range(E):
            appr_l[e, ln] = approve[d, e]
        for mi in range(M):
            cap_l[mi, ln] = capacity[d, mi]
            lead_l[mi, ln] = lead[d, mi]
            lo = L
            hi = 0
            for lag in range(L):
                w = kernel[d, mi, lag]
                kern_l[mi, lag, ln] = w
                if w > 0:
                    if lo == L:
                        lo = lag
                    hi = lag + 1
            lag_lo[mi, ln] = lo
            lag_hi[mi, ln] = hi
    # Each allocation request's constant part (target + one step's need).
    sc_want = np.empty(SC)
    for i in range(SC):
        sc_want[i] = sc_target[i] + sc_need[i]

    # ---- market state (zero-size without markets) and the state the market phases share
    ms = _mk_init(draws, g, mg, pa, sc_want)
    fs = (inv_in, inv_out, dem, pool, si, sp, rec, in_transit, orders, lic_tot, banned, gov_m,
          gov_e, valid, appr_l, lead_l, used, produced, consumed, scal, first_stop, vec, vec2,
          fac, mrec, msum_b, price_bin, pmin_b, pmax_b, ratio)

    # Each route's ring-buffer head: the pipe slot that arrives this step and is refilled by this
    # step's shipments (= t % transit, advanced by one a step instead of divided out).
    head = np.zeros(K, dtype=np.int64)
    for t in range(T):
        # zero the accumulated parts of the record (the others are assigned below; exports of
        # uncontrolled routes are assigned in phase 4; held of uncontrolled routes and the
        # exports of routes that never carry material stay 0 from the start)
        for k in ctrl_k:
            for ln in range(W):
                rec[o_exp + k, ln] = 0.0
                rec[o_held + k, ln] = 0.0
        for f in range(o_short, o_sstock):
            for ln in range(W):
                rec[f, ln] = 0.0
        for f in range(o_nstock, o_pile):
            for ln in range(W):
                rec[f, ln] = 0.0
        for f in range(o_app, o_queue):
            for ln in range(W):
                rec[f, ln] = 0.0
        # ---- 1. policies
        if M > 0:
            if quota_reset[t]:
                for mi in range(M):
                    for ln in range(W):
                        quota_left[mi, ln] = 0.0
            for mi in range(M):
                for ln in range(W):
                    act[mi, ln] = active[draws[ln], mi, t]
            for mi in range(M):
                if kind[mi] == _QUOTA:
                    for ln in range(W):
                        if act[mi, ln]:
                            quota_left[mi, ln] += quota[draws[ln], mi]
            for k in range(K):
                if rm_ptr[k] == rm_ptr[k + 1]:
                    continue
                for ln in range(W):
                    banned[k, ln] = False
                    gov_m[k, ln] = -1
                    gov_e[k, ln] = -1
                for pos in range(rm_ptr[k], rm_ptr[k + 1]):
                    mi = rm_measure[pos]
                    for ln in range(W):
                        if act[mi, ln]:
                            if kind[mi] == _BAN:
                                banned[k, ln] = True
                            elif kind[mi] == _LICENCE:
                                gov_m[k, ln] = mi
                                gov_e[k, ln] = rm_pair[pos]
            for j in range(J):
                for ln in range(W):
                    if valid[j, ln] > 0:
                        valid[j, ln] -= 1
        if mkt:  # the export tax in force on each commodity (largest active tax)
            _mk_tax(t, draws, g, pa, mg, ms)
        if t > 0:
            for k in live_k:
                head[k] += 1
                if head[k] == route_transit[k]:
                    head[k] = 0
        # ---- 2. arrivals
        for k in live_k:
            slot = pipe_off[k] + head[k]
            dn = route_dest_node[k]
            c = route_c[k]
            b = route_buf[k]
            for ln in range(W):
                amount = pipe[slot, ln]
                pipe[slot, ln] = 0.0
                in_transit[k, ln] -= amount
                if dn >= 0:
                    inv_in[dn, c, ln] += amount
                else:
                    pool[b, ln] += amount
        # ---- 3. production (pull: what the routes order, within capacity and input stock)
        for k in live_k:  # what the routes order from each node and commodity, in route order
            n = route_origin[k]
            c = route_c[k]
            if first_k[k]:
                for ln in range(W):
                    dem[n, c, ln] = orders[k, ln]
            else:
                for ln in range(W):
                    dem[n, c, ln] += orders[k, ln]
        if mkt:  # the flag as a compile-time constant: two specialisations
            _produce(g, mg, ms, fs, True)
        else:
            _produce(g, mg, ms, fs, False)
        # ---- 4. shipping and licensing
        # output is shared over a node's routes in proportion to their orders: the share each
        # (node, commodity) can serve, then each route's shipment, taken from the output stock
        # in route order; uncontrolled routes ship at once, controlled ones below
        for k in live_k:
            if first_k[k]:
                n = route_origin[k]
                c = route_c[k]
                for ln in range(W):
                    d_nc = dem[n, c, ln]
                    ratio[n, c, ln] = min(1.0, inv_out[n, c, ln] / d_nc) if d_nc > 0 else 0.0
        for k in live_k:
            n = route_origin[k]
            c = route_c[k]
            for ln in range(W):
                sent[k, ln] = orders[k, ln] * ratio[n, c, ln]
                inv_out[n, c, ln] -= sent[k, ln]
        for k in free_k:
            slot = pipe_off[k] + head[k]
            for ln in range(W):
                pipe[slot, ln] += sent[k, ln]
                in_transit[k, ln] += sent[k, ln]
                rec[o_exp + k, ln] = sent[k, ln]
        if has_quota:  # a quota's allowance is shared pro rata by the routes it covers
            for mi in range(M):
                for ln in range(W):
                    served[mi, ln] = 0.0  # the requests, summed in route order
            for k in ctrl_k:
                for pos in range(rm_ptr[k], rm_ptr[k + 1]):
                    mi = rm_measure[pos]
                    if kind[mi] == _QUOTA:
                        for ln in range(W):
                            if act[mi, ln]:
                                served[mi, ln] += sent[k, ln]
            for mi in range(M):
                for ln in range(W):
                    req = served[mi, ln]
                    served[mi, ln] = quota_left[mi, ln] / req if req > quota_left[mi, ln] else 1.0
        for k in ctrl_k:
            n = route_origin[k]
            c = route_c[k]
            j = route_slot[k]
            slot = pipe_off[k] + head[k]
            for ln in range(W):
                x = sent[k, ln]
                held = 0.0
                for pos in range(rm_ptr[k], rm_ptr[k + 1]):
                    mi = rm_measure[pos]
                    if kind[mi] == _QUOTA and act[mi, ln]:
                        allowed = x * served[mi, ln]
                        quota_left[mi, ln] = max(0.0, quota_left[mi, ln] - allowed)
                        held += x - allowed
                        x = allowed
                if banned[k, ln]:
                    held += x
                    x = 0.0
                elif gov_m[k, ln] >= 0:
                    licensed = x * pair_share[gov_e[k, ln]]
                    if valid[j, ln] > 0:
                        licensed = 0.0
                    x -= licensed
                    queue[j, ln] += licensed
                    lic_tot[j, ln] += licensed
                    rec[o_app + j, ln] += licensed
                elif j >= 0 and queue[j, ln] > 0:
                    x += queue[j, ln]
                    lic_tot[j, ln] -= queue[j, ln]
                    queue[j, ln] = 0.0
                inv_out[n, c, ln] += held
                rec[o_held + k, ln] += held
                pipe[slot, ln] += x
                in_transit[k, ln] += x
                rec[o_exp + k, ln] += x
        if J > 0:
            for mi in range(M):
                for ln in range(W):
                    apps[mi, ln] = 0.0
            for j in range(J):
                k = slot_route[j]
                for ln in range(W):
                    if gov_m[k, ln] >= 0 and not banned[k, ln]:
                        apps[gov_m[k, ln], ln] += queue[j, ln] / pair_ship_t[gov_e[k, ln]]
            s0 = t % L
            for j in range(J):
                k = slot_route[j]
                m0 = -1  # the measure of the first deciding lane
                mixed = False  # lanes governed by different measures
                lo = L  # the lags any deciding lane's kernel spans
                hi = 0
                for ln in range(W):
                    mi = gov_m[k, ln]
                    if mi < 0 or banned[k, ln]:
                        ok_l[ln] = 0.0
                        no_l[ln] = 0.0
                        continue
                    cap = cap_l[mi, ln]
                    share = 1.0 if apps[mi, ln] <= cap else cap / apps[mi, ln]
                    decided = queue[j, ln] * share
                    queue[j, ln] -= decided
                    ok = decided * appr_l[gov_e[k, ln], ln]
                    ok_l[ln] = ok
                    no_l[ln] = decided - ok
                    if m0 < 0:
                        m0 = mi
                    elif mi != m0:
                        mixed = True
                    lo = min(lo, lag_lo[mi, ln])
                    hi = max(hi, lag_hi[mi, ln])
                if m0 < 0:
                    continue
                # spread over the kernels' lags, all lanes at once: ring slot s0 + lag, in two
                # runs (before and after the ring wraps). A lane adds ok * w: 0 where it does
                # not decide (ok = 0) or its kernel has no weight, which leaves its slot as is.
                if mixed:
                    for lag in range(lo, hi):
                        for ln in range(W):
                            mi = gov_m[k, ln]
                            wt_l[lag, ln] = kern_l[mi, lag, ln] if mi >= 0 else 0.0
                    wt = wt_l
                else:
                    wt = kern_l[m0]
                wrap = L - s0  # first lag that wraps
                for lag in range(lo, min(hi, wrap)):
                    s = s0 + lag
                    for ln in range(W):
                        lic_ok[j, s, ln] += ok_l[ln] * wt[lag, ln]
                        lic_no[j, s, ln] += no_l[ln] * wt[lag, ln]
                for lag in range(max(lo, wrap), hi):
                    s = lag - wrap
                    for ln in range(W):
                        lic_ok[j, s, ln] += ok_l[ln] * wt[lag, ln]
                        lic_no[j, s, ln] += no_l[ln] * wt[lag, ln]
            for j in range(J):
                k = slot_route[j]
                n = route_origin[k]
                c = route_c[k]
                slot = pipe_off[k] + head[k]
                for ln in range(W):
                    ok = lic_ok[j, s0, ln]
                    no = lic_no[j, s0, ln]
                    lic_ok[j, s0, ln] = 0.0
                    lic_no[j, s0, ln] = 0.0
                    lic_tot[j, ln] -= ok + no
                    rec[o_ok + j, ln] += ok
                    rec[o_no + j, ln] += no
                    if banned[k, ln]:
                        inv_out[n, c, ln] += ok + no
                        rec[o_held + k, ln] += ok + no
                    else:
                        inv_out[n, c, ln] += no
                        rec[o_held + k, ln] += no
                        pipe[slot, ln] += ok
                        in_transit[k, ln] += ok
                        rec[o_exp + k, ln] += ok
                        mi = gov_m[k, ln]
                        if ok > 0 and mi >= 0 and validity_steps[mi] > 0:
                            valid[j, ln] = validity_steps[mi]
        # ---- 5. allocation to sectors: priority classes, then pro rata (requests from the
        # pairs' current need and target: the base ones without the market phase)
        _allocate(g, ms, fs)
        # ---- 6. consumption (Leontief), lost output and stoppages
        if mkt:  # the flag as a compile-time constant: two specialisations
            _consume(t, g, mg, ms, fs, True)
        else:
            _consume(t, g, mg, ms, fs, False)
        # ---- 7. reorder to the target inventory position (docs/design.md, section Engine)
        if mkt:  # the flag as a compile-time constant: two specialisations
            _reorder(g, mg, ms, fs, True)
        else:
            _reorder(g, mg, ms, fs, False)
        # ---- 8. markets and responses (docs/model.md, "Where each kernel runs")
        if mkt:
            _mk_markets(t, n_live, g, mg, ms, fs)
        else:  # ---- 9. stockpiles
            for i in range(P):
                b = pile_buf[i]
                if b < 0:
                    continue
                for ln in range(W):
                    vec[ln] = pool[b, ln]
                for h in range(buf_sc_ptr[b], buf_sc_ptr[b + 1]):
                    q = buf_sc[h]
                    for ln in range(W):
                        vec[ln] += si[q, ln]
                for ln in range(W):
                    if sp[i, ln] > 0 and vec[ln] / buf_use[b] < pile_cover[i]:
                        release = min(pile_max[i], sp[i, ln])
                        sp[i, ln] -= release
                        pool[b, ln] += release
        # ---- record stocks
        for b in range(rbuf0, B):
            r = o_sstock + b - rbuf0
            for ln in range(W):
                rec[r, ln] = pool[b, ln]
            for h in range(buf_sc_ptr[b], buf_sc_ptr[b + 1]):
                q = buf_sc[h]
                for ln in range(W):
                    rec[r, ln] += si[q, ln]
        for n in range(N):
            for i in range(in_ptr[n], in_ptr[n + 1]):
                c = in_c[i]
                r = o_nstock + node_npair[n, c]
                for ln in range(W):
                    rec[r, ln] += inv_in[n, c, ln]
            for i in range(out_ptr[n], out_ptr[n + 1]):
                c = out_c[i]
                r = o_nstock + node_npair[n, c]
                for ln in range(W):
                    rec[r, ln] += inv_out[n, c, ln]
        for i in range(P):
            for ln in range(W):
                rec[o_pile + i, ln] = sp[i, ln]
        for j in range(J):
            for ln in range(W):
                rec[o_queue + j, ln] = queue[j, ln]
                rec[o_pipe + j, ln] = max(0.0, lic_tot[j, ln] - queue[j, ln])
        for f in range(RB):
            for ln in range(W):
                short_tot[f, ln] += rec[o_short + f, ln]
        # block sums: each element summed in draw order within the block, over the record's
        # parts that can be non-zero
        sums_t = block_sum_b[t]
        for r in range(sum_ranges.shape[0]):
            _add_lanes(rec, sum_ranges[r, 0], sum_ranges[r, 1], n_live, sums_t)
        for ln in range(n_live):
            if keep[ln] >= 0:
                for f in range(F):
                    traj[keep[ln], t, f] = rec[f, ln]
        for k in range(K):
            ck = exp_rc[k]
            if ck >= 0:
                for ln in range(n_live):
                    exp_out[t, ln, ck] += rec[o_exp + k, ln]
        if mkt:  # the market record (spigot.sim.model.MarketLayout), its sums and the bins
            _mk_record(t, n_live, g, mg, ms, fs)

    # ---- outputs and conservation: what is left everywhere, by commodity
    final = np.zeros((C, W))
    for n in range(N):
        for c in range(C):
            for ln in range(W):
                final[c, ln] += inv_in[n, c, ln] + inv_out[n, c, ln]
    for k in range(K):
        for i in range(pipe_off[k], pipe_off[k + 1]):
            for ln in range(W):
                final[route_c[k], ln] += pipe[i, ln]
    for b in range(B):
        for ln in range(W):
            final[buf_c[b], ln] += pool[b, ln]
    for i in range(SC):
        for ln in range(W):
            final[sc_c[i], ln] += si[i, ln]
    for i in range(P):
        for ln in range(W):
            final[pile_c[i], ln] += sp[i, ln]
    for j in range(J):
        c = route_c[slot_route[j]]
        for ln in range(W):
            tot = queue[j, ln]
            for lag in range(L):
                tot += lic_ok[j, lag, ln]
            for lag in range(L):
                tot += lic_no[j, lag, ln]
            final[c, ln] += tot
    for ln in range(n_live):
        for s in range(S):
            for x in range(3):
                sector_scalars[ln, x, s] = scal[x, s, ln]
            first_stop_out[ln, s] = first_stop[s, ln]
        for f in range(RB):
            short_out[ln, f] = short_tot[f, ln]
        if mkt:  # recycling is a source
            restart_at = ms[11]
            recyc_tot = ms[18]
            for c in range(C):
                resid_out[ln, c] = initial[c, ln] + produced[c, ln] + recyc_tot[c, ln] \
                    - used[c, ln] - consumed[c, ln] - final[c, ln]
                thru_out[ln, c] = initial[c, ln] + produced[c, ln] + recyc_tot[c, ln] \
                    + used[c, ln] + consumed[c, ln]
                recyc_out[ln, c] = recyc_tot[c, ln]
            for n in range(N):
                ra = restart_at[n, ln]
                restart_out[ln, n] = ra if ra < T else -1
        else:
            for c in range(C):
                resid_out[ln, c] = initial[c, ln] + produced[c, ln] - used[c, ln] \
                    - consumed[c, ln] - final[c, ln]
                thru_out[ln, c] = initial[c, ln] + produced[c, ln] + used[c, ln] \
                    + consumed[c, ln]


@nb.njit(cache=True, fastmath=False, error_model="numpy", nogil=True)
def _lane_width(size: int) -> int:
    """Lanes for a block of ``size`` draws: all of them up to :data:`LANES`, rounded up to
    :data:`LANE_STEP` (a short block does not simulate 64 lanes for a few draws)."""
    return min(LANES, (size + LANE_STEP - 1) // LANE_STEP * LANE_STEP)


@nb.njit(cache=True, fastmath=False, error_model="numpy", parallel=True)
def _run_blocks(g: Any, pa: Any, block_ptr: Any, keep: Any, F: int, block_sum: Any, traj: Any,
                sector_scalars: Any, first_stop: Any, short_tot: Any, resid: Any,
                thru: Any, mg: Any, MF: int, market_sum: Any, price_bin: Any, price_min: Any,
                price_max: Any, restart_step: Any, recycled_total: Any, exp_rc: Any,
                export_draw: Any) -> None:
    n_blocks = block_ptr.shape[0] - 1
    for b in nb.prange(n_blocks):
        W = _lane_width(block_ptr[b + 1] - block_ptr[b])
        rec = np.zeros((F, W))
        mrec = np.zeros((MF, W))
        draws = np.zeros(W, dtype=np.int64)
        kept = np.full(W, -1, dtype=np.int64)
        d0 = block_ptr[b]
        while d0 < block_ptr[b + 1]:
            n_live = min(W, block_ptr[b + 1] - d0)
            for ln in range(W):
                draws[ln] = d0 + min(ln, n_live - 1)  # spare lanes repeat the last draw
                kept[ln] = keep[d0 + ln] if ln < n_live else -1
            d1 = d0 + n_live
            _run_lanes(draws, n_live, g, pa, rec, kept, block_sum[b], traj,
                       sector_scalars[d0:d1], first_stop[d0:d1], short_tot[d0:d1],
                       resid[d0:d1], thru[d0:d1], mg, mrec, market_sum[b], price_bin[:, d0:d1],
                       price_min[b], price_max[b], restart_step[d0:d1], recycled_total[d0:d1],
                       exp_rc, export_draw[:, d0:d1])
            d0 += n_live


def _route_sets(m: SimModel) -> tuple[np.ndarray, np.ndarray]:
    """Routes under a policy, and routes that can ever carry material (the phases skip others).

    A route with no base flow and no policy keeps zero orders, shipments and transit for ever,
    so its record stays 0. With the market phase a route's order weight can grow (routes out of
    projects and idle nodes), and a split buffer without base inflow may split its order equally
    over all its routes; other routes of split buffers keep weight 0.
    """
    plan = m.plan
    controlled = (np.diff(plan.rm_ptr) > 0) | (plan.route_slot >= 0)
    live = (m.route_base != 0.0) | controlled
    mk = m.market
    if mk is not None:
        b = m.route_buf
        live[mk.params.route_responsive] = True
        live |= (mk.buf_weighted[b] | (mk.buf_new_node[b] >= 0)) & (m.buf_inflow[b] <= 0)
    return controlled, live


def model_tuple(m: SimModel) -> tuple[Any, ...]:
    """The model's arrays as the flat tuple the kernel unpacks."""
    plan = m.plan
    lay = m.layout
    controlled, live = _route_sets(m)
    live_k = np.flatnonzero(live).astype(np.int64)
    # the first live route of each (origin, commodity): it assigns the node's demand
    first = np.zeros(len(live), dtype=np.bool_)
    seen: set[tuple[int, int]] = set()
    for k in live_k:
        key = (int(m.route_origin[k]), int(m.route_c[k]))
        if key not in seen:
            seen.add(key)
            first[k] = True
    offs = tuple(lay.start(name) for name in (
        "exports", "held", "lost_units", "stopped", "shortfall", "sector_stock", "producer_stock",
        "stockpile", "licence_applications", "licence_approved", "licence_denied",
        "licence_queue", "licence_pipeline"))
    return (m.node_cap, m.recipe_in, m.recipe_out, m.in_ptr, m.in_c, m.out_ptr, m.out_c,
            m.node_in0, m.node_npair, m.route_origin, m.route_c, m.route_dest_node, m.route_base,
            m.route_transit, m.pipe_off, m.route_buf, m.buf_is_region, m.buf_place, m.buf_c,
            m.buf_target_pos, m.buf_inflow, m.buf_adjust, m.buf_use, m.buf_rt_ptr, m.buf_rt,
            m.buf_sc_ptr, m.buf_sc, np.int64(m.rbuf0), m.sc_c, m.sc_need, m.sc_target,
            m.sc_priority, m.sc_rbuf, m.sec_ptr, m.sec_sc, m.sector_output, m.sector_value,
            m.pile_buf, m.pile_qty, m.pile_cover, m.pile_max,
            np.ascontiguousarray(m.net.stock_commodity, dtype=np.int64),
            plan.quota_reset, plan.kind, plan.rm_ptr, plan.rm_measure, plan.rm_pair,
            plan.pair_share, plan.pair_ship_t, plan.route_slot, plan.slot_route,
            plan.validity_steps, np.int64(plan.kernel_steps), np.int64(m.steps),
            float(m.stop_below), MAX_ORDER_FACTOR, np.array(offs, dtype=np.int64),
            live, live_k, np.flatnonzero(controlled).astype(np.int64),
            np.flatnonzero(live & ~controlled).astype(np.int64), first,
            _sum_ranges(lay.size, offs[0], offs[1], offs[2], live, controlled))


def _sum_ranges(F: int, o_exp: int, o_held: int, o_lost: int, live: np.ndarray,
                controlled: np.ndarray) -> np.ndarray:
    """Runs ``[start, stop)`` of the record that can be non-zero (the block sums skip the rest):
    exports of routes that carry material, held of controlled routes, and all other groups."""
    can = np.zeros(F, dtype=bool)
    can[o_exp:o_held] = live
    can[o_held:o_lost] = controlled
    can[o_lost:] = True
    edges = np.flatnonzero(np.diff(np.concatenate(([0], can.astype(np.int8), [0]))))
    return np.ascontiguousarray(edges.reshape(-1, 2), dtype=np.int64)


def _i64(x: Any) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.int64)


def _f64(x: Any) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.float64)


def market_tuple(m: SimModel) -> tuple[Any, ...]:
    """The market phase's arrays, packed for the kernel.

    ``(on, float scalars, int scalars, floats, float offsets, ints, int offsets)``: the arrays
    of each kind concatenated (booleans as 0/1), the kernel takes its views by position (the
    order of :func:`_market_items`). A few flat arrays instead of a tuple of ~80 keep the
    compile time of the parallel loop in check (LLVM's SROA on a large aggregate). Without a
    market phase every array is empty (the kernel compiles once for both).
    """
    mk = m.market
    if mk is None:
        zf, zi = np.zeros(0), np.zeros(0, dtype=np.int64)
        return (False, np.zeros(21), np.zeros(3, dtype=np.int64), zf, np.zeros(24, dtype=np.int64),
                zi, np.zeros(36, dtype=np.int64))
    items = _market_items(m)
    fs = np.array([float(v) for k, v in items if k == "fs"])
    isc = np.array([len(m.net.commodities), len(m.node_cap)]
                   + [int(v) for k, v in items if k == "is"], dtype=np.int64)
    fl = [np.ravel(np.asarray(v, dtype=np.float64)) for k, v in items if k == "f"]
    il = [np.ravel(np.asarray(v).astype(np.int64)) for k, v in items if k == "i"]
    f_off = np.zeros(len(fl) + 1, dtype=np.int64)
    f_off[1:] = np.cumsum([len(x) for x in fl])
    i_off = np.zeros(len(il) + 1, dtype=np.int64)
    i_off[1:] = np.cumsum([len(x) for x in il])
    return (True, fs, isc, np.concatenate(fl), f_off, np.concatenate(il), i_off)


def _market_items(m: SimModel) -> list[tuple[str, Any]]:
    """The market phase's arrays in the kernel's order: ``(kind, value)``, kind ``f`` (float
    array, 2-D ones flattened), ``i`` (int or bool array), ``fs``/``is`` (float/int scalar)."""
    mk = m.market
    assert mk is not None
    mp, lay = mk.params, mk.layout
    N = len(m.node_cap)
    sb_of_pair = mk.rbuf_sb[m.sc_rbuf]
    if len(sb_of_pair) and sb_of_pair.min() < 0:  # the kernel indexes multipliers by pair
        raise AssertionError("a sector-commodity pair's region buffer has no safety stock")
    # node stocks that can be non-zero: inputs and outputs of each node, in commodity order
    zs = [sorted(set(m.in_c[m.in_ptr[n]:m.in_ptr[n + 1]].tolist())
                 | set(m.out_c[m.out_ptr[n]:m.out_ptr[n + 1]].tolist())) for n in range(N)]
    zs_ptr = np.zeros(N + 1, dtype=np.int64)
    zs_ptr[1:] = np.cumsum([len(x) for x in zs])
    zs_c = np.array([c for x in zs for c in x], dtype=np.int64)
    moffs = [lay.start(name) for name in (
        "price", "demand_reduction", "demand_destruction", "capacity_added", "recycled",
        "stockpile_release", "safety_multiplier")]
    return [
        ("i", moffs), ("f", mk.cover_target), ("f", mp.inv_flex), ("f", mp.log_floor),
        ("f", mp.log_cap), ("f", mp.zone_share), ("fs", mp.speed), ("fs", mp.band),
        ("fs", mp.arb_strength),
        ("i", mp.use_zone), ("i", mp.use_c), ("f", mp.use_cap), ("fs", mp.subst_log_on),
        ("fs", mp.subst_log_full), ("fs", mp.adopt_rate), ("fs", mp.revert_rate),
        ("i", mp.group_zone), ("f", mp.group_elasticity), ("i", mp.group_ptr),
        ("i", mp.entry_c), ("f", mp.entry_w), ("fs", mp.plan_floor),
        ("i", mp.rp_zone), ("i", mp.rp_c), ("f", mp.rp_capacity), ("fs", mp.recycle_log_on),
        ("fs", mp.recycle_log_full), ("fs", mp.recycle_rate), ("i", mk.rp_buf),
        ("i", mk.rp_node),
        ("i", mp.node_kind), ("i", mp.node_zone), ("i", mp.node_ref_c),
        ("f", mp.node_capacity), ("f", mp.node_base), ("f", mp.node_usable),
        ("f", mp.node_ramp_steps), ("i", mp.qual_steps), ("i", mp.restart_ok),
        ("fs", mp.log_restart), ("is", mp.restart_lag), ("fs", mp.restart_ramp),
        ("i", mp.route_to_region), ("f", mp.route_base), ("f", mp.route_weight),
        ("i", mp.route_responsive),
        ("i", mp.buf_zone), ("i", mp.buf_c), ("fs", mp.safety_extra),
        ("fs", mp.safety_log_trigger), ("fs", mp.safety_up_rate), ("fs", mp.safety_down_rate),
        ("f", mk.pile_use), ("f", mk.pile_max), ("fs", mp.pile_log_trigger),
        ("i", mp.pile_zone), ("i", mp.pile_c),
        ("i", mk.pair_use), ("i", mk.node_use), ("i", mk.rbuf_zone), ("i", mk.rbuf_sb),
        ("i", np.flatnonzero(mk.route_export & _route_sets(m)[1])), ("i", mk.tax_measure), ("i", mk.tax_c),
        ("i", mk.buf_weighted), ("i", mk.buf_new_node), ("f", mk.bin_lo),
        ("f", mk.bin_scale),
        ("f", m.buf_target_onhand), ("f", m.net.node_base_activity), ("i", m.sc_sector),
        ("i", mp.sector_zone), ("i", mp.plan_group),
        ("fs", NODE_COVER_WEEKS / m.net.step_weeks), ("i", zs_ptr), ("i", zs_c),
        ("f", mp.margin_out_share), ("f", mp.margin_in_share), ("fs", mp.margin_elasticity),
        ("fs", mp.fill_rate)]


def run_chunk_numba(m: SimModel, p: BlockParams, block_ptr: np.ndarray, keep: np.ndarray,
                    out: dict[str, np.ndarray]) -> None:
    """Run the draws of one chunk with the compiled kernel, filling ``out`` (see the reference)."""
    pa = (p.active, p.approve, p.kernel, p.capacity, p.quota, p.lead, _f64(p.tax),
          _i64(p.start))
    mf = m.market.layout.size if m.market is not None else 0
    _run_blocks(model_tuple(m), pa, block_ptr, keep, int(m.layout.size), out["block_sum"],
                out["traj"], out["sector_scalars"], out["first_stop"], out["shortfall_total"],
                out["residual"], out["throughput"], market_tuple(m), mf, out["market_sum"],
                out["price_bin"], out["price_min"], out["price_max"], out["restart_step"],
                out["recycled_total"], export_route_commodity(m), out["export_draw"])
