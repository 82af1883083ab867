"""The reference engine: the model's weekly rules in plain Python, written to be read.

It is slow (Python loops over every route, buffer and sector, one draw after another) and serves
as the specification the numba kernel (:mod:`spigot.sim.kernel`) is tested against. Each step is
a sequence of phases, each a method of :class:`_Draw`:

1. policies: which measure governs each route this step;
2. arrivals: shipments whose transit ends are delivered to their buffer;
3. production: nodes produce what their routes ask for, within capacity and input stock;
4. shipping and licensing: output is shared over routes in proportion to their orders; bans and
   quotas hold material back in the exporter's stock; licensed flow queues for review, waits its
   processing time in a delay kernel, and is approved (shipped) or denied (back to the exporter);
5. allocation: each region's arrivals go to its sectors by priority class, then pro rata;
6. consumption: sectors make what their scarcest input allows (Leontief) and record lost output;
7. reorder: every buffer orders from its routes to bring its inventory position to target;
8. (markets and responses: a later phase);
9. stockpiles release by their rule.
"""

# ruff: noqa: N806 - sizes are named as in the docs (N nodes, C commodities, ...)
from __future__ import annotations

import numpy as np
import numpy.typing as npt

from spigot.policy.plan import BAN, LICENCE, QUOTA, BlockParams
from spigot.sim.model import MAX_ORDER_FACTOR, SimModel

__all__ = ["run_chunk_reference"]

FloatArray = npt.NDArray[np.float64]


