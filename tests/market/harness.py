"""A two-zone, one-commodity weekly market driven by the market kernels (a test harness).

A miniature of the engine's pull model, standing in for it until the kernels are wired in:

- China: a producer (capacity ``1.2 x`` base) with an output stock, China's users with an
  inventory, and an export route to ex-China (transit one week) of which only ``openness``
  passes, and at most ``quota`` t a week; the rest is held back in the producer's stock (it is
  not destroyed);
- ex-China: a domestic mine, an idle mine that restarts on price, users with an inventory, a
  government stockpile released by cover, and extra recycling;
- each buffer orders ``base x clip(1 + (target - position) / (base x cover), 0, 2)`` and the
  ex-China order is split over its suppliers by :func:`route weights <spigot.market.supply>`.

Weekly phases, in the engine's order: arrivals, production, shipping (with the control),
consumption (what stock allows; the rest is lost), reorder, the markets hook (prices,
substitution, plans, recycling, capacity), stockpile release.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from spigot.market.demand import plan_step, substitution_step
from spigot.market.parameters import KIND_IDLE
from spigot.market.prices import price_step
from spigot.market.recycling import recycling_step
from spigot.market.stockpiles import release_step, safety_stock_step
from spigot.market.supply import NEVER, capacity_step


@dataclass
class Outcome:
    """What a harness run returns."""

    p_cn: np.ndarray  # (weeks,) China price / base
    p_ex: np.ndarray  # (weeks,) ex-China price / base
    lost: float  # t of use lost for want of stock
    residual: float  # mass balance residual, t
    throughput: float  # t moved (for the tolerance)


@dataclass
class World:
    q_cn: float = 100.0  # China base production, t/week
    d_cn: float = 70.0  # China use
    e0: float = 30.0  # base exports to ex-China
    q_ex: float = 10.0  # ex-China mine
    d_ex: float = 40.0  # ex-China use (= q_ex + e0)
    cover_cn: float = 4.0
    cover_ex: float = 8.0
    idle_cap: float = 8.0
    pile: float = 50.0
    pile_cover: float = 4.0
    pile_max: float = 5.0
    subst_cap: float = 0.4
    recycle_share: float = 0.1
    elasticity: float = -0.1
    safety_extra: float = 0.5
    weeks: int = 260
    k: float = 2.0
    openness: list[float] = field(default_factory=list)  # per week; empty: 1
    quota: list[float] = field(default_factory=list)  # export cap, t/week; empty: none


def _factor(target: float, position: float, base: float, cover: float) -> float:
    return min(2.0, max(0.0, 1.0 + (target - position) / (base * cover)))


def simulate(w: World) -> Outcome:
    """Run the harness; return price paths, lost output and the mass balance terms."""
    o_cn_stock, s_cn = 0.0, w.d_cn * w.cover_cn
    s_ex, pipe = w.d_ex * w.cover_ex, w.e0
    order_cn, order_imp, order_dom, order_idle = w.d_cn, w.e0, w.q_ex, 0.0
    cover_target = np.array([[w.cover_cn], [w.cover_ex]])
    share = np.array([[w.d_cn / (w.d_cn + w.d_ex)], [w.d_ex / (w.d_cn + w.d_ex)]])
    lrel = np.zeros((2, 1, 1))
    on, full = np.log(1.5), np.log(4.0)
    stock, use = np.zeros((2, 1, 1)), np.zeros((2, 1, 1))
    tax, opn = np.zeros((1, 1)), np.ones((1, 1))
    zone, comm = np.array([0, 1], dtype=np.int64), np.zeros(2, dtype=np.int64)
    red, plan = np.zeros((2, 1)), np.ones((2, 1))
    recycled = np.zeros((1, 1))
    left, released = np.full((1, 1), w.pile), np.zeros((1, 1))
    shortfall, mult = np.zeros((2, 1)), np.ones((2, 1))
    above = np.zeros((1, 1), dtype=np.int64)
    restart_at = np.full((1, 1), NEVER, dtype=np.int64)
    cap_avail, cap_qual = np.zeros((1, 1)), np.zeros((1, 1))
    initial = o_cn_stock + s_cn + s_ex + pipe + w.pile
    produced = recycled_total = consumed = lost = 0.0
    p_cn, p_ex = np.ones(w.weeks), np.ones(w.weeks)
    for t in range(w.weeks):
        o = w.openness[t] if t < len(w.openness) else 1.0
        # 2. arrivals
        s_ex += pipe
        pipe = 0.0
        # 3. production (pull, within capacity)
        made_cn = min(1.2 * w.q_cn, max(0.0, order_cn + order_imp - o_cn_stock))
        o_cn_stock += made_cn
        made_dom = min(w.q_ex, order_dom)
        made_idle = min(float(cap_avail[0, 0]), order_idle)
        produced += made_cn + made_dom + made_idle
        s_ex += made_dom + made_idle + float(recycled[0, 0])
        recycled_total += float(recycled[0, 0])
        # 4. shipping: China's output shared pro rata; the control holds back 1 - openness
        want = order_cn + order_imp
        fill = min(1.0, o_cn_stock / want) if want > 0 else 0.0
        to_cn, to_ex = order_cn * fill, order_imp * fill
        o_cn_stock -= to_cn + to_ex
        s_cn += to_cn
        passed = to_ex * o
        if t < len(w.quota):  # a quota caps the tonnage, whatever is ordered
            passed = min(passed, w.quota[t])
        pipe = passed
        o_cn_stock += to_ex - passed
        if to_ex > 0:
            o = passed / to_ex  # openness as the engine measures it
        # 6. consumption
        for z in (0, 1):
            base = (w.d_cn, w.d_ex)[z]
            need = base * (1.0 - red[z, 0]) * plan[z, 0]
            have = s_cn if z == 0 else s_ex
            used = min(need, have)
            shortfall[z, 0] = need - used
            lost += need - used
            consumed += used
            if z == 0:
                s_cn -= used
            else:
                s_ex -= used
        # 7. reorder (targets scaled by the safety-stock multipliers)
        order_cn = w.d_cn * _factor(w.d_cn * w.cover_cn * mult[0, 0], s_cn, w.d_cn, w.cover_cn)
        total = w.d_ex * _factor(w.d_ex * w.cover_ex * mult[1, 0] + w.e0, s_ex + pipe, w.d_ex,
                                 w.cover_ex)
        weights = np.array([w.q_ex, w.e0, float(cap_avail[0, 0])])
        order_dom, order_imp, order_idle = total * weights / weights.sum()
        # 8. markets hook; strategic stock counts at par (left - initial), see docs/model.md
        stock[0, 0, 0] = o_cn_stock + s_cn
        stock[1, 0, 0] = s_ex + float(left[0, 0]) - w.pile
        # use x safety multiplier: prices measure stock against what holders want to hold
        use[0, 0, 0] = w.d_cn * (1.0 - red[0, 0]) * mult[0, 0]
        use[1, 0, 0] = w.d_ex * (1.0 - red[1, 0]) * mult[1, 0]
        opn[0, 0] = o
        price_step(stock, use, cover_target, np.array([w.k]), np.log(np.array([0.3])),
                   np.log(np.array([20.0])), share, 0.15, 0.05, 1.0, tax, opn, lrel)
        substitution_step(lrel, zone, comm, np.full(2, w.subst_cap), on, full,
                          1 - np.exp(-1 / 52), 1 - np.exp(-1 / 260), red)
        plan_step(lrel, zone, np.full(2, w.elasticity), np.array([0, 1, 2], dtype=np.int64),
                  comm, np.ones(2), 0.5, plan)
        recycling_step(lrel, zone[1:], comm[:1], np.array([w.recycle_share * w.d_ex]), on, full,
                       1 - np.exp(-1 / 26), recycled)
        capacity_step(t, lrel, np.array([KIND_IDLE], dtype=np.int64), zone[1:], comm[:1],
                      np.array([w.idle_cap]), np.zeros(1), np.zeros(1), np.zeros(1),
                      np.zeros(1, dtype=np.int64), np.ones(1, dtype=np.bool_), on, 26, 26.0,
                      np.full((1, 1), NEVER, dtype=np.int64), above, restart_at, cap_avail,
                      cap_qual)
        safety_stock_step(lrel, shortfall, zone, comm, w.safety_extra, np.log(2.0),
                          1 - np.exp(-1 / 13),
                          1 - np.exp(-1 / 52), mult)
        # 9. stockpiles
        release_step(np.array([[s_ex]]), np.array([w.d_ex]), np.array([w.pile_cover]),
                     np.array([w.pile_max]), np.array([np.inf]), lrel, zone[1:], comm[:1],
                     np.array([-1]), np.zeros((0, 1), dtype=np.bool_), left, released)
        s_ex += float(released[0, 0])
        p_cn[t], p_ex[t] = np.exp(lrel[0, 0, 0]), np.exp(lrel[1, 0, 0])
    final = o_cn_stock + s_cn + s_ex + pipe + float(left[0, 0])
    return Outcome(p_cn=p_cn, p_ex=p_ex, lost=lost,
                   residual=initial + produced + recycled_total - consumed - final,
                   throughput=initial + produced + recycled_total + consumed)
