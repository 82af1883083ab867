"""licence-squeeze with `granularity: auto` against its default (fluid): mean lost output.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/licence_granularity.py`` (200 draws x 104 weeks,
seed 0, markets on, the numba engine; docs/model.md, "Whole applications in the engine"). The
bundled scenario is not changed: the variant adds ``granularity: auto`` to its licence.
"""

from __future__ import annotations

import time
from importlib import resources

import numpy as np

import spigot as sp
from spigot.scenarios import load_text
from spigot.sim.engine import prepare

text = (resources.files("spigot.scenarios") / "builtin" / "licence-squeeze.yaml").read_text()
auto = text.replace("    validity_weeks: 0", "    validity_weeks: 0\n    granularity: auto")
assert auto != text
tots = {}
for label, t in (("fluid (default)", text), ("auto", auto)):
    scen = load_text(t)
    if label == "auto":
        m = prepare(scen)
        plan = m.plan
        lots = [m.net.routes[k] for e, k in enumerate(plan.pair_route) if plan.pair_lots[e]]
        print("auto: whole-application pairs", len(lots), "of", plan.n_pairs, ":", lots)
    t0 = time.perf_counter()
    res = sp.simulate(scen, draws=200, weeks=104, seed=0)
    ds = res.data
    lost = ds["lost_output_usd"].values  # (draws, sectors)
    tot = lost.sum(axis=1)
    tots[label] = tot
    se = tot.std(ddof=1) / np.sqrt(len(tot))
    sectors = [str(s) for s in ds["sector"].values]
    stops = ~np.isnan(ds["first_stop_week"].values)
    share = stops.mean(axis=0)
    weeks = ds["stopped_weeks"].values.mean(axis=0)
    top = np.argsort(-lost.mean(axis=0))[:6]
    print(f"{label}: mean lost output USD {tot.mean()/1e9:.2f} bn (SE {se/1e9:.2f}), "
          f"P5-P95 {np.percentile(tot,5)/1e9:.2f}-{np.percentile(tot,95)/1e9:.2f} bn; "
          f"pairs stopping in >50% of draws {int((share > 0.5).sum())}; "
          f"{time.perf_counter()-t0:.0f} s")
    for i in top:
        print(f"   {sectors[i]}: lost {lost[:, i].mean()/1e9:.2f} bn, stop share {share[i]:.2f}, "
              f"stopped weeks {weeks[i]:.1f}")
d = tots["auto"] - tots["fluid (default)"]
se_d = d.std(ddof=1) / np.sqrt(len(d))
rel = d.mean() / tots["fluid (default)"].mean()
print(f"auto - fluid, paired over the same draws: {d.mean() / 1e9:+.2f} bn "
      f"(SE {se_d / 1e9:.2f}), {rel:+.1%}")
