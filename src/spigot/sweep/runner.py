"""`run_sweep`: a scenario's outputs over a design of parameter points, and their sensitivity."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from spigot._version import __version__
from spigot.scenarios.models import Scenario
from spigot.sim.engine import BLOCK_SIZE
from spigot.sweep.chunks import block_ranges, merge_chunks, run_blocks
from spigot.sweep.design import design_points
from spigot.sweep.execute import connect, evaluate_points
from spigot.sweep.outputs import check_outputs, output_names
from spigot.sweep.params import ParamSpec, apply_point, check_paths
from spigot.sweep.sensitivity import morris_indices, sobol_indices

__all__ = ["JSON_SCHEMA_ID", "SweepResult", "default_commodities", "run_sweep"]

#: Identifies the layout of ``spigot sweep --format json``.
JSON_SCHEMA_ID = "spigot.sweep/1"


@dataclass
class SweepResult:
    """A sweep: its points (parameter values and outputs), indices and manifest."""

    specs: list[ParamSpec]
    unit: npt.NDArray[np.float64]
    values: npt.NDArray[np.float64]
    outputs: list[str]
    results: npt.NDArray[np.float64]  # points x outputs
    manifest: dict[str, Any]
    sobol: dict[str, Any] | None = None
    morris: dict[str, Any] | None = None
    scenario_text: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """The parameters' paths."""
        return [s.path for s in self.specs]

    def points_frame(self) -> pd.DataFrame:
        """One row per point: ``point``, each parameter's value, each output."""
        frame = pd.DataFrame(self.values, columns=self.names)
        for j, name in enumerate(self.outputs):
            frame[name] = self.results[:, j]
        frame.insert(0, "point", np.arange(len(frame)))
        return frame

    def document(self) -> dict[str, Any]:
        """The JSON document (keys in docs/cli.md)."""
        def num(v: float) -> float | None:
            return float(v) if math.isfinite(v) else None

        points = [{"point": i,
                   "parameters": {n: float(v) for n, v in zip(self.names, row, strict=True)},
                   "outputs": {n: num(v) for n, v in zip(self.outputs, out, strict=True)}}
                  for i, (row, out) in enumerate(zip(self.values, self.results, strict=True))]
        return {"schema": JSON_SCHEMA_ID,
                "parameters": [{"path": s.path, "low": s.low, "high": s.high, "dist": s.dist}
                               for s in self.specs],
                "outputs": self.outputs, "points": points, "sobol": self.sobol,
                "morris": self.morris, "manifest": self.manifest}

    def to_dataset(self) -> xr.Dataset:
        """The sweep as an ``xarray.Dataset`` for the run store (dims ``point``, ``parameter``,
        ``output``, and ``index`` for the Sobol indices)."""
        data: dict[str, Any] = {
            "parameter_value": (("point", "parameter"), self.values,
                                {"units": "the parameter's unit"}),
            "output_value": (("point", "output"), self.results, {"units": "see docs/sweeps.md"}),
        }
        coords: dict[str, Any] = {"point": np.arange(len(self.values)), "parameter": self.names,
                                  "output": self.outputs}
        if self.sobol is not None:
            keys = ["S1", "S1_conf", "ST", "ST_conf"]
            arr = np.full((len(self.outputs), len(self.names), len(keys)), np.nan)
            for i, out in enumerate(self.outputs):
                per = self.sobol.get(out) or {}
                for j, name in enumerate(self.names):
                    for k, key in enumerate(keys):
                        v = (per.get(name) or {}).get(key)
                        arr[i, j, k] = np.nan if v is None else v
            coords["index"] = keys
            data["sobol"] = (("output", "parameter", "index"), arr, {"units": "1"})
        return xr.Dataset(data, coords=coords, attrs={"kind": "sweep"})


def default_commodities(scen: Scenario) -> list[str]:
    """The commodities the scenario's policies name (their order, no repeats)."""
    out: list[str] = []
    for p in scen.policies:
        for c in getattr(p, "commodities", None) or []:
            if isinstance(c, str) and c not in out:
                out.append(c)
    return out


