"""Phase 1b of the numba kernel: reactions (conditional policies), for all lanes of a block.

The rules of :meth:`spigot.sim.reference._Draw.reactions` (the specification), one lane at a
time: which measures are in force this step (their schedule, the reactions' suspend/resume
overrides, a fast track only while its licence is), which triggers hold, and the actions whose
lag ends now. docs/design.md, "Reactions"; the trigger and action ids are
:data:`spigot.scenarios.reactions.TRIGGERS` and ``ACTIONS`` (``TR_*``, ``DO_*`` in
:mod:`spigot.policy.plan`).
"""

# ruff: noqa: N806 - sizes are named as in the docs (M measures, R reactions, ...)
from __future__ import annotations

import numpy as np

from spigot.market._common import inner
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
from spigot.sim.approved import expected_terms_jit
from spigot.sim.state import FlowState, MarketState, ModelArrays, PolicyArrays

__all__ = ["react", "revenue_lost", "revenue_ring_length"]


@inner
def _in_force(t: int, d: int, ln: int, g: ModelArrays, pa: PolicyArrays, act: np.ndarray,
              ovr: np.ndarray, began: np.ndarray, ended: np.ndarray,
              was_on: np.ndarray) -> None:
    """Lane ``ln``'s measures in force at step ``t``: an override of a reaction (1 on, 0 off)
    or else the schedule; a fast track only while its licence is; and the first step each
    measure is in force (``began``) and is no longer (``ended``)."""
    active = pa.active
    parent = g.parent
    for mi in range(parent.shape[0]):
        o = ovr[mi, ln]
        v = o == 1 if o >= 0 else active[d, mi, t] != 0
        p = parent[mi]
        if p >= 0 and not act[p, ln]:
            v = False
        act[mi, ln] = v
        if v and began[mi, ln] < 0:
            began[mi, ln] = t
        if not v and was_on[mi, ln] and ended[mi, ln] < 0:
            ended[mi, ln] = t


@inner
def revenue_ring_length(g: ModelArrays) -> int:
    """Steps of lost revenue the lanes keep: the longest window of a revenue trigger (1 if
    there is none)."""
    n = 1
    for r in range(g.rx_when.shape[0]):
        if g.rx_when[r] == TR_REVENUE and g.rx_ref2[r] > n:
            n = g.rx_ref2[r]
    return n


@inner
def revenue_lost(t: int, mkt: bool, g: ModelArrays, fs: FlowState, ms: MarketState,
                 lost: np.ndarray) -> None:
    """At the end of step ``t``, each revenue trigger's export revenue lost in the step, USD,
    into ring slot ``t % lost.shape[1]`` of ``lost`` (R, ring, W): base revenue minus this
    step's exports on its routes at the draw's prices (base x ``exp(lrel)`` of the
    destination's zone; base without markets), routes in order."""
    o_exp = g.o_exports
    ring = lost.shape[1]
    s = t % ring
    W = lost.shape[2]
    for r in range(g.rx_when.shape[0]):
        if g.rx_when[r] != TR_REVENUE:
            continue
        for ln in range(W):
            acc = 0.0
            for pos in range(g.rx_rt_ptr[r], g.rx_rt_ptr[r + 1]):
                k = g.rx_rt[pos]
                price = g.rx_rt_price[pos]
                if mkt:
                    price = price * np.exp(ms.lrel[g.rx_rt_zone[pos], g.route_c[k], ln])
                acc += fs.rec[o_exp + k, ln] * price
            lost[r, s, ln] = g.rx_base_usd[r] - acc


@inner
def _window_lost(r: int, t: int, ln: int, g: ModelArrays, lost: np.ndarray) -> float:
    """Revenue lost over reaction ``r``'s window before step ``t`` (steps ``t - window`` to
    ``t - 1``, from step 0 on), USD, summed from the oldest step."""
    ring = lost.shape[1]
    total = 0.0
    for s in range(max(0, t - g.rx_ref2[r]), t):
        total += lost[r, s % ring, ln]
    return total


@inner
def _holds(r: int, t: int, d: int, ln: int, mkt: bool, g: ModelArrays, pa: PolicyArrays,
           fs: FlowState, ms: MarketState, began: np.ndarray, ended: np.ndarray,
           lost: np.ndarray) -> bool:
    """Whether reaction ``r``'s trigger holds at step ``t`` in lane ``ln`` (draw ``d``), on the
    state the previous step left."""
    kind = g.rx_when[r]
    ref = g.rx_ref[r]
    level = g.rx_level[r]
    if kind == TR_DATE:
        return t >= ref
    if kind == TR_STARTS:
        return ref >= 0 and began[ref, ln] >= 0
    if kind == TR_ENDS:
        return ref >= 0 and ended[ref, ln] >= 0
    if kind == TR_CHANCE:
        return t >= pa.rx_step[d, r]
    if kind == TR_PRICE_ABOVE:
        return mkt and ms.lrel[g.rx_ref2[r], ref, ln] >= level
    if kind == TR_PRICE_BELOW:
        return mkt and ms.lrel[g.rx_ref2[r], ref, ln] <= level
    if kind == TR_COVER:
        if ref < 0:
            return False
        stock = fs.pool[ref, ln]
        for h in range(g.buf_sc_ptr[ref], g.buf_sc_ptr[ref + 1]):
            stock += fs.si[g.buf_sc[h], ln]
        return stock < level
    if kind == TR_PILE:
        return ref >= 0 and fs.sp[ref, ln] < level
    if kind == TR_REVENUE:
        return t > 0 and _window_lost(r, t, ln, g, lost) >= level
    return False


