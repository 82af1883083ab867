"""Running sweep points on Dask: a local cluster of processes, or an existing scheduler.

Each task is one parameter point's scenario run on one chunk of draw blocks
(:func:`spigot.sweep.chunks.run_blocks`); a point task merges its chunks into the point's
results and returns its summary outputs (a point whose draws fit one chunk runs as one task).
The seeds are the engine's block streams, so the outputs do not depend on the chunking, on
which worker ran what, or on the number of workers.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from spigot._version import __version__
from spigot.errors import InputError, Problem
from spigot.scenarios.models import Scenario
from spigot.sweep.chunks import ChunkOutput, block_ranges, merge_chunks, run_blocks
from spigot.sweep.outputs import point_outputs

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["SCHEDULER_ENV", "Cluster", "connect", "evaluate_points"]

logger = logging.getLogger(__name__)

#: Environment variable naming an existing scheduler (``tcp://HOST:PORT``).
SCHEDULER_ENV = "SPIGOT_DASK_SCHEDULER"
#: Seconds to wait for a scheduler before giving up.
CONNECT_TIMEOUT_S = 10
#: Most whole points one task runs: fewer tasks, so less scheduler and client work per point.
MAX_POINTS_PER_TASK = 8
#: Fewest tasks per worker when points are grouped (load balance at the end of the sweep).
MIN_TASKS_PER_WORKER = 16


#: Dask settings of a local cluster. Its workers run long CPU-bound tasks on a machine with
#: few cores, where every background thread takes CPU from a task (with as many workers as
#: cores, nothing is left over): the statistical profiler (a thread sampling every worker's
#: stack every 10 ms) and the GIL monitor are off, the resource monitors sample every 2 s
#: instead of every 0.1-0.5 s, and the event-loop watchdog ticks every 0.5 s instead of every
#: 20 ms. Workers on an existing scheduler keep their own settings.
QUIET_CLUSTER: dict[str, Any] = {
    "distributed.worker.daemon": False,
    "distributed.admin.system-monitor.gil.enabled": False,
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "2s",
    "distributed.admin.tick.interval": "500ms",
}


@dataclass
class Cluster:
    """A connected Dask client and where it runs."""

    client: Client
    scheduler: str
    workers: int


def _set_threads(threads: int) -> None:
    import numba

    numba.set_num_threads(max(1, min(threads, int(numba.config.NUMBA_NUM_THREADS))))  # type: ignore[attr-defined]


def _warm(probe: Scenario | None, engine: str, threads: int) -> str:
    """Run ``probe`` (a point's scenario cut to one draw and one week: loads or compiles the
    numba kernels and loads the world) and return this worker's spigot version."""
    _set_threads(threads)
    if probe is not None:
        merge_chunks(probe, [run_blocks(probe, 0, 1, engine)], engine)
    return __version__


def _chunk_task(scen: Scenario, b0: int, b1: int, engine: str, threads: int) -> ChunkOutput:
    _set_threads(threads)
    return run_blocks(scen, b0, b1, engine)


def _point_task(scen: Scenario, pairs: Sequence[str], commodities: Sequence[str], engine: str,
                threads: int, *chunks: ChunkOutput) -> dict[str, float]:
    _set_threads(threads)
    return point_outputs(merge_chunks(scen, chunks, engine), pairs, commodities)


def _whole_point_task(scen: Scenario, pairs: Sequence[str], commodities: Sequence[str],
                      engine: str, threads: int) -> dict[str, float]:
    _set_threads(threads)
    chunk = run_blocks(scen, *block_ranges(scen.draws, scen.draws)[0], engine)
    return point_outputs(merge_chunks(scen, [chunk], engine), pairs, commodities)


def _points_task(scens: Sequence[Scenario], pairs: Sequence[str], commodities: Sequence[str],
                 engine: str, threads: int) -> list[dict[str, float]]:
    """Several whole points in one task (each exactly as :func:`_whole_point_task`)."""
    return [_whole_point_task(scen, pairs, commodities, engine, threads) for scen in scens]


