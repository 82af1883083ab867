"""Phase 5 of the numba kernel, allocation: each region pool to its sectors' plant classes, in
two rounds, each by priority class, then pro rata to requests (the rule of the same name in
:mod:`spigot.sim.reference`, vectorised over lanes; docs/model.md, Allocation), and the sum of a
pair's plant classes that the use pass (:func:`spigot.sim.phases.consume`) shares.
"""

# ruff: noqa: N806 - sizes are named as in the docs (B buffers, W lanes, ...)
from __future__ import annotations

import numpy as np

from spigot.market._common import inline, inner
from spigot.sim.state import FlowState, MarketState, ModelArrays

__all__ = ["allocate", "request", "sum_classes"]


@inner
def request(rnd: int, pace: float, need: float, want: float, held: float) -> float:
    """A plant class's request in allocation round ``rnd`` (see :func:`allocate`), t."""
    short = max(0.0, need - held)
    gap = max(0.0, want - held)
    if rnd == 0:
        return short + (gap - short) * pace
    return gap


@inner
def allocate(g: ModelArrays, ms: MarketState, fs: FlowState) -> None:
    """Phase 5: each region pool to its sectors' plant classes in two rounds, each by priority
    class, then pro rata to requests.

    A pair wants ``want`` (``want_l``: target + need, the base values without the market phase,
    the current need, intensity and safety stock with it) and holds ``si``, the sum of its
    plant classes' stocks ``sik``. Class ``j`` (output share ``w_j``, cover multiple ``m_j``:
    ``g.cls_share``, ``g.cls_mult``) needs ``w_j need`` and wants
    ``w_j (want + (m_j - 1)(want - need))`` (its own cover target plus its need). Round 0 asks
    for the step's missing need ``short = max(0, need - held)`` plus ``1 / adjust`` of the rest
    of its gap ``max(0, want - held) - short`` (``adjust``: the buffer's steps to close an
    inventory gap, its cover, as in the reorder rule); round 1 asks for what is still missing.
    So a class rebuilds its cover over the same time its orders do, not all at once ahead of a
    lower class's running lines (docs/model.md, Allocation). A priority class's share goes to
    its pairs' plant classes in proportion to their requests; one plant class (share 1,
    multiple 1) is the sector's single stock, to the bit.
    """
    buf_c = g.buf_c
    B = buf_c.shape[0]
    W = fs.inv_in.shape[2]
    buf_adjust = g.buf_adjust
    buf_sc = g.buf_sc
    buf_sc_ptr = g.buf_sc_ptr
    cls_share = g.cls_share
    cls_mult = g.cls_mult
    KP = cls_share.shape[0]
    fac = fs.fac
    pool = fs.pool
    rbuf0 = g.rbuf0
    sc_priority = g.sc_priority
    si = fs.si
    sik = fs.sik
    req = fs.req
    vec = fs.vec
    vec2 = fs.vec2
    need_l = ms.need_l
    want_l = ms.want_l
    for b in range(rbuf0, B):
        pace = 1.0 / buf_adjust[b]
        for ln in range(W):
            vec[ln] = pool[b, ln]
        for rnd in range(2):
            i = buf_sc_ptr[b]
            stop = buf_sc_ptr[b + 1]
            while i < stop:
                prio = sc_priority[buf_sc[i]]
                if KP == 1 and (i + 1 == stop or sc_priority[buf_sc[i + 1]] != prio):
                    _allocate_one(rnd, pace, buf_sc[i], cls_share[0], cls_mult[0] - 1.0,
                                  need_l, want_l, vec, sik, si)
                    i += 1
                    continue
                g_end = i
                for ln in range(W):
                    vec2[ln] = 0.0
                while g_end < stop and sc_priority[buf_sc[g_end]] == prio:
                    q = buf_sc[g_end]
                    for j in range(KP):
                        w = cls_share[j]
                        dm = cls_mult[j] - 1.0
                        for ln in range(W):
                            nd = need_l[q, ln]
                            wt = want_l[q, ln]
                            x = request(rnd, pace, w * nd, w * (wt + dm * (wt - nd)),
                                         sik[q, j, ln])
                            req[q, j, ln] = x  # kept for the share below (sik[q] unchanged)
                            vec2[ln] += x
                    g_end += 1
                for ln in range(W):  # the class's share of its requests (0: it asks nothing)
                    total = vec2[ln]
                    fac[ln] = 1.0 if vec[ln] >= total else vec[ln] / total
                for h in range(i, g_end):
                    q = buf_sc[h]
                    for j in range(KP):
                        for ln in range(W):  # (stored in every lane: see _allocate_one)
                            held = sik[q, j, ln]
                            if vec2[ln] > 0:
                                held += req[q, j, ln] * fac[ln]
                            sik[q, j, ln] = held
                    if rnd == 1:  # the pair's classes are final: its stock, in this pass
                        sum_classes(q, sik, si)
                for ln in range(W):
                    total = vec2[ln]
                    v = vec[ln]
                    if total > 0:
                        v = v - total if v >= total else 0.0
                    vec[ln] = v
                i = g_end
        for ln in range(W):
            pool[b, ln] = vec[ln]


@inline
def _allocate_one(rnd: int, pace: float, q: int, w: float, dm: float, need_l: np.ndarray,
                  want_l: np.ndarray, vec: np.ndarray, sik: np.ndarray, si: np.ndarray) -> None:
    """:func:`allocate`'s work for a priority class of one pair with one plant class (share
    ``w``, multiple ``1 + dm``; 196 of the bundled world's 231 classes), in one pass over the
    lanes: the general path's operations in its order (the class total is ``0.0 + x``), so the
    same numbers to the bit.

    Written for the vectoriser: every lane stores its stock and pool, changed or not (a store
    under a condition becomes a masked store, and a load of it soon after waits for it: a
    masked store does not forward), and the function is inlined where it is called (the call,
    its arguments by value and the loop's run-time alias checks, cost about half as much
    again as the loop). A stand-alone copy, 64 lanes, cycles per call: ~220 with masked stores
    and a call, ~180 with either, ~116 with neither (docs/design.md, session 21).
    """
    for ln in range(vec.shape[0]):
        nd = need_l[q, ln]
        wt = want_l[q, ln]
        held = sik[q, 0, ln]
        x = request(rnd, pace, w * nd, w * (wt + dm * (wt - nd)), held)
        total = 0.0 + x
        v = vec[ln]
        if total > 0:
            held += x * (1.0 if v >= total else v / total)
            v = v - total if v >= total else 0.0
        sik[q, 0, ln] = held
        vec[ln] = v
        if rnd == 1:  # the pair's stock, as sum_classes sums it: 0.0, then its one class
            si[q, ln] = 0.0 + held


@inline
def sum_classes(q: int, sik: np.ndarray, si: np.ndarray) -> None:
    """A pair's stock ``si[q]``, the sum of its plant classes' in class order (as the reference
    sums them: an increment kept beside would differ in the last bits, and a cover trigger that
    sits exactly at a stock's level would then fire in one engine only)."""
    W = sik.shape[2]
    for ln in range(W):  # lanes inner (vector registers): each lane still adds 0.0, then its
        si[q, ln] = 0.0  # classes in class order
    for j in range(sik.shape[1]):
        for ln in range(W):
            si[q, ln] += sik[q, j, ln]
