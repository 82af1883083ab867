"""The fast engine: the reference rules compiled with numba, vectorised over lanes of draws.

Same phases and the same arithmetic as :mod:`spigot.sim.reference`; the differential tests hold
the two together. The state of :data:`LANES` draws is held side by side (draws on the last axis),
so each rule runs once per route, buffer or sector for all lanes and index work is shared.
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
"""

# ruff: noqa: N803, N806 - sizes are named as in the docs (N nodes, C commodities, ...)
from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np

from spigot.policy.plan import BlockParams
from spigot.sim.model import MAX_ORDER_FACTOR, SimModel

__all__ = ["LANES", "run_chunk_numba"]

#: Draws simulated side by side in one pass of the weekly loop.
LANES = 16
_BAN, _LICENCE, _QUOTA = 1, 0, 2


@nb.njit(cache=True, fastmath=False, error_model="numpy", nogil=True)
def _run_lanes(draws: Any, n_live: int, g: Any, pa: Any, rec: Any, keep: Any, block_sum_b: Any,
               traj: Any, sector_scalars: Any, first_stop_out: Any, short_out: Any,
               resid_out: Any, thru_out: Any) -> None:
    """Simulate the draws ``draws[:LANES]`` side by side; the first ``n_live`` are real."""
    (node_cap, recipe_in, recipe_out, in_ptr, in_c, out_ptr, out_c, node_in0, node_npair,
     route_origin, route_c, route_dest_node, route_base, route_transit, pipe_off, route_buf,
     buf_is_region, buf_place, buf_c, buf_target_pos, buf_inflow, buf_adjust, buf_use,
     buf_rt_ptr, buf_rt, buf_sc_ptr, buf_sc, rbuf0, sc_c, sc_need, sc_target, sc_priority,
     sc_rbuf, sec_ptr, sec_sc, sector_output, sector_value, pile_buf, pile_qty, pile_cover,
     pile_max, pile_c, quota_reset, kind, rm_ptr, rm_measure, rm_pair, pair_share, pair_ship_t,
     route_slot, slot_route, validity_steps, L, T, stop_below, max_factor, offs, live,
     live_k, ctrl_k, free_k, first_k, sum_ranges) = g
    active, approve, kernel, capacity, quota, lead = pa
    o_exp, o_held, o_lost, o_stop, o_short = offs[0], offs[1], offs[2], offs[3], offs[4]
    o_sstock, o_nstock, o_pile, o_app, o_ok = offs[5], offs[6], offs[7], offs[8], offs[9]
    o_no, o_queue, o_pipe = offs[10], offs[11], offs[12]
    W = LANES
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
    lic_ok = np.zeros((J, W, L))  # licence decisions due in ring slot s: [j, lane, s]
    lic_no = np.zeros((J, W, L))
    lic_tot = np.zeros((J, W))
    valid = np.zeros((J, W), dtype=np.int64)
    quota_left = np.zeros((M, W))
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
    kern_l = np.zeros((M, W, L))
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
                kern_l[mi, ln, lag] = w
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
        for n in range(N):
            cap = node_cap[n]
            if cap <= 0:
                continue
            for ln in range(W):
                vec[ln] = 0.0
            for i in range(out_ptr[n], out_ptr[n + 1]):
                c = out_c[i]
                r_out = recipe_out[n, c]
                if r_out > 0:
                    for ln in range(W):
                        vec[ln] = max(vec[ln], (dem[n, c, ln] - inv_out[n, c, ln]) / r_out)
            for ln in range(W):
                vec[ln] = min(cap, vec[ln])
            for i in range(in_ptr[n], in_ptr[n + 1]):
                c = in_c[i]
                r_in = recipe_in[n, c]
                if r_in > 0:
                    for ln in range(W):
                        vec[ln] = min(vec[ln], inv_in[n, c, ln] / r_in)
            for ln in range(W):
                vec[ln] = max(vec[ln], 0.0)
            for i in range(in_ptr[n], in_ptr[n + 1]):
                c = in_c[i]
                r_in = recipe_in[n, c]
                for ln in range(W):
                    inv_in[n, c, ln] -= vec[ln] * r_in
                    used[c, ln] += vec[ln] * r_in
            for i in range(out_ptr[n], out_ptr[n + 1]):
                c = out_c[i]
                r_out = recipe_out[n, c]
                for ln in range(W):
                    inv_out[n, c, ln] += vec[ln] * r_out
                    produced[c, ln] += vec[ln] * r_out
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
                        allowed = min(x, quota_left[mi, ln])
                        quota_left[mi, ln] -= allowed
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
            us0 = np.uint64(s0)
            for j in range(J):
                k = slot_route[j]
                for ln in range(W):
                    mi = gov_m[k, ln]
                    if mi < 0 or banned[k, ln]:
                        continue
                    cap = cap_l[mi, ln]
                    share = 1.0 if apps[mi, ln] <= cap else cap / apps[mi, ln]
                    decided = queue[j, ln] * share
                    queue[j, ln] -= decided
                    ok = decided * appr_l[gov_e[k, ln], ln]
                    no = decided - ok
                    # spread over the kernel's lags: ring slot s0 + lag, in two runs (before
                    # and after the ring wraps); unsigned indices spare numba's negative-index
                    # checks in this innermost loop
                    ulo = np.uint64(lag_lo[mi, ln])
                    uhi = np.uint64(lag_hi[mi, ln])
                    wrap = np.uint64(L - s0)  # first lag that wraps
                    for lag in range(ulo, min(uhi, wrap)):
                        w = kern_l[mi, ln, lag]
                        lic_ok[j, ln, lag + us0] += ok * w
                        lic_no[j, ln, lag + us0] += no * w
                    for lag in range(max(ulo, wrap), uhi):
                        w = kern_l[mi, ln, lag]
                        lic_ok[j, ln, lag - wrap] += ok * w
                        lic_no[j, ln, lag - wrap] += no * w
            for j in range(J):
                k = slot_route[j]
                n = route_origin[k]
                c = route_c[k]
                slot = pipe_off[k] + head[k]
                for ln in range(W):
                    ok = lic_ok[j, ln, s0]
                    no = lic_no[j, ln, s0]
                    lic_ok[j, ln, s0] = 0.0
                    lic_no[j, ln, s0] = 0.0
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
        # ---- 5. allocation to sectors: priority classes, then pro rata
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
                        vec2[ln] += max(0.0, sc_want[q] - si[q, ln])
                    g_end += 1
                for ln in range(W):  # the class's share of its requests (0: it asks nothing)
                    total = vec2[ln]
                    fac[ln] = 1.0 if vec[ln] >= total else vec[ln] / total
                for h in range(i, g_end):
                    q = buf_sc[h]
                    for ln in range(W):
                        if vec2[ln] > 0:
                            si[q, ln] += max(0.0, sc_want[q] - si[q, ln]) * fac[ln]
                for ln in range(W):
                    total = vec2[ln]
                    if total > 0:
                        vec[ln] = vec[ln] - total if vec[ln] >= total else 0.0
                i = g_end
            for ln in range(W):
                pool[b, ln] = vec[ln]
        # ---- 6. consumption (Leontief), lost output and stoppages
        for s in range(S):
            for ln in range(W):
                vec[ln] = 1.0
            for h in range(sec_ptr[s], sec_ptr[s + 1]):
                q = sec_sc[h]
                for ln in range(W):
                    vec[ln] = min(vec[ln], si[q, ln] / sc_need[q])
            for h in range(sec_ptr[s], sec_ptr[s + 1]):
                q = sec_sc[h]
                need = sc_need[q]
                c = sc_c[q]
                r = o_short + sc_rbuf[q]
                for ln in range(W):
                    rec[r, ln] += max(0.0, need - si[q, ln])
                    si[q, ln] -= vec[ln] * need
                    consumed[c, ln] += vec[ln] * need
            out_s = sector_output[s]
            val_s = sector_value[s]
            for ln in range(W):
                lost = (1.0 - vec[ln]) * out_s
                rec[o_lost + s, ln] = lost
                scal[0, s, ln] += lost
                scal[1, s, ln] += lost * val_s
                rec[o_stop + s, ln] = 0.0
                if vec[ln] < stop_below:
                    rec[o_stop + s, ln] = 1.0
                    scal[2, s, ln] += 1.0
                    if first_stop[s, ln] < 0:
                        first_stop[s, ln] = t
        # ---- 7. reorder to the target inventory position (docs/design.md, section Engine)
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
            inflow = buf_inflow[b]
            denom = inflow * buf_adjust[b]
            target = buf_target_pos[b]
            for ln in range(W):  # the buffer's own gap, for its unlicensed routes
                fac[ln] = min(max_factor, max(0.0, 1.0 + (target - vec[ln]) / denom)) \
                    if inflow > 0 else 0.0
            for h in range(buf_rt_ptr[b], buf_rt_ptr[b + 1]):
                k = buf_rt[h]
                if not live[k]:  # its orders stay 0
                    continue
                j = route_slot[k]
                base = route_base[k]
                if j < 0:  # an unlicensed route: the buffer's own gap
                    for ln in range(W):
                        orders[k, ln] = base * fac[ln]
                    continue
                for ln in range(W):
                    position = vec[ln]
                    goal = target
                    if j >= 0 and not banned[k, ln]:
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
        # ---- 8. (markets and responses: issue #4) ---- 9. stockpiles
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
        # parts that can be non-zero, eight elements at a time (eight independent sums)
        for r in range(sum_ranges.shape[0]):
            f = sum_ranges[r, 0]
            f_end = sum_ranges[r, 1]
            while f + 8 <= f_end:
                a0 = block_sum_b[t, f]
                a1 = block_sum_b[t, f + 1]
                a2 = block_sum_b[t, f + 2]
                a3 = block_sum_b[t, f + 3]
                a4 = block_sum_b[t, f + 4]
                a5 = block_sum_b[t, f + 5]
                a6 = block_sum_b[t, f + 6]
                a7 = block_sum_b[t, f + 7]
                for ln in range(n_live):
                    a0 += rec[f, ln]
                    a1 += rec[f + 1, ln]
                    a2 += rec[f + 2, ln]
                    a3 += rec[f + 3, ln]
                    a4 += rec[f + 4, ln]
                    a5 += rec[f + 5, ln]
                    a6 += rec[f + 6, ln]
                    a7 += rec[f + 7, ln]
                block_sum_b[t, f] = a0
                block_sum_b[t, f + 1] = a1
                block_sum_b[t, f + 2] = a2
                block_sum_b[t, f + 3] = a3
                block_sum_b[t, f + 4] = a4
                block_sum_b[t, f + 5] = a5
                block_sum_b[t, f + 6] = a6
                block_sum_b[t, f + 7] = a7
                f += 8
            while f < f_end:
                acc = block_sum_b[t, f]
                for ln in range(n_live):
                    acc += rec[f, ln]
                block_sum_b[t, f] = acc
                f += 1
        for ln in range(n_live):
            if keep[ln] >= 0:
                for f in range(F):
                    traj[keep[ln], t, f] = rec[f, ln]

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
                tot += lic_ok[j, ln, lag]
            for lag in range(L):
                tot += lic_no[j, ln, lag]
            final[c, ln] += tot
    for ln in range(n_live):
        for s in range(S):
            for x in range(3):
                sector_scalars[ln, x, s] = scal[x, s, ln]
            first_stop_out[ln, s] = first_stop[s, ln]
        for f in range(RB):
            short_out[ln, f] = short_tot[f, ln]
        for c in range(C):
            resid_out[ln, c] = initial[c, ln] + produced[c, ln] - used[c, ln] - consumed[c, ln] \
                - final[c, ln]
            thru_out[ln, c] = initial[c, ln] + produced[c, ln] + used[c, ln] + consumed[c, ln]


