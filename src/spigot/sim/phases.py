"""The flow phases of the numba kernel: production, consumption, reorder, stockpiles
(allocation: :mod:`spigot.sim.allocation`).

Each phase runs on the state of a block's lanes (:class:`~spigot.sim.state.FlowState` ``fs``,
:class:`~spigot.sim.state.MarketState` ``ms``) with the model's arrays
(:class:`~spigot.sim.state.ModelArrays` ``g``) and the packed market arrays
(:class:`~spigot.sim.state.MarketPack` ``mg``, read through :func:`fa` and :func:`ia`).
Each is the rule of the same name in :mod:`spigot.sim.reference`, vectorised over lanes.

Where the market phase changes a rule (planned activity of projects, joint products,
substituted intensities, safety stocks, split orders, the need at the current plan) a phase
reads the market's arrays; without a market phase the pack holds their neutral values (every
node fixed, no substitution use, no safety stock, no split buffer, one plan of 1.0, the
stockpiles' price trigger off: :func:`spigot.sim.build.arrays.market_pack`), so the same code does
the flow model's arithmetic (a product with 1.0 is exact).
"""

# ruff: noqa: N806 - sizes are named as in the docs (N nodes, C commodities, ...)
from __future__ import annotations

import numpy as np

from spigot.market._common import FALSE, TRUE, inner
from spigot.market.parameters import KIND_FIXED
from spigot.market.stockpiles import release_step
from spigot.sim.allocation import sum_classes
from spigot.sim.state import (
    BUF_NEW_NODE,
    BUF_TARGET_ONHAND,
    BUF_WEIGHTED,
    JOINT_SMOOTH_RATE,
    JOINT_WORKOFF_RATE,
    MARGIN_OUT_SHARE,
    N_C,
    N_N,
    NODE_ACT0,
    NODE_COVER,
    NODE_JOINT,
    NODE_KIND,
    NODE_USE,
    NODE_ZONE,
    O_DESTRUCTION,
    PILE_LOG_TRIGGER,
    PLAN_GROUP,
    RBUF_SB,
    SB_C,
    FlowState,
    MarketPack,
    MarketState,
    ModelArrays,
)

__all__ = ["add_lanes", "consume", "fa", "ia", "order_rate", "produce", "reorder",
           "smooth_rate", "stockpiles"]

@inner
def fa(mg: MarketPack, item: np.int64) -> np.ndarray:
    """Float array ``item`` of the market pack (a view; ``item``: a float index of
    :mod:`spigot.sim.state`, e.g. ``NODE_BASE``)."""
    return mg.floats[mg.f_off[item]:mg.f_off[item + 1]]


@inner
def ia(mg: MarketPack, item: np.int64) -> np.ndarray:
    """Int array ``item`` of the market pack (a view; e.g. ``NODE_KIND``)."""
    return mg.ints[mg.i_off[item]:mg.i_off[item + 1]]


@inner
def add_lanes(rec: np.ndarray, f: int, f_end: int, n_live: int, sums: np.ndarray) -> None:
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




@inner
def order_rate(n: int, joint: bool, net_of_stock: bool, dem: np.ndarray, inv_out: np.ndarray,
               out_c: np.ndarray, out_ptr: np.ndarray, recipe_out: np.ndarray, z: int,
               share: np.ndarray, rel: np.ndarray, vec: np.ndarray, vsum: np.ndarray) -> None:
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


@inner
def smooth_rate(n: int, rate: float, run: np.ndarray, vec: np.ndarray) -> None:
    """Exponential average of node ``n``'s order rate: ``run[n] <- run[n] + rate (vec - run[n])``
    (at the node's first step, ``run[n] <- vec``), then ``vec`` takes it.

    ``rate`` = 1 - exp(-step / separator_smoothing_weeks); ``vec`` (W,) the node's order rate
    before its stock (:func:`order_rate`), t activity/step. Constant orders give the rate
    itself, to the bit.
    """
    for ln in range(vec.shape[0]):
        s = run[n, ln]
        s = vec[ln] if s < 0.0 else s + rate * (vec[ln] - s)
        run[n, ln] = s
        vec[ln] = s


