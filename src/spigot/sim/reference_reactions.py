"""The reference engine's revenue triggers: the exporter's lost export revenue per step and
over a trigger's window (the rules :func:`spigot.sim.reactions.revenue_lost` compiles).

docs/design.md, "Reactions", defines the quantity: per step, a revenue trigger's base revenue
(``SimModel.rx_base_usd``, USD/step) minus the step's exports on its routes at the draw's
prices (base price in the destination's zone x ``exp(lrel)``; base without markets).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from spigot.policy.plan import TR_REVENUE

if TYPE_CHECKING:
    from spigot.sim.build.model import SimModel

__all__ = ["revenue_lost_ref", "window_lost_ref"]

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
