"""The reference engine's phase 1b, reactions (conditional policies): which measures are in
force, which triggers hold, the actions whose lag has run (the rules :mod:`spigot.sim.reactions`
compiles), each taking the draw's state (:class:`spigot.sim.reference._Draw`); and the revenue
triggers' quantity, the exporter's lost export revenue per step and over a trigger's window.

docs/design.md, "Reactions", defines the quantity: per step, a revenue trigger's base revenue
(``SimModel.rx_base_usd``, USD/step) minus the step's exports on its routes at the draw's
prices (base price in the destination's zone x ``exp(lrel)``; base without markets).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from spigot.policy.plan import (
    DO_APPROVAL,
    DO_APPROVAL_SCALE,
    DO_PROCESSING,
    DO_RESUME,
    DO_SUSPEND,
    TR_CHANCE,
    TR_COVER,
    TR_DATE,
    TR_ENDS,
    TR_PILE,
    TR_PRICE_ABOVE,
    TR_PRICE_BELOW,
    TR_REVENUE,
    TR_STARTS,
)

if TYPE_CHECKING:
    from spigot.sim.build.model import SimModel
    from spigot.sim.reference import _Draw

__all__ = ["apply_reaction", "in_force", "reactions", "revenue_lost_ref", "trigger_holds",
           "window_lost_ref"]

FloatArray = npt.NDArray[np.float64]


def revenue_lost_ref(m: SimModel, t: int, rec: FloatArray, lrel: FloatArray | None,
                     lost: FloatArray) -> None:
    """Write step ``t``'s lost revenue of each revenue trigger into ``lost[:, t]`` (R, T), USD.

    ``rec`` is the step's record (exports in t/step), ``lrel`` the draw's log relative prices
    (Z, C) after the step's market phase, ``None`` without markets (base prices).
    """
    plan = m.plan
    o_exp = m.layout.start("exports")
    for r in np.flatnonzero(plan.rx_when == TR_REVENUE):
        acc = 0.0
        for pos in range(m.rx_rt_ptr[r], m.rx_rt_ptr[r + 1]):
            k = m.rx_rt[pos]
            price = float(m.rx_rt_price[pos])
            if lrel is not None:
                price = price * math.exp(lrel[m.rx_rt_zone[pos], m.route_c[k]])
            acc += float(rec[o_exp + k]) * price
        lost[r, t] = float(m.rx_base_usd[r]) - acc


def window_lost_ref(m: SimModel, r: int, t: int, lost: FloatArray) -> float:
    """Revenue lost over reaction ``r``'s window before step ``t``: steps ``t - window`` to
    ``t - 1`` (from step 0 on), summed from the oldest, USD."""
    total = 0.0
    for s in range(max(0, t - int(m.plan.rx_ref2[r])), t):
        total += float(lost[r, s])
    return total


def in_force(self: _Draw, t: int) -> None:
    """Which measures are in force at step ``t``: a reaction's override (on or off) or
    else the measure's schedule; a fast track only while its licence is. Records the first
    step each is in force (``began``) and out of force again (``ended``)."""
    plan, p, d = self.m.plan, self.p, self.d
    for mi in range(len(plan.ids)):
        on = self.ovr[mi] == 1 if self.ovr[mi] >= 0 else bool(p.active[d, mi, t])
        if plan.parent[mi] >= 0 and not self.act[plan.parent[mi]]:
            on = False
        self.act[mi] = on
        if on and self.began[mi] < 0:
            self.began[mi] = t
        if not on and self.was_on[mi] and self.ended[mi] < 0:
            self.ended[mi] = t


def trigger_holds(self: _Draw, r: int, t: int) -> bool:
    """Whether reaction ``r``'s trigger holds at step ``t``, on the state the previous
    step left: a date has come, a measure has started or ended, the drawn step of a
    probability trigger has come, a zone's log price is at or above (below) the log of
    its multiple, a region's stock (pool and sector inventories) is below its cover in t,
    a stockpile holds less than its tonnes, an exporter's revenue lost over the window
    is at least its USD."""
    m, plan = self.m, self.m.plan
    kind, ref, level = plan.rx_when[r], m.rx_ref[r], m.rx_level[r]
    if kind == TR_DATE:
        return bool(t >= ref)
    if kind == TR_STARTS:
        return bool(ref >= 0 and self.began[ref] >= 0)
    if kind == TR_ENDS:
        return bool(ref >= 0 and self.ended[ref] >= 0)
    if kind == TR_CHANCE:
        return bool(t >= self.p.rx_step[self.d, r])
    if kind in (TR_PRICE_ABOVE, TR_PRICE_BELOW):
        if self.mk is None:
            return False
        price = self.lrel[plan.rx_ref2[r], ref]
        return bool(price >= level if kind == TR_PRICE_ABOVE else price <= level)
    if kind == TR_COVER:
        if ref < 0:
            return False
        pairs = m.buf_sc[m.buf_sc_ptr[ref]:m.buf_sc_ptr[ref + 1]]
        stock = self.pool[ref]
        for q in pairs:
            stock += self.SI[q]
        return bool(stock < level)
    if kind == TR_PILE:
        return bool(ref >= 0 and self.SP[ref] < level)
    if kind == TR_REVENUE:
        return t > 0 and window_lost_ref(m, r, t, self.lost) >= level
    return False


def apply_reaction(self: _Draw, r: int) -> None:
    """Reaction ``r``'s action on its measure: suspend or resume it (an override from now
    on), set or scale the approval share of its routes (capped at 1), or install the
    draw's delay kernel of a new processing time (new applications; the mean delay
    importers plan for follows)."""
    plan, p, d = self.m.plan, self.p, self.d
    mi, do = plan.rx_target[r], plan.rx_do[r]
    pairs = range(plan.pair_ptr[mi], plan.pair_ptr[mi + 1])
    if do == DO_SUSPEND:
        self.ovr[mi] = 0
    elif do == DO_RESUME:
        self.ovr[mi] = 1
    elif do == DO_APPROVAL:
        for e in pairs:
            self.approve[e] = p.rx_value[d, r]
    elif do == DO_APPROVAL_SCALE:
        for e in pairs:
            self.approve[e] = min(1.0, self.approve[e] * p.rx_value[d, r])
    elif do == DO_PROCESSING:
        self.kernel[mi] = p.rx_kernel[d, r]
        self.lead[mi] = p.rx_lead[d, r]


def reactions(self: _Draw, t: int) -> None:
    """Phase 1b: the measures in force at step ``t`` after the reactions.

    Passes over the reactions in order until nothing changes: one not yet fired fires if
    its trigger holds; one fired whose lag has run applies its action; after a pass that
    changed anything the measures in force are worked out again (so a reaction to a
    measure another reaction started this step fires this step)."""
    plan = self.m.plan
    in_force(self, t)
    if not plan.rx_on:
        return
    changed = True
    while changed:
        changed = False
        for r in range(len(plan.rx_ids)):
            if self.fired[r] < 0 and trigger_holds(self, r, t):
                self.fired[r] = t
                changed = True
            if self.fired[r] >= 0 and not self.done[r] \
                    and self.fired[r] + plan.rx_lag[r] <= t:
                self.done[r] = True
                apply_reaction(self, r)
                changed = True
        if changed:
            in_force(self, t)
    self.was_on[:] = self.act
