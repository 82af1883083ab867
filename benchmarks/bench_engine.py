"""Engine speed: draw-weeks per second and peak memory, numba engine against the reference.

Run: ``.venv/bin/python benchmarks/bench_engine.py [--draws 10000] [--weeks 520] [--quick]
[--markets on|off|both] [--threads N] [--repeat N]``.

Each case runs in a fresh child process so that its peak resident memory (``ru_maxrss``) is its
own. Cases:

- the numba engine on the base world (``licence-squeeze`` and ``baseline``), small and full size
  (10,000 draws x 520 weeks: the target is at most 10 s and under 2 GB on a 2-core machine);
- the numba and the reference engine on the toy world and on base with few draws, and the
  speed-up of one over the other on the same network (target: at least 100 x).

``--markets`` runs the numba cases with the market phase (``on``, the scenarios' default),
without it (``off``) or both, back to back (``both``: the market phase's cost on the same machine
and load). ``--threads N`` sets ``NUMBA_NUM_THREADS`` of the children (``1``: the cost per
draw-week of one thread, less noisy on a shared machine); ``--repeat N`` runs every numba case N
times, alternating the market settings, and reports the fastest.

The numba kernel is compiled (or loaded from its cache) by a warm-up run that is not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

CHILD = """
import json, resource, sys, time
import spigot as sp
name, dataset, engine = sys.argv[1], sys.argv[2], sys.argv[5]
draws, weeks, markets = int(sys.argv[3]), int(sys.argv[4]), sys.argv[6] == "on"
scen = sp.scenarios.load(name).model_copy(update={"dataset": dataset, "markets": markets})
if dataset == "toy":
    scen = sp.Scenario.model_validate({**scen.model_dump(mode="json"), "policies": [
        {"type": "ExportLicence", "id": "lic", "exporter": "CHN",
         "commodities": ["ndfeb_magnet", "dy_oxide"],
         "approval": {"default": 0.7, "by_destination": {"USA": 0.5}},
         "review_capacity": {"applications_per_week": 3, "shipment_t": 0.05}}]
        if name != "baseline" else []})
if engine == "numba":
    sp.simulate(scen, draws=2, weeks=4, keep_trajectories=0)  # compile or load the cache
t = time.perf_counter()
res = sp.simulate(scen, draws=draws, weeks=weeks, engine=engine, keep_trajectories=0)
wall = time.perf_counter() - t
res.check_conservation()
assert res.manifest["markets"] is markets
print(json.dumps({"wall_s": wall, "run_s": res.manifest["timings_s"]["run"],
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def case(name: str, dataset: str, draws: int, weeks: int, engine: str, markets: str = "on",
         threads: int | None = None) -> dict[str, float]:
    """Run one case in a child process; return its timings and peak memory."""
    env = dict(os.environ)
    if threads:
        env["NUMBA_NUM_THREADS"] = str(threads)
    out = subprocess.run([sys.executable, "-c", CHILD, name, dataset, str(draws), str(weeks),
                          engine, markets], capture_output=True, text=True, check=True, env=env)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    result["draw_weeks_per_s"] = draws * weeks / result["wall_s"]
    result["ns_per_draw_week"] = result["run_s"] * 1e9 / (draws * weeks)
    return result


def best(name: str, dataset: str, draws: int, weeks: int, settings: list[str], repeat: int,
         threads: int | None) -> dict[str, dict[str, float]]:
    """The fastest of ``repeat`` runs of each market setting, the settings alternating."""
    out: dict[str, dict[str, float]] = {}
    for _ in range(repeat):
        for markets in settings:
            r = case(name, dataset, draws, weeks, "numba", markets, threads)
            if markets not in out or r["run_s"] < out[markets]["run_s"]:
                out[markets] = r
    return out


def line(label: str, draws: int, weeks: int, r: dict[str, float]) -> str:
    return (f"{label:<44} {draws:>6} x {weeks:<4} {r['wall_s']:>8.2f} s "
            f"{r['draw_weeks_per_s']:>12,.0f} dw/s {r['peak_mb']:>8.0f} MB "
            f"{r['ns_per_draw_week']:>8,.0f} ns/dw (run)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=520)
    parser.add_argument("--quick", action="store_true", help="Small sizes only.")
    parser.add_argument("--markets", choices=("on", "off", "both"), default="both",
                        help="Market phase of the numba cases (both: off and on, back to back).")
    parser.add_argument("--threads", type=int, default=None,
                        help="NUMBA_NUM_THREADS of the runs (default: all cores).")
    parser.add_argument("--repeat", type=int, default=1,
                        help="Runs of each numba case (the fastest is reported).")
    parser.add_argument("--no-reference", action="store_true",
                        help="Skip the reference engine cases.")
    args = parser.parse_args()
    settings = ["off", "on"] if args.markets == "both" else [args.markets]
    print(f"spigot engine benchmark on {os.cpu_count()} cores; wall time of simulate() "
          f"(sampling + engine + results), peak RSS of the process")
    print("load average before the run (1, 5, 15 min): "
          + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    if args.threads:
        print(f"NUMBA_NUM_THREADS={args.threads}")
    print(f"{'case':<44} {'draws':>6}   {'weeks':<4} {'time':>10} {'speed':>17} {'memory':>11}")
    full: dict[str, dict[str, float]] = {}
    big = [] if args.quick else [("licence-squeeze", "base", args.draws, args.weeks),
                                 ("baseline", "base", args.draws, args.weeks)]
    for i, (name, dataset, draws, weeks) in enumerate(
            [("licence-squeeze", "base", 1000, 104), *big]):
        rs = best(name, dataset, draws, weeks, settings, args.repeat, args.threads)
        for markets in settings:
            print(line(f"numba      {name} on {dataset}, markets {markets}", draws, weeks,
                       rs[markets]), flush=True)
        if len(settings) == 2:
            print(f"{'':<44} markets on / off (run time): "
                  f"{rs['on']['run_s'] / rs['off']['run_s']:.2f} x", flush=True)
        if i == 1:
            full = rs
    if not args.no_reference:
        for dataset, draws, weeks in (("toy", 4, 104), ("base", 2, 52)):
            ref = case("licence-squeeze", dataset, draws, weeks, "reference", settings[-1])
            fast = case("licence-squeeze", dataset, max(draws, 256), weeks, "numba",
                        settings[-1], args.threads)
            print(line(f"reference  licence-squeeze on {dataset}", draws, weeks, ref),
                  flush=True)
            print(line(f"numba      licence-squeeze on {dataset}", max(draws, 256), weeks, fast))
            print(f"{'':<44} speed-up numba / reference on {dataset}: "
                  f"{fast['draw_weeks_per_s'] / ref['draw_weeks_per_s']:,.0f} x", flush=True)
    for markets, r in full.items():
        ok = r["wall_s"] <= 10.0 and r["peak_mb"] < 2048
        print(f"target (10,000 x 520 base in <= 10 s, < 2 GB), markets {markets}: "
              f"{'met' if ok else 'NOT met'} ({r['wall_s']:.1f} s, {r['peak_mb']:.0f} MB)")
    print("load average after the run (1, 5, 15 min): "
          + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    _ = (resource, time)
    return 0


if __name__ == "__main__":
    sys.exit(main())
