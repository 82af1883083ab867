"""The reference engine's phases 5 and 6, the sectors' side: a region's pool shared over its
sectors' plant classes (allocation) and the classes' consumption (Leontief per class), each
taking the draw's state (:class:`spigot.sim.reference._Draw`).

A region x sector's stock is split into plant classes (``SimModel.cls_share``, their shares of
its output, and ``SimModel.cls_mult``, their cover targets' multiples of the sector's;
:func:`spigot.sim.build.model.plant_classes`): class ``j`` of pair ``q`` holds ``SIK[q, j]`` t,
needs ``w_j need_q`` a step and wants ``w_j (want_q + (m_j - 1)(want_q - need_q))`` on hand
after the step's need (its own cover target plus its need). ``SI[q]``, what the other phases
read, is the sum of its classes. One class (share 1, multiple 1) is the sector with one stock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from spigot.sim.reference import _Draw

__all__ = ["allocate", "consume", "share_pool"]

FloatArray = npt.NDArray[np.float64]


def share_pool(available: float, priority: list[int], need: list[float], want: list[float],
               held: list[float], pace: float, out: FloatArray, index: list[int]) -> float:
    """Share a region's pool over its sector-commodity pairs; return what is left, t.

    Two rounds, each over the priority classes in order (1 first) and pro rata within a class
    when the pool cannot meet the class's requests. Round 0: a pair asks for its missing need
    ``short = max(0, need - held)`` plus ``pace`` (1 / the buffer's cover in steps, the time the
    reorder rule gives an inventory gap) of the rest of its gap ``max(0, want - held) - short``;
    round 1: for what is still missing. A class so rebuilds its cover at the pace of its orders,
    not all at once ahead of a lower class's running lines.

    Parameters
    ----------
    available
        The pool, t.
    priority, need, want, held
        Per pair (sorted by priority): class, this step's need (t), target on hand + need (t),
        stock held (t).
    pace
        Share of a pair's cover gap served in round 0, 1/step.
    out, index
        ``out[index[i]] += given to pair i`` (the engine's pair stocks).
    """
    stock = list(held)
    for first_round in (True, False):
        i = 0
        while i < len(priority):
            group = [j for j in range(i, len(priority)) if priority[j] == priority[i]]
            i += len(group)
            requests = []
            for j in group:
                short = max(0.0, need[j] - stock[j])
                gap = max(0.0, want[j] - stock[j])
                requests.append(short + (gap - short) * pace if first_round else gap)
            total = sum(requests)
            if total <= 0:
                continue
            share = 1.0 if available >= total else available / total
            for j, r in zip(group, requests, strict=True):
                stock[j] += r * share
                out[index[j]] += r * share
            available = available - total if available >= total else 0.0
    return available


def allocate(d: _Draw) -> None:
    """Phase 5: each region pool to its sectors' plant classes (:func:`share_pool` over the
    classes of its pairs, pair by pair, each pair's classes in order: a priority class's share
    goes to the plant classes in proportion to their requests)."""
    m = d.m
    share, mult = m.cls_share, m.cls_mult
    kp = len(share)
    flat = d.SIK.reshape(-1)  # a view: share_pool adds to the classes' stocks
    for b in range(m.rbuf0, m.n_buffers):
        pairs = [int(q) for q in m.buf_sc[m.buf_sc_ptr[b]:m.buf_sc_ptr[b + 1]]]
        prio, need, want, held, index = [], [], [], [], []
        for q in pairs:
            nd = float(d.need[q])
            wt = float(d.target[q] + d.need[q])
            for j in range(kp):
                w = float(share[j])
                prio.append(int(m.sc_priority[q]))
                need.append(w * nd)
                want.append(w * (wt + (float(mult[j]) - 1.0) * (wt - nd)))
                held.append(float(d.SIK[q, j]))
                index.append(q * kp + j)
        d.pool[b] = share_pool(d.pool[b], prio, need, want, held, 1.0 / m.buf_adjust[b],
                               out=flat, index=index)
        for q in pairs:
            d.SI[q] = d.SIK[q].sum()


def consume(d: _Draw, t: int, rec: FloatArray, scal: FloatArray, first_stop: list[int]) -> None:
    """Phase 6: each plant class makes what its scarcest input allows (Leontief), the sector
    the sum of its classes; lost output, shortfall (the classes' missing need) and stoppages
    (the sector's output share below ``stop_below``)."""
    m = d.m
    lay = m.layout
    mk = d.mk
    if mk is not None:
        d.gap_sb[:] = 0.0
    need = d.need
    share = m.cls_share
    for s in range(len(m.sector_output)):
        pairs = m.sec_sc[m.sec_ptr[s]:m.sec_ptr[s + 1]]
        if mk is not None:  # signed: short only if its lines hold < their need
            for q in pairs:
                d.gap_sb[mk.rbuf_sb[m.sc_rbuf[q]]] += need[q] - d.SI[q]
        u = 0.0
        for j in range(len(share)):
            w = float(share[j])
            uj = 1.0
            for q in pairs:
                uj = min(uj, d.SIK[q, j] / (w * need[q]))
            for q in pairs:
                nd = w * need[q]
                rec[lay.start("shortfall") + m.sc_rbuf[q]] += max(0.0, nd - d.SIK[q, j])
                d.SIK[q, j] -= uj * nd
                d.consumed[m.sc_c[q]] += uj * nd
            u += w * uj
        for q in pairs:
            d.SI[q] = d.SIK[q].sum()
        # stoppages lose output of the plan (1 without markets: x 1.0 is exact); the rest
        # is demand destruction
        lost = (1.0 - u) * m.sector_output[s] * d.plan_s[s]
        d.destruction[s] = (1.0 - d.plan_s[s]) * m.sector_output[s]
        rec[lay.start("lost_units") + s] += lost
        scal[0, s] += lost
        scal[1, s] += lost * m.sector_value[s]
        if u < m.stop_below:
            rec[lay.start("stopped") + s] = 1.0
            scal[2, s] += 1.0
            if first_stop[s] < 0:
                first_stop[s] = t
