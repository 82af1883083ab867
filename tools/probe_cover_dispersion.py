"""Credibility figures against the plants' cover dispersion (issue 17 item 4).

Usage: ``python tools/probe_cover_dispersion.py SIGMA [SIGMA ...] [--draws N] [--classes K]
[--scenarios]``. For each sigma (market parameter ``cover_dispersion``; ``plant_classes`` K)
prints: replay-2023-gallium's region x sector pairs stopping in more than half of the draws (the
quiet record of 2023-24 allows at most 3), and replay-2010's tested targets passed (of
``TESTED_TARGETS``). Only these two, the calibration record, are used to choose the dispersion; no
2025 outcome is looked at. ``--scenarios`` adds, for scale: baseline (64 draws x 520 weeks, markets
on) draw x sector stoppages, and licence-squeeze (200 draws) mean lost output and USA automotive
weeks stopped.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

import spigot as sp
import spigot.replays.runner as runner
from spigot.replays.validation import TESTED_TARGETS


def _with_dispersion(sigma: float, classes: int) -> Any:
    load = runner.load_replay

    def patched(name: str) -> Any:
        scen = load(name)
        over = dict(scen.market.overrides)
        over.update({"cover_dispersion": sigma, "plant_classes": float(classes)})
        return scen.model_copy(update={"market": scen.market.model_copy(
            update={"overrides": over})})
    return patched


def _scenarios(sigma: float, classes: int) -> str:
    over = {"cover_dispersion": sigma, "plant_classes": float(classes)}

    def load(name: str) -> sp.Scenario:
        scen = sp.scenarios.load(name)
        return scen.model_copy(update={"market": scen.market.model_copy(
            update={"overrides": {**scen.market.overrides, **over}})})
    base = sp.simulate(load("baseline"), draws=64, weeks=520).data
    stops = int(np.isfinite(base["first_stop_week"].values).sum())
    sq = sp.simulate(load("licence-squeeze"), draws=200).data
    lost = float(sq["lost_output_usd"].values.sum(axis=1).mean())
    usa = list(sq["sector"].values).index("USA.automotive")
    weeks = float(sq["stopped_weeks"].values[:, usa].mean())
    return (f"baseline 64 x 520 draw x sector stoppages {stops}; licence-squeeze 200 draws "
            f"mean lost output {lost / 1e9:.1f} bn USD, USA automotive {weeks:.1f} weeks stopped")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sigma", type=float, nargs="+")
    parser.add_argument("--draws", type=int, default=64)
    parser.add_argument("--classes", type=int, default=5)
    parser.add_argument("--scenarios", action="store_true")
    args = parser.parse_args()
    load = runner.load_replay
    for sigma in args.sigma:
        runner.load_replay = _with_dispersion(sigma, args.classes)
        try:
            rr = runner.run_replay("replay-2023-gallium", draws=args.draws)
            st = rr.stoppages
            half = st[st["share_stopped"] > 0.5]
            anyd = st[st["share_stopped"] > 0]
            t10 = runner.run_replay("replay-2010", draws=args.draws).targets
            tested = t10[t10["id"].isin(TESTED_TARGETS)]
            ok = int(((tested["status"] == "ok") & tested["passed"].astype(bool)).sum())
        finally:
            runner.load_replay = load
        pairs = ", ".join(f"{r.region} {r.sector} {r.share_stopped:.2f}"
                          for r in half.itertuples())
        print(f"sigma {sigma} K {args.classes} draws {args.draws}: replay-2023-gallium pairs "
              f"> half {len(half)} [{pairs}], in any draw {len(anyd)}; replay-2010 tested "
              f"targets passed {ok}/{len(tested)}", flush=True)
        if args.scenarios:
            print(f"sigma {sigma}: {_scenarios(sigma, args.classes)}", flush=True)


if __name__ == "__main__":
    main()