class _Draw:
    """The state of one draw and the rules that move it one step."""

    def __init__(self, m: SimModel, p: BlockParams, d: int) -> None:
        self.m, self.p, self.d = m, p, d
        net = m.net
        C = len(net.commodities)
        L = m.plan.kernel_steps
        self.I = m.node_in0.copy()  # node input stocks (N, C)
        self.O = np.zeros_like(m.node_in0)  # node output stocks (N, C)
        self.pipes = [[float(m.route_base[k])] * int(m.route_transit[k])
                      for k in range(len(m.route_base))]
        self.pool = np.zeros(m.n_buffers)  # region pools (used for region buffers only)
        self.SI = m.sc_target.copy()  # sector inventories per sector-commodity pair
        self.SP = m.pile_qty.copy()  # stockpiles
        n_slots = m.plan.n_slots
        self.queue = np.zeros(n_slots)
        self.lic_ok = np.zeros((n_slots, L))
        self.lic_no = np.zeros((n_slots, L))
        self.valid = np.zeros(n_slots, dtype=np.int64)
        self.quota_left = np.zeros(len(m.plan.ids))
        self.orders = m.route_base.copy()
        self.produced = np.zeros(C)
        self.used_in_recipes = np.zeros(C)
        self.consumed = np.zeros(C)
        self.initial = self.totals()

    # ------------------------------------------------------------------ accounting
    def totals(self) -> FloatArray:
        """t of each commodity held anywhere in the system."""
        m = self.m
        C = len(m.net.commodities)
        out = np.zeros(C)
        for n in range(self.I.shape[0]):
            for c in range(C):
                out[c] += self.I[n, c] + self.O[n, c]
        for k, pipe in enumerate(self.pipes):
            out[m.route_c[k]] += sum(pipe)
        for b in range(m.n_buffers):
            out[m.buf_c[b]] += self.pool[b]
        for i, c in enumerate(m.sc_c):
            out[c] += self.SI[i]
        for i, c in enumerate(m.net.stock_commodity):
            out[c] += self.SP[i]
        for j, k in enumerate(m.plan.slot_route):
            out[m.route_c[k]] += self.queue[j] + self.lic_ok[j].sum() + self.lic_no[j].sum()
        return out

    # ------------------------------------------------------------------ phases
    def policies(self, t: int) -> None:
        m, p, d = self.m, self.p, self.d
        plan = m.plan
        K = len(m.route_base)
        self.banned = [False] * K
        self.gov_measure = [-1] * K
        self.gov_pair = [-1] * K
        self.quotas: list[list[int]] = [[] for _ in range(K)]
        if plan.quota_reset[t]:
            self.quota_left[:] = 0.0
        for mi in range(len(plan.ids)):
            if plan.kind[mi] == QUOTA and p.active[d, mi, t]:
                self.quota_left[mi] += p.quota[d, mi]
        for k in range(K):
            for pos in range(plan.rm_ptr[k], plan.rm_ptr[k + 1]):
                mi = int(plan.rm_measure[pos])
                if not p.active[d, mi, t]:
                    continue
                if plan.kind[mi] == BAN:
                    self.banned[k] = True
                elif plan.kind[mi] == LICENCE:
                    self.gov_measure[k] = mi
                    self.gov_pair[k] = int(plan.rm_pair[pos])
                elif plan.kind[mi] == QUOTA:
                    self.quotas[k].append(mi)
        for j in range(len(self.valid)):
            if self.valid[j] > 0:
                self.valid[j] -= 1

    def arrivals(self, t: int) -> None:
        m = self.m
        for k, pipe in enumerate(self.pipes):
            slot = t % len(pipe)
            amount = pipe[slot]
            pipe[slot] = 0.0
            if m.route_dest_node[k] >= 0:
                self.I[m.route_dest_node[k], m.route_c[k]] += amount
            else:
                self.pool[m.route_buf[k]] += amount

    def route_orders_by_origin(self) -> FloatArray:
        m = self.m
        D = np.zeros_like(self.O)
        for k in range(len(self.orders)):
            D[m.route_origin[k], m.route_c[k]] += self.orders[k]
        return D

    def production(self) -> None:
        m = self.m
        D = self.route_orders_by_origin()
        for n in range(len(m.node_cap)):
            if m.node_cap[n] <= 0:
                continue
            wanted = 0.0
            for c in m.out_c[m.out_ptr[n]:m.out_ptr[n + 1]]:
                if m.recipe_out[n, c] > 0:
                    wanted = max(wanted, (D[n, c] - self.O[n, c]) / m.recipe_out[n, c])
            activity = min(m.node_cap[n], wanted)
            for c in m.in_c[m.in_ptr[n]:m.in_ptr[n + 1]]:
                if m.recipe_in[n, c] > 0:
                    activity = min(activity, self.I[n, c] / m.recipe_in[n, c])
            activity = max(activity, 0.0)
            for c in m.in_c[m.in_ptr[n]:m.in_ptr[n + 1]]:
                self.I[n, c] -= activity * m.recipe_in[n, c]
                self.used_in_recipes[c] += activity * m.recipe_in[n, c]
            for c in m.out_c[m.out_ptr[n]:m.out_ptr[n + 1]]:
                self.O[n, c] += activity * m.recipe_out[n, c]
                self.produced[c] += activity * m.recipe_out[n, c]

    def ship(self, t: int, rec: FloatArray) -> None:
        m, p, d = self.m, self.p, self.d
        plan, lay = m.plan, m.layout
        K = len(self.orders)
        D = self.route_orders_by_origin()
        sent = np.zeros(K)
        for k in range(K):
            n, c = m.route_origin[k], m.route_c[k]
            if D[n, c] > 0:
                sent[k] = self.orders[k] * min(1.0, self.O[n, c] / D[n, c])
        for k in range(K):
            self.O[m.route_origin[k], m.route_c[k]] -= sent[k]
        for k in range(K):
            n, c = m.route_origin[k], m.route_c[k]
            x = sent[k]
            held = 0.0
            for mi in self.quotas[k]:
                allowed = min(x, self.quota_left[mi])
                self.quota_left[mi] -= allowed
                held += x - allowed
                x = allowed
            j = plan.route_slot[k]
            if self.banned[k]:
                held += x
                x = 0.0
            elif self.gov_measure[k] >= 0:
                e = self.gov_pair[k]
                licensed = x * plan.pair_share[e]
                if self.valid[j] > 0:
                    licensed = 0.0
                x -= licensed
                self.queue[j] += licensed
                rec[lay.start("licence_applications") + j] += licensed
            elif j >= 0 and self.queue[j] > 0:  # control lifted: pending applications ship
                x += self.queue[j]
                self.queue[j] = 0.0
            self.O[n, c] += held
            rec[lay.start("held") + k] += held
            self.pipes[k][t % len(self.pipes[k])] += x
            rec[lay.start("exports") + k] += x
        # review: each licence decides at most its capacity of applications this step
        M = len(plan.ids)
        apps = np.zeros(M)
        for j, k in enumerate(plan.slot_route):
            mi = self.gov_measure[k]
            if mi >= 0 and not self.banned[k]:
                apps[mi] += self.queue[j] / plan.pair_ship_t[self.gov_pair[k]]
        L = plan.kernel_steps
        for j, k in enumerate(plan.slot_route):
            mi = self.gov_measure[k]
            if mi < 0 or self.banned[k]:
                continue
            cap = p.capacity[d, mi]
            share = 1.0 if apps[mi] <= cap else cap / apps[mi]
            decided = self.queue[j] * share
            self.queue[j] -= decided
            ok = decided * p.approve[d, self.gov_pair[k]]
            no = decided - ok
            for lag in range(L):
                w = p.kernel[d, mi, lag]
                if w > 0:
                    self.lic_ok[j, (t + lag) % L] += ok * w
                    self.lic_no[j, (t + lag) % L] += no * w
        # decisions that fall due: approved flow ships, denied flow returns to the exporter
        for j, k in enumerate(plan.slot_route):
            n, c = m.route_origin[k], m.route_c[k]
            s = t % L
            ok, no = self.lic_ok[j, s], self.lic_no[j, s]
            self.lic_ok[j, s] = 0.0
            self.lic_no[j, s] = 0.0
            rec[lay.start("licence_approved") + j] += ok
            rec[lay.start("licence_denied") + j] += no
            if self.banned[k]:
                self.O[n, c] += ok + no
                rec[lay.start("held") + k] += ok + no
            else:
                self.O[n, c] += no
                rec[lay.start("held") + k] += no
                self.pipes[k][t % len(self.pipes[k])] += ok
                rec[lay.start("exports") + k] += ok
                mi = self.gov_measure[k]
                if ok > 0 and mi >= 0 and plan.validity_steps[mi] > 0:
                    self.valid[j] = plan.validity_steps[mi]

    def allocate(self) -> None:
        m = self.m
        for b in range(m.rbuf0, m.n_buffers):
            pairs = list(m.buf_sc[m.buf_sc_ptr[b]:m.buf_sc_ptr[b + 1]])
            available = self.pool[b]
            i = 0
            while i < len(pairs):
                group = [q for q in pairs[i:] if m.sc_priority[q] == m.sc_priority[pairs[i]]]
                i += len(group)
                requests = [max(0.0, m.sc_target[q] + m.sc_need[q] - self.SI[q]) for q in group]
                total = sum(requests)
                if total <= 0:
                    continue
                if available >= total:
                    for q, r in zip(group, requests, strict=True):
                        self.SI[q] += r
                    available -= total
                else:
                    share = available / total
                    for q, r in zip(group, requests, strict=True):
                        self.SI[q] += r * share
                    available = 0.0
            self.pool[b] = available

    def consume(self, t: int, rec: FloatArray, scal: FloatArray, first_stop: list[int]) -> None:
        m = self.m
        lay = m.layout
        for s in range(len(m.sector_output)):
            pairs = m.sec_sc[m.sec_ptr[s]:m.sec_ptr[s + 1]]
            u = 1.0
            for q in pairs:
                u = min(u, self.SI[q] / m.sc_need[q])
            for q in pairs:
                rec[lay.start("shortfall") + m.sc_rbuf[q]] += max(0.0, m.sc_need[q] - self.SI[q])
                self.SI[q] -= u * m.sc_need[q]
                self.consumed[m.sc_c[q]] += u * m.sc_need[q]
            lost = (1.0 - u) * m.sector_output[s]
            rec[lay.start("lost_units") + s] += lost
            scal[0, s] += lost
            scal[1, s] += lost * m.sector_value[s]
            if u < m.stop_below:
                rec[lay.start("stopped") + s] = 1.0
                scal[2, s] += 1.0
                if first_stop[s] < 0:
                    first_stop[s] = t

    def reorder(self) -> None:
        """Each route orders its base flow times a factor that closes the buffer's gap.

        The buffer's position is what it has on hand plus what is in transit to it. A licensed
        route also counts the expected approvals of its own pending applications (approval
        share x queue and pipeline) and plans for the regime's mean delay (its target grows by
        its covered base flow times the mean processing time); other routes into the buffer do
        not see the licence pipeline, so a regime never changes what they are asked for except
        through what actually arrives.
        """
        m, p, d = self.m, self.p, self.d
        plan = m.plan
        for b in range(m.n_buffers):
            if m.buf_is_region[b]:
                pairs = m.buf_sc[m.buf_sc_ptr[b]:m.buf_sc_ptr[b + 1]]
                on_hand = self.pool[b] + sum(self.SI[q] for q in pairs)
            else:
                on_hand = self.I[m.buf_place[b], m.buf_c[b]]
            routes = m.buf_rt[m.buf_rt_ptr[b]:m.buf_rt_ptr[b + 1]]
            in_transit = sum(sum(self.pipes[k]) for k in routes)
            for k in routes:
                position = on_hand + in_transit
                target = m.buf_target_pos[b]
                j, mi, e = plan.route_slot[k], self.gov_measure[k], self.gov_pair[k]
                if j >= 0 and not self.banned[k]:
                    pending = self.queue[j] + self.lic_ok[j].sum() + self.lic_no[j].sum()
                    if mi >= 0:
                        position += p.approve[d, e] * pending
                        if self.valid[j] == 0:
                            target += m.route_base[k] * plan.pair_share[e] * p.lead[d, mi]
                    else:
                        position += pending
                if m.buf_inflow[b] > 0:
                    factor = min(MAX_ORDER_FACTOR, max(
                        0.0, 1.0 + (target - position) / (m.buf_inflow[b] * m.buf_adjust[b])))
                else:
                    factor = 0.0
                self.orders[k] = m.route_base[k] * factor

    def stockpiles(self) -> None:
        m = self.m
        for i in range(len(self.SP)):
            b = m.pile_buf[i]
            if b < 0 or self.SP[i] <= 0:
                continue
            pairs = m.buf_sc[m.buf_sc_ptr[b]:m.buf_sc_ptr[b + 1]]
            on_hand = self.pool[b] + sum(self.SI[q] for q in pairs)
            if on_hand / m.buf_use[b] < m.pile_cover[i]:
                release = min(m.pile_max[i], self.SP[i])
                self.SP[i] -= release
                self.pool[b] += release

    def record_stocks(self, rec: FloatArray) -> None:
        m = self.m
        lay = m.layout
        for b in range(m.rbuf0, m.n_buffers):
            pairs = m.buf_sc[m.buf_sc_ptr[b]:m.buf_sc_ptr[b + 1]]
            rec[lay.start("sector_stock") + b - m.rbuf0] = self.pool[b] + sum(
                self.SI[q] for q in pairs)
        for n in range(len(m.node_cap)):
            for c in m.in_c[m.in_ptr[n]:m.in_ptr[n + 1]]:
                rec[lay.start("producer_stock") + m.node_npair[n, c]] += self.I[n, c]
            for c in m.out_c[m.out_ptr[n]:m.out_ptr[n + 1]]:
                rec[lay.start("producer_stock") + m.node_npair[n, c]] += self.O[n, c]
        for i in range(len(self.SP)):
            rec[lay.start("stockpile") + i] = self.SP[i]
        for j in range(len(self.queue)):
            rec[lay.start("licence_queue") + j] = self.queue[j]
            rec[lay.start("licence_pipeline") + j] = self.lic_ok[j].sum() + self.lic_no[j].sum()


