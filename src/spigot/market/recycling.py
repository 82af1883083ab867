"""Recycling: extra supply from end-of-life and production scrap, with a capacity and a lag.

Per recycling pair (region ``r``, commodity ``c``) and step (``docs/model.md``, section
Recycling): the target output is ``y* = K_rc x g(log rel)``, where ``K_rc = share_c x base use_rc``
is the extra recycling capacity the region can mobilise (scrap that the base year did not
recover: magnet swarf and end-of-life magnets, carbide scrap, lead-acid batteries, wafer and
optics scrap) and ``g`` the ramp, linear in log price, between ``recycling_price_on`` and ``_full``
of the relative price in the region's zone. The output follows the target with a first-order lag,
``y <- y + (y* - y) (1 - exp(-dt / tau))``.

Base-year recycling is already inside the dataset's flows (its uses are met by its supply), so
only this *extra* output is a new source: zero at base prices, and the baseline stays flat. The
engine adds ``y`` t to the region's pool of ``c`` each step and counts it as a source in the
conservation identity.
"""

# ruff: noqa: N806 - sizes are named as in the docs (C commodities, W lanes, ...)

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from spigot.market._common import jit, ramp, ramp_py

__all__ = ["recycling_step", "recycling_step_ref"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@jit
def recycling_step(lrel: FloatArray, rp_zone: IntArray, rp_c: IntArray, rp_capacity: FloatArray,
                   log_on: float, log_full: float, rate: float, output: FloatArray) -> None:
    """Move recycling output ``output`` (RP, W), t/step, one step towards its target, in place.

    Parameters
    ----------
    lrel
        (2, C, W) log relative prices.
    rp_zone, rp_c, rp_capacity
        (RP,) zone, commodity and extra capacity (t/step) of each recycling pair.
    log_on, log_full
        Logs of the relative prices where extra recycling starts and where it reaches
        capacity (linear in log price between them).
    rate
        Share of the gap to the target closed per step, ``1 - exp(-dt / tau)``.
    output
        (RP, W) t/step recovered this step; updated in place.
    """
    RP = output.shape[0]
    W = output.shape[1]
    for i in range(RP):
        z = rp_zone[i]
        c = rp_c[i]
        cap = rp_capacity[i]
        for lane in range(W):
            target = cap * ramp(lrel[z, c, lane], log_on, log_full)
            output[i, lane] += (target - output[i, lane]) * rate


def recycling_step_ref(lrel: FloatArray, rp_zone: IntArray, rp_c: IntArray,
                       rp_capacity: FloatArray, log_on: float, log_full: float, rate: float,
                       output: FloatArray) -> FloatArray:
    """Reference twin of :func:`recycling_step` for one draw; returns the new (RP,) output."""
    out = np.array(output, dtype=float)
    for i in range(len(out)):
        target = rp_capacity[i] * ramp_py(float(lrel[rp_zone[i], rp_c[i]]), log_on, log_full)
        out[i] = out[i] + (target - out[i]) * rate
    return out
