"""The fluid engine against the discrete (SimPy) licence model: the table of docs/model.md.

Run: ``.venv/bin/python benchmarks/discrete_licence.py [--draws 200] [--seed 0]
[--cases exact-deny,capacity-6] [--engine numba] [--format table|json]``.

For each case of :data:`spigot.validation.compare.CASES` (a magnet licence on China's exports in
the toy world; docs/model.md, "Queue discipline and lumpiness") it runs the engine twice (the
licence's ``granularity`` ``fluid``, the default, and ``applications``: whole applications) and
the discrete model on the same draws (the same per-draw regime: approval odds, processing-time
kernel, review capacity) and prints, per importing sector and model: the share of draws in which
the sector stops, its mean stopped weeks, the P50 and mean first stop week over the draws that
stop, and the mean lost output (USD m). Cases marked ``exact`` must agree to rounding (the script
exits 1 when they do not). The last column, ``fill``, is the smallest share of its orders that a
supplier of the modelled routes shipped in the engine (reference engine, draw 0): the discrete
model assumes 1 (suppliers ship what is ordered), so a case with ``fill`` below 1 compares the
queue rules and the suppliers' limits together. Needs SimPy (``pip install -e ".[dev]"``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

import numpy as np

from spigot.sim.engine import prepare
from spigot.sim.reference import _Draw
from spigot.validation.compare import (
    CASES,
    Case,
    compare,
    discrete_arrays,
    engine_run,
    fluid_arrays,
    summary,
)
from spigot.validation.discrete import block_params

COLUMNS = ("share_stopping", "stopped_weeks_mean", "first_stop_p50", "first_stop_mean",
           "lost_usd_m_mean")


def _fmt(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:.3g}" if abs(x) < 1000 else f"{x:.0f}"


def supplier_fill(case: Case, seed: int) -> float:
    """Smallest share of orders shipped by the suppliers of the modelled routes (draw 0)."""
    m = prepare(case.scenario(), case.network(), markets=False)
    draw = _Draw(m, block_params(m, seed, 1), 0)
    sectors = len(m.sector_output)
    rec, scal, first = np.zeros(m.layout.size), np.zeros((3, sectors)), [-1] * sectors
    region_c = {(m.net.regions.index(r), m.net.commodities.index(c)) for r, c in case.buffers}
    routes = [k for k in range(len(m.route_base))
              if (int(m.route_dest_region[k]), int(m.route_c[k])) in region_c
              and m.route_dest_node[k] < 0]
    worst = 1.0
    for t in range(m.steps):  # the reference engine's phases without markets
        rec[:] = 0.0
        draw.policies(t)
        draw.arrivals(t)
        draw.production()
        draw.ship(t, rec)
        for k in routes:
            n, c = m.route_origin[k], m.route_c[k]
            if draw.ship_D[n, c] > 0:
                worst = min(worst, float(draw.ship_ratio[n, c]))
        draw.allocate()
        draw.consume(t, rec, scal, first)
        draw.reorder()
        draw.stockpiles(t)
    return worst


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--draws", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--engine", choices=("numba", "reference"), default="numba")
    ap.add_argument("--format", choices=("table", "json"), default="table")
    args = ap.parse_args(argv)
    rows, ok = [], True
    for name in args.cases.split(","):
        case = CASES[name]
        t0 = time.perf_counter()
        res, disc = compare(case, args.draws, args.seed, args.engine)
        whole = engine_run(case, args.draws, args.seed, args.engine, "applications")
        fill = supplier_fill(case, args.seed)
        for sector in disc.sectors:
            fluid = summary(*fluid_arrays(res, sector))
            apps = summary(*fluid_arrays(whole, sector))
            discrete = summary(*discrete_arrays(disc, sector))
            if case.exact:
                for key in COLUMNS:
                    a, b = fluid[key], discrete[key]
                    same = (math.isnan(a) and math.isnan(b)) or math.isclose(
                        a, b, rel_tol=1e-9, abs_tol=1e-9)
                    ok = ok and same
            for model, values in (("fluid", fluid), ("applications", apps),
                                  ("discrete", discrete)):
                rows.append({"case": name, "sector": sector, "model": model, **values,
                             "fill": fill})
        if args.format == "table":
            print(f"# {name}: {case.note} (lots={case.lots}, filing={case.filing}, "
                  f"{time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    if args.format == "json":
        print(json.dumps({"draws": args.draws, "seed": args.seed, "rows": rows}, indent=1))
    else:
        head = ("case", "sector", "model", "stop share", "weeks stopped", "first stop P50",
                "first stop mean", "lost USD m", "fill")
        widths = (22, 15, 12, 10, 13, 14, 15, 10, 5)
        print(" ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
        for row in rows:
            cells = ([row["case"], row["sector"], row["model"]] + [_fmt(row[k]) for k in COLUMNS]
                     + [f"{row['fill']:.3f}"])
            print(" ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)))
    if not ok:
        print("exact cases disagree", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
