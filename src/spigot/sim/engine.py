"""`simulate`: run a scenario's Monte Carlo draws in chunks, with either engine.

Randomness and chunking: draws are grouped in fixed blocks of :data:`BLOCK_SIZE`; block ``b``
samples its per-draw policy parameters from its own stream (``SeedSequence(seed)``'s ``b``-th
child). A chunk is a whole number of blocks; each block's per-step sums are formed in draw order
and the run's totals add the blocks in block order. So the results are bit-identical whatever the
chunk size, and the chunks could run anywhere (processes, a cluster) and be merged in block order.
"""

# ruff: noqa: N806 - sizes are named as in the docs (N nodes, C commodities, ...)
from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Callable
from typing import Literal

import numpy as np
import pandas as pd

from spigot import datasets
from spigot._version import __version__
from spigot.errors import InputError, Problem, UnknownNameError
from spigot.market.parameters import MarketParams, load_market_params
from spigot.network import SupplyNetwork
from spigot.network.compiled import CompiledNetwork
from spigot.policy.plan import BlockParams, PolicyPlan
from spigot.results.results import Results
from spigot.scenarios.checks import scenario_warnings
from spigot.scenarios.loader import adjusted_world, check_names, dataset_error
from spigot.scenarios.models import Scenario
from spigot.sim import cost
from spigot.sim.build.model import SimModel, build_model
from spigot.sim.cost import RunLimits
from spigot.sim.memory import fewer_collections, keep_freed_memory
from spigot.sim.reference import run_chunk_reference
from spigot.sim.totals import ChunkOutput, RunTotals

__all__ = ["BLOCK_SIZE", "allocate_outputs", "prepare", "simulate"]

logger = logging.getLogger(__name__)

#: Draws per random-stream block; chunks are whole numbers of blocks.
BLOCK_SIZE = 64
#: Default draws per chunk (memory per chunk grows with it; results do not depend on it).
DEFAULT_CHUNK = 256

Engine = Literal["numba", "reference"]


def _network(scenario: Scenario, network: SupplyNetwork | None) -> SupplyNetwork:
    return network if network is not None else datasets.load(scenario.dataset)


def _groups(table: pd.DataFrame, column: str) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    if column not in table:
        return groups
    for ident, value in zip(table["id"], table[column], strict=True):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        for g in str(value).split(";"):
            if g.strip():
                groups.setdefault(g.strip(), []).append(str(ident))
    return groups


def _market_params(scenario: Scenario, net: CompiledNetwork) -> MarketParams:
    opts = scenario.market
    return load_market_params(net, opts.parameters, opts.overrides or None)


def prepare(scenario: Scenario, network: SupplyNetwork | None = None,
            markets: bool | None = None) -> SimModel:
    """Compile the scenario's world and policies into the engines' static arrays.

    Parameters
    ----------
    scenario
        The scenario.
    network
        Use this world instead of the scenario's ``dataset``.
    markets
        Build the market phase (default: the scenario's ``markets``).

    Raises
    ------
    ScenarioError
        If the scenario names commodities or regions the dataset lacks.
    InputError
        If the market parameters (``market.parameters``, ``market.overrides``) are invalid.
    """
    try:
        world = _network(scenario, network)
    except UnknownNameError as exc:
        raise dataset_error(scenario, exc) from None
    rgroups = _groups(world.regions, "groups")
    cgroups = _groups(world.commodities, "group")
    check_names(scenario, world.commodities["id"], cgroups, world.regions["id"], rgroups)
    world_hash = world.content_hash()
    net = _compiled(adjusted_world(scenario, world), world, world_hash, scenario.step_weeks)
    names = net.sector_names or tuple(s.split(".")[-1] for s in net.sectors)
    end_use = [scenario.end_use.get(s, "civil") for s in names]
    use_markets = scenario.markets if markets is None else markets
    mp = _market_params(scenario, net) if use_markets else None
    plan = PolicyPlan(scenario, net, rgroups, cgroups, end_use, mp)
    model = build_model(net, plan, scenario.stop_below, mp)
    return dataclasses.replace(model, dataset_hash=world_hash)


#: Compiled worlds by (content hash, step length), most recent last: a sweep, a strategy search
#: or a mitigation frontier prepares many scenarios of one world, and compiling base takes
#: 0.4-0.8 s. Their arrays are made read-only, so a caller that wrote into them would fail
#: loudly instead of changing the next run.
_COMPILED: dict[tuple[str, float], CompiledNetwork] = {}
_COMPILED_KEEP = 4


def _compiled(adjusted: SupplyNetwork, world: SupplyNetwork, world_hash: str,
              step_weeks: float) -> CompiledNetwork:
    """``adjusted.compile(step_weeks)``, cached by content (``world_hash`` when the scenario
    leaves its world as it is)."""
    key = (world_hash if adjusted is world else adjusted.content_hash(), step_weeks)
    net = _COMPILED.pop(key, None)
    if net is None:
        net = adjusted.compile(step_weeks=step_weeks)
        for value in vars(net).values():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False
    _COMPILED[key] = net
    while len(_COMPILED) > _COMPILED_KEEP:
        _COMPILED.pop(next(iter(_COMPILED)))
    return net


