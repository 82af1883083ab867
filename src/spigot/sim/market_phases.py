"""The market phase of the numba kernel: its state, the export tax, the markets hook, its record.

Phase 1's export tax (:func:`market_tax`), phase 8 (:func:`markets`: openness, zone stocks and
uses, then the kernels of :mod:`spigot.market` in the reference engine's order and the
responses for the next step's allocation) and the market record (:func:`market_record`), on
the lane block (``W`` lanes); :func:`market_init` allocates the market state. The market
arrays travel packed (:class:`~spigot.sim.state.MarketPack`), read by name through
:func:`~spigot.sim.phases.fa` and :func:`~spigot.sim.phases.ia`.
"""

# ruff: noqa: N806 - sizes are named as in the docs (N nodes, C commodities, ...)
from __future__ import annotations

import math

import numpy as np

from spigot.market._common import FALSE, TRUE, ZERO, inner
from spigot.market.demand import plan_step, substitution_step, thrift_step
from spigot.market.parameters import KIND_FIXED
from spigot.market.prices import price_step
from spigot.market.recycling import recycling_step
from spigot.market.stockpiles import safety_stock_step
from spigot.market.supply import (
    NEVER,
    capacity_step,
    fill_step,
    margin_step,
    route_weights_step,
)
from spigot.sim.build.model import PRICE_BINS
from spigot.sim.phases import add_lanes, fa, ia
from spigot.sim.state import (
    ADOPT_RATE,
    ARB_STRENGTH,
    BAND,
    BIN_LO,
    BIN_SCALE,
    COVER_TARGET,
    ENTRY_C,
    ENTRY_W,
    EXPORT_K,
    FILL_RATE,
    FIXED_MARGIN_ELASTICITY,
    GROUP_ELASTICITY,
    GROUP_PTR,
    GROUP_ZONE,
    INV_FLEX,
    LOG_CAP,
    LOG_FLOOR,
    LOG_RESTART,
    MARGIN_ELASTICITY,
    MARGIN_IN_C,
    MARGIN_IN_PTR,
    MARGIN_IN_SHARE,
    MARGIN_OUT_C,
    MARGIN_OUT_PTR,
    MARGIN_OUT_SHARE,
    MROUTE_BASE,
    N_C,
    N_N,
    NODE_ACT0,
    NODE_BASE,
    NODE_CAPACITY,
    NODE_KIND,
    NODE_RAMP,
    NODE_REF_C,
    NODE_USABLE,
    NODE_USE,
    NODE_ZONE,
    O_CAPACITY_ADDED,
    O_MULTIPLIER,
    O_PRICE,
    O_RECYCLED,
    O_REDUCTION,
    O_RELEASE,
    PAIR_USE,
    PLAN_FLOOR,
    PLAN_GROUP,
    QUAL_STEPS,
    RBUF_SB,
    RBUF_ZONE,
    RECYCLE_LOG_FULL,
    RECYCLE_LOG_ON,
    RECYCLE_RATE,
    RESTART_LAG,
    RESTART_OK,
    RESTART_RAMP,
    REVERT_RATE,
    ROUTE_RESP,
    ROUTE_TO_REGION,
    ROUTE_WEIGHT,
    RP_BUF,
    RP_C,
    RP_CAPACITY,
    RP_NODE,
    RP_ZONE,
    SAFETY_DOWN_RATE,
    SAFETY_EXTRA,
    SAFETY_LOG_TRIGGER,
    SAFETY_UP_RATE,
    SB_C,
    SB_ZONE,
    SC_SECTOR,
    SECTOR_ZONE,
    SPEED,
    SUBST_LOG_FULL,
    SUBST_LOG_ON,
    TAX_C,
    TAX_MEASURE,
    USE_C,
    USE_CAP,
    USE_FLOOR,
    USE_FLOOR_STEP,
    USE_ZONE,
    ZONE_SHARE,
    ZS_C,
    ZS_PTR,
    FlowState,
    MarketPack,
    MarketState,
    ModelArrays,
    PolicyArrays,
)

__all__ = ["market_init", "market_record", "market_tax", "markets"]


