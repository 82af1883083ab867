"""The reference engine: the model's weekly rules in plain Python, written to be read.

It is slow (Python loops over every route, buffer and sector, one draw after another) and serves
as the specification the numba kernel (:mod:`spigot.sim.kernel`) is tested against. Each step is
a sequence of phases, each a method of :class:`_Draw` (phase 1b, reactions, in
:mod:`spigot.sim.reference_reactions`; phase 4b's review, in
:mod:`spigot.sim.reference_licensing`; phases 5 and 6, the sectors' plant classes, in
:mod:`spigot.sim.reference_sectors`; phase 8, the market rules, in
:mod:`spigot.sim.reference_market`):

1. policies: which measure governs each route this step;
2. arrivals: shipments whose transit ends are delivered to their buffer;
3. production: nodes produce what their routes ask for, within capacity and input stock;
4. shipping and licensing: output is shared over routes in proportion to their orders; bans and
   quotas hold material back in the exporter's stock; the licensed share of an order is filed as
   an application (paper), waits its processing time in a delay kernel, and is approved (the
   exporter makes and ships it) or denied (never made);
5. allocation: each region's arrivals go to its sectors' plant classes in two rounds (running
   lines and a paced cover rebuild, then the rest), each by priority class, then pro rata;
6. consumption: each plant class makes what its scarcest input allows (Leontief), a sector the
   sum of its classes, and lost output is recorded;
7. reorder: every buffer orders from its routes to bring its inventory position to target;
8. markets and responses (``markets: true``): zone prices from stock cover, substitution, sector
   plans, recycling, capacity of projects and restarts, order weights, safety stocks
   (``docs/model.md``, "Integration for the engine");
9. stockpiles release by their rule.

Without a market phase (``SimModel.market is None``) every market quantity keeps its neutral
value (log prices 0, no reduction, plans 1, multipliers 1, today's capacity and route split)
and the stockpiles release by the same rule with the price trigger off.
"""

# ruff: noqa: N803, N806 - sizes are named as in the docs (N nodes, C commodities, ...)
from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from spigot.market.parameters import KIND_FIXED
from spigot.market.stockpiles import release_step_ref
from spigot.market.supply import (
    NEVER,
    capacity_step_ref,
    margin_step_ref,
    route_weights_step_ref,
)
from spigot.policy.plan import BAN, LICENCE, QUOTA, BlockParams
from spigot.sim.approved import expected_approval, route_ask, ship_split
from spigot.sim.build.model import (
    MAX_ORDER_FACTOR,
    NODE_COVER_WEEKS,
    MarketModel,
    SimModel,
    export_route_commodity,
)
from spigot.sim.reference_licensing import review
from spigot.sim.reference_market import markets, policies_market, price_bins, record_market
from spigot.sim.reference_reactions import reactions, revenue_lost_ref
from spigot.sim.reference_sectors import allocate, consume, share_pool
from spigot.sim.warm import warm_rings