@inner
def _apply(r: int, d: int, ln: int, g: ModelArrays, pa: PolicyArrays, fs: FlowState,
           ovr: np.ndarray, kern_l: np.ndarray, lag_lo: np.ndarray,
           lag_hi: np.ndarray) -> None:
    """Reaction ``r``'s action on its measure in lane ``ln`` (draw ``d``)."""
    mi = g.rx_target[r]
    do = g.rx_do[r]
    if do == DO_SUSPEND:
        ovr[mi, ln] = 0
        return
    if do == DO_RESUME:
        ovr[mi, ln] = 1
        return
    if do == DO_APPROVAL:
        for e in range(g.pair_ptr[mi], g.pair_ptr[mi + 1]):
            fs.appr_l[e, ln] = pa.rx_value[d, r]
    elif do == DO_APPROVAL_SCALE:
        for e in range(g.pair_ptr[mi], g.pair_ptr[mi + 1]):
            fs.appr_l[e, ln] = min(1.0, fs.appr_l[e, ln] * pa.rx_value[d, r])
    elif do == DO_PROCESSING:
        load_processing(pa.rx_kernel[d, r], mi, ln, kern_l, lag_lo, lag_hi)
        fs.lead_l[mi, ln] = pa.rx_lead[d, r]
    else:
        return
    expected_terms_jit(mi, ln, g.pair_ptr, g.refile_steps, fs.appr_l, fs.refl_l, fs.lead_l,
                       fs.odds_l, fs.elead_l)  # what importers expect, at the new terms


@inner
def load_processing(weights: np.ndarray, mi: int, ln: int, kern_l: np.ndarray,
                    lag_lo: np.ndarray, lag_hi: np.ndarray) -> None:
    """Load a processing-time kernel (``weights`` (L,), share reviewed after each lag) into
    measure ``mi``'s lane ``ln``, with the first and one-past-last lags that carry weight
    (the licence phase loops only over those)."""
    L = kern_l.shape[1]
    lo = L
    hi = 0
    for lag in range(L):
        w = weights[lag]
        kern_l[mi, lag, ln] = w
        if w > 0:
            if lo == L:
                lo = lag
            hi = lag + 1
    lag_lo[mi, ln] = lo
    lag_hi[mi, ln] = hi


@inner
def react(t: int, draws: np.ndarray, mkt: bool, g: ModelArrays, pa: PolicyArrays,
          fs: FlowState, ms: MarketState, act: np.ndarray, ovr: np.ndarray, began: np.ndarray,
          ended: np.ndarray, was_on: np.ndarray, fired: np.ndarray, done: np.ndarray,
          kern_l: np.ndarray, lag_lo: np.ndarray, lag_hi: np.ndarray, lost: np.ndarray
          ) -> None:
    """Phase 1b at step ``t``: set ``act`` (M, W) to the measures in force, fire triggers and
    apply the actions whose lag ends now, lane by lane.

    A pass goes through the reactions in order: one not yet fired fires if its trigger holds
    (``fired`` (R, W) = t), one fired whose lag has run applies its action (``done``); after
    a pass that changed anything the measures in force are worked out again and another pass
    runs, so that a reaction to a measure another reaction started this step fires this step
    (at most 2R + 1 passes: each reaction fires and applies once). State per lane:
    ``ovr`` (M, W) override (-1 none, 0 off, 1 on), ``began``/``ended`` (M, W) first step in
    force / out of force again (-1: not yet), ``was_on`` (M, W) in force at the previous step,
    ``lost`` (R, ring, W) the revenue triggers' lost revenue per step (:func:`revenue_lost`).
    """
    R = g.rx_when.shape[0]
    M = act.shape[0]
    W = draws.shape[0]
    for ln in range(W):
        d = draws[ln]
        _in_force(t, d, ln, g, pa, act, ovr, began, ended, was_on)
        changed = True
        while changed:
            changed = False
            for r in range(R):
                if fired[r, ln] < 0 and _holds(r, t, d, ln, mkt, g, pa, fs, ms, began, ended,
                                                     lost):
                    fired[r, ln] = t
                    changed = True
                if fired[r, ln] >= 0 and not done[r, ln] and fired[r, ln] + g.rx_lag[r] <= t:
                    done[r, ln] = True
                    _apply(r, d, ln, g, pa, fs, ovr, kern_l, lag_lo, lag_hi)
                    changed = True
            if changed:
                _in_force(t, d, ln, g, pa, act, ovr, began, ended, was_on)
        for mi in range(M):
            was_on[mi, ln] = act[mi, ln]