@inner
def produce(g: ModelArrays, mg: MarketPack, ms: MarketState, fs: FlowState) -> None:
    """Phase 3: each node makes what its routes order less what it holds, within capacity and
    input stock (Leontief over its recipe).

    Projects and idle nodes plan their activity and use the capacity of the step, inputs with
    a substitution use are at their substituted intensity, and a joint-product node runs for
    the value of its orders (:func:`order_rate`); an operating one runs at least the average
    of its orders (:func:`smooth_rate`) less its output stock worked off over the same time
    (docs/model.md, "Joint products"). Without the market phase the pack's neutral values make
    every node fixed at its capacity, with its recipe's intensities and no joint pricing
    (:func:`spigot.sim.build.arrays.market_pack`).
    """
    recipe_in = g.recipe_in
    N = recipe_in.shape[0]
    W = fs.inv_in.shape[2]
    activity = ms.activity
    cap_av = ms.cap_av
    dem = fs.dem
    in_c = g.in_c
    in_ptr = g.in_ptr
    inv_in = fs.inv_in
    inv_out = fs.inv_out
    margin = ms.margin
    rel = ms.rel
    joint_share = fa(mg, MARGIN_OUT_SHARE).reshape((mg.isc[N_N], mg.isc[N_C]))
    node_zone = ia(mg, NODE_ZONE)
    vsum = ms.tgt
    node_act0 = fa(mg, NODE_ACT0)
    node_cap = g.node_cap
    node_kind = ia(mg, NODE_KIND)
    node_joint = ia(mg, NODE_JOINT)
    smooth = mg.fsc[JOINT_SMOOTH_RATE] if mg.on else 1.0
    workoff = mg.fsc[JOINT_WORKOFF_RATE] if mg.on else 0.0
    run = ms.run
    floor = ms.vec3
    node_use = ia(mg, NODE_USE).reshape((mg.isc[N_N], mg.isc[N_C]))
    out_c = g.out_c
    out_ptr = g.out_ptr
    produced = fs.produced
    recipe_out = g.recipe_out
    reduction = ms.reduction
    used = fs.used
    vec = fs.vec
    for n in range(N):
        fixed = node_kind[n] == KIND_FIXED
        if fixed and node_cap[n] <= 0:
            continue
        joint = node_joint[n] != 0
        z = node_zone[n]
        if not fixed:  # a project or idle node plans for what its routes order (reorder)
            order_rate(n, joint, FALSE, dem, inv_out, out_c, out_ptr, recipe_out, z,
                        joint_share, rel, vec, vsum)
            a0 = node_act0[n]
            for ln in range(W):  # what its margin supports (supply.margin_step)
                activity[n, ln] = max(a0, min(cap_av[n, ln], vec[ln]) * margin[n, ln])
        smoothing = fixed and joint and smooth < 1.0
        if smoothing:  # a separator's averaged order rate (smooth_rate), less its stock over T
            order_rate(n, joint, FALSE, dem, inv_out, out_c, out_ptr, recipe_out, z,
                       joint_share, rel, vec, vsum)
            smooth_rate(n, smooth, run, vec)
            for ln in range(W):
                floor[ln] = vec[ln]
            order_rate(n, joint, FALSE, inv_out, inv_out, out_c, out_ptr, recipe_out, z,
                       joint_share, rel, vec, vsum)
            for ln in range(W):
                floor[ln] -= workoff * vec[ln]
        order_rate(n, joint, TRUE, dem, inv_out, out_c, out_ptr, recipe_out, z, joint_share,
                    rel, vec, vsum)
        if smoothing:
            for ln in range(W):
                vec[ln] = max(vec[ln], floor[ln])
        if fixed:  # capacity as in the flow model (node_usable is node_cap); with markets
            cap = node_cap[n]  # the share of its orders its margin supports (margin_step)
            if margin.shape[0] > 0:
                for ln in range(W):
                    vec[ln] = min(cap, vec[ln] * margin[n, ln])
            else:
                for ln in range(W):
                    vec[ln] = min(cap, vec[ln])
        else:
            for ln in range(W):
                vec[ln] = min(cap_av[n, ln], vec[ln])
        for i in range(in_ptr[n], in_ptr[n + 1]):
            c = in_c[i]
            r_in = recipe_in[n, c]
            if r_in > 0:
                u = node_use[n, c]
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
            u = node_use[n, c]
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


