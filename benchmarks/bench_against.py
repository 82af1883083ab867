"""The engine now against an earlier commit, back to back on the same machine and load.

Run: ``.venv/bin/python benchmarks/bench_against.py [--rev 87cd038] [--draws 10000] [--weeks 520]
[--cases baseline,licence-squeeze] [--repeat 1] [--their-world]``.

Issue 4 asks that the engine with its market phase stay within 1.5x of the engine measured
before that issue; timings on this shared 2-core machine drift by 10-20 % over an hour, so the
fair comparison runs both engines alternately, each case in a fresh child process. ``--rev``
names the earlier engine (default ``87cd038``: the last kernel before the market phase was
wired in). The script checks that commit out into a temporary git worktree, compiles both
kernels (untimed warm-up runs, minutes the first time), then times each case with the earlier
engine and with this tree (its scenarios' default: markets on) and prints wall and run times and
the ratio, and at the end the median ratio of each case. The worktree is removed at the end.

``--their-world`` also times this tree on the earlier commit's bundled world (its
``datasets/base`` folder, read by this tree's loader), so a slowdown splits into what the engine
costs and what a larger world costs: an issue that adds nodes and routes to the bundled world
(as #17 did) makes every step longer with the same engine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, resource, sys, time
import spigot as sp
name, draws, weeks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
kw = {"network": sp.datasets.load(sys.argv[4])} if len(sys.argv) > 4 else {}
scen = sp.scenarios.load(name)
sp.simulate(scen, draws=2, weeks=4, keep_trajectories=0, **kw)  # compile or load the cache
t = time.perf_counter()
res = sp.simulate(scen, draws=draws, weeks=weeks, keep_trajectories=0, **kw)
wall = time.perf_counter() - t
print(json.dumps({"wall_s": wall, "run_s": res.manifest["timings_s"]["run"],
                  "markets": bool(res.manifest.get("markets", False)),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_case(src: Path, cache: Path, name: str, draws: int, weeks: int,
             world: Path | None = None) -> dict[str, float]:
    """Time one case with the package in ``src`` (a fresh child process), on its bundled world
    or on the dataset folder ``world``."""
    env = {**os.environ, "PYTHONPATH": str(src), "NUMBA_CACHE_DIR": str(cache)}
    extra = [str(world)] if world is not None else []
    out = subprocess.run([sys.executable, "-c", CHILD, name, str(draws), str(weeks), *extra],
                         env=env, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rev", default="87cd038")
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--weeks", type=int, default=520)
    ap.add_argument("--cases", default="baseline,licence-squeeze")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--their-world", action="store_true",
                    help="also time this tree on the earlier commit's bundled world")
    a = ap.parse_args()
    ratios: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="spigot-bench-") as tmp:
        old = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old), a.rev],
                       check=True, capture_output=True)
        try:
            trees = {a.rev: (old / "src", old / ".numba"),
                     "this tree": (ROOT / "src", Path(tmp) / "numba-now")}
            print(f"load average {os.getloadavg()[0]:.2f}; {a.draws} draws x {a.weeks} weeks")
            for label, (src, cache) in trees.items():  # compile both, untimed
                run_case(src, cache, "baseline", 2, 4)
                print(f"compiled: {label}", flush=True)
            for r in range(a.repeat):
                for name in a.cases.split(","):
                    res = {label: run_case(src, cache, name, a.draws, a.weeks)
                           for label, (src, cache) in trees.items()}
                    then, now = res[a.rev], res["this tree"]
                    ratios.setdefault(name, []).append(now["wall_s"] / then["wall_s"])
                    line = (f"[{r + 1}] {name}: {a.rev} {then['wall_s']:.1f} s (run "
                            f"{then['run_s']:.1f} s, {then['peak_mb']:.0f} MB); this tree "
                            f"(markets {'on' if now['markets'] else 'off'}) {now['wall_s']:.1f} s "
                            f"(run {now['run_s']:.1f} s, {now['peak_mb']:.0f} MB); ratio "
                            f"{now['wall_s'] / then['wall_s']:.2f}")
                    if a.their_world:
                        src, cache = trees["this tree"]
                        same = run_case(src, cache, name, a.draws, a.weeks,
                                        old / "src" / "spigot" / "datasets" / "base")
                        ratios.setdefault(f"{name}, {a.rev}'s world", []).append(
                            same["wall_s"] / then["wall_s"])
                        line += (f"; this tree on {a.rev}'s world {same['wall_s']:.1f} s "
                                 f"(ratio {same['wall_s'] / then['wall_s']:.2f})")
                    print(line, flush=True)
            print(f"load average {os.getloadavg()[0]:.2f}")
            for name, rs in ratios.items():
                print(f"median ratio, {name}: {statistics.median(rs):.2f} "
                      f"({', '.join(f'{x:.2f}' for x in rs)})")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)],
                           check=False, capture_output=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