def points_per_task(n_points: int, workers: int) -> int:
    """Whole points per task: up to :data:`MAX_POINTS_PER_TASK`, keeping at least
    :data:`MIN_TASKS_PER_WORKER` tasks a worker (one point a task for small sweeps, so progress
    and load balance stay fine-grained)."""
    return max(1, min(MAX_POINTS_PER_TASK, n_points // (max(1, workers) * MIN_TASKS_PER_WORKER)))


def scheduler_address(scheduler: str | None) -> str | None:
    """``--scheduler``, else ``$SPIGOT_DASK_SCHEDULER``, else ``None`` (a local cluster)."""
    return scheduler or os.environ.get(SCHEDULER_ENV) or None


@contextlib.contextmanager
def connect(scheduler: str | None, workers: int | None, *, probe: Scenario | None = None,
            engine: str = "numba", threads: int = 1) -> Iterator[Cluster]:
    """A Dask client: on ``scheduler`` (``tcp://HOST:PORT``) or a new local cluster of
    ``workers`` processes (default: the CPU count); every worker is warmed by running ``probe``
    (numba kernels loaded, world read) and checked to run this spigot version.

    Raises
    ------
    InputError
        If the scheduler cannot be reached, has no workers, or a worker runs another spigot
        version.
    """
    address = scheduler_address(scheduler)
    quiet = logging.getLogger("distributed")  # its INFO lines would flood the terminal
    level = quiet.level
    quiet.setLevel(max(level, logging.WARNING))
    with contextlib.ExitStack() as restore:
        restore.callback(quiet.setLevel, level)
        with _cluster(address, workers, probe, engine, threads) as cluster:
            yield cluster


@contextlib.contextmanager
def _cluster(address: str | None, workers: int | None, probe: Scenario | None, engine: str,
             threads: int) -> Iterator[Cluster]:
    import dask
    from distributed import Client, LocalCluster

    with dask.config.set(QUIET_CLUSTER), \
            contextlib.ExitStack() as stack:
        if address is None:
            n = workers or os.cpu_count() or 1
            cluster = stack.enter_context(LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                silence_logs=logging.ERROR))
            client = stack.enter_context(Client(cluster))
            where = "local"
        else:
            try:
                client = stack.enter_context(Client(address, timeout=f"{CONNECT_TIMEOUT_S}s"))
            except (OSError, TimeoutError, ValueError) as exc:
                raise InputError(Problem(
                    "cannot reach the Dask scheduler", field="--scheduler", value=address,
                    expected="the tcp://HOST:PORT of a running `dask scheduler`",
                    hint=f"start one (docs/sweeps.md), check the address, or unset "
                    f"{SCHEDULER_ENV} to run on this machine ({type(exc).__name__})")) from None
            if workers:
                client.wait_for_workers(workers, timeout=CONNECT_TIMEOUT_S * 6)
            where = address
        n_workers = len(client.scheduler_info(n_workers=-1).get("workers", {}))
        if n_workers == 0:
            raise InputError(Problem("the Dask scheduler has no workers", field="--scheduler",
                                     value=where, hint="start `dask worker " + where + "`"))
        versions = client.run(_warm, probe, engine, threads)
        other = {w: v for w, v in versions.items() if v != __version__}
        if other:
            worker, version = next(iter(other.items()))
            raise InputError(Problem("a Dask worker runs another spigot version",
                                     field="--scheduler", value=f"{worker}: {version}",
                                     expected=f"spigot {__version__} on every worker",
                                     hint="install the same spigot on every worker"))
        yield Cluster(client, where, n_workers)


def evaluate_points(cluster: Cluster, scens: Sequence[Scenario], pairs: Sequence[str],
                    commodities: Sequence[str], *, engine: str = "numba",
                    chunk_draws: int | None = None, threads: int = 1,
                    progress: Callable[[int, int], None] | None = None
                    ) -> list[dict[str, float]]:
    """The outputs of each point's scenario (in order), run as Dask tasks.

    ``chunk_draws``: draws per task (whole blocks of 64; default: a point's draws in one task).
    Points whose draws fit one task are grouped, :func:`points_per_task` to a task.
    ``progress(done, total)`` counts points, called as each task completes.
    """
    from distributed import as_completed

    client = cluster.client
    token = uuid.uuid4().hex[:8]  # keys unique to this sweep on a shared scheduler
    futures: list[Any] = []
    members: dict[str, list[int]] = {}  # task key -> its points
    whole = [i for i, s in enumerate(scens)
             if len(block_ranges(s.draws, chunk_draws or s.draws)) == 1]
    per = points_per_task(len(whole), cluster.workers)
    for g in range(0, len(whole), per):
        group = whole[g:g + per]
        key = f"spigot-sweep-{token}-points-{group[0]}-{group[-1]}"
        futures.append(client.submit(_points_task, [scens[i] for i in group], pairs,
                                     commodities, engine, threads, key=key, pure=False))
        members[key] = group
    for i in sorted(set(range(len(scens))) - set(whole)):
        scen = scens[i]
        ranges = block_ranges(scen.draws, chunk_draws or scen.draws)
        chunks = [client.submit(_chunk_task, scen, b0, b1, engine, threads,
                                key=f"spigot-sweep-{token}-chunk-{i}-{b0}", pure=False)
                  for b0, b1 in ranges]
        key = f"spigot-sweep-{token}-point-{i}"
        futures.append(client.submit(_point_task, scen, pairs, commodities, engine, threads,
                                     *chunks, key=key, pure=False))
        members[key] = [i]
    results: list[dict[str, float] | None] = [None] * len(scens)
    started = time.perf_counter()
    done = 0
    for future in as_completed(futures):
        value = future.result()
        group = members[future.key]
        for i, out in zip(group, value if isinstance(value, list) else [value], strict=True):
            results[i] = out
        future.release()
        done += len(group)
        if progress is not None:
            progress(done, len(scens))
    logger.info("%d points in %d tasks in %.1f s", len(scens), len(futures),
                time.perf_counter() - started)
    return [r for r in results if r is not None]