@inner
def consume(t: int, g: ModelArrays, mg: MarketPack, ms: MarketState, fs: FlowState) -> None:
    """Phase 6: sectors consume their need (Leontief per plant class); lost output, shortfall
    and stoppages.

    Plant class ``j`` (output share ``w_j``) makes ``u_j``, its scarcest input's share of its
    need ``w_j need`` held in its own stock ``sik``, and uses ``u_j w_j need``; the sector makes
    ``u = sum_j w_j u_j`` of its plan and is stopped when ``u < stop_below``. The shortfall
    recorded is the sum of the classes' missing need.

    The need is at the current intensity and plan, lost output is that of the plan and the
    unplanned part is recorded as demand destruction (market record). Without the market phase
    the need is the base need and every sector's plan is 1 (plan group 0 of a single plan of
    1.0: a product with 1.0 is exact) and there are no safety stocks.
    """
    on = mg.on
    sector_output = g.sector_output
    S = sector_output.shape[0]
    sb_c = ia(mg, SB_C)
    SB = sb_c.shape[0]
    W = fs.inv_in.shape[2]
    first_stop = fs.first_stop
    mrec = fs.mrec
    o_destr = mg.isc[O_DESTRUCTION] if on else 0
    o_lost = g.o_lost_units
    o_stop = g.o_stopped
    plan = ms.plan
    plan_group = ia(mg, PLAN_GROUP)
    rbuf_sb = ia(mg, RBUF_SB)
    rec = fs.rec
    scal = fs.scal
    sector_value = g.sector_value
    gap_sb = ms.gap_sb
    stop_below = g.stop_below
    for f in range(SB):
        for ln in range(W):
            gap_sb[f, ln] = 0.0
    made = fs.made
    _use(g, ms, fs, rbuf_sb, made)
    for s in range(S):
        out_s = sector_output[s]
        val_s = sector_value[s]
        gi = plan_group[s]
        if on:
            for ln in range(W):
                mrec[o_destr + s, ln] = (1.0 - plan[gi, ln]) * out_s
        for ln in range(W):
            ps = plan[gi, ln]  # the plan of the last market phase
            lost = (1.0 - made[s, ln]) * out_s * ps
            rec[o_lost + s, ln] = lost
            scal[0, s, ln] += lost
            scal[1, s, ln] += lost * val_s
            rec[o_stop + s, ln] = 0.0
            if made[s, ln] < stop_below:
                rec[o_stop + s, ln] = 1.0
                scal[2, s, ln] += 1.0
                if first_stop[s, ln] < 0:
                    first_stop[s, ln] = t


