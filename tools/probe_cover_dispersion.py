"""Credibility figures against the plants' cover dispersion (issue 17 item 4).

Usage: ``python tools/probe_cover_dispersion.py SIGMA [SIGMA ...] [--draws N] [--classes K]``.
For each sigma (market parameter ``cover_dispersion``; ``plant_classes`` K) prints:
replay-2023-gallium's region x sector pairs stopping in more than half of the draws (the quiet
record of 2023-24 allows at most 3), and replay-2010's tested targets passed (of 9). Only these
two, the calibration record, are used to choose the dispersion; no 2025 outcome is looked at.
"""

from __future__ import annotations

import argparse
from typing import Any

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sigma", type=float, nargs="+")
    parser.add_argument("--draws", type=int, default=64)
    parser.add_argument("--classes", type=int, default=5)
    args = parser.parse_args()
    load = runner.load_replay
    for sigma in args.sigma:
        runner.load_replay = _with_dispersion(sigma, args.classes)  # type: ignore[assignment]
        try:
            rr = runner.run_replay("replay-2023-gallium", draws=args.draws)
            st = rr.stoppages
            half = st[st["share_stopped"] > 0.5]
            anyd = st[st["share_stopped"] > 0]
            t10 = runner.run_replay("replay-2010", draws=args.draws).targets
            tested = t10[t10["id"].isin(TESTED_TARGETS)]
            ok = int(((tested["status"] == "ok") & tested["passed"].astype(bool)).sum())
        finally:
            runner.load_replay = load  # type: ignore[assignment]
        pairs = ", ".join(f"{r.region} {r.sector} {r.share_stopped:.2f}"
                          for r in half.itertuples())
        print(f"sigma {sigma} K {args.classes} draws {args.draws}: replay-2023-gallium pairs "
              f"> half {len(half)} [{pairs}], in any draw {len(anyd)}; replay-2010 tested "
              f"targets passed {ok}/{len(tested)}", flush=True)


if __name__ == "__main__":
    main()
