"""Save the figures that ``tests/regression/test_builtin_figures.py`` compares every run against.

Each built-in scenario and replay is simulated at a small size (``DRAWS`` draws, seed ``SEED``; the
scenarios over ``WEEKS`` weeks, the replays over their own horizon) and every data variable of
its Results is reduced to three figures: the sum of its finite values, the sum of their squares,
and the count of non-finite cells. A refactor that must not change outputs keeps them within
1e-9 relative; a change that is meant to move outputs regenerates the file in the same commit,
and says why.

Run: ``python tools/save_regression_figures.py`` (seconds once numba has compiled).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

import spigot as sp
from spigot.replays import load_replay, replay_names

DRAWS, SEED, WEEKS = 8, 20261206, 52
OUT = Path(__file__).resolve().parent / "builtin_figures.json"


def cases() -> list[tuple[str, str]]:
    """``(kind, name)`` of every built-in scenario and replay."""
    return ([("scenario", n) for n in sp.scenarios.names()]
            + [("replay", n) for n in replay_names()])


def simulate_case(kind: str, name: str) -> sp.Results:
    """The small run of one case (the same for the saver and the test)."""
    if kind == "scenario":
        scen = sp.scenarios.load(name).with_options(horizon_weeks=WEEKS)
    else:
        scen = load_replay(name)
    return sp.simulate(scen, draws=DRAWS, seed=SEED)


def figures(res: sp.Results) -> dict[str, list[float]]:
    """Per data variable: [sum of finite values, sum of their squares, non-finite cells]."""
    out: dict[str, list[float]] = {}
    for name in sorted(res.data.data_vars):
        values = np.asarray(res.data[name].values)
        if values.dtype.kind == "M":
            values = values.astype("datetime64[s]").astype(np.float64)
            values[values == np.iinfo(np.int64).min] = np.nan
        values = values.astype(np.float64)
        finite = np.isfinite(values)
        out[str(name)] = [float(values[finite].sum()), float((values[finite] ** 2).sum()),
                          float((~finite).sum())]
    return out


def main() -> int:
    saved: dict[str, Any] = {"draws": DRAWS, "seed": SEED, "weeks": WEEKS, "cases": {}}
    for kind, name in cases():
        saved["cases"][f"{kind}:{name}"] = figures(simulate_case(kind, name))
        print(f"{kind} {name}: {len(saved['cases'][f'{kind}:{name}'])} variables")
    OUT.write_text(json.dumps(saved, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
    return 0