__all__ = ["run_chunk_reference", "share_pool"]

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
        # each plant class's inventory (reference_sectors), t: share x multiple of the target
        self.SIK = m.sc_target[:, None] * m.cls_share[None, :] * m.cls_mult[None, :]
        self.SP = m.pile_qty.copy()  # stockpiles
        n_slots = m.plan.n_slots
        self.queue = np.zeros(n_slots)
        self.lic_ok = np.zeros((n_slots, L))
        self.lic_no = np.zeros((n_slots, L))
        self.lic_re = np.zeros((n_slots, m.plan.refile_ring))  # denied, waiting to be re-filed
        self.due = np.zeros(n_slots)  # approved, not yet made and shipped, t (paper)
        self.valid = np.zeros(n_slots, dtype=np.int64)
        self.carry = np.zeros(m.plan.n_lot_slots)  # capacity remainders
        self.quota_left = np.zeros(len(m.plan.ids))
        self.orders = m.route_base.copy()
        self.ask = m.route_base.copy()  # what each route asks its origin to ship this step
        # the draw's licence parameters, which reactions may change (_apply)
        self.approve = p.approve[d].copy()  # (E,)
        self.kernel = p.kernel[d].copy()  # (M, L)
        self.lead = p.lead[d].copy()  # (M,)
        M, R = len(m.plan.ids), len(m.plan.rx_ids)
        self.act = np.zeros(M, dtype=bool)  # measures in force this step
        self.ovr = np.full(M, -1)  # a reaction's override: -1 none, 0 off, 1 on
        self.began = np.full(M, -1)  # first step in force
        self.ended = np.full(M, -1)  # first step out of force after being in force
        self.was_on = np.zeros(M, dtype=bool)  # in force at the previous step
        self.fired = np.full(R, -1)  # step each reaction's trigger fired
        self.done = np.zeros(R, dtype=bool)  # its action applied
        self.lost = np.zeros((R, m.steps))  # revenue triggers' lost revenue per step, USD
        self.produced = np.zeros(C)
        self.used_in_recipes = np.zeros(C)
        self.consumed = np.zeros(C)
        self.recycled_total = np.zeros(C)
        self._warm_start()
        self.initial = self.totals()
        # market quantities at their neutral values (what a run without a market phase keeps)
        self.mk: MarketModel | None = m.market
        self.cap = m.node_cap.copy()  # usable capacity, t activity per step
        self.need = m.sc_need  # pairs' need this step, t (intensity x plan)
        self.target = m.sc_target  # pairs' target inventory, t
        self.plan_s = np.ones(len(m.sector_output))  # share of planned output wanted
        self.activity = np.asarray(net.node_base_activity, dtype=float).copy()  # planned
        self.lrel = np.zeros((2, C))  # log relative prices (0: base)
        self.destruction = np.zeros(len(m.sector_output))  # (1 - plan) x output, unit/step
        self.released = np.zeros(len(m.pile_qty))  # t released by the stockpiles this step
        if self.mk is not None:
            self._init_market(self.mk, p.start[d])

    def _init_market(self, mk: MarketModel, start: npt.NDArray[np.int64]) -> None:
        """The market state of one draw (``MarketState`` with one lane), at the base state."""
        mp, m = mk.params, self.m
        C = len(m.net.commodities)
        self.reduction = np.zeros(mp.n_uses)
        self.plan = np.ones(len(mp.group_zone))
        self.start = np.asarray(start, dtype=np.int64)
        self.above = np.zeros(len(m.node_cap), dtype=np.int64)
        self.restart_at = np.full(len(m.node_cap), NEVER, dtype=np.int64)
        self.recycled = np.zeros(len(mp.rp_c))
        self.mult = np.ones(len(mp.buf_c))
        self.tax = np.zeros(C)
        self.openness = np.ones(C)
        self.gap_sb = np.zeros(len(mp.buf_c))
        self.fill = np.ones((len(m.node_cap), C))  # share of orders shipped (fill_step)
        self.run = np.full(len(m.node_cap), -1.0)  # joint nodes' smoothed order rate (unset)
        self.joint = np.diff(m.out_ptr) > 1  # several outputs (as _order_rate tests)
        self.ship_D = np.zeros((len(m.node_cap), C))
        self.ship_ratio = np.zeros((len(m.node_cap), C))
        self._capacity(0)
        self.cap_used = self.cap.copy()

    def _capacity(self, t: int) -> None:
        """Capacity of projects and idle nodes at step ``t`` and the routes' order weights."""
        mk, m = self.mk, self.m
        assert mk is not None
        mp = mk.params
        self.cap, self.cap_qual, self.above, self.restart_at = capacity_step_ref(
            t, self.lrel, mp, self.start, self.above, self.restart_at)
        self.margin = margin_step_ref(self.lrel, mp)
        self.weight = route_weights_step_ref(
            self.cap, self.cap_qual, mp.node_base, m.recipe_out, m.route_origin, m.route_c,
            mp.route_to_region, mp.route_base, mp.route_weight, mp.route_responsive,
            self.margin, self.fill)

    def recipe_in(self, n: int, c: int) -> float:
        """t of input ``c`` per t of activity of node ``n`` (after substitution)."""
        mk = self.mk
        if mk is None or mk.node_use[n, c] < 0:
            return float(self.m.recipe_in[n, c])
        return float(self.m.recipe_in[n, c] * (1.0 - self.reduction[mk.node_use[n, c]]))

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
        return out  # applications in licensing are paper: no material

    def _warm_start(self) -> None:
        """Regimes in force before step 0 start with their pipelines (``sim/warm.py``): the
        licence that governs a slot's route at step 0 fills its rings, unless a ban bars it."""
        m, p, d = self.m, self.p, self.d
        plan = m.plan
        for j, k in enumerate(plan.slot_route):
            mi, e, barred = -1, -1, False
            for pos in range(plan.rm_ptr[k], plan.rm_ptr[k + 1]):
                mx = int(plan.rm_measure[pos])
                if p.active[d, mx, 0]:
                    if plan.kind[mx] == BAN:
                        barred = True
                    elif plan.kind[mx] == LICENCE:
                        mi, e = mx, int(plan.rm_pair[pos])
            if mi < 0 or barred or p.warm[d, mi] <= 0:
                continue
            warm_rings(p.kernel[d, mi], int(p.warm[d, mi]),
                       float(m.route_base[k] * plan.pair_share[e]), float(p.approve[d, e]),
                       float(p.refile[d, e]), int(plan.refile_steps[mi]), MAX_ORDER_FACTOR,
                       self.lic_ok[j], self.lic_no[j], self.lic_re[j])

    def _licensing(self, j: int) -> float:
        """t of slot ``j`` applied for in licensing (paper): queued, under review, or denied
        and waiting to be re-filed."""
        return float(self.queue[j] + self.lic_ok[j].sum() + self.lic_no[j].sum()
                     + self.lic_re[j].sum())

    # ------------------------------------------------------------------ phases
    def policies(self, t: int) -> None:
        m, p, d = self.m, self.p, self.d
        plan = m.plan
        reactions(self, t)
        K = len(m.route_base)
        self.banned = [False] * K
        self.gov_measure = [-1] * K
        self.gov_pair = [-1] * K
        self.plan_measure = [-1] * K  # an announced licence not yet in force
        self.plan_pair = [-1] * K
        self.quotas: list[list[int]] = [[] for _ in range(K)]
        if plan.quota_reset[t]:
            self.quota_left[:] = 0.0
        for mi in range(len(plan.ids)):
            if plan.kind[mi] == QUOTA and self.act[mi]:
                self.quota_left[mi] += p.quota[d, mi]
        for k in range(K):
            for pos in range(plan.rm_ptr[k], plan.rm_ptr[k + 1]):
                mi = int(plan.rm_measure[pos])
                if not self.act[mi]:
                    if plan.kind[mi] == LICENCE and p.announced[d, mi, t]:
                        self.plan_measure[k] = mi
                        self.plan_pair[k] = int(plan.rm_pair[pos])
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

    def route_asks(self, t: int) -> None:
        """What each route asks its origin to make and ship this step (:func:`route_ask`): its
        order, except on a route with a licence slot, which asks for the tonnes approved for it
        (its backlog ``due`` and the approvals due this step) and, while filing applications,
        only the share of its order no licence covers."""
        m = self.m
        plan = m.plan
        s = t % plan.kernel_steps
        for k in range(len(self.orders)):
            j = plan.route_slot[k]
            if j < 0:
                self.ask[k] = self.orders[k]
                continue
            self.ask[k] = route_ask(float(self.orders[k]), float(self.due[j] + self.lic_ok[j, s]),
                                    self.banned[k], int(self.gov_pair[k]), int(self.valid[j]),
                                    plan.pair_share)

    def route_orders_by_origin(self) -> FloatArray:
        m = self.m
        D = np.zeros_like(self.O)
        for k in range(len(self.ask)):
            D[m.route_origin[k], m.route_c[k]] += self.ask[k]
        return D

    def production(self, t: int) -> None:
        m = self.m
        self.route_asks(t)
        D = self.route_orders_by_origin()
        mk = self.mk
        for n in range(len(m.node_cap)):
            if mk is not None and mk.params.node_kind[n] != KIND_FIXED:
                self.activity[n] = self._planned_activity(n, D)
            if self.cap[n] <= 0:
                continue
            rate = self._order_rate(n, D[n] - self.O[n])
            if mk is not None and mk.params.node_kind[n] == KIND_FIXED:
                rate = self._smoothed_rate(n, D[n], rate)
                rate *= self.margin[n]  # an operating plant runs what its margin supports
            activity = min(self.cap[n], rate)
            for c in m.in_c[m.in_ptr[n]:m.in_ptr[n + 1]]:
                if m.recipe_in[n, c] > 0:
                    activity = min(activity, self.I[n, c] / self.recipe_in(n, c))
            activity = max(activity, 0.0)
            for c in m.in_c[m.in_ptr[n]:m.in_ptr[n + 1]]:
                self.I[n, c] -= activity * self.recipe_in(n, c)
                self.used_in_recipes[c] += activity * self.recipe_in(n, c)
            for c in m.out_c[m.out_ptr[n]:m.out_ptr[n + 1]]:
                self.O[n, c] += activity * m.recipe_out[n, c]
                self.produced[c] += activity * m.recipe_out[n, c]

    def _order_rate(self, n: int, gap: FloatArray) -> float:
        """Activity node ``n``'s orders ask for, ``gap`` (C,) its orders (less its stock).

        The flow rule: ``max(0, max_o gap_o / y_o)``. With markets, a node with several outputs
        runs for the value of its orders (docs/model.md, "Joint products"):
        ``sum_o v_o max(0, gap_o) / y_o / sum_o v_o``, ``v_o`` the output's base value share
        times its relative price in the node's zone today.
        """
        m, mk = self.m, self.mk
        outs = m.out_c[m.out_ptr[n]:m.out_ptr[n + 1]]
        if mk is None or len(outs) <= 1:
            return max([0.0] + [gap[c] / m.recipe_out[n, c] for c in outs
                                if m.recipe_out[n, c] > 0])
        share = mk.params.margin_out_share[n]
        z = mk.params.node_zone[n]
        total = weight = 0.0
        for c in outs:
            y = m.recipe_out[n, c]
            if y <= 0 or share[c] <= 0:
                continue
            v = share[c] * math.exp(self.lrel[z, c])
            total += v * max(0.0, gap[c]) / y
            weight += v
        return total / weight if weight > 0 else 0.0

    def _smoothed_rate(self, n: int, orders: FloatArray, rate: float) -> float:
        """What operating node ``n`` runs for: ``rate``, its order rate net of its stock
        (:meth:`_order_rate`), or for a joint-product node (a separator) at least its smoothed
        rate.

        The smoothed rate (docs/model.md, "Joint products"): ``run``, the exponential average of
        the order rate of ``orders`` (D, before its stock; time constant ``T`` =
        ``separator_smoothing_weeks``, set to the rate at the node's first step), less the
        node's output stock (valued as its orders are) worked off over ``T``:
        ``max(rate, run - step / T x stock rate)``. ``T = 0``: the rate.
        """
        mk = self.mk
        assert mk is not None
        a = mk.params.joint_smooth_rate
        if not self.joint[n] or a >= 1.0:
            return rate
        g = self._order_rate(n, orders)
        run = g if self.run[n] < 0.0 else self.run[n] + a * (g - self.run[n])
        self.run[n] = run
        held = self._order_rate(n, self.O[n])
        return max(rate, run - mk.params.joint_workoff_rate * held)

    def _planned_activity(self, n: int, D: FloatArray) -> float:
        """Activity a project or idle node plans for: what its routes order, within capacity,
        times the share its margin supports (:func:`~spigot.market.supply.margin_step_ref`).

        It sets the node's input orders (a new plant orders feed for what it is asked to make)
        and its use in the price rule; never below the base activity.
        """
        asked = self._order_rate(n, D[n])
        return float(max(self.m.net.node_base_activity[n],
                         min(self.cap[n], asked) * self.margin[n]))

    def ship(self, t: int, rec: FloatArray) -> None:
        m, p, d = self.m, self.p, self.d
        plan, lay = m.plan, m.layout
        K = len(self.orders)
        D = self.route_orders_by_origin()
        sent = np.zeros(K)
        ratio = np.zeros_like(D)
        for k in range(K):
            n, c = m.route_origin[k], m.route_c[k]
            if D[n, c] > 0:
                ratio[n, c] = min(1.0, self.O[n, c] / D[n, c])
                sent[k] = self.ask[k] * ratio[n, c]
        self.ship_D, self.ship_ratio = D, ratio
        for k in range(K):
            self.O[m.route_origin[k], m.route_c[k]] -= sent[k]
        # a quota's allowance is shared by the routes it covers in proportion to what they
        # send this step (not first come, first served in route order); on a licensed route
        # an application uses the quota when it is filed, so its approval ships outside it
        approved, filed = np.zeros(K), np.zeros(K)
        s = t % plan.kernel_steps
        for k in range(K):
            j = plan.route_slot[k]
            if j >= 0 and not self.banned[k]:
                n, c = m.route_origin[k], m.route_c[k]
                approved[k], filed[k] = ship_split(
                    float(sent[k]), float(self.due[j] + self.lic_ok[j, s]), float(ratio[n, c]),
                    float(self.orders[k]), int(self.gov_pair[k]), int(self.valid[j]),
                    plan.pair_share)
        request = np.zeros(len(self.quota_left))
        for k in range(K):
            for mi in self.quotas[k]:
                request[mi] += sent[k] - approved[k] + filed[k]
        served = np.ones(len(self.quota_left))
        for mi in range(len(served)):
            if request[mi] > self.quota_left[mi]:
                served[mi] = self.quota_left[mi] / request[mi]
        for k in range(K):
            n, c = m.route_origin[k], m.route_c[k]
            x = sent[k] - approved[k]
            a = filed[k]
            held = refused = 0.0  # refused: applications a quota refuses (paper)
            for mi in self.quotas[k]:
                allowed = x * served[mi]
                self.quota_left[mi] = max(0.0, self.quota_left[mi] - allowed)
                held += x - allowed
                x = allowed
                if a > 0:
                    self.quota_left[mi] = max(0.0, self.quota_left[mi] - a * served[mi])
                    refused += a - a * served[mi]
                    a = a * served[mi]
            j = plan.route_slot[k]
            if self.banned[k]:
                held += x
                x = 0.0
            elif j >= 0:  # approved tonnes ship (due is below 0 until this step's approvals
                self.due[j] -= approved[k]  # join, below); the licensed share is filed
                x += approved[k]
                if self.gov_measure[k] >= 0:
                    if self.valid[j] == 0:
                        self.queue[j] += a
                        rec[lay.start("licence_applications") + j] += a
                elif self.queue[j] > 0:  # control lifted: pending applications are due
                    self.due[j] += self.queue[j]
                    self.queue[j] = 0.0
            self.O[n, c] += held
            rec[lay.start("held") + k] += held + refused
            self.pipes[k][t % len(self.pipes[k])] += x
            rec[lay.start("exports") + k] += x
        # denied flow whose re-filing lag ends now joins the queue again
        r0 = t % plan.refile_ring
        for j in range(len(self.queue)):
            again = self.lic_re[j, r0]
            if again > 0:
                self.lic_re[j, r0] = 0.0
                self.queue[j] += again
                rec[lay.start("licence_applications") + j] += again
        review(self, t)
        L = plan.kernel_steps
        # decisions that fall due: approved tonnes are due from the exporter; denied ones are
        # re-filed (the part denied at non-zero odds, after the measure's lag) or dropped
        for j, k in enumerate(plan.slot_route):
            s = t % L
            ok, no = self.lic_ok[j, s], self.lic_no[j, s]
            self.lic_ok[j, s] = 0.0
            self.lic_no[j, s] = 0.0
            rec[lay.start("licence_approved") + j] += ok
            rec[lay.start("licence_denied") + j] += no
            if self.banned[k]:
                rec[lay.start("held") + k] += ok + no
            else:
                mi = self.gov_measure[k]
                again = 0.0
                if no > 0 and mi >= 0 and plan.refile_steps[mi] > 0:
                    again = no * p.refile[d, self.gov_pair[k]]
                    self.lic_re[j, (t + plan.refile_steps[mi]) % plan.refile_ring] += again
                rec[lay.start("held") + k] += no - again
                self.due[j] = max(0.0, self.due[j] + ok)
                if ok > 0 and mi >= 0 and plan.validity_steps[mi] > 0:
                    self.valid[j] = plan.validity_steps[mi]

    def allocate(self) -> None:
        """Phase 5 (:func:`spigot.sim.reference_sectors.allocate`)."""
        allocate(self)

    def consume(self, t: int, rec: FloatArray, scal: FloatArray, first_stop: list[int]) -> None:
        """Phase 6 (:func:`spigot.sim.reference_sectors.consume`)."""
        consume(self, t, rec, scal, first_stop)

    def reorder(self) -> None:
        """Each route orders its base flow times a factor that closes the buffer's gap.

        The buffer's position is what it has on hand plus what is in transit to it. A licensed
        route also counts the expected approvals of its own pending applications (eventual
        approval share x queue and pipeline, :func:`expected_approval`) and plans for the
        regime's mean delay to an approval (its target grows by its covered base flow times
        it, the licence's stated delay); other routes into the buffer do
        not see the licence pipeline, so a regime never changes what they are asked for except
        through what actually arrives.

        With a market phase: a region buffer's target grows by ``(m - 1) x`` its target on hand
        (safety stocks); a buffer fed by a project or idle node splits its total order
        ``inflow x factor`` over its routes in proportion to their weights (new capacity takes
        orders without adding to them); a project's input buffer, which has no base inflow,
        orders for its planned activity (:meth:`_planned_activity`) and targets
        ``NODE_COVER_WEEKS`` of it on hand plus its routes' transit.
        """
        m, p, d = self.m, self.p, self.d
        plan = m.plan
        mk = self.mk
        for b in range(m.n_buffers):
            if m.buf_is_region[b]:
                pairs = m.buf_sc[m.buf_sc_ptr[b]:m.buf_sc_ptr[b + 1]]
                on_hand = self.pool[b] + sum(self.SI[q] for q in pairs)
            else:
                on_hand = self.I[m.buf_place[b], m.buf_c[b]]
            routes = m.buf_rt[m.buf_rt_ptr[b]:m.buf_rt_ptr[b + 1]]
            in_transit = sum(sum(self.pipes[k]) for k in routes)
            inflow, target_b = m.buf_inflow[b], m.buf_target_pos[b]
            amount = None  # per route: its part of the buffer's base inflow (None: route_base)
            if mk is not None:
                inflow, target_b, amount = self._market_order_terms(mk, b, routes)
            for k in routes:
                position = on_hand + in_transit
                target = target_b
                j, mi, e = plan.route_slot[k], self.gov_measure[k], self.gov_pair[k]
                if j >= 0 and not self.banned[k]:
                    pending = self._licensing(j)
                    if mi >= 0:
                        odds, lead = expected_approval(float(self.approve[e]), float(p.refile[d, e]),
                                                    float(self.lead[mi]),
                                                    int(plan.refile_steps[mi]))
                        position += odds * pending + self.due[j]
                        if self.valid[j] == 0:
                            target += m.route_base[k] * plan.pair_share[e] * lead
                    else:
                        position += pending + self.due[j]
                        if self.plan_measure[k] >= 0:  # announced: importers front-load
                            target += (m.route_base[k] * plan.pair_share[self.plan_pair[k]]
                                       * self.lead[self.plan_measure[k]])
                if inflow > 0:
                    factor = min(MAX_ORDER_FACTOR, max(
                        0.0, 1.0 + (target - position) / (inflow * m.buf_adjust[b])))
                else:
                    factor = 0.0
                self.orders[k] = (m.route_base[k] if amount is None else amount[k]) * factor

    def _market_order_terms(self, mk: MarketModel, b: int, routes: npt.NDArray[np.int64]
                            ) -> tuple[float, float, dict[int, float] | None]:
        """Buffer ``b``'s inflow (t/step), target position (t) and each route's share of the
        inflow (t/step; ``None``: its base flow) with the market phase."""
        m = self.m
        inflow, target = float(m.buf_inflow[b]), float(m.buf_target_pos[b])
        if m.buf_is_region[b]:
            sb = mk.rbuf_sb[b - m.rbuf0]
            if sb >= 0:
                target += (self.mult[sb] - 1.0) * m.buf_target_onhand[b]
        n = int(mk.buf_new_node[b])
        if n >= 0:
            inflow = self.activity[n] * self.recipe_in(n, int(m.buf_c[b]))
        if n < 0 and not mk.buf_weighted[b]:
            return inflow, target, None
        wsum = 0.0
        for k in routes:
            wsum += self.weight[k]
        if wsum > 0:
            scale = inflow / wsum  # exactly 1 while the weights are the base flows
            amount = {int(k): float(self.weight[k] * scale) for k in routes}
        else:
            amount = {int(k): inflow / len(routes) for k in routes}
        if n >= 0:
            cover = NODE_COVER_WEEKS / m.net.step_weeks
            target = inflow * cover + sum(amount[int(k)] * m.route_transit[k] for k in routes)
        return inflow, target, amount

    def stockpiles(self, t: int) -> None:
        """Phase 9: the release rule of :mod:`spigot.market.stockpiles`.

        A stockpile releases ``min(max, left)`` when its holder's cover (pool and sector
        inventories over its base use) is below the threshold, or when the price in the
        holder's zone is at its trigger; without a market phase the trigger is off (``+inf``,
        log prices 0): the cover rule alone. A pile a measure owns releases only while that
        measure is in force.
        """
        m, mk = self.m, self.mk
        on_hand = np.zeros(len(self.SP))
        for i, b in enumerate(m.pile_buf):
            if b >= 0:
                pairs = m.buf_sc[m.buf_sc_ptr[b]:m.buf_sc_ptr[b + 1]]
                on_hand[i] = self.pool[b] + sum(self.SI[q] for q in pairs)
        if mk is None:
            trigger, zone = np.full(len(self.SP), math.inf), np.zeros(len(self.SP), dtype=int)
        else:
            trigger, zone = mk.params.pile_log_trigger, mk.params.pile_zone
        on = np.array([mi < 0 or bool(self.act[mi]) for mi in m.pile_measure])
        self.SP, self.released = release_step_ref(
            on_hand, m.pile_use, m.pile_cover, m.pile_release, trigger, self.lrel, zone,
            m.net.stock_commodity, on, self.SP)
        for i, b in enumerate(m.pile_buf):
            if b >= 0:
                self.pool[b] += self.released[i]

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
            rec[lay.start("licence_pipeline") + j] = self._licensing(j) - self.queue[j]


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

    Notes
    -----
    The contract of ``out`` (``D`` draws of the chunk, ``nb`` blocks, ``T`` steps, ``C``
    commodities, ``N`` nodes, ``NB = PRICE_BINS``; ``b`` is a draw's block, ``d`` its index in
    the chunk). Sums over draws run in draw order within a block; blocks never mix, so the
    engine can add them in block order and the results do not depend on the chunking.

    Flows (always):

    - ``block_sum`` (nb, T, Layout.size): ``+=`` each draw's step record;
    - ``traj`` (kept, T, Layout.size): the record of kept draws (``keep[d] >= 0``);
    - ``sector_scalars`` (D, 3, S): lost units, lost USD, stopped steps;
    - ``first_stop`` (D, S): first stopped step, -1: never;
    - ``shortfall_total`` (D, n_rbuf): the record's shortfall summed over steps;
    - ``residual``, ``throughput`` (D, C): ``initial + produced + recycled_total - used -
      consumed - final`` and ``initial + produced + recycled_total + used + consumed``;
    - ``export_draw`` (T, D, C): ``+=`` the record's exports of each cross-border route
      to its commodity, routes in order (:func:`~spigot.sim.build.model.export_route_commodity`);
      the chunk's draw ``d`` is column ``draw_offset + d`` (the array may be the whole run's).

    Market phase (only when ``m.market`` is not ``None``; otherwise these arrays have a zero
    size and are not written):

    - ``market_sum`` (nb, T, MarketLayout.size): ``+=`` each draw's market record of the step,
      written after phase 9 (groups in :class:`~spigot.sim.build.model.MarketLayout`: ``exp(lrel)``
      of the new prices, ``reduction`` and ``recycled`` after this step's update, demand
      destruction of this step's consumption, ``cap_avail - node_base`` of the capacity this
      step's production used (projects and idle nodes only, 0 for others), ``released`` of
      phase 9, ``mult`` after this step's update per region buffer, 1 without a multiplier);
    - ``price_bin`` (T, D, 3, C) uint8, step-major (counted a step at a time): with ``v =
      (lrel[0, c], lrel[1, c], lrel[1, c] - lrel[0, c])`` after the price update,
      ``clip(int((v[k] - bin_lo[k, c]) x bin_scale[k, c]), 0, NB - 1)`` (``int`` truncates
      toward zero; ``MarketModel.bin_*``);
    - ``price_min``, ``price_max`` (nb, T, 3, C): the smallest and largest ``v`` over the
      block's draws (initialised to +inf and -inf by ``allocate_outputs``);
    - ``restart_step`` (D, N): ``restart_at`` of each node at the end of the run if it is below
      ``T``, else -1 (initialised to -1);
    - ``recycled_total`` (D, C): t of extra recycling added over the run (a source).
    """
    S = len(m.sector_output)
    mk = m.market
    exp_rc = export_route_commodity(m)
    exp_routes = np.flatnonzero(exp_rc >= 0)
    o_exp = m.layout.groups["exports"][0]
    off = int(out["draw_offset"])
    for b in range(len(block_ptr) - 1):
        for d in range(block_ptr[b], block_ptr[b + 1]):
            draw = _Draw(m, p, d)
            scal = np.zeros((3, S))
            first_stop = [-1] * S
            shortfall = np.zeros(m.layout.n_rbuf)
            for t in range(m.steps):
                rec = np.zeros(m.layout.size)
                draw.policies(t)
                if mk is not None:
                    policies_market(draw, t)
                draw.arrivals(t)
                draw.production(t)
                draw.ship(t, rec)
                draw.allocate()
                draw.consume(t, rec, scal, first_stop)
                draw.reorder()
                if mk is not None:
                    markets(draw, t, rec)
                draw.stockpiles(t)
                draw.record_stocks(rec)
                if m.plan.rx_on:
                    revenue_lost_ref(m, t, rec, draw.lrel if mk is not None else None,
                                     draw.lost)
                a, z = m.layout.groups["shortfall"]
                shortfall += rec[a:z]
                out["block_sum"][b, t] += rec
                for k in exp_routes:
                    out["export_draw"][t, off + d, exp_rc[k]] += rec[o_exp + k]
                if keep[d] >= 0:
                    out["traj"][keep[d], t] = rec
                if mk is not None:
                    mrec = np.zeros(mk.layout.size)
                    record_market(draw, mrec)
                    out["market_sum"][b, t] += mrec
                    bins, values = price_bins(draw)
                    out["price_bin"][t, d] = bins
                    out["price_min"][b, t] = np.minimum(out["price_min"][b, t], values)
                    out["price_max"][b, t] = np.maximum(out["price_max"][b, t], values)
            out["sector_scalars"][d] = scal
            out["first_stop"][d] = first_stop
            out["reaction_fired"][d] = draw.fired
            out["shortfall_total"][d] = shortfall
            final = draw.totals()  # recycling is a source (0 without markets: + 0.0 is exact)
            out["residual"][d] = (draw.initial + draw.produced + draw.recycled_total
                                  - draw.used_in_recipes - draw.consumed - final)
            out["throughput"][d] = (draw.initial + draw.produced + draw.recycled_total
                                    + draw.used_in_recipes + draw.consumed)
            if mk is not None:
                out["restart_step"][d] = np.where(draw.restart_at < m.steps, draw.restart_at, -1)
                out["recycled_total"][d] = draw.recycled_total
