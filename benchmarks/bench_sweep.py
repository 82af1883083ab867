"""Issue 21's figure: a Sobol sweep of licence-squeeze on base over six parameters, with one and
with two local Dask workers.

Run: ``.venv/bin/python benchmarks/bench_sweep.py [--points 128] [--draws 100] [--weeks 104]
[--workers 1,2]``.

``--points`` is the Sobol base sample N: the sweep has N x (6 + 2) points (128 -> 1,024 points,
the issue's "1,000+"). The parameters: the licence processing time (median working days), the
approval odds for the USA and Japan, firms' extra cover after a shock (``safety_stock_extra``),
the price response (``price_adjust_speed``) and the most likely project delay
(``project_delay_mode_years``; licence-squeeze schedules no projects, so its indices are 0).
Each worker count runs the same sweep in a fresh local cluster; the script prints the wall time
(cluster start, warm-up and sweep), the sweep time alone, seconds per point, the speed-up, and
checks that both runs gave the same numbers. On a shared machine, run a smaller ``--points`` and
scale: the sweep time grows linearly with the points (each point is an independent task).

It also prints the CPU seconds of this process (client, scheduler, nannies) and of the worker
processes (reaped children), cluster start and warm-up included: wall times on a machine other
sessions load say little about the speed-up, CPU seconds much more.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time

import numpy as np

import spigot as sp
from spigot.sweep import parse_param, run_sweep

PARAMS = [
    "policies[0].processing_time.distribution.median=30:70",
    "policies[0].approval.by_destination.USA=0.3:0.7",
    "policies[0].approval.by_destination.JPN=0.5:0.9",
    "market.safety_stock_extra=1:3",
    "market.price_adjust_speed=0.01:0.05:loguniform",
    "market.project_delay_mode_years=0:1.5",
]


def _cpu() -> tuple[float, float]:
    """CPU seconds (user + system) of this process and of its reaped children."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=128, help="Sobol base samples N")
    parser.add_argument("--draws", type=int, default=100)
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--workers", default="1,2", help="worker counts, comma-separated")
    parser.add_argument("--target-points", type=int, default=1024,
                        help="points of the full figure, for the extrapolation")
    args = parser.parse_args()
    scen = sp.scenarios.load("licence-squeeze")
    specs = [parse_param(p) for p in PARAMS]
    rows = []
    first = None
    for n in (int(w) for w in args.workers.split(",")):
        t0, (c0, k0) = time.perf_counter(), _cpu()
        res = run_sweep(scen, specs, design="sobol", points=args.points, draws=args.draws,
                        weeks=args.weeks, workers=n, pairs=["USA.automotive"])
        wall = time.perf_counter() - t0
        c1, k1 = _cpu()
        if first is None:
            first = res.results
        same = bool(np.array_equal(first, res.results, equal_nan=True))
        run_s = res.manifest["timings_s"]["run"]
        rows.append({"workers": n, "points": len(res.values), "wall_s": round(wall, 1),
                     "sweep_s": round(run_s, 1),
                     "s_per_point": round(run_s / len(res.values), 3),
                     "same_numbers_as_first": same, "cpu_driver_s": round(c1 - c0, 1),
                     "cpu_workers_s": round(k1 - k0, 1),
                     "load_average": [round(x, 2) for x in os.getloadavg()]})
        print(json.dumps(rows[-1]), flush=True)
    base = rows[0]
    for row in rows[1:]:
        print(f"speed-up {base['workers']} -> {row['workers']} workers (sweep time): "
              f"{base['sweep_s'] / row['sweep_s']:.2f}x")
    for row in rows:
        if row["points"] >= args.target_points:
            continue  # measured at full size above: nothing to extrapolate
        est = row["s_per_point"] * args.target_points
        print(f"EXTRAPOLATION (linear in points, not measured): {args.target_points} points x "
              f"{args.draws} draws x {args.weeks} weeks with {row['workers']} worker(s): "
              f"~{est / 60:.1f} min of sweep (+ {row['wall_s'] - row['sweep_s']:.0f} s start)")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
