"""Phase 4b of the reference engine, the licence office's review: one function per rule, taking
the draw's state (:class:`spigot.sim.reference._Draw`), as :mod:`spigot.sim.reference_market`
does for phase 8. The numba twin is ``spigot.sim.kernel._licensing``.
"""

# ruff: noqa: N806 - sizes are named as in the docs
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from spigot.sim.applications import decide_whole_ref, office_count, whole_in_queue

if TYPE_CHECKING:
    from spigot.sim.reference import _Draw

__all__ = ["review"]


def review(draw: _Draw, t: int) -> None:
    """Each licence decides at most its capacity of applications this step, pro rata over
    its routes' queues: a share of a fluid route's tonnes, approved at the pair's share and
    spread over the kernel's lags; or whole applications (``granularity``), each approved or
    denied after its own lag (:mod:`spigot.sim.applications`)."""
    m, p, d = draw.m, draw.p, draw.d
    plan = m.plan
    apps = np.zeros(len(plan.ids))
    for j, k in enumerate(plan.slot_route):
        mi, e = draw.gov_measure[k], draw.gov_pair[k]
        if mi >= 0 and not draw.banned[k]:
            apps[mi] += (whole_in_queue(draw.queue[j], plan.pair_ship_t[e])
                         if plan.pair_lots[e] else draw.queue[j] / plan.pair_ship_t[e])
    L = plan.kernel_steps
    for j, k in enumerate(plan.slot_route):
        mi, e = draw.gov_measure[k], draw.gov_pair[k]
        if mi < 0 or draw.banned[k]:
            continue
        cap = p.capacity[d, mi]
        if plan.pair_lots[e]:
            a = plan.lot_slot[j]
            ship_t = plan.pair_ship_t[e]
            n, draw.carry[a] = office_count(whole_in_queue(draw.queue[j], ship_t), apps[mi],
                                            cap, draw.carry[a])
            if n > 0:
                decided = min(draw.queue[j], n * ship_t)
                draw.queue[j] -= decided
                decide_whole_ref(int(p.lot_seed[d, a, t]), n, decided / n, draw.approve[e],
                                 draw.kernel[mi], t, draw.lic_ok[j], draw.lic_no[j])
            continue
        share = 1.0 if apps[mi] <= cap else cap / apps[mi]
        decided = draw.queue[j] * share
        draw.queue[j] -= decided
        ok = decided * draw.approve[e]
        no = decided - ok
        for lag in range(L):
            w = draw.kernel[mi, lag]
            if w > 0:
                draw.lic_ok[j, (t + lag) % L] += ok * w
                draw.lic_no[j, (t + lag) % L] += no * w
