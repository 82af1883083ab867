"""A run's outputs summed over its chunks: the one place where chunks become a run's totals.

:func:`spigot.simulate` runs its chunks one after the other in this process; a sweep
(:mod:`spigot.sweep.chunks`) runs them anywhere and merges them later. Both reduce each chunk's
raw output arrays (:func:`~spigot.sim.engine.allocate_outputs`) to a :class:`ChunkOutput` and add
the chunks to a :class:`RunTotals` in block order: block sums added one by one from zero, per-draw
arrays placed at their draws, price histograms summed (integers), price bounds by min/max. So the
totals are bit-identical whatever the chunking, the process and the order the chunks came in.
"""

# ruff: noqa: N806 - sizes are named as in the engine (T steps, C commodities, ...)
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numba as nb
import numpy as np
import numpy.typing as npt

from spigot.market._common import ZERO
from spigot.results.results import PRICE_QUANTILES, MarketTotals, Results
from spigot.scenarios.models import Scenario
from spigot.sim.build.model import PRICE_BINS, SimModel

__all__ = ["ChunkOutput", "RunTotals", "bin_counts", "quantiles_by_step"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@nb.njit(cache=True, error_model="numpy", parallel=True)
def _count_bins(price_bin: np.ndarray, counts: np.ndarray) -> None:  # pragma: no cover - numba
    T, D, Z, C = price_bin.shape
    for t in nb.prange(T):  # step-major: one step's counts stay in cache; steps on all cores
        for d in range(D):
            for z in range(Z):
                for c in range(C):
                    counts[t, z, c, price_bin[t, d, z, c]] += 1


def bin_counts(price_bin: np.ndarray) -> IntArray:
    """Histogram counts (T, 3, C, PRICE_BINS) of per-draw bin indices (T, D, 3, C).

    Integer counts: the order in which draws are added does not matter (chunk-invariant).
    """
    T, _, Z, C = price_bin.shape
    counts = np.zeros((T, Z, C, PRICE_BINS), dtype=np.int64)
    _count_bins(price_bin, counts)
    return counts


@nb.njit(cache=True, error_model="numpy", parallel=True)
def _draw_quantiles(values: np.ndarray, qs: np.ndarray, out: np.ndarray,
                    n_part: int) -> None:  # pragma: no cover - numba
    T, D, C = values.shape
    for part in nb.prange(n_part):  # one scratch row block per thread, reused over its steps
        buf = np.empty((C, D))  # (a fresh one per step re-faulted 1.7 MB of pages each time)
        for t in range(part * T // n_part, (part + 1) * T // n_part):
            for d in range(D):  # the step's (D, C) block, read row by row, into a row per commodity
                for c in range(C):
                    buf[c, d] = values[t, d, c]
            for c in range(C):
                row = buf[c]
                has_nan = False
                for d in range(D):
                    if np.isnan(row[d]):
                        has_nan = True
                if has_nan:
                    for i in range(qs.shape[0]):
                        out[i, t, c] = np.nan
                    continue
                lo = ZERO  # int64, not a literal: _select compiles once
                for i in range(qs.shape[0]):  # ascending: each selection works above the last
                    v = (D - 1) * qs[i]
                    if v >= D - 1:  # numpy: the largest value, as a lerp of it with itself at
                        a = _select(row, lo, D - 1)  # weight v + 1 (NaN if it is infinite)
                        out[i, t, c] = a - (a - a) * (1 - (v + 1))
                        continue
                    k = math.floor(v)
                    a = _select(row, lo, k)
                    b = row[k + 1]
                    for j in range(k + 2, D):
                        b = min(b, row[j])
                    gamma = v - k
                    diff = b - a
                    out[i, t, c] = b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma
                    lo = k


@nb.njit(cache=True, error_model="numpy")
def _select(row: np.ndarray, lo: int, k: int) -> float:  # pragma: no cover - numba
    """Reorder ``row[lo:]`` so that ``row[k]`` holds the value it would hold sorted, everything
    before it is no larger and everything after no smaller (quickselect, median of three);
    return ``row[k]``. ``row[:lo]`` must already be no larger than ``row[lo:]``."""
    hi = row.shape[0] - 1
    while hi > lo:
        mid = (lo + hi) // 2
        if row[mid] < row[lo]:
            row[mid], row[lo] = row[lo], row[mid]
        if row[hi] < row[lo]:
            row[hi], row[lo] = row[lo], row[hi]
        if row[hi] < row[mid]:
            row[hi], row[mid] = row[mid], row[hi]
        pivot = row[mid]
        i, j = lo, hi
        while i <= j:
            while row[i] < pivot:
                i += 1
            while row[j] > pivot:
                j -= 1
            if i <= j:
                row[i], row[j] = row[j], row[i]
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            break
    return row[k]


def quantiles_by_step(values: np.ndarray) -> FloatArray:
    """:data:`PRICE_QUANTILES` over draws of ``values`` (T, D, C): the same numbers as
    ``np.quantile(values, q, axis=1)`` (numpy's default, linear method; a commodity with a NaN
    at a step gets NaN), steps on all cores, without numpy's copy of the whole array (874 MB at
    10,000 draws x 520 weeks)."""
    out = np.empty((len(PRICE_QUANTILES), values.shape[0], values.shape[2]))
    if values.shape[1] == 0:
        out[:] = np.nan
        return out
    n_part = min(values.shape[0], nb.get_num_threads())  # steps in n_part runs, one per thread
    _draw_quantiles(values, np.asarray(PRICE_QUANTILES, dtype=np.float64), out, n_part)
    return out


@dataclass
class ChunkOutput:
    """What the chunk of draw blocks ``b0 .. b1 - 1`` adds to its run (no trajectories).

    Per-block sums (``block_sum``, ``market_sum``: (blocks, T, fields)), per-draw arrays of the
    chunk's draws, and the market phase's price histogram counts and bounds (``None`` without a
    market phase; ``counts`` also when they were added to the run's histogram directly).
    ``export_draw`` (T, chunk draws, C) is ``None`` when the engine wrote the chunk's exports
    straight into the run's array (:attr:`RunTotals.export_draw`).
    """

    b0: int
    b1: int
    block_sum: FloatArray
    market_sum: FloatArray
    sector_scalars: FloatArray
    first_stop: IntArray
    shortfall_total: FloatArray
    residual: FloatArray
    throughput: FloatArray
    export_draw: FloatArray | None
    counts: IntArray | None
    price_min: FloatArray | None
    price_max: FloatArray | None
    restart_step: IntArray
    recycled_total: FloatArray
    reaction_fired: IntArray

    @classmethod
    def from_outputs(cls, model: SimModel, out: dict[str, np.ndarray], b0: int, b1: int,
                     exports_in_place: bool = False, bins_counted_later: bool = False,
                     ) -> ChunkOutput:
        """The chunk's part of the run from the engine's output arrays ``out``.

        The arrays are referenced, not copied: add the chunk to its :class:`RunTotals` before
        ``out`` is refilled for the next chunk. ``exports_in_place``: the engine wrote the
        exports into the run's own array (``export_draw`` is then ``None``).
        ``bins_counted_later``: ``counts`` is ``None``; the run counts the chunk's price bins
        straight into its own histogram (:meth:`RunTotals.add` with ``price_bin``).
        """
        market = model.market is not None
        return cls(
            b0=b0, b1=b1, block_sum=out["block_sum"], market_sum=out["market_sum"],
            sector_scalars=out["sector_scalars"], first_stop=out["first_stop"],
            shortfall_total=out["shortfall_total"], residual=out["residual"],
            throughput=out["throughput"],
            export_draw=None if exports_in_place else out["export_draw"],
            counts=bin_counts(out["price_bin"]) if market and not bins_counted_later else None,
            price_min=out["price_min"].min(axis=0) if market else None,
            price_max=out["price_max"].max(axis=0) if market else None,
            restart_step=out["restart_step"], recycled_total=out["recycled_total"],
            reaction_fired=out["reaction_fired"])


class RunTotals:
    """A run's outputs, filled chunk by chunk (:meth:`add`, in block order), then turned into
    :class:`~spigot.results.Results` (:meth:`results`).

    Parameters
    ----------
    model
        The prepared model of the run.
    n_draws
        Draws in the run.
    block_size
        Draws per block (:data:`spigot.sim.engine.BLOCK_SIZE`): chunk ``b0`` starts at draw
        ``b0 * block_size``.
    """

    def __init__(self, model: SimModel, n_draws: int, block_size: int) -> None:
        T = model.steps
        S, C = len(model.net.sectors), len(model.net.commodities)
        mk = model.market
        n_rec, n_c, n_n = (mk.layout.size, C, len(model.node_cap)) if mk is not None else (0, 0, 0)
        self.model = model
        self.block_size = block_size
        self.next_block = 0
        self.totals = np.zeros((T, model.layout.size))
        self.market_totals = np.zeros((T, n_rec))
        self.sector_scalars = np.zeros((n_draws, 3, S))
        self.first_stop = np.full((n_draws, S), -1, dtype=np.int64)
        self.shortfall_total = np.zeros((n_draws, model.layout.n_rbuf))
        self.residual = np.zeros((n_draws, C))
        self.throughput = np.zeros((n_draws, C))
        self.counts = np.zeros((T, 3, n_c, PRICE_BINS), dtype=np.int64)
        self.price_min = np.full((T, 3, n_c), np.inf)
        self.price_max = np.full((T, 3, n_c), -np.inf)
        self.restart_step = np.full((n_draws, n_n), -1, dtype=np.int64)
        self.recycled_total = np.zeros((n_draws, n_c))
        #: (T, draws, C) cross-border exports per draw; the engine may write into it directly.
        self.export_draw = np.zeros((T, n_draws, C))
        self.reaction_fired = np.full((n_draws, len(model.plan.rx_ids)), -1, dtype=np.int64)

    def add(self, c: ChunkOutput, price_bin: npt.NDArray[np.uint8] | None = None) -> None:
        """Add chunk ``c``, the next one in block order.

        ``price_bin``: the chunk's per-draw price bins (T, chunk draws, 3, C), counted straight
        into the run's histogram (for a chunk made with ``bins_counted_later``: no per-chunk
        histogram; integer counts do not depend on the order).

        Raises
        ------
        ValueError
            If ``c`` does not start at the block after the last one added, or if a market
            chunk's price bins would be counted twice or not at all (``counts`` and
            ``price_bin`` both given, or neither).
        """
        if c.b0 != self.next_block:
            raise ValueError(f"chunks must be added in block order: expected block "
                             f"{self.next_block}, got {c.b0}")
        if c.price_min is not None and (c.counts is None) == (price_bin is None):
            raise ValueError("a market chunk's price bins are counted once: give price_bin "
                             "for a chunk made with bins_counted_later, and only then")
        self.next_block = c.b1
        d0 = c.b0 * self.block_size
        d1 = d0 + c.first_stop.shape[0]
        for b in range(c.b1 - c.b0):  # block sums added in block order
            self.totals += c.block_sum[b]
            self.market_totals += c.market_sum[b]
        if c.counts is not None:
            self.counts += c.counts
        if price_bin is not None and price_bin.shape[3] > 0:
            _count_bins(price_bin, self.counts)
        if c.price_min is not None and c.price_max is not None:
            self.price_min = np.minimum(self.price_min, c.price_min)
            self.price_max = np.maximum(self.price_max, c.price_max)
        self.restart_step[d0:d1] = c.restart_step
        self.recycled_total[d0:d1] = c.recycled_total
        self.sector_scalars[d0:d1] = c.sector_scalars
        self.first_stop[d0:d1] = c.first_stop
        self.reaction_fired[d0:d1] = c.reaction_fired
        self.shortfall_total[d0:d1] = c.shortfall_total
        self.residual[d0:d1] = c.residual
        self.throughput[d0:d1] = c.throughput
        if c.export_draw is not None:
            self.export_draw[:, d0:d1] = c.export_draw

    def results(self, scen: Scenario, manifest: dict[str, Any],
                traj: FloatArray | None = None) -> Results:
        """The run's :class:`~spigot.results.Results` (``traj``: the kept draws' trajectories)."""
        model = self.model
        market = None if model.market is None else MarketTotals(
            sums=self.market_totals, counts=self.counts, low=self.price_min,
            high=self.price_max, restart_step=self.restart_step,
            recycled_total=self.recycled_total)
        if traj is None:
            traj = np.zeros((0, model.steps, model.layout.size))
        return Results.from_run(
            model, scen, manifest, totals=self.totals, sector_scalars=self.sector_scalars,
            first_stop=self.first_stop, shortfall_total=self.shortfall_total,
            residual=self.residual, throughput=self.throughput, traj=traj, market=market,
            export_quantiles=quantiles_by_step(self.export_draw),
            reaction_fired=self.reaction_fired)
