"""The allocation and consumption phases for one plant class per pair (``KP == 1``, the
default), bit for bit what the general rules of :mod:`spigot.sim.phases` give.

With one plant class a pair's stock ``si`` is its class's ``sik`` (summed as ``0.0 + sik``,
as :func:`spigot.sim.phases._sum_classes` sums one class, so that not even the sign of a zero
differs). The general rules pass over a buffer's or a sector's pairs once more to sum the
classes, and loop over the classes; these do the same arithmetic, in the same order, with the
sum written in the last pass that touches the stock (docs/design.md, Engine: "One plant class
in fewer passes").
"""

# ruff: noqa: N806 - sizes are named as in the docs (W lanes, B buffers)
from __future__ import annotations

import numpy as np

from spigot.market._common import inner
from spigot.sim.state import FlowState, MarketState, ModelArrays

__all__ = ["allocate_one", "request", "use_one"]


@inner
def request(rnd: int, pace: float, need: float, want: float, held: float) -> float:
    """A pair's request in allocation round ``rnd`` (see :func:`allocate`), t."""
    short = max(0.0, need - held)
    gap = max(0.0, want - held)
    if rnd == 0:
        return short + (gap - short) * pace
    return gap



@inner
def allocate_one(g: ModelArrays, ms: MarketState, fs: FlowState) -> None:
    """:func:`allocate` for one plant class per pair (``KP == 1``, the default), bit for bit.

    The same requests, shares and additions in the same order; the pair's stock ``si`` is
    written in round 1's pass (``0.0 + sik``, as :func:`_sum_classes` sums one class), which
    visits every pair of the buffer, instead of a pass of its own; no class loop.
    """
    buf_c = g.buf_c
    B = buf_c.shape[0]
    W = fs.inv_in.shape[2]
    buf_adjust = g.buf_adjust
    buf_sc = g.buf_sc
    buf_sc_ptr = g.buf_sc_ptr
    w = g.cls_share[0]
    dm = g.cls_mult[0] - 1.0
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
                g_end = i
                for ln in range(W):
                    vec2[ln] = 0.0
                while g_end < stop and sc_priority[buf_sc[g_end]] == prio:
                    q = buf_sc[g_end]
                    for ln in range(W):
                        nd = need_l[q, ln]
                        wt = want_l[q, ln]
                        x = request(rnd, pace, w * nd, w * (wt + dm * (wt - nd)), sik[q, 0, ln])
                        req[q, 0, ln] = x
                        vec2[ln] += x
                    g_end += 1
                for ln in range(W):
                    total = vec2[ln]
                    fac[ln] = 1.0 if vec[ln] >= total else vec[ln] / total
                for h in range(i, g_end):
                    q = buf_sc[h]
                    if rnd == 0:
                        for ln in range(W):
                            if vec2[ln] > 0:
                                sik[q, 0, ln] += req[q, 0, ln] * fac[ln]
                    else:  # the last round: the pair's stock is final here
                        for ln in range(W):
                            v = sik[q, 0, ln]
                            if vec2[ln] > 0:
                                v += req[q, 0, ln] * fac[ln]
                                sik[q, 0, ln] = v
                            si[q, ln] = 0.0 + v
                for ln in range(W):
                    total = vec2[ln]
                    if total > 0:
                        vec[ln] = vec[ln] - total if vec[ln] >= total else 0.0
                i = g_end
        for ln in range(W):
            pool[b, ln] = vec[ln]


@inner
def use_one(s: int, g: ModelArrays, ms: MarketState, fs: FlowState, rbuf_sb: np.ndarray) -> None:
    """Sector ``s``'s pairs use their need with one plant class (see
    :func:`spigot.sim.phases.consume`), bit for bit the general rule.

    One pass adds the signed gaps of the sector's regions (``ms.gap_sb``, t, from the stocks
    ``si`` before use) and finds the scarcest input's share of its need ``u`` (1); the second
    records the shortfall (``fs.rec``, t), uses ``u`` times the need from ``sik`` (t) and
    writes ``si`` = ``0.0 + sik``. ``fs.vec`` gets the sector's share of its plan made,
    ``0.0 + w u``. ``rbuf_sb``: a region buffer's safety-stock row (-1: none).
    """
    W = fs.inv_in.shape[2]
    consumed = fs.consumed
    need_l = ms.need_l
    o_short = g.o_shortfall
    rec = fs.rec
    sc_c = g.sc_c
    sc_rbuf = g.sc_rbuf
    h0 = g.sec_ptr[s]
    h1 = g.sec_ptr[s + 1]
    sec_sc = g.sec_sc
    gap_sb = ms.gap_sb
    si = fs.si
    sik = fs.sik
    w = g.cls_share[0]
    cu = fs.fac  # the class's share of its need it can make
    vec = fs.vec
    for ln in range(W):
        cu[ln] = 1.0
    for h in range(h0, h1):
        q = sec_sc[h]
        sb = rbuf_sb[sc_rbuf[q]]
        if sb >= 0:  # signed: the region is short only if its lines hold < their need
            for ln in range(W):
                gap_sb[sb, ln] += need_l[q, ln] - si[q, ln]
        for ln in range(W):  # a step's need on hand does not bind (no division)
            nd = w * need_l[q, ln]
            if sik[q, 0, ln] < nd:
                cu[ln] = min(cu[ln], sik[q, 0, ln] / nd)
    for h in range(h0, h1):
        q = sec_sc[h]
        c = sc_c[q]
        r = o_short + sc_rbuf[q]
        for ln in range(W):
            nd = w * need_l[q, ln]
            v = sik[q, 0, ln]
            rec[r, ln] += max(0.0, nd - v)
            x = cu[ln] * nd
            v -= x
            sik[q, 0, ln] = v
            si[q, ln] = 0.0 + v
            consumed[c, ln] += x
    for ln in range(W):  # the sector makes its class's share
        vec[ln] = 0.0 + w * cu[ln]
