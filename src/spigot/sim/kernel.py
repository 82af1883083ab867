"""The fast engine: the reference rules compiled with numba, vectorised over lanes of draws.

Same phases and the same arithmetic as :mod:`spigot.sim.reference`; the differential tests hold
the two together. The state of a block's lanes, up to :data:`LANES` draws, is held side by side
(draws on the last axis), so each rule runs once per route, buffer or sector for all lanes and
index work is shared. The state and the static arrays are named tuples listed, with each
field's shape and unit, in :mod:`spigot.sim.state`; this module holds the weekly loop with
phases 1, 2 and 4 (policies, arrivals, shipping and licensing), the flow phases are in
:mod:`spigot.sim.phases` and the market phase in :mod:`spigot.sim.market_phases`.

Routes that can never carry material (no base flow, no policy) are skipped, transit ring buffers
advance a head index, a licence decision is spread over the non-zero lags of its kernel only
(licence rings and kernels lane-major, so those lags are contiguous), per-lane parameters are
copied lane-major before the weekly loop, a quotient shared by several items (a node's shipping
ratio, a priority class's share, a buffer's order factor) is computed once, and the block sums
skip the parts of the record that are structurally 0. None of this changes a result bit.
Blocks of draws run in parallel: :func:`run_chunk_numba` hands one block at a time to a pool of
``numba.get_num_threads()`` Python threads, and the compiled block function releases the GIL
(a ``prange`` over blocks made numba compile the whole engine a second time, as a parfor: 64 of
the first run's 150 s). The phase functions are compiled without CPython wrappers
(:func:`spigot.market._common.inner`); only :func:`_run_block` is called from Python. The weekly
loop allocates nothing and draws no random numbers: all per-draw parameters arrive in arrays
sampled beforehand (:mod:`spigot.policy.plan`). Running totals (material in transit, in
licensing) replace the reference engine's sums over ring buffers.

Without a market phase (``mg.on`` False) the market quantities keep their neutral values (log
prices 0, no reduction, plans 1, no recycling, every node fixed, no safety stock, the
stockpiles' price trigger off) and the same phase functions run the flow model; only the
market phase itself (export tax, phase 8, the market record) is skipped. docs/model.md, "What
the engine does (as built)".
"""

# ruff: noqa: N803, N806 - sizes are named as in the docs (N nodes, C commodities, ...)
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numba as nb
import numpy as np

from spigot.market._common import inner, jit
from spigot.policy.plan import BAN, LICENCE, QUOTA, BlockParams
from spigot.sim.allocation import allocate
from spigot.sim.applications import decide_whole, office_count_jit, whole_in_queue_jit
from spigot.sim.approved import expected_terms_jit, route_ask_jit, ship_split_jit
from spigot.sim.build.arrays import market_pack, model_arrays, policy_arrays
from spigot.sim.build.model import SimModel
from spigot.sim.market_phases import market_init, market_record, market_tax, markets
from spigot.sim.phases import (
    add_lanes,
    consume,
    produce,
    reorder,
    stockpiles,
)
from spigot.sim.reactions import load_processing, react, revenue_lost, revenue_ring_length
from spigot.sim.state import FlowState, MarketPack, ModelArrays, PolicyArrays
from spigot.sim.warm import warm_rings_jit

__all__ = ["LANES", "run_chunk_numba"]

#: Most draws simulated side by side in one pass of the weekly loop (a block's lane width).
LANES = 64
#: Lane widths are multiples of this (the AVX-512 vector of eight doubles).
LANE_STEP = 8


