"""Stockpile release rules and firms' safety-stock policies.

**Release** (``docs/model.md``, section Stockpiles): a stockpile ``i`` with ``left_i > 0``
releases ``min(max_release_i, left_i)`` t into its holder's pool in a step when the holder's
cover of the commodity, ``on_hand / use``, is below ``release_below_cover_i`` steps, or when the
relative price in the holder's zone is at least the pile's trigger (its own
``release_above_price``, else ``stockpile_price_trigger``; the kernels compare log prices; an off
trigger is ``+inf``). A pile that a measure owns (a ``StockpileRelease``) releases only in the
steps that measure is in force. Mass: ``left + released`` is the quantity before the step.

**Safety stocks**: a region buffer's cover target is multiplied by ``m``, which moves towards
``1 + extra`` while the buffer is in shock (its sectors together hold less than this step's need, or the
relative price in its zone is at least ``safety_stock_trigger_price``) and back towards 1
otherwise, each with its own first-order lag (``up`` fast, ``down`` slow). The engine scales the
buffer's target on-hand and target position by ``m`` and multiplies the buffer's use by ``m`` in
the price rule's input (prices measure stock against what holders want to hold): firms hoard after
a shock, which itself tightens the market.
"""

# ruff: noqa: N806 - sizes are named as in the docs (C commodities, W lanes, ...)

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from spigot.market._common import jit

__all__ = ["release_step", "release_step_ref", "safety_stock_step", "safety_stock_step_ref"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _releases(left: float, on_hand: float, use: float, cover_below: float, max_release: float,
              log_trigger: float, lrel: float) -> float:
    if left <= 0.0 or max_release <= 0.0:
        return 0.0
    low_cover = use > 0.0 and on_hand < cover_below * use
    high_price = lrel >= log_trigger
    if low_cover or high_price:
        return min(max_release, left)
    return 0.0


_releases_jit = jit(_releases)


@jit
def release_step(on_hand: FloatArray, use: FloatArray, cover_below: FloatArray,
                 max_release: FloatArray, log_trigger: FloatArray, lrel: FloatArray,
                 pile_zone: IntArray, pile_c: IntArray, pile_measure: IntArray,
                 active: npt.NDArray[np.bool_], left: FloatArray,
                 released: FloatArray) -> None:
    """Release stockpiles by their rule for a block of lanes.

    Parameters
    ----------
    on_hand
        (P, W) t the holder region has on hand for its sectors (pool and inventories).
    use
        (P,) the holder's base use, t/step (``SimModel.buf_use`` of the holder's buffer).
    cover_below, max_release
        (P,) release threshold in steps of cover (0: never by cover), largest release per step.
    log_trigger
        (P,) log of the relative price at which a stockpile also releases (``inf``: off).
    lrel
        (2, C, W) log relative prices.
    pile_zone, pile_c
        (P,) holder's zone and the commodity.
    pile_measure, active
        (P,) measure that owns the pile (-1: none) and (M, W) whether each measure is in
        force this step: an owned pile releases only while its measure is.
    left
        (P, W) t still held; updated in place.
    released
        (P, W) out: t released this step (the engine adds it to the holder's pool).
    """
    P = left.shape[0]
    W = left.shape[1]
    for i in range(P):
        z = pile_zone[i]
        c = pile_c[i]
        m = pile_measure[i]
        for lane in range(W):
            if m >= 0 and not active[m, lane]:
                released[i, lane] = 0.0
                continue
            r = _releases_jit(left[i, lane], on_hand[i, lane], use[i], cover_below[i],
                              max_release[i], log_trigger[i], lrel[z, c, lane])
            left[i, lane] -= r
            released[i, lane] = r


def release_step_ref(on_hand: FloatArray, use: FloatArray, cover_below: FloatArray,
                     max_release: FloatArray, log_trigger: FloatArray, lrel: FloatArray,
                     pile_zone: IntArray, pile_c: IntArray, on: npt.NDArray[np.bool_],
                     left: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Reference twin of :func:`release_step` for one draw (``on``: (P,) whether each pile may
    release this step); returns ``(left, released)``."""
    new_left = np.array(left, dtype=float)
    released = np.zeros(len(new_left))
    for i in range(len(new_left)):
        if not on[i]:
            continue
        released[i] = _releases(float(new_left[i]), float(on_hand[i]), float(use[i]),
                                float(cover_below[i]), float(max_release[i]),
                                float(log_trigger[i]),
                                float(lrel[pile_zone[i], pile_c[i]]))
        new_left[i] -= released[i]
    return new_left, released


@jit
def safety_stock_step(lrel: FloatArray, gap: FloatArray, buf_zone: IntArray,
                      buf_c: IntArray, extra: float, log_trigger: float, up_rate: float,
                      down_rate: float, mult: FloatArray) -> None:
    """Move the cover-target multipliers ``mult`` (B, W) of region buffers one step, in place.

    ``target = 1 + extra`` if ``gap > 0`` or ``lrel >= log_trigger`` (``inf``: off), else 1, where
    ``gap`` (t) is the buffer's need this step minus what its sectors hold: a region whose lines
    together hold less than they need is short; one class starved while another holds cover is
    not (its firms would otherwise hoard against a shortfall their own hoard makes);
    ``mult += (target - mult) x (up_rate if target > mult else down_rate)``.
    """
    B = mult.shape[0]
    W = mult.shape[1]
    for b in range(B):
        z = buf_zone[b]
        c = buf_c[b]
        for lane in range(W):
            shock = gap[b, lane] > 0.0 or lrel[z, c, lane] >= log_trigger
            target = 1.0 + extra if shock else 1.0
            m = mult[b, lane]
            mult[b, lane] = m + (target - m) * (up_rate if target > m else down_rate)


def safety_stock_step_ref(lrel: FloatArray, gap: FloatArray, buf_zone: IntArray,
                          buf_c: IntArray, extra: float, log_trigger: float, up_rate: float,
                          down_rate: float, mult: FloatArray) -> FloatArray:
    """Reference twin of :func:`safety_stock_step` for one draw; returns the new (B,) array."""
    out = np.array(mult, dtype=float)
    for b in range(len(out)):
        shock = gap[b] > 0 or lrel[buf_zone[b], buf_c[b]] >= log_trigger
        target = 1.0 + extra if shock else 1.0
        out[b] += (target - out[b]) * (up_rate if target > out[b] else down_rate)
    return out