def run_sweep(scen: Scenario, specs: list[ParamSpec], *, design: str = "lhs", points: int = 16,
              draws: int = 100, weeks: int | None = None, seed: int | None = None,
              pairs: Sequence[str] = (), commodities: Sequence[str] | None = None,
              scheduler: str | None = None, workers: int | None = None,
              chunk_draws: int | None = None, engine: str = "numba", threads: int = 1,
              progress: Callable[[str, int, int], None] | None = None) -> SweepResult:
    """Run ``scen`` at each point of a design and compute the outputs' sensitivity indices.

    Parameters
    ----------
    scen
        The scenario whose parameters are swept.
    specs
        The swept parameters.
    design, points
        See :mod:`spigot.sweep.design`.
    draws, weeks, seed
        Monte Carlo draws per point, horizon (weeks) and seed (default: the scenario's); the
        design is sampled with the same seed.
    pairs, commodities
        The REGION.SECTOR pairs whose first stop week is an output, and the commodities whose
        peak ex-China price is (default: those the scenario's policies name).
    scheduler, workers
        A Dask scheduler address (default ``$SPIGOT_DASK_SCHEDULER``, else a local cluster of
        ``workers`` processes, default the CPU count).
    chunk_draws
        Draws per task (default: all the point's draws in one task); no effect on the numbers.
    threads
        numba threads per task.
    progress
        ``progress(step, done, total)``.

    Raises
    ------
    InputError
        For an unknown path, pair or commodity, a bad range or design, an unreachable scheduler.
    """
    t0 = time.perf_counter()
    base = scen.with_options(draws=draws, horizon_weeks=weeks, seed=seed)
    check_paths(base, specs)
    unit, values = design_points(specs, design, points, base.seed)
    scens = [apply_point(base, specs, row) for row in values]
    commodities = list(default_commodities(base) if commodities is None else commodities)
    # check names on a one-block run of the first point (also checks market overrides)
    probe = scens[0].with_options(draws=1, horizon_weeks=1)
    check_outputs(merge_chunks(probe, [run_blocks(probe, 0, 1, engine)], engine), pairs,
                  commodities)
    names = output_names(pairs, commodities)
    say = progress or (lambda step, done, total: None)
    say("starting workers", 0, len(scens))
    t_design = time.perf_counter() - t0
    with connect(scheduler, workers, probe=probe, engine=engine,
                 threads=threads) as cluster:
        t_warm = time.perf_counter() - t0 - t_design
        say("sweeping", 0, len(scens))
        rows = evaluate_points(cluster, scens, pairs, commodities, engine=engine,
                               chunk_draws=chunk_draws, threads=threads,
                               progress=lambda d, n: say("sweeping", d, n))
        where, n_workers = cluster.scheduler, cluster.workers
    t_run = time.perf_counter() - t0 - t_design - t_warm
    results = np.array([[r[n] for n in names] for r in rows], dtype=float).reshape(-1, len(names))
    columns = {n: results[:, j] for j, n in enumerate(names)}
    ts = time.perf_counter()
    sobol = sobol_indices(specs, columns, base.seed) if design == "sobol" else None
    morris = morris_indices(specs, unit, columns, base.seed) if design == "morris" else None
    manifest = {
        "spigot_version": __version__, "kind": "sweep", "scenario": base.name,
        "scenario_hash": base.content_hash(), "dataset": base.dataset, "seed": base.seed,
        "design": design, "design_points": points, "points": len(scens), "draws": base.draws,
        "weeks": base.horizon_weeks, "engine": engine,
        "chunk_draws": BLOCK_SIZE * (block_ranges(base.draws, chunk_draws or base.draws)[0][1]),
        "scheduler": where, "workers": n_workers, "threads_per_task": threads,
        "timings_s": {"design": round(t_design, 4), "workers": round(t_warm, 4),
                      "run": round(t_run, 4),
                      "sensitivity": round(time.perf_counter() - ts, 4),
                      "total": round(time.perf_counter() - t0, 4)},
    }
    return SweepResult(specs, unit, values, names, results, manifest, sobol, morris)