@jit
def _run_block(b: int, g: ModelArrays, pa: PolicyArrays, block_ptr: np.ndarray,
               keep_all: np.ndarray, F: int, block_sum: np.ndarray, traj: np.ndarray,
               scalars_all: np.ndarray, first_stop_all: np.ndarray, short_all: np.ndarray,
               resid_all: np.ndarray, thru_all: np.ndarray, mg: MarketPack, MF: int,
               market_sum: np.ndarray, price_bin_all: np.ndarray, price_min: np.ndarray,
               price_max: np.ndarray, restart_all: np.ndarray, recyc_all: np.ndarray,
               exp_all: np.ndarray, exp_off: int, fired_all: np.ndarray) -> None:
    """Simulate block ``b`` of a chunk, draws ``block_ptr[b]`` to ``block_ptr[b + 1]`` (at most
    :data:`LANES`), side by side, one lane each.

    Blocks write disjoint parts of the outputs (the arrays of
    :func:`spigot.sim.engine.allocate_outputs`, ``*_all``: the whole chunk's), and the GIL is
    released, so several threads run blocks at once (:func:`run_chunk_numba`). The lane width is
    the block's size rounded up to :data:`LANE_STEP`; the spare lanes repeat the last draw.
    ``exp_out`` (T, n_live, C), columns ``exp_off + d0`` on of ``exp_all`` (the whole run's
    array), receives each draw's exports on the cross-border routes, summed by commodity
    (``g.export_c``), for the quantiles of exports over all draws.

    ``mg`` is the market phase's pack (:func:`~spigot.sim.build.arrays.market_pack`); ``mg.on`` says
    whether the run has one. Without it the market arrays have a zero size and the market
    branches (one test per phase) are skipped.
    """
    d0, d1 = block_ptr[b], block_ptr[b + 1]
    n_live = d1 - d0
    W = _lane_width(n_live)
    rec = np.zeros((F, W))
    mrec = np.zeros((MF, W))
    draws = np.empty(W, dtype=np.int64)
    keep = np.empty(W, dtype=np.int64)
    for ln in range(W):
        draws[ln] = d0 + min(ln, n_live - 1)
        keep[ln] = keep_all[d0 + ln] if ln < n_live else -1
    block_sum_b, msum_b = block_sum[b], market_sum[b]
    pmin_b, pmax_b = price_min[b], price_max[b]
    sector_scalars, first_stop_out = scalars_all[d0:d1], first_stop_all[d0:d1]
    short_out, resid_out, thru_out = short_all[d0:d1], resid_all[d0:d1], thru_all[d0:d1]
    price_bin, restart_out = price_bin_all[:, d0:d1], restart_all[d0:d1]
    recyc_out, exp_out = recyc_all[d0:d1], exp_all[:, exp_off + d0:exp_off + d1]
    fired_out = fired_all[d0:d1]

    recipe_in, in_ptr, in_c, out_ptr, out_c = g.recipe_in, g.in_ptr, g.in_c, g.out_ptr, g.out_c
    node_in0, node_npair = g.node_in0, g.node_npair
    route_origin, route_c, route_base, route_transit = (g.route_origin, g.route_c, g.route_base,
                                                        g.route_transit)
    route_dest_node, pipe_off, route_buf = g.route_dest_node, g.pipe_off, g.route_buf
    buf_c, buf_sc_ptr, buf_sc, rbuf0 = g.buf_c, g.buf_sc_ptr, g.buf_sc, g.rbuf0
    sc_c, sc_need, sc_target, sector_output = g.sc_c, g.sc_need, g.sc_target, g.sector_output
    pile_qty, pile_c = g.pile_qty, g.pile_c
    quota_reset, kind, rm_ptr, rm_measure, rm_pair = (g.quota_reset, g.kind, g.rm_ptr,
                                                      g.rm_measure, g.rm_pair)
    pair_share = g.pair_share
    refile_steps, RR = g.refile_steps, g.n_refile
    route_slot, slot_route, L, T = g.route_slot, g.slot_route, g.n_lags, g.steps
    live_k, ctrl_k, free_k, first_k, sum_ranges = (g.live_k, g.ctrl_k, g.free_k, g.first_k,
                                                   g.sum_ranges)
    active, approve, kernel, announced = pa.active, pa.approve, pa.kernel, pa.announced
    refile, warm, max_factor = pa.refile, pa.warm, g.max_factor
    capacity, quota, lead = pa.capacity, pa.quota, pa.lead
    mkt = mg.on
    o_exp, o_held, o_short = g.o_exports, g.o_held, g.o_shortfall
    export_c = g.export_c
    o_sstock, o_nstock, o_pile = g.o_sector_stock, g.o_producer_stock, g.o_stockpile
    o_app = g.o_licence_applications
    o_queue, o_pipe = g.o_licence_queue, g.o_licence_pipeline
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
    sik = np.empty((SC, g.cls_share.shape[0], W))  # plant classes: share x multiple of target
    for i in range(SC):
        for ln in range(W):
            si[i, ln] = sc_target[i]
            for j in range(sik.shape[1]):
                sik[i, j, ln] = sc_target[i] * g.cls_share[j] * g.cls_mult[j]
    sp = np.empty((P, W))
    for i in range(P):
        for ln in range(W):
            sp[i, ln] = pile_qty[i]
    queue = np.zeros((J, W))
    lic_ok = np.zeros((J, L, W))  # licence decisions due in ring slot s: [j, s, lane]
    lic_no = np.zeros((J, L, W))
    lic_re = np.zeros((J, RR, W))  # denied flow waiting to be re-filed: [j, ring slot, lane]
    ok_l = np.zeros(W)  # one slot's decisions of this step, per lane
    no_l = np.zeros(W)
    wt_l = np.zeros((L, W))  # their processing-time weights when the lanes' measures differ
    carry = np.zeros((pa.lot_seed.shape[1], W))  # whole-application slots' capacity remainders
    lic_tot = np.zeros((J, W))
    due = np.zeros((J, W))  # approved, not yet made and shipped (paper: no material)
    ask = np.empty((K, W))  # what each licensed route asks its origin to make and ship
    valid = np.zeros((J, W), dtype=np.int64)
    quota_left = np.zeros((M, W))
    served = np.ones((M, W))  # share of each quota's requests it can serve this step
    has_quota = False
    for mi in range(M):
        if kind[mi] == QUOTA:
            has_quota = True
    apps = np.zeros((M, W))
    banned = np.zeros((K, W), dtype=np.bool_)
    gov_m = np.full((K, W), -1, dtype=np.int64)
    gov_e = np.full((K, W), -1, dtype=np.int64)
    plan_m = np.full((K, W), -1, dtype=np.int64)
    plan_e = np.full((K, W), -1, dtype=np.int64)
    ratio = np.zeros((N, C, W))  # share of a node's orders of c that it can ship this step
    act = np.zeros((M, W), dtype=np.bool_)  # measures in force this step
    # reactions (sim/reactions.py): overrides, first steps in and out of force, triggers
    rx_on = g.rx_on
    R = g.rx_when.shape[0]
    ovr = np.full((M, W), -1, dtype=np.int8)
    began = np.full((M, W), -1, dtype=np.int64)
    ended = np.full((M, W), -1, dtype=np.int64)
    was_on = np.zeros((M, W), dtype=np.bool_)
    fired = np.full((R, W), -1, dtype=np.int64)
    done = np.zeros((R, W), dtype=np.bool_)
    lost = np.zeros((R, revenue_ring_length(g), W))  # revenue lost per step (revenue triggers)
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
    exp_l = np.zeros((C, W))  # this step's exports by commodity (lane-major)
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
    # regimes in force before step 0 start with their pipelines (sim/warm.py)
    for j in range(J):
        k = slot_route[j]
        for ln in range(W):
            d = draws[ln]
            mi = -1
            e = -1
            barred = False
            for pos in range(rm_ptr[k], rm_ptr[k + 1]):
                mx = rm_measure[pos]
                if active[d, mx, 0]:
                    if kind[mx] == BAN:
                        barred = True
                    elif kind[mx] == LICENCE:
                        mi = mx
                        e = rm_pair[pos]
            if mi < 0 or barred or warm[d, mi] <= 0:
                continue
            put = warm_rings_jit(kernel[d, mi], warm[d, mi], route_base[k] * pair_share[e],
                                 approve[d, e], refile[d, e], refile_steps[mi], max_factor,
                                 lic_ok[j, :, ln], lic_no[j, :, ln], lic_re[j, :, ln])
            lic_tot[j, ln] += put  # applications (paper): no material in the rings
    # Per-lane parameters copied lane-major once, so that the weekly loop reads them without
    # going through draws[ln]: review capacity, approval shares, processing-time kernels (with
    # their non-zero span: the licence phase spreads decisions over these lags only, the
    # others have weight 0 and add nothing) and mean lead times.
    E = pair_share.shape[0]
    cap_l = np.zeros((M, W))
    lead_l = np.zeros((M, W))
    appr_l = np.zeros((E, W))
    refl_l = np.zeros((E, W))
    kern_l = np.zeros((M, L, W))
    lag_lo = np.zeros((M, W), dtype=np.int64)
    lag_hi = np.zeros((M, W), dtype=np.int64)
    for ln in range(W):
        d = draws[ln]
        for e in range(E):
            appr_l[e, ln] = approve[d, e]
            refl_l[e, ln] = refile[d, e]
        for mi in range(M):
            cap_l[mi, ln] = capacity[d, mi]
            lead_l[mi, ln] = lead[d, mi]
            load_processing(kernel[d, mi], mi, ln, kern_l, lag_lo, lag_hi)
    odds_l = np.zeros((E, W))  # what importers expect of their applications (route_orders)
    elead_l = np.zeros((E, W))
    for ln in range(W):
        for mi in range(M):
            expected_terms_jit(mi, ln, g.pair_ptr, refile_steps, appr_l, refl_l, lead_l, odds_l,
                               elead_l)
    # Each allocation request's constant part (target + one step's need).
    sc_want = np.empty(SC)
    for i in range(SC):
        sc_want[i] = sc_target[i] + sc_need[i]

    # ---- market state (zero-size without markets) and the state the market phases share
    ms = market_init(draws, g, mg, pa, sc_want)
    fs = FlowState(
        inv_in=inv_in, inv_out=inv_out, dem=dem, pool=pool, si=si, sik=sik, req=np.zeros(sik.shape),
        sp=sp, rec=rec,
        in_transit=in_transit, orders=orders, lic_tot=lic_tot, due=due, banned=banned, gov_m=gov_m,
        gov_e=gov_e, plan_m=plan_m, plan_e=plan_e, valid=valid, appr_l=appr_l, lead_l=lead_l,
        refl_l=refl_l, odds_l=odds_l, elead_l=elead_l,
        used=used, produced=produced,
        consumed=consumed, scal=scal, first_stop=first_stop, made=np.zeros((S, W)), vec=vec,
        vec2=vec2, fac=fac,
        mrec=mrec, msum_b=msum_b, price_bin=price_bin, pmin_b=pmin_b, pmax_b=pmax_b,
        ratio=ratio)

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
        s0 = t % L  # the licence ring's slot of the decisions due this step (phases 3 and 4)
        # ---- 1. policies
        if M > 0:
            if quota_reset[t]:
                for mi in range(M):
                    for ln in range(W):
                        quota_left[mi, ln] = 0.0
            for mi in range(M):
                for ln in range(W):
                    act[mi, ln] = active[draws[ln], mi, t]
            if rx_on:
                react(t, draws, mkt, g, pa, fs, ms, act, ovr, began, ended, was_on, fired,
                      done, kern_l, lag_lo, lag_hi, lost)
            for mi in range(M):
                if kind[mi] == QUOTA:
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
                    plan_m[k, ln] = -1
                    plan_e[k, ln] = -1
                for pos in range(rm_ptr[k], rm_ptr[k + 1]):
                    mi = rm_measure[pos]
                    if kind[mi] == BAN:  # (the measure's kind out of the lane loop)
                        for ln in range(W):
                            if act[mi, ln]:
                                banned[k, ln] = True
                    elif kind[mi] == LICENCE:
                        e = rm_pair[pos]
                        for ln in range(W):
                            if act[mi, ln]:
                                gov_m[k, ln] = mi
                                gov_e[k, ln] = e
                            elif announced[draws[ln], mi, t]:
                                plan_m[k, ln] = mi
                                plan_e[k, ln] = e
            for j in range(J):
                for ln in range(W):
                    if valid[j, ln] > 0:
                        valid[j, ln] -= 1
        if mkt:  # the export tax in force on each commodity (largest active tax)
            market_tax(draws, g, act, mg, ms)
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
            if dn >= 0:  # (two loops: no branch in the lane loop)
                for ln in range(W):
                    amount = pipe[slot, ln]
                    pipe[slot, ln] = 0.0
                    in_transit[k, ln] -= amount
                    inv_in[dn, c, ln] += amount
            else:
                for ln in range(W):
                    amount = pipe[slot, ln]
                    pipe[slot, ln] = 0.0
                    in_transit[k, ln] -= amount
                    pool[b, ln] += amount
        # ---- 3. production (pull: what the routes order, within capacity and input stock)
        for k in live_k:  # what the routes ask of each node and commodity, in route order
            n = route_origin[k]
            c = route_c[k]
            j = route_slot[k]
            if j >= 0:  # a licensed route asks for what is approved (docs/model.md, "Licensing")
                for ln in range(W):
                    ask[k, ln] = route_ask_jit(orders[k, ln], due[j, ln] + lic_ok[j, s0, ln],
                                               banned[k, ln], gov_e[k, ln], valid[j, ln],
                                               pair_share)
            asked = ask if j >= 0 else orders  # the others ask their orders (not copied)
            if first_k[k]:
                for ln in range(W):
                    dem[n, c, ln] = asked[k, ln]
            else:
                for ln in range(W):
                    dem[n, c, ln] += asked[k, ln]
        produce(g, mg, ms, fs)
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
            asked = ask if route_slot[k] >= 0 else orders
            for ln in range(W):
                sent[k, ln] = asked[k, ln] * ratio[n, c, ln]
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
                j = route_slot[k]
                for pos in range(rm_ptr[k], rm_ptr[k + 1]):
                    mi = rm_measure[pos]
                    if kind[mi] == QUOTA:
                        for ln in range(W):
                            if act[mi, ln]:
                                x = sent[k, ln]
                                if j >= 0 and not banned[k, ln]:  # filed now, not approved
                                    pship, a = ship_split_jit(
                                        x, due[j, ln] + lic_ok[j, s0, ln],
                                        ratio[route_origin[k], route_c[k], ln], orders[k, ln],
                                        gov_e[k, ln], valid[j, ln], pair_share)
                                    x = x - pship + a
                                served[mi, ln] += x
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
                refused = 0.0  # applications a quota refuses (paper)
                pship = 0.0  # approved tonnes shipped now (a quota counted them when filed)
                a = 0.0  # the licensed share of the order, filed now
                if j >= 0 and not banned[k, ln]:
                    pship, a = ship_split_jit(x, due[j, ln] + lic_ok[j, s0, ln], ratio[n, c, ln],
                                              orders[k, ln], gov_e[k, ln], valid[j, ln],
                                              pair_share)
                    x -= pship
                for pos in range(rm_ptr[k], rm_ptr[k + 1]):
                    mi = rm_measure[pos]
                    if kind[mi] == QUOTA and act[mi, ln]:
                        allowed = x * served[mi, ln]
                        quota_left[mi, ln] = max(0.0, quota_left[mi, ln] - allowed)
                        held += x - allowed
                        x = allowed
                        if a > 0.0:
                            filed = a * served[mi, ln]
                            quota_left[mi, ln] = max(0.0, quota_left[mi, ln] - filed)
                            refused += a - filed
                            a = filed
                if banned[k, ln]:
                    held += x
                    x = 0.0
                elif j >= 0:  # (due is below 0 until this step's approvals join, phase 4b)
                    due[j, ln] -= pship
                    x += pship
                    if gov_m[k, ln] >= 0:
                        if valid[j, ln] == 0:
                            queue[j, ln] += a
                            lic_tot[j, ln] += a
                            rec[o_app + j, ln] += a
                    elif queue[j, ln] > 0:  # control lifted: pending applications are due
                        due[j, ln] += queue[j, ln]
                        lic_tot[j, ln] -= queue[j, ln]
                        queue[j, ln] = 0.0
                inv_out[n, c, ln] += held
                rec[o_held + k, ln] += held + refused
                pipe[slot, ln] += x
                in_transit[k, ln] += x
                rec[o_exp + k, ln] += x
        if J > 0:
            _licensing(t, draws, g, pa, fs, queue, lic_ok, lic_no, lic_re, apps, ok_l, no_l, wt_l,
                       kern_l, cap_l, lag_lo, lag_hi, carry)
        # ---- 5. allocation to sectors: priority classes, then pro rata (requests from the
        # pairs' current need and target: the base ones without the market phase)
        allocate(g, ms, fs)
        # ---- 6. consumption (Leontief), lost output and stoppages
        consume(t, g, mg, ms, fs)
        # ---- 7. reorder to the target inventory position (docs/design.md, section Engine)
        reorder(g, mg, ms, fs)
        # ---- 8. markets and responses (docs/model.md, "Where each kernel runs")
        if mkt:
            markets(t, n_live, g, mg, ms, fs)
        # ---- 9. stockpiles (the price trigger is off without markets)
        stockpiles(g, mg, ms, fs, act)
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
        if rx_on:  # the revenue triggers' lost revenue of this step (read from the next)
            revenue_lost(t, mkt, g, fs, ms, lost)
        # block sums: each element summed in draw order within the block, over the record's
        # parts that can be non-zero
        sums_t = block_sum_b[t]
        for r in range(sum_ranges.shape[0]):
            add_lanes(rec, sum_ranges[r, 0], sum_ranges[r, 1], n_live, sums_t)
        for ln in range(n_live):
            if keep[ln] >= 0:
                for f in range(F):
                    traj[keep[ln], t, f] = rec[f, ln]
        for c in range(C):  # summed lane-major in route order, then written draw-major once
            for ln in range(W):
                exp_l[c, ln] = 0.0
        for k in range(K):
            ck = export_c[k]
            if ck >= 0:
                for ln in range(W):
                    exp_l[ck, ln] += rec[o_exp + k, ln]
        for ln in range(n_live):
            for c in range(C):
                exp_out[t, ln, c] += exp_l[c, ln]
        if mkt:  # the market record (spigot.sim.build.model.MarketLayout), its sums and the bins
            market_record(t, n_live, g, mg, ms, fs)

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
    for ln in range(n_live):
        for r in range(R):
            fired_out[ln, r] = fired[r, ln]
        for s in range(S):
            for x in range(3):
                sector_scalars[ln, x, s] = scal[x, s, ln]
            first_stop_out[ln, s] = first_stop[s, ln]
        for f in range(RB):
            short_out[ln, f] = short_tot[f, ln]
        recyc_tot = ms.recyc_tot  # recycling is a source (0 without markets)
        for c in range(C):
            resid_out[ln, c] = initial[c, ln] + produced[c, ln] + recyc_tot[c, ln] \
                - used[c, ln] - consumed[c, ln] - final[c, ln]
            thru_out[ln, c] = initial[c, ln] + produced[c, ln] + recyc_tot[c, ln] \
                + used[c, ln] + consumed[c, ln]
        if mkt:
            restart_at = ms.restart_at
            for c in range(C):
                recyc_out[ln, c] = recyc_tot[c, ln]
            for n in range(N):
                ra = restart_at[n, ln]
                restart_out[ln, n] = ra if ra < T else -1


