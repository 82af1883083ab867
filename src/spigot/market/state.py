"""The market state of a block of lanes: the arrays the kernels update, allocated once.

The engine allocates one :class:`MarketState` per block of lanes before its weekly loop (the
kernels allocate nothing) and keeps it beside its own state. Initial values are the base state:
log relative prices 0, no substitution, no extra recycling, cover multipliers 1, nothing restarted.
"""

# ruff: noqa: N806 - sizes are named as in the docs (C commodities, N nodes, ...)

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from spigot.market.parameters import MarketParams
from spigot.market.supply import NEVER

__all__ = ["MarketState"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(eq=False)
class MarketState:
    """Market arrays of ``W`` lanes (draws on the last axis)."""

    lrel: FloatArray  # (2, C, W) log(price / base price), the price state
    stock: FloatArray  # (2, C, W) scratch: zone stocks the engine fills each step
    use: FloatArray  # (2, C, W) scratch: zone use this step
    tax: FloatArray  # (C, W) export tax in force
    openness: FloatArray  # (C, W) share of the China -> ex-China flow passing freely
    reduction: FloatArray  # (U, W) substitution: share of intensity removed
    plan: FloatArray  # (G, W) share of planned output each sector group still wants
    start: IntArray  # (N, W) sampled project start steps
    above: IntArray  # (N, W) consecutive steps above the restart price
    restart_at: IntArray  # (N, W) restart step (NEVER: none)
    cap_avail: FloatArray  # (N, W) usable capacity, t activity/step
    cap_qual: FloatArray  # (N, W) capacity qualified for sector-bound routes
    weight: FloatArray  # (K, W) route order weights
    recycled: FloatArray  # (RP, W) extra recycling output, t/step
    on_hand: FloatArray  # (P, W) scratch: stockpile holders' on-hand
    left: FloatArray  # (P, W) t left in stockpiles
    released: FloatArray  # (P, W) t released this step
    shortfall: FloatArray  # (B, W) scratch: region buffers' shortfall this step
    mult: FloatArray  # (B, W) cover-target multipliers

    @classmethod
    def allocate(cls, p: MarketParams, lanes: int, stockpiles: FloatArray,
                 start: IntArray | None = None) -> MarketState:
        """Base-state arrays for ``lanes`` lanes.

        Parameters
        ----------
        p
            The market parameters.
        lanes
            Number of lanes ``W``.
        stockpiles
            (P,) initial stockpile quantities, t.
        start
            (N, W) project start steps (:func:`~spigot.market.supply.sample_project_starts`,
            transposed to lanes); default :data:`~spigot.market.supply.NEVER` (no project
            starts).
        """
        W = lanes
        Z, C = p.p0.shape
        N = len(p.node_kind)
        P, B = len(p.pile_c), len(p.buf_c)
        ones = np.ones
        return cls(
            lrel=np.zeros((Z, C, W)), stock=np.zeros((Z, C, W)), use=np.zeros((Z, C, W)),
            tax=np.zeros((C, W)), openness=ones((C, W)),
            reduction=np.zeros((p.n_uses, W)), plan=ones((len(p.group_zone), W)),
            start=np.full((N, W), NEVER, dtype=np.int64) if start is None
            else np.ascontiguousarray(start, dtype=np.int64),
            above=np.zeros((N, W), dtype=np.int64),
            restart_at=np.full((N, W), NEVER, dtype=np.int64),
            cap_avail=np.repeat(p.node_usable[:, None], W, axis=1),
            cap_qual=np.repeat(p.node_usable[:, None], W, axis=1),
            weight=np.repeat(p.route_base[:, None], W, axis=1), recycled=np.zeros((len(p.rp_c), W)),
            on_hand=np.zeros((P, W)),
            left=np.repeat(np.asarray(stockpiles, dtype=float)[:, None], W, axis=1),
            released=np.zeros((P, W)), shortfall=np.zeros((B, W)), mult=ones((B, W)),
        )
