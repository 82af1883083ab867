"""What a user waits for: the first run after install, a later flagship run, saving a big run.

Run: ``.venv/bin/python benchmarks/bench_user_paths.py [--draws 10000] [--weeks 520] [--quick]``.

Targets (issue 16, 2-core machine): the first ``spigot run licence-squeeze`` after install
(numba compile included) in at most 40 s; later runs of the flagship at its defaults (1,000 draws
x 104 weeks, saved to the store) in at most 5 s end to end; saving a 10,000 x 520 run to the
store in at most 3 s. Each case runs in a fresh process (``python -m spigot`` or a child script);
the first-run case uses an empty ``NUMBA_CACHE_DIR`` so that it compiles as after install. The
load average before each case is printed beside it (the machines are shared: compare figures of
one session only). ``--quick``: 1,000 x 104 for the save case.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

SAVE = """
import sys, tempfile, time
import spigot as sp
from spigot.store.run_store import RunStore
draws, weeks = int(sys.argv[1]), int(sys.argv[2])
scen = sp.scenarios.load("licence-squeeze")
res = sp.simulate(scen, draws=draws, weeks=weeks)
with tempfile.TemporaryDirectory() as store:
    t = time.perf_counter()
    RunStore(store).save_results(res, scen.to_yaml())
    print(f"{time.perf_counter() - t:.2f}")
"""


def _load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def _spigot(args: list[str], env: dict[str, str]) -> float:
    """Wall time of ``python -m spigot ARGS`` in a fresh process."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "spigot", *args], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=520)
    parser.add_argument("--quick", action="store_true", help="1,000 x 104 for the save case.")
    args = parser.parse_args()
    draws, weeks = (1000, 104) if args.quick else (args.draws, args.weeks)
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as store:
        fresh = {**os.environ, "NUMBA_CACHE_DIR": cache}
        load = _load()
        first = _spigot(["run", "licence-squeeze", "--store", store], fresh)
        print(f"first run after install (compile included, 1,000 x 104, saved)  {first:7.1f} s"
              f"   ({load}; target <= 40 s)", flush=True)
        for i in range(3):
            load = _load()
            later = _spigot(["run", "licence-squeeze", "--store", store], fresh)
            print(f"later run of the flagship #{i + 1} (1,000 x 104, saved)          {later:7.1f} s"
                  f"   ({load}; target <= 5 s)", flush=True)
        load = _load()
        out = subprocess.run([sys.executable, "-c", SAVE, str(draws), str(weeks)], env=fresh,
                             check=True, capture_output=True, text=True)
        print(f"save a {draws:,} x {weeks} licence-squeeze run to the store      "
              f"{float(out.stdout.split()[-1]):7.2f} s   ({load}; target <= 3 s at 10,000 x 520)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