def allocate_outputs(m: SimModel, draws: int, n_blocks: int, n_keep: int,
                     export_draw: np.ndarray | None = None,
                     draw_offset: int = 0,
                     reuse: dict[str, np.ndarray] | None = None,
                     traj: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Initialised output arrays for one chunk (the market arrays are empty without a market
    phase).

    ``export_draw`` (T, all draws, C), if given, is the whole run's array of exports per draw,
    which the chunk's draws fill from column ``draw_offset`` on (no per-chunk copy); else a
    zeroed array for the chunk's draws. See :func:`spigot.sim.reference.run_chunk_reference`
    for what each engine writes. ``traj``, if given, is the run's array of trajectories for the
    chunk's kept draws (n_keep, T, fields), filled in place (no per-chunk copy).

    ``reuse``: the arrays of the previous chunk (already read out). Those of the same shape are
    refilled with their initial values instead of allocated again: refilling memory the process
    holds costs a memset, fresh pages a page fault each (first touch of 874 MB: 0.08-1.0 s on
    the 2-core machine, refill 0.04 s; docs/design.md, "Memory and page faults").
    """
    S, C, N = len(m.net.sectors), len(m.net.commodities), len(m.node_cap)
    T = m.steps
    mk = m.market
    MS = mk.layout.size if mk is not None else 0
    CM = C if mk is not None else 0
    f8, i8 = np.float64, np.int64
    spec: dict[str, tuple[tuple[int, ...], type, float]] = {
        "block_sum": ((n_blocks, T, m.layout.size), f8, 0.0),
        "traj": ((n_keep, T, m.layout.size), f8, 0.0),
        "sector_scalars": ((draws, 3, S), f8, 0.0),
        "first_stop": ((draws, S), i8, -1),
        "shortfall_total": ((draws, m.layout.n_rbuf), f8, 0.0),
        "residual": ((draws, C), f8, 0.0),
        "throughput": ((draws, C), f8, 0.0),
        # market phase
        "market_sum": ((n_blocks, T, MS), f8, 0.0),
        "price_bin": ((T, draws, 3, CM), np.uint8, 0),
        "price_min": ((n_blocks, T, 3, CM), f8, np.inf),
        "price_max": ((n_blocks, T, 3, CM), f8, -np.inf),
        "restart_step": ((draws, N if mk is not None else 0), i8, -1),
        "recycled_total": ((draws, CM), f8, 0.0),
        # reactions: the step each one's trigger fired, -1: never
        "reaction_fired": ((draws, len(m.plan.rx_ids)), i8, -1),
    }
    if traj is not None:  # not refilled from ``reuse``: it would be the last chunk's rows
        del spec["traj"]
    out: dict[str, np.ndarray] = {}
    for name, (shape, dtype, fill) in spec.items():
        old = (reuse or {}).get(name)
        if old is not None and old.shape == shape and old.dtype == dtype:
            old.fill(fill)
            out[name] = old
        elif fill == 0:
            out[name] = np.zeros(shape, dtype=dtype)  # pages are zeroed when first written
        else:
            out[name] = np.full(shape, fill, dtype=dtype)
    # cross-border exports per draw and commodity (quantiles over all draws)
    out["export_draw"] = np.zeros((T, draws, C)) if export_draw is None else export_draw
    if traj is not None:
        out["traj"] = traj
    out["draw_offset"] = np.array(draw_offset, dtype=np.int64)
    return out


def _runner(engine: str) -> Callable[..., None]:
    if engine == "reference":
        return run_chunk_reference
    if engine == "numba":
        from spigot.sim.kernel import run_chunk_numba

        return run_chunk_numba
    raise InputError(Problem("unknown engine", field="engine", value=engine,
                             expected="'numba' or 'reference'"))


def sample_blocks(model: SimModel, seed: int, n_draws: int, b0: int, b1: int
                  ) -> tuple[BlockParams, np.ndarray]:
    """The parameters of draw blocks ``b0 .. b1 - 1`` of a run of ``n_draws`` draws, each block
    from its own stream (``PolicyPlan.sample_block``) and cut to the draws it has, concatenated;
    with the blocks' first draws within the chunk (``b1 - b0 + 1`` pointers). A chunk sampled
    anywhere (``simulate``, a sweep's task) gives the same draws."""
    d0 = b0 * BLOCK_SIZE
    blocks = [model.plan.sample_block(seed, b, BLOCK_SIZE).take(min(BLOCK_SIZE,
                                                                    n_draws - b * BLOCK_SIZE))
              for b in range(b0, b1)]
    block_ptr = np.array([min(n_draws, b * BLOCK_SIZE) - d0 for b in range(b0, b1 + 1)],
                         dtype=np.int64)
    return BlockParams.concat(blocks), block_ptr


@fewer_collections()  # a run's compile makes millions of objects (spigot.sim.memory)
def simulate(scenario: Scenario, *, draws: int | None = None, seed: int | None = None,
             weeks: int | None = None, engine: Engine = "numba", chunk_size: int | None = None,
             keep_trajectories: int | None = None,
             network: SupplyNetwork | None = None,
             progress: Callable[[int, int], None] | None = None,
             limits: RunLimits | None = None) -> Results:
    """Run a scenario's Monte Carlo draws and return their :class:`~spigot.results.Results`.

    Parameters
    ----------
    scenario
        The scenario (``spigot.scenarios.load(name)`` or ``Scenario.from_yaml(path)``).
    draws, seed, weeks
        Override the scenario's draws, seed and horizon (weeks).
    engine
        ``"numba"`` (fast, compiled) or ``"reference"`` (slow, plain Python; same results).
    chunk_size
        Draws per chunk, rounded up to a whole number of blocks of 64; memory grows with it,
        results do not change.
    keep_trajectories
        Number of draws (the first ones) whose full weekly trajectories are kept.
    network
        Use this world instead of the scenario's ``dataset``.
    progress
        Called after each chunk with (draws done, draws in all).
    limits
        Run-cost limits checked before anything large is allocated (default: the command-line
        limits with the ``SPIGOT_MAX_RUN_*`` environment variables; :mod:`spigot.sim.cost`).

    Returns
    -------
    Results
        Summaries over all draws, per-draw totals, trajectories of the kept draws, a manifest.

    Raises
    ------
    ScenarioError
        If the scenario names things the dataset lacks.
    InputError
        For an unknown engine or a bad option value.
    RunTooLargeError
        If the run would cost more than ``limits`` (checked before the model is prepared and
        before the result arrays are allocated).
    """
    scen = scenario.with_options(draws=draws, seed=seed, horizon_weeks=weeks,
                                 keep_trajectories=keep_trajectories)
    if chunk_size is not None and chunk_size < 1:
        raise InputError(Problem("chunk size must be at least 1", field="chunk_size",
                                 value=chunk_size))
    run_chunk = _runner(engine)
    keep_freed_memory()  # blocks reuse freed scratch memory (spigot.sim.memory)
    limits = limits or RunLimits.from_env()
    cost.check_steps(scen, limits)
    for problem in scenario_warnings(scen):
        logger.warning("%s", problem.describe())
    t0 = time.perf_counter()
    model = prepare(scen, network)
    t_prepare = time.perf_counter() - t0
    n_draws = scen.draws
    cost.check(cost.estimate(model, n_draws, keep=scen.keep_trajectories,
                             chunk_draws=chunk_size or DEFAULT_CHUNK), limits)
    n_blocks = math.ceil(n_draws / BLOCK_SIZE)
    per_chunk = max(1, math.ceil((chunk_size or DEFAULT_CHUNK) / BLOCK_SIZE))
    n_keep = min(scen.keep_trajectories, n_draws)
    run = RunTotals(model, n_draws, BLOCK_SIZE)
    traj = np.zeros((n_keep, model.steps, model.layout.size))
    t_sample = t_run = 0.0
    out: dict[str, np.ndarray] | None = None
    for b0 in range(0, n_blocks, per_chunk):
        b1 = min(n_blocks, b0 + per_chunk)
        d0, d1 = b0 * BLOCK_SIZE, min(n_draws, b1 * BLOCK_SIZE)
        ts = time.perf_counter()
        chunk, block_ptr = sample_blocks(model, scen.seed, n_draws, b0, b1)
        keep = np.arange(d0, d1, dtype=np.int64)
        keep = np.where(keep < n_keep, keep - d0, -1).astype(np.int64)
        n_keep_chunk = int((keep >= 0).sum())
        out = allocate_outputs(model, d1 - d0, b1 - b0, n_keep_chunk, run.export_draw, d0,
                               reuse=out, traj=traj[d0:d0 + n_keep_chunk])
        t_sample += time.perf_counter() - ts
        tr = time.perf_counter()
        run_chunk(model, chunk, block_ptr, keep, out)
        t_run += time.perf_counter() - tr
        run.add(ChunkOutput.from_outputs(model, out, b0, b1, exports_in_place=True,
                                         bins_counted_later=True), price_bin=out["price_bin"])
        logger.info("draws %d-%d done (%.2f s)", d0, d1, time.perf_counter() - tr)
        if progress is not None:
            progress(d1, n_draws)
    manifest = {
        "spigot_version": __version__,
        "scenario": scen.name,
        "scenario_hash": scen.content_hash(),
        "dataset": scen.dataset,
        "dataset_hash": model.dataset_hash,
        "seed": scen.seed,
        "draws": n_draws,
        "weeks": scen.horizon_weeks,
        "steps": model.steps,
        "step_weeks": scen.step_weeks,
        "start": scen.start.isoformat(),
        "engine": engine,
        "markets": model.market is not None,
        "growth": scen.growth.model_dump(mode="json"),
        "block_size": BLOCK_SIZE,
        "chunk_draws": per_chunk * BLOCK_SIZE,
        "keep_trajectories": n_keep,
        "timings_s": {"prepare": round(t_prepare, 4), "sample": round(t_sample, 4),
                      "run": round(t_run, 4), "total": round(time.perf_counter() - t0, 4)},
    }
    return run.results(scen, manifest, traj)
