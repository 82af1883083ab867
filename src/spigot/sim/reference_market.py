"""Phase 8 of the reference engine: markets and responses (``markets: true``), one function
per rule group, each taking the draw's state (:class:`spigot.sim.reference._Draw`).

Prices from stock cover, substitution, sector plans, recycling, capacity of projects and
restarts, fills, safety stocks (``docs/model.md``, "Integration for the engine"), the export tax
in force (phase 1 with markets), and the step's market record and price-histogram bins.
"""

# ruff: noqa: N806 - sizes are named as in the docs
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from spigot.market.demand import plan_step_ref, substitution_step_ref, thrift_step_ref
from spigot.market.parameters import KIND_FIXED
from spigot.market.prices import price_step_ref
from spigot.market.recycling import recycling_step_ref
from spigot.market.stockpiles import safety_stock_step_ref
from spigot.market.supply import fill_step_ref
from spigot.sim.build.model import PRICE_BINS, zone_stock_use

if TYPE_CHECKING:
    from spigot.sim.reference import _Draw

__all__ = ["markets", "policies_market", "price_bins", "record_market"]

FloatArray = npt.NDArray[np.float64]


def markets(self: _Draw, t: int, rec: FloatArray) -> None:
    """Prices and responses (docs/model.md, "Where each kernel runs"), in this order."""
    mk, m = self.mk, self.m
    assert mk is not None
    mp = mk.params
    lay = m.layout
    # export tax in force and the openness of the exporting zone's exports this step
    exported = np.zeros(len(self.tax))
    blocked = np.zeros(len(self.tax))
    for k in np.flatnonzero(mk.route_export):
        c = m.route_c[k]
        exported[c] += rec[lay.start("exports") + k]
        blocked[c] += rec[lay.start("held") + k]
        j = m.plan.route_slot[k]
        if j >= 0:  # approved shipments are not free: the office set their tonnes
            blocked[c] += rec[lay.start("licence_applications") + j]
            x = min(rec[lay.start("licence_approved") + j], exported[c])
            exported[c] -= x
            blocked[c] += x
    for c in range(len(self.tax)):
        sent = exported[c] + blocked[c]
        self.openness[c] = exported[c] / sent if sent > 0 else 1.0
    stock, use = zone_stock_use(m, mk, self.I, self.O, self.pool, self.SI, self.SP,
                                self.reduction, self.plan, self.mult, self.activity)
    self.lrel = price_step_ref(stock, use, mk.cover_target, mp.inv_flex, mp.log_floor,
                               mp.log_cap, mp.zone_share, mp.speed, mp.band,
                               mp.arb_strength, self.tax, self.openness, self.lrel)
    self.reduction = thrift_step_ref(mp.use_floor, mp.use_floor_step, t - 1, False,
                                     self.reduction)
    self.reduction = substitution_step_ref(
        self.lrel, mp.use_zone, mp.use_c, mp.use_cap, mp.subst_log_on, mp.subst_log_full,
        mp.adopt_rate, mp.revert_rate, self.reduction)
    self.reduction = thrift_step_ref(mp.use_floor, mp.use_floor_step, t, True, self.reduction)
    self.plan = plan_step_ref(self.lrel, mp.group_zone, mp.group_elasticity, mp.group_ptr,
                              mp.entry_c, mp.entry_w, mp.plan_floor)
    self.recycled = recycling_step_ref(
        self.lrel, mp.rp_zone, mp.rp_c, mp.rp_capacity, mp.recycle_log_on,
        mp.recycle_log_full, mp.recycle_rate, self.recycled)
    for i, y in enumerate(self.recycled):
        c = mp.rp_c[i]
        if mk.rp_buf[i] >= 0:
            self.pool[mk.rp_buf[i]] += y
        else:
            self.I[mk.rp_node[i], c] += y
        self.recycled_total[c] += y
    self.cap_used = self.cap.copy()  # the capacity of this step, for the record
    self.fill = fill_step_ref(mp, m.recipe_out, self.ship_D, self.ship_ratio, mp.fill_rate,
                              self.fill)
    self._capacity(t + 1)
    self.mult = safety_stock_step_ref(
        self.lrel, self.gap_sb, mp.buf_zone, mp.buf_c, mp.safety_extra,
        mp.safety_log_trigger, mp.safety_up_rate, mp.safety_down_rate, self.mult)
    _apply_responses(self)


def _apply_responses(self: _Draw) -> None:
    """Intensities, plans and cover multipliers for the next step's allocation."""
    mk, m = self.mk, self.m
    assert mk is not None
    mp = mk.params
    self.plan_s = self.plan[mp.plan_group]
    need = np.zeros(len(m.sc_need))
    target = np.zeros(len(m.sc_need))
    for q in range(len(need)):
        u = mk.pair_use[q]
        keep = 1.0 - self.reduction[u] if u >= 0 else 1.0
        need[q] = m.sc_need[q] * keep * self.plan_s[m.sc_sector[q]]
        target[q] = m.sc_target[q] * keep * self.mult[mk.rbuf_sb[m.sc_rbuf[q]]]
    self.need, self.target = need, target


def policies_market(self: _Draw, t: int) -> None:
    """Phase 1 with the market phase: the export tax in force on each commodity."""
    mk = self.mk
    assert mk is not None
    self.tax[:] = 0.0
    for mi, c in zip(mk.tax_measure, mk.tax_c, strict=True):
        if self.act[mi]:
            self.tax[c] = max(self.tax[c], self.p.tax[self.d, mi])


def record_market(self: _Draw, mrec: FloatArray) -> None:
    """One step's market record (see :class:`~spigot.sim.build.model.MarketLayout`)."""
    mk = self.mk
    assert mk is not None
    mp, lay = mk.params, mk.layout
    C = self.lrel.shape[1]
    a = lay.start("price")
    for z in range(2):
        for c in range(C):
            mrec[a + z * C + c] = math.exp(self.lrel[z, c])
    a = lay.start("demand_reduction")
    mrec[a:a + len(self.reduction)] = self.reduction
    a = lay.start("demand_destruction")
    mrec[a:a + len(self.destruction)] = self.destruction
    a = lay.start("capacity_added")
    for n in range(len(self.cap_used)):
        if mp.node_kind[n] != KIND_FIXED:
            mrec[a + n] = self.cap_used[n] - mp.node_base[n]
    a = lay.start("recycled")
    mrec[a:a + len(self.recycled)] = self.recycled
    a = lay.start("stockpile_release")
    mrec[a:a + len(self.released)] = self.released
    a = lay.start("safety_multiplier")
    for i, sb in enumerate(mk.rbuf_sb):
        mrec[a + i] = self.mult[sb] if sb >= 0 else 1.0


def price_bins(self: _Draw) -> tuple[npt.NDArray[np.uint8], FloatArray]:
    """Histogram bins (3, C) of China, ex-China and spread log prices, and the values."""
    mk = self.mk
    assert mk is not None
    values = np.stack([self.lrel[0], self.lrel[1], self.lrel[1] - self.lrel[0]])
    bins = np.zeros(values.shape, dtype=np.uint8)
    for k in range(3):
        for c in range(values.shape[1]):
            x = int((values[k, c] - mk.bin_lo[k, c]) * mk.bin_scale[k, c])
            bins[k, c] = min(PRICE_BINS - 1, max(0, x))
    return bins, values