@nb.njit(cache=True, fastmath=False, error_model="numpy", parallel=True)
def _run_blocks(g: Any, pa: Any, block_ptr: Any, keep: Any, F: int, block_sum: Any, traj: Any,
                sector_scalars: Any, first_stop: Any, short_tot: Any, resid: Any,
                thru: Any) -> None:
    n_blocks = block_ptr.shape[0] - 1
    for b in nb.prange(n_blocks):
        rec = np.zeros((F, LANES))
        draws = np.zeros(LANES, dtype=np.int64)
        kept = np.full(LANES, -1, dtype=np.int64)
        d0 = block_ptr[b]
        while d0 < block_ptr[b + 1]:
            n_live = min(LANES, block_ptr[b + 1] - d0)
            for ln in range(LANES):
                draws[ln] = d0 + min(ln, n_live - 1)  # spare lanes repeat the last draw
                kept[ln] = keep[d0 + ln] if ln < n_live else -1
            _run_lanes(draws, n_live, g, pa, rec, kept, block_sum[b], traj,
                       sector_scalars[d0:d0 + n_live], first_stop[d0:d0 + n_live],
                       short_tot[d0:d0 + n_live], resid[d0:d0 + n_live], thru[d0:d0 + n_live])
            d0 += n_live


def model_tuple(m: SimModel) -> tuple[Any, ...]:
    """The model's arrays as the flat tuple the kernel unpacks."""
    plan = m.plan
    lay = m.layout
    # Routes that can ever carry material: a route with no base flow and no policy keeps zero
    # orders, shipments and transit for ever, so the phases skip it (its record stays 0).
    controlled = (np.diff(plan.rm_ptr) > 0) | (plan.route_slot >= 0)
    live = (m.route_base != 0.0) | controlled
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


def run_chunk_numba(m: SimModel, p: BlockParams, block_ptr: np.ndarray, keep: np.ndarray,
                    out: dict[str, np.ndarray]) -> None:
    """Run the draws of one chunk with the compiled kernel, filling ``out`` (see the reference)."""
    pa = (p.active, p.approve, p.kernel, p.capacity, p.quota, p.lead)
    _run_blocks(model_tuple(m), pa, block_ptr, keep, int(m.layout.size), out["block_sum"],
                out["traj"], out["sector_scalars"], out["first_stop"], out["shortfall_total"],
                out["residual"], out["throughput"])