@inner
def _licensing(t: int, draws: np.ndarray, g: ModelArrays, pa: PolicyArrays, fs: FlowState,
               queue: np.ndarray, lic_ok: np.ndarray, lic_no: np.ndarray, lic_re: np.ndarray,
               apps: np.ndarray, ok_l: np.ndarray, no_l: np.ndarray, wt_l: np.ndarray,
               kern_l: np.ndarray, cap_l: np.ndarray, lag_lo: np.ndarray, lag_hi: np.ndarray,
               carry: np.ndarray) -> None:
    """Phase 4b, the licence office (routes with a licence slot): re-filed flow rejoins the
    queue, each measure reviews up to its capacity pro rata over its queues, decisions are
    spread over the processing-time kernel's lags, and the decisions due this step join the
    route's approved backlog ``fs.due`` (approved: the plant makes and ships them) or wait to be
    filed again (denied at non-zero odds); the rest of the denied, and all decisions on a banned
    route, are dropped. Applications are paper: no material moves here.

    A route whose governing pair decides whole applications (``g.pair_lots``) is decided by
    :mod:`spigot.sim.applications` (``carry`` (A, W): each whole-application slot's rounding
    remainder of its share of the review capacity).

    ``queue``, ``lic_ok``, ``lic_no``, ``lic_re``: the licence state of :func:`_run_block`;
    ``apps``, ``ok_l``, ``no_l``, ``wt_l``: scratch; ``kern_l``, ``cap_l``, ``lag_lo``,
    ``lag_hi``: the per-lane kernels, capacities and kernel spans.
    """
    slot_route = g.slot_route
    pair_ship_t, refile_steps, validity_steps = g.pair_ship_t, g.refile_steps, g.validity_steps
    pair_lots, lot_slot = g.pair_lots, g.lot_slot
    RR, L = g.n_refile, g.n_lags
    o_app, o_ok, o_no = g.o_licence_applications, g.o_licence_approved, g.o_licence_denied
    o_held = g.o_held
    refile = pa.refile
    gov_m, gov_e, banned, appr_l = fs.gov_m, fs.gov_e, fs.banned, fs.appr_l
    lic_tot, due, rec, valid = fs.lic_tot, fs.due, fs.rec, fs.valid
    M = g.kind.shape[0]
    J = slot_route.shape[0]
    W = ok_l.shape[0]
    r0 = t % RR  # denied flow whose re-filing lag ends now joins the queue again
    for j in range(J):
        for ln in range(W):
            again = lic_re[j, r0, ln]
            if again > 0.0:
                lic_re[j, r0, ln] = 0.0
                queue[j, ln] += again
                rec[o_app + j, ln] += again
    for mi in range(M):
        for ln in range(W):
            apps[mi, ln] = 0.0
    for j in range(J):
        k = slot_route[j]
        for ln in range(W):
            if gov_m[k, ln] >= 0 and not banned[k, ln]:
                e = gov_e[k, ln]
                apps[gov_m[k, ln], ln] += (whole_in_queue_jit(queue[j, ln], pair_ship_t[e])
                                           if pair_lots[e] else queue[j, ln] / pair_ship_t[e])
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
            e = gov_e[k, ln]
            if pair_lots[e]:  # whole applications (sim/applications.py), into the rings
                a = lot_slot[j]
                n_dec, carry[a, ln] = office_count_jit(
                    whole_in_queue_jit(queue[j, ln], pair_ship_t[e]), apps[mi, ln], cap,
                    carry[a, ln])
                if n_dec > 0:
                    decided = min(queue[j, ln], n_dec * pair_ship_t[e])
                    queue[j, ln] -= decided
                    decide_whole(pa.lot_seed[draws[ln], a, t], n_dec, decided / n_dec,
                                 appr_l[e, ln], kern_l[mi, :, ln], lag_lo[mi, ln],
                                 lag_hi[mi, ln], s0, lic_ok[j, :, ln], lic_no[j, :, ln])
                ok_l[ln] = 0.0
                no_l[ln] = 0.0
                continue
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
        for ln in range(W):
            ok = lic_ok[j, s0, ln]
            no = lic_no[j, s0, ln]
            lic_ok[j, s0, ln] = 0.0
            lic_no[j, s0, ln] = 0.0
            rec[o_ok + j, ln] += ok
            rec[o_no + j, ln] += no
            if banned[k, ln]:
                lic_tot[j, ln] -= ok + no
                rec[o_held + k, ln] += ok + no
            else:
                # what was denied at non-zero odds waits to be filed again; the rest is
                # dropped (never made); approved tonnes are due from the exporter
                mi = gov_m[k, ln]
                again = 0.0
                if no > 0.0 and mi >= 0 and refile_steps[mi] > 0:
                    again = no * refile[draws[ln], gov_e[k, ln]]
                    lic_re[j, (t + refile_steps[mi]) % RR, ln] += again
                lic_tot[j, ln] -= ok + no - again
                rec[o_held + k, ln] += no - again
                due[j, ln] = max(0.0, due[j, ln] + ok)
                if ok > 0 and mi >= 0 and validity_steps[mi] > 0:
                    valid[j, ln] = validity_steps[mi]


