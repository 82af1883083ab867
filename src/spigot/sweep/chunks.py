"""One sweep task: a parameter point's scenario run on a range of the engine's draw blocks.

A point's draws are split into chunks of whole blocks of :data:`~spigot.sim.engine.BLOCK_SIZE`;
block ``b`` samples its draws from the engine's own stream (``PolicyPlan.sample_block(seed, b)``),
so a chunk run anywhere gives the draws it would give inside :func:`spigot.simulate`. A chunk is
reduced to a :class:`~spigot.sim.totals.ChunkOutput` where it ran, and the point's chunks are added
to a :class:`~spigot.sim.totals.RunTotals` in block order, as ``simulate`` adds its own: the same
numbers as ``spigot run`` of that point whatever the chunking, the workers and their number.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from spigot.results import Results
from spigot.scenarios.models import Scenario
from spigot.sim.build.model import SimModel
from spigot.sim.engine import BLOCK_SIZE, _runner, allocate_outputs, prepare, sample_blocks
from spigot.sim.totals import ChunkOutput, RunTotals

__all__ = ["ChunkOutput", "block_ranges", "merge_chunks", "prepared", "run_blocks"]

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


def run_blocks(scen: Scenario, b0: int, b1: int, engine: str = "numba") -> ChunkOutput:
    """Run blocks ``b0 .. b1 - 1`` of ``scen``'s draws (no trajectories kept)."""
    model = prepared(scen)
    n_draws = scen.draws
    d0, d1 = b0 * BLOCK_SIZE, min(n_draws, b1 * BLOCK_SIZE)
    chunk, block_ptr = sample_blocks(model, scen.seed, n_draws, b0, b1)
    keep = np.full(d1 - d0, -1, dtype=np.int64)
    out = allocate_outputs(model, d1 - d0, b1 - b0, 0)
    _runner(engine)(model, chunk, block_ptr, keep, out)
    return ChunkOutput.from_outputs(model, out, b0, b1)


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
    run = RunTotals(model, scen.draws, BLOCK_SIZE)
    for c in ordered:
        run.add(c)
    manifest = {"scenario": scen.name, "scenario_hash": scen.content_hash(),
                "dataset": scen.dataset, "dataset_hash": model.dataset_hash, "seed": scen.seed,
                "draws": scen.draws, "weeks": scen.horizon_weeks, "steps": model.steps,
                "engine": engine, "markets": model.market is not None, "block_size": BLOCK_SIZE}
    return run.results(scen, manifest)
