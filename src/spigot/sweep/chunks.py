"""One sweep task: a parameter point's scenario run on a range of the engine's draw blocks.

A point's draws are split into chunks of whole blocks of :data:`~spigot.sim.engine.BLOCK_SIZE`;
block ``b`` samples its draws from the engine's own stream (``PolicyPlan.sample_block(seed, b)``),
so a chunk run anywhere gives the draws it would give inside :func:`spigot.simulate`. Merging the
chunks of a point in block order (block sums added one by one from zero, per-draw arrays
concatenated, price histograms summed, price bounds by min/max) rebuilds exactly the arrays
``simulate`` builds, and :meth:`Results.from_run` then gives the point's
:class:`~spigot.results.Results`: the same numbers as ``spigot run`` of that point whatever the
chunking, the workers and their number.
"""

# ruff: noqa: N806 - sizes are named as in the engine (T steps, C commodities, ...)
from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from spigot.results import Results
from spigot.results.results import MarketTotals
from spigot.scenarios.models import Scenario
from spigot.sim.build.model import PRICE_BINS, SimModel
from spigot.sim.engine import (
    BLOCK_SIZE,
    _bin_counts,
    _quantiles_by_step,
    _runner,
    allocate_outputs,
    prepare,
    sample_blocks,
)

__all__ = ["ChunkOutput", "block_ranges", "merge_chunks", "prepared", "run_blocks"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Prepared models kept per process (a worker runs several chunks of the same point).
_CACHE_SIZE = 4
_models: OrderedDict[str, SimModel] = OrderedDict()


def prepared(scen: Scenario) -> SimModel:
    """The scenario's model (:func:`spigot.sim.engine.prepare`, which reuses the compiled world
    across the points of a sweep), cached per process by the scenario's content hash."""
    key = scen.content_hash()
    model = _models.get(key)
    if model is None:
        model = prepare(scen)
        _models[key] = model
        while len(_models) > _CACHE_SIZE:
            _models.popitem(last=False)
    else:
        _models.move_to_end(key)
    return model


def block_ranges(draws: int, chunk_draws: int) -> list[tuple[int, int]]:
    """Block ranges ``(b0, b1)`` covering ``draws`` draws, ``chunk_draws`` (rounded up to whole
    blocks) per chunk."""
    n_blocks = math.ceil(draws / BLOCK_SIZE)
    per = max(1, math.ceil(chunk_draws / BLOCK_SIZE))
    return [(b0, min(n_blocks, b0 + per)) for b0 in range(0, n_blocks, per)]


@dataclass
class ChunkOutput:
    """What one chunk of blocks ``b0 .. b1 - 1`` contributes to its point's results."""

    b0: int
    b1: int
    block_sum: FloatArray
    market_sum: FloatArray
    sector_scalars: FloatArray
    first_stop: IntArray
    shortfall_total: FloatArray
    residual: FloatArray
    throughput: FloatArray
    export_draw: FloatArray
    counts: IntArray | None
    price_min: FloatArray | None
    price_max: FloatArray | None
    restart_step: IntArray
    recycled_total: FloatArray
    reaction_fired: IntArray


def run_blocks(scen: Scenario, b0: int, b1: int, engine: str = "numba") -> ChunkOutput:
    """Run blocks ``b0 .. b1 - 1`` of ``scen``'s draws (no trajectories kept)."""
    model = prepared(scen)
    n_draws = scen.draws
    d0, d1 = b0 * BLOCK_SIZE, min(n_draws, b1 * BLOCK_SIZE)
    chunk, block_ptr = sample_blocks(model, scen.seed, n_draws, b0, b1)
    keep = np.full(d1 - d0, -1, dtype=np.int64)
    out = allocate_outputs(model, d1 - d0, b1 - b0, 0)
    _runner(engine)(model, chunk, block_ptr, keep, out)
    market = model.market is not None
    return ChunkOutput(
        b0=b0, b1=b1, block_sum=out["block_sum"], market_sum=out["market_sum"],
        sector_scalars=out["sector_scalars"], first_stop=out["first_stop"],
        shortfall_total=out["shortfall_total"], residual=out["residual"],
        throughput=out["throughput"], export_draw=out["export_draw"],
        counts=_bin_counts(out["price_bin"]) if market else None,
        price_min=out["price_min"].min(axis=0) if market else None,
        price_max=out["price_max"].max(axis=0) if market else None,
        restart_step=out["restart_step"], recycled_total=out["recycled_total"],
        reaction_fired=out["reaction_fired"])


def merge_chunks(scen: Scenario, chunks: Sequence[ChunkOutput], engine: str = "numba"
                 ) -> Results:
    """The point's :class:`Results` from all its chunks (any order; merged in block order).

    Raises
    ------
    ValueError
        If the chunks do not cover the point's blocks exactly once.
    """
    model = prepared(scen)
    ordered = sorted(chunks, key=lambda c: c.b0)
    n_blocks = math.ceil(scen.draws / BLOCK_SIZE)
    if [(c.b0, c.b1) for c in ordered] != list(zip([0] + [c.b1 for c in ordered[:-1]],
                                                   [c.b1 for c in ordered], strict=True)) \
            or not ordered or ordered[-1].b1 != n_blocks:
        raise ValueError("chunks do not cover the point's draw blocks exactly once")
    T = model.steps
    totals = np.zeros((T, model.layout.size))
    mk = model.market
    market_totals = np.zeros((T, mk.layout.size if mk is not None else 0))
    for c in ordered:  # block sums added in block order, as simulate does
        for b in range(c.b1 - c.b0):
            totals += c.block_sum[b]
            market_totals += c.market_sum[b]
    market = None
    if mk is not None:
        C = len(model.net.commodities)
        counts = np.zeros((T, 3, C, PRICE_BINS), dtype=np.int64)
        low = np.full((T, 3, C), np.inf)
        high = np.full((T, 3, C), -np.inf)
        for c in ordered:
            assert c.counts is not None
            assert c.price_min is not None
            assert c.price_max is not None
            counts += c.counts
            low = np.minimum(low, c.price_min)
            high = np.maximum(high, c.price_max)
        market = MarketTotals(
            sums=market_totals, counts=counts, low=low, high=high,
            restart_step=np.concatenate([c.restart_step for c in ordered]),
            recycled_total=np.concatenate([c.recycled_total for c in ordered]))
    manifest = {"scenario": scen.name, "scenario_hash": scen.content_hash(),
                "dataset": scen.dataset, "dataset_hash": model.dataset_hash, "seed": scen.seed,
                "draws": scen.draws, "weeks": scen.horizon_weeks, "steps": T,
                "engine": engine, "markets": mk is not None, "block_size": BLOCK_SIZE}
    return Results.from_run(
        model, scen, manifest, totals=totals,
        sector_scalars=np.concatenate([c.sector_scalars for c in ordered]),
        first_stop=np.concatenate([c.first_stop for c in ordered]),
        shortfall_total=np.concatenate([c.shortfall_total for c in ordered]),
        residual=np.concatenate([c.residual for c in ordered]),
        throughput=np.concatenate([c.throughput for c in ordered]),
        traj=np.zeros((0, T, model.layout.size)), market=market,
        export_quantiles=_quantiles_by_step(np.concatenate([c.export_draw for c in ordered],
                                                           axis=1)),
        reaction_fired=np.concatenate([c.reaction_fired for c in ordered]))
