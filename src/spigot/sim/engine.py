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

import numba as nb
import numpy as np
import pandas as pd

from spigot import datasets
from spigot._version import __version__
from spigot.errors import InputError, Problem, UnknownNameError
from spigot.market.parameters import MarketParams, load_market_params
from spigot.network import SupplyNetwork
from spigot.network.compiled import CompiledNetwork
from spigot.policy.plan import BlockParams, PolicyPlan
from spigot.results.results import PRICE_QUANTILES, MarketTotals, Results
from spigot.scenarios.checks import scenario_warnings
from spigot.scenarios.loader import adjusted_world, check_names, dataset_error
from spigot.scenarios.models import Scenario
from spigot.sim import cost
from spigot.sim.build.model import PRICE_BINS, SimModel, build_model
from spigot.sim.cost import RunLimits
from spigot.sim.reference import run_chunk_reference

__all__ = ["BLOCK_SIZE", "allocate_outputs", "prepare", "simulate"]

logger = logging.getLogger(__name__)

#: Draws per random-stream block; chunks are whole numbers of blocks.
BLOCK_SIZE = 64
#: Default draws per chunk (memory per chunk grows with it; results do not depend on it).
DEFAULT_CHUNK = 1024

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
                lo = 0
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


def _quantiles_by_step(values: np.ndarray) -> np.ndarray:
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


def allocate_outputs(m: SimModel, draws: int, n_blocks: int, n_keep: int,
                     export_draw: np.ndarray | None = None,
                     draw_offset: int = 0,
                     reuse: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Initialised output arrays for one chunk (the market arrays are empty without a market
    phase).

    ``export_draw`` (T, all draws, C), if given, is the whole run's array of exports per draw,
    which the chunk's draws fill from column ``draw_offset`` on (no per-chunk copy); else a
    zeroed array for the chunk's draws. See :func:`spigot.sim.reference.run_chunk_reference`
    for what each engine writes.

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
    out["draw_offset"] = np.array(draw_offset, dtype=np.int64)
    return out


@nb.njit(cache=True, error_model="numpy", parallel=True)
def _count_bins(price_bin: np.ndarray, counts: np.ndarray) -> None:  # pragma: no cover - numba
    T, D, Z, C = price_bin.shape
    for t in nb.prange(T):  # step-major: one step's counts stay in cache; steps on all cores
        for d in range(D):
            for z in range(Z):
                for c in range(C):
                    counts[t, z, c, price_bin[t, d, z, c]] += 1


def _bin_counts(price_bin: np.ndarray) -> np.ndarray:
    """Histogram counts (T, 3, C, PRICE_BINS) of per-draw bin indices (T, D, 3, C).

    Integer counts: the order in which draws are added does not matter (chunk-invariant).
    """
    T, _, Z, C = price_bin.shape
    counts = np.zeros((T, Z, C, PRICE_BINS), dtype=np.int64)
    _count_bins(price_bin, counts)
    return counts


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
    S, C = len(model.net.sectors), len(model.net.commodities)
    totals = np.zeros((model.steps, model.layout.size))
    sector_scalars = np.zeros((n_draws, 3, S))
    first_stop = np.full((n_draws, S), -1, dtype=np.int64)
    shortfall_total = np.zeros((n_draws, model.layout.n_rbuf))
    residual = np.zeros((n_draws, C))
    throughput = np.zeros((n_draws, C))
    traj = np.zeros((n_keep, model.steps, model.layout.size))
    mk = model.market
    n_rec, n_c, n_n = (mk.layout.size, C, len(model.node_cap)) if mk is not None else (0, 0, 0)
    market_totals = np.zeros((model.steps, n_rec))
    counts = np.zeros((model.steps, 3, n_c, PRICE_BINS), dtype=np.int64)
    price_min = np.full((model.steps, 3, n_c), np.inf)
    price_max = np.full((model.steps, 3, n_c), -np.inf)
    restart_step = np.full((n_draws, n_n), -1, dtype=np.int64)
    recycled_total = np.zeros((n_draws, n_c))
    export_draw = np.zeros((model.steps, n_draws, C))
    reaction_fired = np.full((n_draws, len(model.plan.rx_ids)), -1, dtype=np.int64)
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
        out = allocate_outputs(model, d1 - d0, b1 - b0, n_keep_chunk, export_draw, d0, reuse=out)
        t_sample += time.perf_counter() - ts
        tr = time.perf_counter()
        run_chunk(model, chunk, block_ptr, keep, out)
        t_run += time.perf_counter() - tr
        for b in range(b1 - b0):
            totals += out["block_sum"][b]
            market_totals += out["market_sum"][b]
        if mk is not None:
            counts += _bin_counts(out["price_bin"])
            price_min = np.minimum(price_min, out["price_min"].min(axis=0))
            price_max = np.maximum(price_max, out["price_max"].max(axis=0))
        restart_step[d0:d1] = out["restart_step"]
        recycled_total[d0:d1] = out["recycled_total"]
        sector_scalars[d0:d1] = out["sector_scalars"]
        first_stop[d0:d1] = out["first_stop"]
        reaction_fired[d0:d1] = out["reaction_fired"]
        shortfall_total[d0:d1] = out["shortfall_total"]
        residual[d0:d1] = out["residual"]
        throughput[d0:d1] = out["throughput"]
        if n_keep_chunk:
            traj[d0:d0 + n_keep_chunk] = out["traj"]
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
        "markets": mk is not None,
        "growth": scen.growth.model_dump(mode="json"),
        "block_size": BLOCK_SIZE,
        "chunk_draws": per_chunk * BLOCK_SIZE,
        "keep_trajectories": n_keep,
        "timings_s": {"prepare": round(t_prepare, 4), "sample": round(t_sample, 4),
                      "run": round(t_run, 4), "total": round(time.perf_counter() - t0, 4)},
    }
    market = None if mk is None else MarketTotals(
        sums=market_totals, counts=counts, low=price_min, high=price_max,
        restart_step=restart_step, recycled_total=recycled_total)
    return Results.from_run(model, scen, manifest, totals=totals, sector_scalars=sector_scalars,
                            first_stop=first_stop, shortfall_total=shortfall_total,
                            residual=residual, throughput=throughput, traj=traj, market=market,
                            export_quantiles=_quantiles_by_step(export_draw),
                            reaction_fired=reaction_fired)