@inner
def _use(g: ModelArrays, ms: MarketState, fs: FlowState, rbuf_sb: np.ndarray,
         made: np.ndarray) -> None:
    """Each sector's plant classes use their need, sector by sector (see :func:`consume`): the
    signed gaps of its regions (``ms.gap_sb``, t, from the stocks ``si`` before use), the
    shortfall and consumption records, each class's stock ``sik`` and the pairs' sums ``si``;
    the sector's share of its plan made into ``made`` (S, W). ``rbuf_sb``: a region buffer's
    safety-stock row (-1: none). All sectors in one call: a call per sector unpacked its
    arrays, and counted references to them, once per sector.

    Per class, one pass finds its scarcest input's share of its need (the first also adds the
    regions' gaps) and one uses it; the last class's use pass sums the pair's classes, so one
    plant class (the default) takes two passes over the sector's pairs.
    """
    W = fs.inv_in.shape[2]
    consumed = fs.consumed
    need_l = ms.need_l
    o_short = g.o_shortfall
    rec = fs.rec
    sc_c = g.sc_c
    sc_rbuf = g.sc_rbuf
    sec_ptr = g.sec_ptr
    sec_sc = g.sec_sc
    gap_sb = ms.gap_sb
    si = fs.si
    sik = fs.sik
    cls_share = g.cls_share
    KP = cls_share.shape[0]
    cu = fs.fac  # a plant class's share of its need it can make
    for s in range(made.shape[0]):
        h0 = sec_ptr[s]
        h1 = sec_ptr[s + 1]
        for ln in range(W):
            made[s, ln] = 0.0
        for j in range(KP):  # each plant class runs at its scarcest input's share (Leontief)
            w = cls_share[j]
            for ln in range(W):
                cu[ln] = 1.0
            for h in range(h0, h1):
                q = sec_sc[h]
                sb = rbuf_sb[sc_rbuf[q]]
                if j == 0 and sb >= 0:  # signed: the region is short only if its lines hold < need
                    for ln in range(W):
                        gap_sb[sb, ln] += need_l[q, ln] - si[q, ln]
                for ln in range(W):  # a step's need on hand does not bind (no division)
                    nd = w * need_l[q, ln]
                    share = cu[ln]  # (stored in every lane: see allocation._allocate_one)
                    if sik[q, j, ln] < nd:
                        share = min(share, sik[q, j, ln] / nd)
                    cu[ln] = share
            for h in range(h0, h1):
                q = sec_sc[h]
                c = sc_c[q]
                r = o_short + sc_rbuf[q]
                for ln in range(W):
                    nd = w * need_l[q, ln]
                    rec[r, ln] += max(0.0, nd - sik[q, j, ln])
                    x = cu[ln] * nd
                    sik[q, j, ln] -= x
                    consumed[c, ln] += x
                if j == KP - 1:  # the pair's classes are final: its stock, in this pass
                    sum_classes(q, sik, si)
            for ln in range(W):  # the sector makes the sum of its classes
                made[s, ln] += w * cu[ln]


@inner
def reorder(g: ModelArrays, mg: MarketPack, ms: MarketState, fs: FlowState) -> None:
    """Phase 7: each buffer orders from its routes to reach its target inventory position.

    With the market phase safety stocks raise the targets of region buffers, and buffers fed
    by a project or an idle node split their total order by the routes' weights; without it
    the pack's neutral values (no safety stock, no split buffer) leave the flow model's rule.
    """
    buf_c = g.buf_c
    B = buf_c.shape[0]
    W = fs.inv_in.shape[2]
    activity = ms.activity
    buf_adjust = g.buf_adjust
    buf_inflow = g.buf_inflow
    buf_is_region = g.buf_is_region
    buf_new_node = ia(mg, BUF_NEW_NODE)
    buf_place = g.buf_place
    buf_rt = g.buf_rt
    buf_rt_ptr = g.buf_rt_ptr
    buf_sc = g.buf_sc
    buf_sc_ptr = g.buf_sc_ptr
    buf_target_onhand = fa(mg, BUF_TARGET_ONHAND)
    buf_target_pos = g.buf_target_pos
    buf_weighted = ia(mg, BUF_WEIGHTED)
    fac = fs.fac
    in_transit = fs.in_transit
    infl = ms.infl
    inv_in = fs.inv_in
    live = g.live
    max_factor = g.max_factor
    mult = ms.mult
    node_cover = mg.fsc[NODE_COVER]
    node_use = ia(mg, NODE_USE).reshape((mg.isc[N_N], mg.isc[N_C]))
    pool = fs.pool
    rbuf0 = g.rbuf0
    rbuf_sb = ia(mg, RBUF_SB)
    recipe_in = g.recipe_in
    reduction = ms.reduction
    route_transit = g.route_transit
    share_k = ms.share_k
    si = fs.si
    tgt = ms.tgt
    vec = fs.vec
    vec2 = fs.vec2
    vec3 = ms.vec3
    weight = ms.weight
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
        sb = rbuf_sb[b - rbuf0] if buf_is_region[b] else -1
        nn = buf_new_node[b]
        split = nn >= 0 or buf_weighted[b] != 0
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
            route_orders(buf_rt_ptr[b], buf_rt_ptr[b + 1], FALSE, inflow, adj, g, ms, fs)
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
        route_orders(r0, r1, TRUE, 0.0, adj, g, ms, fs)

