"""Background runs for the dashboard: a queue worked by one thread, each run in its own process.

A run is simulated and saved in a child process (``spawn``), so a long simulation never holds
the server's interpreter, and the store's atomic save makes killing one safe. The child reports
progress through a pipe; the job's status is polled through the JSON API. One run at a time; the
others wait in the queue (the machines this is built for have two cores).
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import logging
import multiprocessing
import multiprocessing.connection
import queue
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from spigot.errors import InputError

__all__ = ["Job", "JobManager", "QueueFullError", "Report", "Runner", "execute", "send_outcome"]

logger = logging.getLogger(__name__)

#: ``report(fraction, message)``: progress of a run between 0 and 1.
Report = Callable[[float, str], None]
#: ``runner(store_path, scenario_text, draws, seed, report) -> run_id``.
Runner = Callable[[Path, str, int | None, int | None, Report], str]

class QueueFullError(InputError):
    """The run queue is full (HTTP 429 with ``Retry-After``)."""

    #: Seconds after which a client may try again.
    retry_after = 30


_SIMULATE_SHARE = 0.85  # share of the progress bar for the simulation; the rest is saving


@dataclasses.dataclass
class Job:
    """One requested run and where it stands."""

    job_id: str
    scenario: str
    draws: int | None
    seed: int | None
    status: str = "queued"  # queued, running, done, failed
    progress: float = 0.0
    message: str = "waiting for the runner"
    run_id: str | None = None
    error: str | None = None
    created: float = dataclasses.field(default_factory=time.time)
    finished: float | None = None
    text: str = dataclasses.field(default="", repr=False)
    kind: str = "run"  # run, or sweep (spigot.web.sweeps)
    spec: dict[str, Any] | None = None  # a sweep's settings (params, design, points, ...)
    done: int | None = None  # a sweep's points finished ...
    total: int | None = None  # ... of its points

    def to_dict(self) -> dict[str, Any]:
        """The job as JSON values (without the scenario text)."""
        out = dataclasses.asdict(self)
        del out["text"]
        return out


class _ChunkLog(logging.Handler):
    """Turns the engine's per-chunk log lines ("draws 0-1024 done") into progress reports."""

    def __init__(self, report: Callable[[int, int], None], total: int) -> None:
        super().__init__(logging.INFO)
        self.callback, self.total = report, total

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args
        if str(record.msg).startswith("draws ") and isinstance(args, tuple) and len(args) >= 2:
            with contextlib.suppress(TypeError, ValueError):
                self.callback(int(str(args[1])), self.total)


def execute(store_path: Path, scenario_text: str, draws: int | None, seed: int | None,
            report: Report, *, follow_engine_log: bool = False) -> str:
    """Validate, simulate and store one scenario; return the new run id.

    Parameters
    ----------
    follow_engine_log
        Derive simulation progress from the engine's per-chunk log lines when ``simulate`` takes
        no progress callback (it sets the engine logger's level to INFO while it runs).

    Raises
    ------
    InputError
        If the scenario is invalid or names things its dataset lacks.
    """
    from spigot.scenarios import load_text
    from spigot.sim import simulate
    from spigot.store import RunStore

    report(0.02, "reading the scenario")
    scenario = load_text(scenario_text, "uploaded scenario")
    total = draws or scenario.draws
    report(0.05, f"simulating {total} draws")

    def simulated(done: int, of: int) -> None:
        report(0.05 + _SIMULATE_SHARE * done / max(of, 1), f"simulated {done} of {of} draws")

    options: dict[str, Any] = {"draws": draws, "seed": seed}
    engine_log = logging.getLogger("spigot.sim.engine")
    handler, level = None, engine_log.level
    if "progress" in inspect.signature(simulate).parameters:  # engines that report progress
        options["progress"] = simulated
    elif follow_engine_log:
        handler = _ChunkLog(simulated, total)
        engine_log.addHandler(handler)
        engine_log.setLevel(logging.INFO)
    try:
        results = simulate(scenario, **options)
    finally:
        if handler is not None:
            engine_log.removeHandler(handler)
            engine_log.setLevel(level)
    report(0.05 + _SIMULATE_SHARE, "saving the run")
    start = 0.05 + _SIMULATE_SHARE
    return RunStore(store_path).save_results(
        results, scenario_text,
        progress=lambda step, done, total: report(start + (1 - start) * done / max(total, 1), step))


def _child(store_path: str, scenario_text: str, draws: int | None, seed: int | None,
           conn: multiprocessing.connection.Connection) -> None:  # pragma: no cover - subprocess
    """Entry point of the run process: run and send progress and the outcome up the pipe."""
    def report(fraction: float, message: str) -> None:
        conn.send(("progress", fraction, message))

    send_outcome(conn, lambda: execute(Path(store_path), scenario_text, draws, seed, report,
                                       follow_engine_log=True))


def send_outcome(conn: multiprocessing.connection.Connection,
                 work: Callable[[], Any]) -> None:  # pragma: no cover - subprocess
    """Do a job's ``work`` in its child process and send the outcome up the pipe, then close it:
    ``("done", value)``, ``("failed", message)`` for bad input (an :class:`InputError`'s text),
    or ``("failed", "internal error: ...")`` for anything else (the parent never sees a
    traceback)."""
    try:
        conn.send(("done", work()))
    except InputError as exc:
        conn.send(("failed", str(exc)))
    except Exception as exc:
        conn.send(("failed", f"internal error: {type(exc).__name__}: {exc}"))
    finally:
        conn.close()