@inner
def market_init(draws: np.ndarray, g: ModelArrays, mg: MarketPack, pa: PolicyArrays,
                sc_want: np.ndarray) -> MarketState:
    """The market state of the lanes at the base state (docs/model.md, "State per lane block").

    Returns the market state ``ms`` (:class:`~spigot.sim.state.MarketState`; zero-size arrays
    without a market phase but for the neutral ones the flow phases read);
    runs ``capacity_step(0)`` and the route weights (a project starts with its ramp at step 0).
    """
    recipe_in = g.recipe_in
    C = recipe_in.shape[1]
    group_zone = ia(mg, GROUP_ZONE)
    G = group_zone.shape[0]
    route_base = g.route_base
    K = route_base.shape[0]
    N = recipe_in.shape[0]
    pile_qty = g.pile_qty
    P = pile_qty.shape[0]
    rp_c = ia(mg, RP_C)
    RP = rp_c.shape[0]
    sb_c = ia(mg, SB_C)
    SB = sb_c.shape[0]
    sc_c = g.sc_c
    SC = sc_c.shape[0]
    use_zone = ia(mg, USE_ZONE)
    U = use_zone.shape[0]
    W = draws.shape[0]
    tax_measure = ia(mg, TAX_MEASURE)
    X = tax_measure.shape[0]
    log_restart = mg.fsc[LOG_RESTART]
    mkt = mg.on
    mroute_base = fa(mg, MROUTE_BASE)
    node_act0 = fa(mg, NODE_ACT0)
    node_base = fa(mg, NODE_BASE)
    node_capacity = fa(mg, NODE_CAPACITY)
    node_kind = ia(mg, NODE_KIND)
    node_ramp = fa(mg, NODE_RAMP)
    node_ref_c = ia(mg, NODE_REF_C)
    node_usable = fa(mg, NODE_USABLE)
    node_zone = ia(mg, NODE_ZONE)
    qual_steps = ia(mg, QUAL_STEPS)
    recipe_out = g.recipe_out
    restart_lag = mg.isc[RESTART_LAG]
    restart_ok = ia(mg, RESTART_OK)
    restart_ramp = mg.fsc[RESTART_RAMP]
    route_c = g.route_c
    route_origin = g.route_origin
    route_resp = ia(mg, ROUTE_RESP)
    route_to_region = ia(mg, ROUTE_TO_REGION)
    route_weight = fa(mg, ROUTE_WEIGHT)
    sc_need = g.sc_need
    start_d = pa.start
    tax_d = pa.tax
    # ---- market state (docs/model.md, "State per lane block"; zero-size without markets)
    CM = C if mkt else 0
    NM = N if mkt else 0
    KM = K if mkt else 0
    lrel = np.zeros((2, C, W))  # log prices: 0 (base) for ever without markets
    zstock = np.zeros((2, CM, W))
    zuse = np.zeros((2, CM, W))
    tax = np.zeros((CM, W))
    openness = np.ones((CM, W))
    exported = np.zeros((CM, W))
    blocked = np.zeros((CM, W))
    reduction = np.zeros((U, W))
    plan = np.ones((G if mkt else 1, W))  # one plan of 1.0 without markets (group 0)
    start = np.empty((NM, W), dtype=np.int64)
    above = np.zeros((NM, W), dtype=np.int64)
    restart_at = np.full((NM, W), NEVER, dtype=np.int64)
    cap_av = np.empty((NM, W))
    cap_q = np.empty((NM, W))
    activity = np.empty((NM, W))
    weight = np.empty((KM, W))
    share_k = np.zeros((KM, W))
    recycled = np.zeros((RP, W))
    recyc_tot = np.zeros((C, W))  # 0 for ever without markets (the residual adds it)
    on_hand = np.zeros((P, W))  # stockpiles (phase 9), with or without markets
    released = np.zeros((P, W))
    gap_sb = np.zeros((SB, W))
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
    run = np.full((NM, W), -1.0)  # joint nodes' smoothed order rate: set at their first step
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
        capacity_step(ZERO, lrel, node_kind, node_zone, node_ref_c, node_capacity, node_base,
                      node_usable, node_ramp, qual_steps, restart_ok, log_restart, restart_lag,
                      restart_ramp, start, above, restart_at, cap_av, cap_q)
        route_weights_step(cap_av, cap_q, node_base, recipe_out, route_origin, route_c,
                           route_to_region, mroute_base, route_weight, route_resp, margin,
                           fill, weight)
    return MarketState(
        lrel=lrel, zstock=zstock, zuse=zuse, tax=tax, openness=openness, exported=exported,
        blocked=blocked, reduction=reduction, plan=plan, start=start, above=above,
        restart_at=restart_at, cap_av=cap_av, cap_q=cap_q, activity=activity, weight=weight,
        share_k=share_k, recycled=recycled, recyc_tot=recyc_tot, on_hand=on_hand,
        released=released, gap_sb=gap_sb, mult=mult, need_l=need_l, want_l=want_l,
        tax_l=tax_l, tgt=tgt, infl=infl, vec3=vec3, margin=margin, fill=fill, rel=rel,
        run=run)




