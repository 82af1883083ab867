"""Load time of the bundled dataset ``base``: must stay well under one second.

Run: ``.venv/bin/python benchmarks/bench_dataset_load.py``. Each load is cold: it reads and checks
every CSV file with ``SupplyNetwork.from_folder`` (the cache of ``spigot.datasets.load`` is not used).
The first load in a fresh process also pays one-off costs (imports of lazily loaded modules).
"""

from __future__ import annotations

import statistics
import sys
import time

import spigot
from spigot.network import SupplyNetwork

BUDGET_S = 1.0


def main(repeats: int = 5) -> int:
    folder = spigot.datasets.path("base")
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        net = SupplyNetwork.from_folder(folder)
        times.append(time.perf_counter() - start)
    sizes = ", ".join(f"{n} {t}" for t, n in zip(net.summary()["table"], net.summary()["rows"],
                                                   strict=True) if n)
    print(f"base: {sizes}")
    print(f"first load in this process: {times[0]:.3f} s")
    print(f"median of {repeats} loads:    {statistics.median(times):.3f} s (budget {BUDGET_S:.1f} s)")
    return 0 if times[0] < BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