class JobManager:
    """Queue of runs, worked one at a time by a background thread.

    Parameters
    ----------
    store_path
        The run store the runs are saved to.
    runner
        Runs one job in this process (for tests); ``None`` runs each job in a child process
        with :func:`execute`.
    max_queued
        Most jobs waiting or running at once.
    keep
        Most finished jobs remembered.
    """

    def __init__(self, store_path: Path, runner: Runner | None = None, *, max_queued: int = 8,
                 keep: int = 200) -> None:
        self.store_path = Path(store_path)
        self.runner = runner
        self.max_queued = max_queued
        self.keep = keep
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._child: Any = None
        #: Dask workers of a dashboard sweep's local cluster (``None``: the CPU count).
        self.sweep_workers: int | None = None

    def submit(self, scenario_name: str, scenario_text: str, draws: int | None,
               seed: int | None, *, kind: str = "run", spec: dict[str, Any] | None = None,
               total: int | None = None) -> Job:
        """Queue a run (or, with ``kind="sweep"``, a sweep of ``spec``); return its job.

        Raises
        ------
        QueueFullError
            If ``max_queued`` jobs are already waiting or running (HTTP 429).
        """
        with self._lock:
            active = sum(j.status in ("queued", "running") for j in self._jobs.values())
            if active >= self.max_queued:
                raise QueueFullError(f"{active} runs are already queued or running; wait for one "
                                     f"to finish (the limit is {self.max_queued})")
            job = Job(secrets.token_hex(8), scenario_name, draws, seed, text=scenario_text,
                      kind=kind, spec=spec, done=0 if kind == "sweep" else None, total=total)
            self._jobs[job.job_id] = job
            self._forget_old()
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="spigot-runs", daemon=True)
                self._worker.start()
        self._queue.put(job)
        return job

    def get(self, job_id: str) -> Job | None:
        """The job with this id, or ``None``."""
        with self._lock:
            return self._jobs.get(job_id)

    def list(self) -> list[Job]:
        """All remembered jobs, newest first."""
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.created, reverse=True)

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop the worker: kill a running child and drop queued jobs."""
        child = self._child
        if child is not None and child.is_alive():
            child.kill()  # a sweep's Dask workers exit when their parent's pipe closes
        self._queue.put(None)
        if self._worker is not None:
            self._worker.join(timeout)

    def _forget_old(self) -> None:
        done = [j for j in self._jobs.values() if j.status in ("done", "failed")]
        for job in sorted(done, key=lambda j: j.created)[:max(0, len(done) - self.keep)]:
            del self._jobs[job.job_id]

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            text = job.text
            job.status, job.message = "running", "starting"

            def report(fraction: float, message: str, done: int | None = None,
                       total: int | None = None, job: Job = job) -> None:
                job.progress = max(job.progress, min(1.0, float(fraction)))
                job.message = message
                if done is not None:
                    job.done, job.total = max(job.done or 0, int(done)), total

            try:
                if job.kind == "sweep":
                    self._sweep(job, text, report)
                elif self.runner is not None:
                    run_id = self.runner(self.store_path, text, job.draws, job.seed, report)
                    self._finish(job, run_id=run_id)
                else:
                    self._run_in_child(job, text, report)
            except InputError as exc:
                self._finish(job, error=str(exc))
            except Exception as exc:
                logger.exception("run %s failed", job.job_id)
                self._finish(job, error=f"internal error: {type(exc).__name__}: {exc}")

    def _sweep(self, job: Job, text: str, report: Callable[..., None]) -> None:
        from spigot.web.sweeps import sweep_child

        # always in a child process (runner or not), not a daemon: the sweep's local Dask
        # cluster starts worker processes of its own
        self._run_in_child(job, text, report, target=sweep_child, daemon=False,
                           args=(str(self.store_path), text, job.spec, self.sweep_workers))

    def _run_in_child(self, job: Job, text: str, report: Callable[..., None], *,
                      target: Callable[..., None] = _child, daemon: bool = True,
                      args: tuple[Any, ...] | None = None) -> None:
        context = multiprocessing.get_context("spawn")
        parent, child_end = context.Pipe(duplex=False)
        args = args if args is not None else (str(self.store_path), text, job.draws, job.seed)
        child = context.Process(target=target, name=f"spigot-{job.kind}-{job.job_id}",
                                args=(*args, child_end), daemon=daemon)
        child.start()
        child_end.close()
        self._child = child
        outcome: tuple[Any, ...] | None = None
        try:
            while outcome is None:
                if parent.poll(0.2):
                    try:
                        message = parent.recv()
                    except EOFError:
                        break
                    if message[0] == "progress":
                        report(*message[1:])
                    else:
                        outcome = message
                elif not child.is_alive() and not parent.poll(0):
                    break
        finally:
            child.join(30)
            parent.close()
            self._child = None
        if outcome is None:
            self._finish(job, error=f"the run process ended unexpectedly (exit code "
                                    f"{child.exitcode}); nothing was saved")
        elif outcome[0] == "done":
            self._finish(job, run_id=str(outcome[1]))
        else:
            self._finish(job, error=str(outcome[1]))

    def _finish(self, job: Job, *, run_id: str | None = None, error: str | None = None) -> None:
        job.finished = time.time()
        if error is None:
            job.status, job.progress, job.message, job.run_id = "done", 1.0, "done", run_id
        else:
            job.status, job.message, job.error = "failed", "failed", error
        job.text = ""