@inner
def markets(t: int, n_live: int, g: ModelArrays, mg: MarketPack, ms: MarketState, fs: FlowState) -> None:
    """Phase 8: markets and responses (docs/model.md, "Where each kernel runs").

    Openness, zone stocks and uses, then the kernels of :mod:`spigot.market` in the reference
    engine's order and the responses for the next step's allocation. Phase 9 (stockpiles) is
    :func:`spigot.sim.phases.stockpiles`, with or without markets.
    """
    recipe_in = g.recipe_in
    C = recipe_in.shape[1]
    N = recipe_in.shape[0]
    rbuf_zone = ia(mg, RBUF_ZONE)
    NR = rbuf_zone.shape[0]
    pile_qty = g.pile_qty
    P = pile_qty.shape[0]
    rp_c = ia(mg, RP_C)
    RP = rp_c.shape[0]
    sc_c = g.sc_c
    SC = sc_c.shape[0]
    W = fs.inv_in.shape[2]
    above = ms.above
    activity = ms.activity
    adopt_rate = mg.fsc[ADOPT_RATE]
    band = mg.fsc[BAND]
    blocked = ms.blocked
    buf_c = g.buf_c
    cap_av = ms.cap_av
    cap_q = ms.cap_q
    cover_target = fa(mg, COVER_TARGET).reshape((2, mg.isc[N_C]))
    entry_c = ia(mg, ENTRY_C)
    entry_w = fa(mg, ENTRY_W)
    export_k = ia(mg, EXPORT_K)
    exported = ms.exported
    group_eps = fa(mg, GROUP_ELASTICITY)
    group_ptr = ia(mg, GROUP_PTR)
    group_zone = ia(mg, GROUP_ZONE)
    inv_flex = fa(mg, INV_FLEX)
    inv_in = fs.inv_in
    inv_out = fs.inv_out
    log_cap = fa(mg, LOG_CAP)
    log_floor = fa(mg, LOG_FLOOR)
    log_restart = mg.fsc[LOG_RESTART]
    lrel = ms.lrel
    dem = fs.dem
    fill = ms.fill
    fill_rate = mg.fsc[FILL_RATE]
    margin = ms.margin
    margin_eta = mg.fsc[MARGIN_ELASTICITY]
    margin_eta_fixed = mg.fsc[FIXED_MARGIN_ELASTICITY]
    m_in = fa(mg, MARGIN_IN_SHARE)
    m_out = fa(mg, MARGIN_OUT_SHARE)
    ratio = fs.ratio
    rel = ms.rel
    pile_c = g.pile_c
    mrec = fs.mrec
    mroute_base = fa(mg, MROUTE_BASE)
    mult = ms.mult
    need_l = ms.need_l
    node_base = fa(mg, NODE_BASE)
    node_capacity = fa(mg, NODE_CAPACITY)
    node_kind = ia(mg, NODE_KIND)
    node_ramp = fa(mg, NODE_RAMP)
    node_ref_c = ia(mg, NODE_REF_C)
    node_usable = fa(mg, NODE_USABLE)
    node_use = ia(mg, NODE_USE).reshape((mg.isc[N_N], mg.isc[N_C]))
    node_zone = ia(mg, NODE_ZONE)
    o_app = g.o_licence_applications
    o_ok = g.o_licence_approved
    o_capadd = mg.isc[O_CAPACITY_ADDED]
    o_exp = g.o_exports
    o_held = g.o_held
    openness = ms.openness
    pair_use = ia(mg, PAIR_USE)
    pile_zone = g.pile_zone
    plan = ms.plan
    plan_floor = mg.fsc[PLAN_FLOOR]
    plan_group = ia(mg, PLAN_GROUP)
    pool = fs.pool
    qual_steps = ia(mg, QUAL_STEPS)
    rbuf0 = g.rbuf0
    rbuf_sb = ia(mg, RBUF_SB)
    rec = fs.rec
    recipe_out = g.recipe_out
    recyc_full = mg.fsc[RECYCLE_LOG_FULL]
    recyc_on = mg.fsc[RECYCLE_LOG_ON]
    recyc_rate = mg.fsc[RECYCLE_RATE]
    recyc_tot = ms.recyc_tot
    recycled = ms.recycled
    reduction = ms.reduction
    restart_at = ms.restart_at
    restart_lag = mg.isc[RESTART_LAG]
    restart_ok = ia(mg, RESTART_OK)
    restart_ramp = mg.fsc[RESTART_RAMP]
    revert_rate = mg.fsc[REVERT_RATE]
    route_c = g.route_c
    route_origin = g.route_origin
    route_resp = ia(mg, ROUTE_RESP)
    route_slot = g.route_slot
    route_to_region = ia(mg, ROUTE_TO_REGION)
    route_weight = fa(mg, ROUTE_WEIGHT)
    rp_buf = ia(mg, RP_BUF)
    rp_capacity = fa(mg, RP_CAPACITY)
    rp_node = ia(mg, RP_NODE)
    rp_zone = ia(mg, RP_ZONE)
    safety_down = mg.fsc[SAFETY_DOWN_RATE]
    safety_extra = mg.fsc[SAFETY_EXTRA]
    safety_trig = mg.fsc[SAFETY_LOG_TRIGGER]
    safety_up = mg.fsc[SAFETY_UP_RATE]
    sb_c = ia(mg, SB_C)
    sb_zone = ia(mg, SB_ZONE)
    sc_need = g.sc_need
    sc_rbuf = g.sc_rbuf
    sc_sector = ia(mg, SC_SECTOR)
    sc_target = g.sc_target
    sector_zone = ia(mg, SECTOR_ZONE)
    gap_sb = ms.gap_sb
    si = fs.si
    sp = fs.sp
    speed = mg.fsc[SPEED]
    start = ms.start
    strength = mg.fsc[ARB_STRENGTH]
    subst_full = mg.fsc[SUBST_LOG_FULL]
    subst_on = mg.fsc[SUBST_LOG_ON]
    tax = ms.tax
    use_c = ia(mg, USE_C)
    use_cap = fa(mg, USE_CAP)
    use_zone = ia(mg, USE_ZONE)
    want_l = ms.want_l
    weight = ms.weight
    zone_share = fa(mg, ZONE_SHARE).reshape((2, mg.isc[N_C]))
    zs_c = ia(mg, ZS_C)
    zs_ptr = ia(mg, ZS_PTR)
    zstock = ms.zstock
    zuse = ms.zuse
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
        if j >= 0:  # approved shipments are not free: the office set their tonnes
            for ln in range(W):
                blocked[c, ln] += rec[o_app + j, ln]
                x = min(rec[o_ok + j, ln], exported[c, ln])
                exported[c, ln] -= x
                blocked[c, ln] += x
    for c in range(C):
        for ln in range(W):
            held_c = blocked[c, ln]  # nothing held: exactly 1 (x / x), no division
            sent_c = exported[c, ln] + held_c
            openness[c, ln] = exported[c, ln] / sent_c if held_c != 0.0 and sent_c > 0 else 1.0
    # zone stocks and uses (spigot.sim.build.model.zone_stock_use, in its order; the node
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
    for i in range(P):
        z = pile_zone[i]
        c = pile_c[i]
        q0 = pile_qty[i]
        for ln in range(W):
            zstock[z, c, ln] += sp[i, ln] - q0
    price_step(zstock, zuse, cover_target, inv_flex, log_floor, log_cap, zone_share,
               speed, band, strength, tax, openness, lrel)
    for z in range(2):
        for c in range(C):
            for ln in range(W):
                rel[z, c, ln] = math.exp(lrel[z, c, ln])
    use_floor = fa(mg, USE_FLOOR)
    floor_step = ia(mg, USE_FLOOR_STEP)
    thrift_step(use_floor, floor_step, t - 1, FALSE, reduction)  # the measure's dated thrift
    substitution_step(lrel, use_zone, use_c, use_cap, subst_on, subst_full, adopt_rate,
                      revert_rate, reduction)
    thrift_step(use_floor, floor_step, t, TRUE, reduction)
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
    margin_step(lrel, rel, node_kind, node_zone, m_out.reshape((N, C)), m_in.reshape((N, C)),
                ia(mg, MARGIN_OUT_PTR), ia(mg, MARGIN_OUT_C), ia(mg, MARGIN_IN_PTR),
                ia(mg, MARGIN_IN_C), margin_eta, margin_eta_fixed, margin)
    route_weights_step(cap_av, cap_q, node_base, recipe_out, route_origin, route_c,
                       route_to_region, mroute_base, route_weight, route_resp, margin, fill,
                       weight)
    safety_stock_step(lrel, gap_sb, sb_zone, sb_c, safety_extra, safety_trig,
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


@inner
def market_record(t: int, n_live: int, g: ModelArrays, mg: MarketPack, ms: MarketState,
                  fs: FlowState) -> None:
    """The market record (``MarketLayout``), its block sums, the price bins and their range."""
    recipe_in = g.recipe_in
    C = recipe_in.shape[1]
    mrec = fs.mrec
    MF = mrec.shape[0]
    rbuf_zone = ia(mg, RBUF_ZONE)
    NR = rbuf_zone.shape[0]
    pile_qty = g.pile_qty
    P = pile_qty.shape[0]
    rp_c = ia(mg, RP_C)
    RP = rp_c.shape[0]
    use_zone = ia(mg, USE_ZONE)
    U = use_zone.shape[0]
    W = fs.inv_in.shape[2]
    bin_lo = fa(mg, BIN_LO).reshape((3, mg.isc[N_C]))
    bin_scale = fa(mg, BIN_SCALE).reshape((3, mg.isc[N_C]))
    lrel = ms.lrel
    msum_b = fs.msum_b
    mult = ms.mult
    o_mult = mg.isc[O_MULTIPLIER]
    o_price = mg.isc[O_PRICE]
    o_recyc = mg.isc[O_RECYCLED]
    o_red = mg.isc[O_REDUCTION]
    o_rel = mg.isc[O_RELEASE]
    pmax_b = fs.pmax_b
    pmin_b = fs.pmin_b
    price_bin = fs.price_bin
    rbuf_sb = ia(mg, RBUF_SB)
    recycled = ms.recycled
    reduction = ms.reduction
    released = ms.released
    rel = ms.rel
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
    add_lanes(mrec, ZERO, MF, n_live, msum_b[t])  # block sums in draw order
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



@inner
def market_tax(draws: np.ndarray, g: ModelArrays, act: np.ndarray, mg: MarketPack,
               ms: MarketState) -> None:
    """Phase 1 with the market phase: the export tax in force on each commodity (largest);
    ``act`` (M, W): the measures in force this step."""
    recipe_in = g.recipe_in
    C = recipe_in.shape[1]
    W = draws.shape[0]
    tax_measure = ia(mg, TAX_MEASURE)
    X = tax_measure.shape[0]
    tax = ms.tax
    tax_c = ia(mg, TAX_C)
    tax_l = ms.tax_l
    for c in range(C):
        for ln in range(W):
            tax[c, ln] = 0.0
    for xi in range(X):
        mi = tax_measure[xi]
        c = tax_c[xi]
        for ln in range(W):
            if act[mi, ln]:
                tax[c, ln] = max(tax[c, ln], tax_l[xi, ln])


