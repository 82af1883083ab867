"""Where the numba engine's time goes: work per phase and the cost of each phase, one thread.

Run: ``NUMBA_NUM_THREADS=1 .venv/bin/python benchmarks/profile_engine.py [--draws 64] [--weeks 520]
[--scenario licence-squeeze] [--markets on|off] [--counts-only]``.

numba cannot time inside a compiled function, so each phase's cost is estimated by compiling a
variant of the kernel with that phase cut out (its source between two phase markers replaced by
``pass``) and timing it against the full kernel. Cutting a phase changes what the later phases
see (no policies: no licensing work either), so the differences are estimates; they do not add
up exactly. Each variant compiles once (about half a minute) into a temporary folder.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

import numpy as np

import spigot as sp
from spigot.sim import engine, kernel
from spigot.sim.engine import prepare

#: (label, marker that starts the phase, marker that starts the next one).
PHASES = [
    ("1 policies", "# ---- 1.", "# ---- 2."),
    ("2 arrivals", "# ---- 2.", "# ---- 3."),
    ("3 production", "# ---- 3.", "# ---- 4."),
    ("4a shipping", "# ---- 4.", "if J > 0:\n            _licensing("),
    ("4b licensing", "if J > 0:\n            _licensing(", "# ---- 5."),
    ("5 allocation", "# ---- 5.", "# ---- 6."),
    ("6 consumption", "# ---- 6.", "# ---- 7."),
    ("7 reorder", "# ---- 7.", "# ---- 8."),
    ("8 markets", "# ---- 8.", "# ---- 9."),
    ("9 stockpiles", "# ---- 9.", "# ---- record stocks"),
    ("record stocks", "# ---- record stocks", "for f in range(RB):"),
    ("block sums", "for f in range(RB):", "\n    # ---- outputs"),
]


def counts(m: engine.SimModel) -> dict[str, int]:
    """Work per lane and step: the sizes the phases loop over."""
    plan = m.plan
    live = (m.route_base != 0) | (np.diff(plan.rm_ptr) > 0) | (plan.route_slot >= 0)
    return {"routes": len(m.route_base), "live routes": int(live.sum()),
            "route-weeks in transit": int(m.pipe_off[-1]), "usable nodes": int((m.node_cap > 0).sum()),
            "buffers": m.n_buffers, "region buffers": m.n_buffers - m.rbuf0,
            "sector-commodity pairs": len(m.sc_c), "sectors": len(m.sector_output),
            "licence slots": plan.n_slots, "licence lags": int(plan.kernel_steps),
            "record values": m.layout.size}


def variant(cut: tuple[str, str, str] | None, folder: Path) -> ModuleType:
    """The kernel module, with one phase cut out (``None``: the full kernel)."""
    src = Path(kernel.__file__).read_text()
    name = "kernel_full"
    if cut is not None:
        label, start, stop = cut
        a, b = src.index(start), src.index(stop)
        src = src[:a] + "pass  # cut\n" + " " * 8 + src[b:].lstrip()
        name = "kernel_" + label.split()[0]
    path = folder / f"{name}.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def timed(mod: ModuleType, scen: sp.Scenario, draws: int, weeks: int) -> float:
    """Best of three: engine seconds per draw-week."""
    engine._runner = lambda _name: mod.run_chunk_numba  # type: ignore[assignment]
    sp.simulate(scen, draws=2, weeks=4, keep_trajectories=0)  # compile
    best = min(sp.simulate(scen, draws=draws, weeks=weeks,
                           keep_trajectories=0).manifest["timings_s"]["run"] for _ in range(3))
    return best / (draws * weeks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="licence-squeeze")
    parser.add_argument("--draws", type=int, default=64)
    parser.add_argument("--weeks", type=int, default=520)
    parser.add_argument("--markets", choices=["on", "off"], default="on")
    parser.add_argument("--counts-only", action="store_true")
    args = parser.parse_args()
    scen = sp.scenarios.load(args.scenario).model_copy(update={"markets": args.markets == "on"})
    for key, value in counts(prepare(scen)).items():
        print(f"{key:<28} {value:>8,}")
    if args.counts_only:
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        sys.path.insert(0, tmp)
        t0 = time.perf_counter()
        whole = variant(None, Path(tmp))
        full = timed(whole, scen, args.draws, args.weeks)
        print(f"{'full kernel':<28} {full * 1e6:8.2f} us per draw-week")
        for cut in PHASES:
            us = timed(variant(cut, Path(tmp)), scen, args.draws, args.weeks)
            print(f"without {cut[0]:<20} {us * 1e6:8.2f} us   phase ~ {(full - us) * 1e6:6.2f} us",
                  flush=True)
        again = timed(whole, scen, args.draws, args.weeks)
        print(f"{'full kernel again':<28} {again * 1e6:8.2f} us per draw-week (load drift check)")
        print(f"({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
