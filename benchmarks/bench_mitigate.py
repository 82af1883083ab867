"""The mitigation frontier of issue 19: a 10-point frontier for USA and for JPN on base with
licence-squeeze, 500 draws x 104 weeks, each point verified by the engine on fresh draws.

Run: ``.venv/bin/python benchmarks/bench_mitigate.py [--draws 500] [--points 10]
[--holders USA,JPN] [--menu FILE]``.

Target (issue 19, 2-core machine): at most 2 minutes per holder, and each point's simulated mean
loss within 10 % of the predicted one. Printed per holder: wall time (and its parts: engine runs
for the fit, HiGHS, engine runs for verification), the LP size, the load average before the run
(the machines are shared: compare figures of one session only), then one line per point: cost,
predicted and simulated mean lost output, the relative error, that of P95 (the point-fitted
abstraction on the fresh draws against the engine), and the portfolio. ``--holders USA`` for one.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path


def _rel(predicted: float, simulated: float) -> str:
    """(simulated - predicted) / predicted as text ('n/a' when nothing is predicted)."""
    return f"{(simulated - predicted) / predicted:+.1%}" if predicted else "n/a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--points", type=int, default=10)
    parser.add_argument("--holders", default="USA,JPN")
    parser.add_argument("--scenario", default="licence-squeeze")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--menu", help="a menu YAML (default: the holder's default menu)")
    parser.add_argument("--json", help="write each holder's document to this path + holder")
    args = parser.parse_args()
    import spigot as sp

    scen = sp.scenarios.load(args.scenario)
    sp.simulate(scen, draws=64, weeks=8)  # compile or load the kernel (not timed)
    for holder in args.holders.split(","):
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        menu = (sp.mitigation.load_menu_text(Path(args.menu).read_text(encoding="utf-8"),
                                             args.menu) if args.menu else None)
        res = sp.mitigate(scen, holder, menu=menu, draws=args.draws, points=args.points,
                          seed=args.seed)
        wall = time.perf_counter() - t0
        doc = res.document()
        if args.json:
            with open(f"{args.json}{holder}.json", "w", encoding="utf-8") as f:
                json.dump(doc, f, default=str)
        man, lp = doc["manifest"], doc["lp"]
        v = doc["verification"]
        print(f"{holder}: {args.points} points, {args.draws} draws x {int(man['horizon_weeks'])} "
              f"weeks on {args.scenario}: {wall:.1f} s wall (load {load:.2f}); engine fit "
              f"{man['fit_run_seconds']:.1f} s, HiGHS {lp['solve_seconds']:.1f} s over "
              f"{lp['solves']} solves, verification {man['verify_seconds']:.1f} s; LP "
              f"{lp['variables']} variables x {lp['constraints']} constraints; attempts "
              f"{doc['fit']['attempts']}; calibration {man['calibration_seconds']:.1f} s over "
              f"{doc['fit']['calibration_runs']} engine runs")
        for m, c in doc["fit"]["curves"].items():
            pts = ", ".join(f"{x:.3g}->{y:.3g}" for x, y in zip(c["amount"], c["effective"],
                                                                 strict=True))
            print(f"  curve {m}: {pts}")
        print(f"  worst |relative error| {v['max_abs_relative_error']:.1%}; "
              f"{v['points_within_10pct']} of {args.points} points within 10 %; P95: worst "
              f"{v['max_abs_relative_error_p95']:.1%}, {v['points_p95_within_10pct']} within "
              f"10 %; curves on the fitted draws, per attempt: "
              + ", ".join(f"{e:.1%}" for e in doc["fit"]["attempt_curve_errors"]))
        for p in doc["frontier"]:
            pv = p["verification"]
            ms = ", ".join(f"{m['id']} {m['amount']:.1f} {m['unit']}" for m in p["measures"])
            print(f"  point {p['point']:2d}: cost USD {p['cost_usd']:14,.0f}; lost mean USD "
                  f"{pv['predicted_lost_usd_mean']:16,.0f} predicted, "
                  f"{pv['simulated_lost_usd_mean']:16,.0f} simulated ({pv['relative_error']:+.1%}); "
                  f"P95 {_rel(pv['predicted_lost_usd_p95'], pv['simulated_lost_usd_p95'])}; "
                  f"{ms or 'nothing'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