@inner
def route_orders(h0: int, h1: int, split: bool, inflow: float, adj: float, g: ModelArrays,
                 ms: MarketState, fs: FlowState) -> None:
    """Phase 7 for the routes ``buf_rt[h0:h1]`` of one buffer: each route's order, t/step.

    A route no licence covers orders its scale times the buffer's own factor (``fs.fac``). A
    licensed route closes its own gap: its position adds what is in licensing (the share of
    it eventually approved under a measure, re-filing included) and, while no licence is
    valid, its goal adds the base flow over the lead time to an approval
    (:func:`spigot.sim.approved.expected_approval`; the lead is the licence's stated one,
    ``BlockParams.lead``); while a licence is announced but not yet in force its goal adds the
    base flow over the licence's mean delay (``fs.plan_m``: importers front-load). Every route
    closes its gap over ``adj``. The scale and the inflow are the route's base flow and the
    buffer's (``split`` false), or its part of a split buffer's order, ``ms.share_k``, and the
    buffer's per-lane inflow, ``ms.infl`` (``split`` true). Approved tonnes the exporter has
    not shipped yet (``fs.due``) count in full: they are on their way.
    """
    buf_rt = g.buf_rt
    live = g.live
    route_slot = g.route_slot
    route_base = g.route_base
    pair_share = g.pair_share
    max_factor = g.max_factor
    orders = fs.orders
    fac = fs.fac
    vec = fs.vec
    valid = fs.valid
    banned = fs.banned
    gov_m = fs.gov_m
    gov_e = fs.gov_e
    plan_m = fs.plan_m
    plan_e = fs.plan_e
    odds_l = fs.odds_l
    elead_l = fs.elead_l
    lic_tot = fs.lic_tot
    due = fs.due
    lead_l = fs.lead_l
    tgt = ms.tgt
    infl = ms.infl
    share_k = ms.share_k
    W = fs.inv_in.shape[2]
    for h in range(h0, h1):
        k = buf_rt[h]
        if not live[k]:  # its orders stay 0
            continue
        j = route_slot[k]
        base = route_base[k]
        if j < 0:  # (two loops: no branch on split in the lane loop)
            if split:
                for ln in range(W):
                    orders[k, ln] = share_k[k, ln] * fac[ln]
            else:
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
                    odds = odds_l[e, ln]  # expected_approval of the pair (kept)
                    lead = elead_l[e, ln]
                    position += odds * lic_tot[j, ln] + due[j, ln]
                    if valid[j, ln] == 0:
                        goal += base * pair_share[e] * lead
                else:
                    position += lic_tot[j, ln] + due[j, ln]
                    pm = plan_m[k, ln]
                    if pm >= 0:
                        goal += base * pair_share[plan_e[k, ln]] * lead_l[pm, ln]
            flow = infl[ln] if split else inflow
            denom = flow * adj
            factor = min(max_factor, max(0.0, 1.0 + (goal - position) / denom)) \
                if flow > 0 else 0.0
            orders[k, ln] = (share_k[k, ln] if split else base) * factor


@inner
def stockpiles(g: ModelArrays, mg: MarketPack, ms: MarketState, fs: FlowState,
               act: np.ndarray) -> None:
    """Phase 9: each stockpile releases by the rule of :func:`spigot.market.stockpiles.release_step`.

    A stockpile releases ``min(max, left)`` when its holder's cover (pool and sector
    inventories over the holder's base use) is below its threshold, or when the price in the
    holder's zone is at its trigger. Without a market phase the trigger is off (``+inf``;
    the log prices stay 0): the cover rule alone. A pile a measure owns releases only while
    ``act`` (M, W) says that measure is in force.
    """
    pile_buf = g.pile_buf
    buf_sc = g.buf_sc
    buf_sc_ptr = g.buf_sc_ptr
    on_hand = ms.on_hand
    pool = fs.pool
    si = fs.si
    vec = fs.vec
    P = pile_buf.shape[0]
    W = vec.shape[0]
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
    trigger = fa(mg, PILE_LOG_TRIGGER)  # +inf without markets
    released = ms.released
    release_step(on_hand, g.pile_use, g.pile_cover, g.pile_release, trigger, ms.lrel,
                 g.pile_zone, g.pile_c, g.pile_measure, act, fs.sp, released)
    for i in range(P):
        b = pile_buf[i]
        if b >= 0:
            for ln in range(W):
                pool[b, ln] += released[i, ln]