@inner
def _lane_width(size: int) -> int:
    """Lanes for a block of ``size`` draws: all of them up to :data:`LANES`, rounded up to
    :data:`LANE_STEP` (a short block does not simulate 64 lanes for a few draws)."""
    return min(LANES, (size + LANE_STEP - 1) // LANE_STEP * LANE_STEP)


def run_chunk_numba(m: SimModel, p: BlockParams, block_ptr: np.ndarray, keep: np.ndarray,
                    out: dict[str, np.ndarray]) -> None:
    """Run the draws of one chunk with the compiled kernel, filling ``out`` (see the reference)."""
    mf = m.market.layout.size if m.market is not None else 0
    args = (model_arrays(m), policy_arrays(p), block_ptr, keep, int(m.layout.size),
            out["block_sum"], out["traj"], out["sector_scalars"], out["first_stop"],
            out["shortfall_total"], out["residual"], out["throughput"], market_pack(m), mf,
            out["market_sum"], out["price_bin"], out["price_min"], out["price_max"],
            out["restart_step"], out["recycled_total"], out["export_draw"],
            int(out["draw_offset"]), out["reaction_fired"])
    n_blocks = block_ptr.shape[0] - 1
    if n_blocks and int(np.diff(block_ptr).max()) > LANES:
        raise ValueError(f"blocks of more than {LANES} draws (the engine's lane width)")
    threads = min(nb.get_num_threads(), n_blocks)
    if threads <= 1:
        for b in range(n_blocks):
            _run_block(b, *args)
        return
    pool = ThreadPoolExecutor(max_workers=threads)
    try:  # list() re-raises the first error of any block
        list(pool.map(lambda b: _run_block(b, *args), range(n_blocks)))
    finally:  # on an error or Ctrl-C, blocks not yet started are dropped, running ones finish
        pool.shutdown(wait=True, cancel_futures=True)
