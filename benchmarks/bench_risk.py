"""Every static index for every commodity, warm: what ``spigot risk`` computes once the world is
loaded.

Run: ``.venv/bin/python benchmarks/bench_risk.py [--repeat 5]``.

Target (issue 18, 2-core machine): the whole ``spigot risk`` document (concentration and the
chokepoint of every chain, EU supply risk, and for the importer net import reliance, import
sources, exposure to export controls and GeoPolRisk) in under 1 s warm, i.e. in a process that
has loaded the world and computed it once. The headline is the bundled world with importer USA;
beside it, as side figures, the group importer EU27 and the world of ``--year 2022`` (built from
BACI and World Mining Data once per process: its build time is printed too). Each figure is the
best of ``--repeat`` calls, wall time and CPU time of this process; the load average before each
case is printed beside it (the machines are shared: compare figures of one session only).
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def _load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from spigot.cli.risk import risk_document
    from spigot.risk.by_year import year_world

    def best(world: object, importer: str | None, year: int | None) -> tuple[float, float]:
        net = world.network  # type: ignore[attr-defined]
        risk_document(net, None, importer, "2025-06-01", year, world=world)  # warm
        wall, cpu = float("inf"), float("inf")
        for _ in range(args.repeat):
            t, c = time.perf_counter(), time.process_time()
            risk_document(net, None, importer, "2025-06-01", year, world=world)
            wall = min(wall, time.perf_counter() - t)
            cpu = min(cpu, time.process_time() - c)
        return wall, cpu

    base = year_world(None)
    load = _load()
    wall, cpu = best(base, "USA", None)
    print(f"spigot risk, every index x every chain, importer USA, base, warm   {wall:6.3f} s"
          f"   (cpu {cpu:.3f} s; {load}; target < 1 s)", flush=True)
    load = _load()
    wall, cpu = best(base, "EU27", None)
    print(f"{'':<8}side: importer EU27 (a group), base, warm{'':<19}{wall:6.3f} s"
          f"   (cpu {cpu:.3f} s; {load})", flush=True)
    load = _load()
    t = time.perf_counter()
    world = year_world(2022)
    build = time.perf_counter() - t
    wall, cpu = best(world, "USA", 2022)
    print(f"{'':<8}side: --year 2022, importer USA, warm{'':<23}{wall:6.3f} s"
          f"   (cpu {cpu:.3f} s; {load}; the year's world built once in {build:.2f} s)",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
