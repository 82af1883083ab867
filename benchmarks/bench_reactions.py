"""The reaction phase's cost: the engine on a scenario without reactions, old tree against new,
and the same scenario with reactions.

Run: ``.venv/bin/python benchmarks/bench_reactions.py --old OLD/src [--new src]
[--draws 1000] [--weeks 520] [--repeat 3] [--scenario licence-squeeze]``.

Each case runs in a child process with ``PYTHONPATH`` set to one source tree and its own numba
cache folder; a small untimed run compiles (or loads) the kernel first. The cases alternate
(old, new, new with reactions, old, ...) so that a change in the machine's load hits them
alike (``OLD``: e.g. ``git archive BASE src | tar -x -C OLD``); each reports the engine's
own run time (``manifest["timings_s"]["run"]``), and the script prints the fastest and the
median of ``--repeat`` runs and the new/old ratios. The reactions case adds to the scenario
a suspension and a resumption of its first measure (date triggers, lags) and a probability
trigger that scales its approvals (if it is a licence): the reaction phase runs every step on
every lane.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys

CHILD = """
import json, sys
import spigot as sp
name, draws, weeks, react = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
scen = sp.scenarios.load(name)
if react:
    first = scen.policies[0]
    extra = [
        {"id": "bench_pause", "measure": first.id, "when": {"date": "2025-06-02"},
         "lag_weeks": 2, "do": "suspend"},
        {"id": "bench_back", "measure": first.id, "when": {"date": "2025-09-01"},
         "do": "resume"}]
    if first.type == "ExportLicence":
        extra.append({"id": "bench_ease", "measure": first.id,
                      "when": {"probability_per_week": 0.02}, "lag_weeks": 1,
                      "do": {"approval_scale": 1.2}})
    scen = sp.Scenario.model_validate({**scen.model_dump(mode="json"), "reactions": extra})
sp.simulate(scen, draws=64, weeks=8)  # compile or load the kernel (not timed)
res = sp.simulate(scen, draws=draws, weeks=weeks)
print(json.dumps(res.manifest["timings_s"]))
"""


def cache_of(tree: str) -> str:
    """A numba cache folder of its own for each source tree."""
    return "/tmp/nbc_bench_" + hashlib.sha1(tree.encode()).hexdigest()[:10]


def one(tree: str, cache: str, scenario: str, draws: int, weeks: int, react: bool) -> float:
    """The engine's run time (s) of one case in a fresh child process."""
    env = {**os.environ, "PYTHONPATH": tree, "NUMBA_CACHE_DIR": cache}
    out = subprocess.run([sys.executable, "-c", CHILD, scenario, str(draws), str(weeks),
                          "1" if react else "0"], env=env, capture_output=True, text=True,
                         check=True)
    return float(json.loads(out.stdout.strip().splitlines()[-1])["run"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--old", required=True, help="source tree of the old engine (its src/)")
    ap.add_argument("--new", default="src", help="source tree of the new engine")
    ap.add_argument("--scenario", default="licence-squeeze")
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--weeks", type=int, default=520)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    old, new = os.path.abspath(args.old), os.path.abspath(args.new)
    cases = {"old": (old, cache_of(old), False), "new": (new, cache_of(new), False),
             "new+reactions": (new, cache_of(new), True)}
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(args.repeat):
        for name, (tree, cache, react) in cases.items():
            times[name].append(one(tree, cache, args.scenario, args.draws, args.weeks, react))
    print(f"{args.scenario}: {args.draws} draws x {args.weeks} weeks, {args.repeat} runs each "
          f"(engine run time, s)")
    for name, ts in times.items():
        print(f"  {name:14s} fastest {min(ts):7.2f}  median {statistics.median(ts):7.2f}  "
              f"all {', '.join(f'{t:.2f}' for t in ts)}")
    for name in ("new", "new+reactions"):
        paired = [t / o for t, o in zip(times[name], times["old"], strict=True)]
        print(f"  {name}/old: fastest {min(times[name]) / min(times['old']):.3f}, median "
              f"{statistics.median(times[name]) / statistics.median(times['old']):.3f}, "
              f"median of the rounds' ratios {statistics.median(paired):.3f}")


if __name__ == "__main__":
    main()
