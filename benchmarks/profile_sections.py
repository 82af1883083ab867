"""Cycles per draw-week in each section of the numba engine's weekly loop, one thread.

Run: ``NUMBA_NUM_THREADS=1 .venv/bin/python benchmarks/profile_sections.py [--draws 1024]
[--weeks 520] [--scenario licence-squeeze]``.

A copy of :mod:`spigot.sim.kernel` reads the processor's cycle counter (``llvm.readcyclecounter``,
a numba intrinsic) where each section of the weekly loop starts, adds the cycles since the last
read to the section's total, and prints the block's totals when the block ends. Unlike
``profile_engine.py``, which estimates a phase by compiling the kernel without it, this times the
sections of one and the same kernel, so the figures add up (a counter read costs a few dozen
cycles, ~20 reads a step per block of 64 lanes). Writes to fresh output memory are charged to
the section that makes them (the run's export array to ``exports``, the block sums to
``block sums``): on a virtual machine a first touch can cost far more than the arithmetic.
The copy compiles once into a temporary folder (about a minute) and runs in a child process.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from spigot.sim import kernel

#: (label, text that starts the section inside the weekly loop); each section runs to the next.
SECTIONS = [
    ("zero record", "        for k in ctrl_k:\n            for ln in range(W):\n                rec[o_exp"),
    ("1 policies", "        # ---- 1. policies"),
    ("2 arrivals", "        # ---- 2. arrivals"),
    ("3 production", "        # ---- 3. production"),
    ("4 shipping", "        # ---- 4. shipping"),
    ("4b licensing", "        if J > 0:\n            _licensing("),
    ("5 allocation", "        # ---- 5. allocation"),
    ("6 consumption", "        # ---- 6. consumption"),
    ("7 reorder", "        # ---- 7. reorder"),
    ("8 markets", "        # ---- 8. markets"),
    ("9 stockpiles", "        # ---- 9. stockpiles"),
    ("record stocks", "        # ---- record stocks"),
    ("block sums", "        sums_t = block_sum_b[t]"),
    ("trajectories", "        for ln in range(n_live):\n            if keep[ln] >= 0:"),
    ("exports", "        for c in range(C):  # summed lane-major"),
    ("market record", "        if mkt:  # the market record"),
]
END = "    # ---- outputs and conservation"

INTRINSIC = '''
from llvmlite import ir as _ir
from numba.core import types as _types
from numba.extending import intrinsic as _intrinsic


@_intrinsic
def _cycles(typingctx):
    def codegen(context, builder, signature, args):
        fnty = _ir.FunctionType(_ir.IntType(64), [])
        fn = builder.module.declare_intrinsic("llvm.readcyclecounter", fnty=fnty)
        return builder.call(fn, [])
    return _types.int64(), codegen
'''

CHILD = '''
import importlib.util, sys
import spigot as sp
from spigot.sim import engine
spec = importlib.util.spec_from_file_location("kernel_sections", sys.argv[1])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
engine._runner = lambda _name: mod.run_chunk_numba
scen = sp.scenarios.load(sys.argv[2])
sp.simulate(scen, draws=2, weeks=4, keep_trajectories=0)
print("RUN")
sp.simulate(scen, draws=int(sys.argv[3]), weeks=int(sys.argv[4]))
'''


def instrumented_source() -> str:
    """The kernel's source with a counter read at the start of each section."""
    src = Path(kernel.__file__).read_text()
    n = len(SECTIONS)
    read = "        _now = _cycles(); _cyc[_sec] += _now - _last; _last = _now; _sec = "
    for i, (label, marker) in enumerate(SECTIONS):
        if src.count(marker) != 1:
            raise SystemExit(f"section {label!r}: its marker is not found once in kernel.py")
        src = src.replace(marker, f"{read}{i}\n{marker}", 1)
    loop = "    for t in range(T):\n"
    if src.count(loop) != 1 or src.count(END) != 1:
        raise SystemExit("the weekly loop or its end is not found once in kernel.py")
    # slot n collects what runs before the first section (nothing but the loop itself)
    src = src.replace(loop, f"    _cyc = np.zeros({n + 1}, dtype=np.int64)\n    _sec = {n}\n"
                            f"    _last = _cycles()\n{loop}", 1)
    totals = ", ".join(f"_cyc[{i}]" for i in range(n))
    src = src.replace(END, f"{read}{n}\n    print('CYCLES', {totals})\n{END}", 1)
    return src.replace('__all__ = ["LANES", "run_chunk_numba"]',
                       '__all__ = ["LANES", "run_chunk_numba"]\n' + INTRINSIC, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="licence-squeeze")
    parser.add_argument("--draws", type=int, default=1024)
    parser.add_argument("--weeks", type=int, default=520)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kernel_sections.py"
        path.write_text(instrumented_source())
        env = {**os.environ, "NUMBA_NUM_THREADS": "1", "NUMBA_CACHE_DIR": str(Path(tmp) / "nb")}
        out = subprocess.run([sys.executable, "-c", CHILD, str(path), args.scenario,
                              str(args.draws), str(args.weeks)], env=env, check=True,
                             capture_output=True, text=True).stdout
    totals = [0] * len(SECTIONS)
    for line in out.split("RUN", 1)[1].splitlines():
        if line.startswith("CYCLES"):
            totals = [a + int(b) for a, b in zip(totals, line.split()[1:], strict=True)]
    per = args.draws * args.weeks
    whole = sum(totals)
    print(f"{args.scenario}, {args.draws} draws x {args.weeks} weeks, one thread: "
          f"{whole / per:,.0f} cycles per draw-week in the weekly loop")
    for (label, _), cycles in sorted(zip(SECTIONS, totals, strict=True), key=lambda x: -x[1]):
        print(f"  {label:<16} {cycles / per:8,.0f} cycles per draw-week  {100 * cycles / whole:5.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
