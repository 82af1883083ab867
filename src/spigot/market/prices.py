"""Prices per commodity in two market zones (China, ex-China) from stock cover, with arbitrage.

The rule (``docs/model.md``, section Prices), for commodity ``c``, zone ``z``, one step:

1. cover ratio ``x = (stock / use) / cover_target``; target log price
   ``q = clip(-k_c log x, log floor_c, log cap_c)`` (``q = 0`` where the zone has no use);
2. arbitrage: ``d = q_ex - q_cn``; the band is ``[-log(1+b), log(1+b) + log(1+tax)]``. Above the
   band, trade moves ``a = strength x openness`` of the excess ``e``: ``q_ex -= a e s_cn``,
   ``q_cn += a e s_ex`` (``s`` = zone shares of world use: the larger market moves less). Below
   the band (ex-China cheaper) the flow runs into China, which controls no imports: ``a =
   strength``;
3. smoothing: ``log r <- log r + kappa (q - log r)``; ``log r = log(p / p0)`` is the state.

At base stocks and use, ``x = 1``, ``q = 0`` and ``r`` stays exactly 1: no shock, flat prices.

Each rule has a numba kernel for a block of lanes (draws on the last axis; one draw is one lane)
that allocates nothing and draws no random numbers, and a plain-Python reference twin for one
draw, used by the tests.
"""

# ruff: noqa: N806 - sizes are named as in the docs (C commodities, W lanes, ...)

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from spigot.market._common import jit

__all__ = ["price_step", "price_step_ref", "target_log_price", "zone_sum", "zone_sum_ref"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
CN, EX = 0, 1


def target_log_price(stock: float, use: float, cover_target: float, k: float, log_floor: float,
                     log_cap: float) -> float:
    """``q = clip(-k log((stock / use) / cover_target), log_floor, log_cap)``; 0 without use."""
    if use <= 0.0 or cover_target <= 0.0:
        return 0.0
    x = stock / (use * cover_target)
    if x == 1.0:
        return 0.0
    if x <= 0.0:
        return log_cap
    q = -k * math.log(x)
    return min(log_cap, max(log_floor, q))


_target = jit(target_log_price)


def _couple(q_cn: float, q_ex: float, band: float, tax: float, strength: float, openness: float,
            s_cn: float, s_ex: float) -> tuple[float, float]:
    d = q_ex - q_cn
    upper = math.log1p(band) + math.log1p(max(tax, 0.0))
    lower = -math.log1p(band)
    if d > upper:
        a = strength * min(1.0, max(0.0, openness))
        e = d - upper
        return q_cn + a * e * s_ex, q_ex - a * e * s_cn
    if d < lower:
        e = d - lower
        return q_cn + strength * e * s_ex, q_ex - strength * e * s_cn
    return q_cn, q_ex


@jit
def price_step(stock: FloatArray, use: FloatArray, cover_target: FloatArray, inv_flex: FloatArray,
               log_floor: FloatArray, log_cap: FloatArray, zone_share: FloatArray, speed: float,
               band: float, strength: float, tax: FloatArray, openness: FloatArray,
               lrel: FloatArray) -> None:
    """Move the log relative prices ``lrel`` = log(price / base) one step, in place.

    Parameters
    ----------
    stock, use
        (2, C, W): t on hand in each zone (node input and output stocks, region pools, sector
        inventories, plus strategic stock left minus its initial quantity; not in transit, not
        in licensing) and the zone's use this step, t/step.
    cover_target
        (2, C): base stock / base use, steps (the engine's initial state).
    inv_flex, log_floor, log_cap
        (C,): exponent ``k``, log of the floor and cap multiples.
    zone_share
        (2, C): zone shares of base world use (sum 1 per commodity).
    speed, band, strength
        Adjustment share per step, arbitrage band half-width, arbitrage strength.
    tax, openness
        (C, W): export tax in force on China's exports of the commodity (rate), and the share of
        its China -> ex-China flow that passed freely this step (1 without controls).
    lrel
        (2, C, W): log of price / base price (the state, and what the response kernels read),
        updated in place. Prices are ``p0 x exp(lrel)``; the engine exponentiates only what it
        records.
    """
    C = lrel.shape[1]
    W = lrel.shape[2]
    log_band = math.log1p(band)
    for c in range(C):
        k = inv_flex[c]
        lf = log_floor[c]
        lc = log_cap[c]
        ct_cn = cover_target[CN, c]
        ct_ex = cover_target[EX, c]
        s_cn = zone_share[CN, c]
        s_ex = zone_share[EX, c]
        for lane in range(W):
            q_cn = _target(stock[CN, c, lane], use[CN, c, lane], ct_cn, k, lf, lc)
            q_ex = _target(stock[EX, c, lane], use[EX, c, lane], ct_ex, k, lf, lc)
            d = q_ex - q_cn
            if d > log_band:
                x = tax[c, lane]
                upper = log_band + math.log1p(x) if x > 0.0 else log_band
                if d > upper:
                    a = strength * min(1.0, max(0.0, openness[c, lane]))
                    e = d - upper
                    q_cn += a * e * s_ex
                    q_ex -= a * e * s_cn
            elif d < -log_band:
                e = d + log_band
                q_cn += strength * e * s_ex
                q_ex -= strength * e * s_cn
            r_cn = lrel[CN, c, lane]
            r_ex = lrel[EX, c, lane]
            lrel[CN, c, lane] = r_cn + speed * (q_cn - r_cn)
            lrel[EX, c, lane] = r_ex + speed * (q_ex - r_ex)


def price_step_ref(stock: FloatArray, use: FloatArray, cover_target: FloatArray,
                   inv_flex: FloatArray, log_floor: FloatArray, log_cap: FloatArray,
                   zone_share: FloatArray, speed: float, band: float, strength: float,
                   tax: FloatArray, openness: FloatArray, lrel: FloatArray) -> FloatArray:
    """Reference twin of :func:`price_step` for one draw: arrays without the lane axis.

    Takes the log relative prices (2, C) and returns the new ones; the inputs are not changed.
    """
    out = np.array(lrel, dtype=float)
    for c in range(out.shape[1]):
        q = [target_log_price(float(stock[z, c]), float(use[z, c]), float(cover_target[z, c]),
                              float(inv_flex[c]), float(log_floor[c]), float(log_cap[c]))
             for z in (CN, EX)]
        q_cn, q_ex = _couple(q[0], q[1], band, float(tax[c]), strength, float(openness[c]),
                             float(zone_share[CN, c]), float(zone_share[EX, c]))
        for z, target in ((CN, q_cn), (EX, q_ex)):
            out[z, c] += speed * (target - out[z, c])
    return out


@jit
def zone_sum(values: FloatArray, item_zone: IntArray, item_c: IntArray, out: FloatArray) -> None:
    """Add ``values`` (X, W) into ``out`` (2, C, W) by each item's zone and commodity.

    A helper for the engine: zone stocks and uses from its buffers (``out`` is not zeroed).
    """
    X = values.shape[0]
    W = values.shape[1]
    for i in range(X):
        z = item_zone[i]
        c = item_c[i]
        for lane in range(W):
            out[z, c, lane] += values[i, lane]


def zone_sum_ref(values: FloatArray, item_zone: IntArray, item_c: IntArray, n_c: int) -> FloatArray:
    """Reference twin of :func:`zone_sum` for one draw: returns (2, C)."""
    out = np.zeros((2, n_c))
    for v, z, c in zip(values, item_zone, item_c, strict=True):
        out[z, c] += v
    return out