def run_chunk_reference(m: SimModel, p: BlockParams, block_ptr: npt.NDArray[np.int64],
                        keep: npt.NDArray[np.int64], out: dict[str, np.ndarray]) -> None:
    """Run the draws of one chunk with the reference rules, filling ``out`` like the kernel.

    Parameters
    ----------
    m
        The model.
    p
        The chunk's per-draw policy parameters (draws in chunk order).
    block_ptr
        Draw offsets of the chunk's blocks, shape (blocks + 1,).
    keep
        Trajectory slot of each draw, or -1, shape (D,).
    out
        Arrays to fill (see :func:`spigot.sim.engine.allocate_outputs`).
    """
    S = len(m.sector_output)
    for b in range(len(block_ptr) - 1):
        for d in range(block_ptr[b], block_ptr[b + 1]):
            draw = _Draw(m, p, d)
            scal = np.zeros((3, S))
            first_stop = [-1] * S
            shortfall = np.zeros(m.layout.n_rbuf)
            for t in range(m.steps):
                rec = np.zeros(m.layout.size)
                draw.policies(t)
                draw.arrivals(t)
                draw.production()
                draw.ship(t, rec)
                draw.allocate()
                draw.consume(t, rec, scal, first_stop)
                draw.reorder()
                draw.stockpiles()
                draw.record_stocks(rec)
                a, z = m.layout.groups["shortfall"]
                shortfall += rec[a:z]
                out["block_sum"][b, t] += rec
                if keep[d] >= 0:
                    out["traj"][keep[d], t] = rec
            out["sector_scalars"][d] = scal
            out["first_stop"][d] = first_stop
            out["shortfall_total"][d] = shortfall
            final = draw.totals()
            out["residual"][d] = (draw.initial + draw.produced - draw.used_in_recipes
                                  - draw.consumed - final)
            out["throughput"][d] = (draw.initial + draw.produced + draw.used_in_recipes
                                    + draw.consumed)
