"""Cycles per draw-week in each section of the numba engine's weekly loop, one thread.

Run: ``NUMBA_NUM_THREADS=1 .venv/bin/python benchmarks/profile_sections.py [--draws 1024]
[--weeks 520] [--scenario licence-squeeze] [--against DIR]``.

A copy of :mod:`spigot.sim.kernel` reads the processor's cycle counter (``llvm.readcyclecounter``,
a numba intrinsic) where each section of the weekly loop starts, adds the cycles since the last
read to the section's total, and prints the block's totals when the block ends. Unlike
``profile_engine.py``, which estimates a phase by compiling the kernel without it, this times the
sections of one and the same kernel, so the figures add up (a counter read costs a few dozen
cycles, ~20 reads a step per block of 64 lanes). Writes to fresh output memory are charged to
the section that makes them (the run's export array to ``exports``, the block sums to
``block sums``): on a virtual machine a first touch can cost far more than the arithmetic.
The copy compiles once into a temporary folder (about a minute) and runs in a child process.

``--against DIR`` also times the kernel of another checkout (``DIR/src``, for example a
``git worktree`` of an earlier commit), in a second child process that runs at the same time as
the first, one per core, so both see the same machine; each child imports its own tree. A
section whose marker the other kernel lacks is counted in the section before it (the pre-#17
kernel has no ``exports`` section and its licence office starts at another marker: both are
listed below), and the table shows both kernels side by side.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from spigot.sim import kernel

#: (label, text that starts the section inside the weekly loop, or several such texts, the first
#: one found counts); each section runs to the next.
SECTIONS: list[tuple[str, str | tuple[str, ...]]] = [
    ("zero record", "        for k in ctrl_k:\n            for ln in range(W):\n                rec[o_exp"),
    ("1 policies", "        # ---- 1. policies"),
    ("2 arrivals", "        # ---- 2. arrivals"),
    ("3 production", "        # ---- 3. production"),
    ("4 shipping", "        # ---- 4. shipping"),
    ("4b licensing", ("        if J > 0:\n            _licensing(",
                      "        if J > 0:\n            for mi in range(M):\n"
                      "                for ln in range(W):\n"
                      "                    apps[mi, ln] = 0.0")),
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
sys.path.insert(0, sys.argv[5])
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


def instrumented_source(src: str, strict: bool) -> tuple[str, list[str]]:
    """A kernel's source with a counter read at the start of each section it has, and the
    labels of those sections in order (``strict``: every section must be there, as in this
    tree's kernel, so a marker that went stale is an error rather than a merged section)."""
    read = "        _now = _cycles(); _cyc[_sec] += _now - _last; _last = _now; _sec = "
    labels: list[str] = []
    for label, markers in SECTIONS:
        found = [m for m in ((markers,) if isinstance(markers, str) else markers)
                 if src.count(m) == 1]
        if not found and strict:
            raise SystemExit(f"section {label!r}: its marker is not found once in kernel.py")
        if not found:
            continue
        src = src.replace(found[0], f"{read}{len(labels)}\n{found[0]}", 1)
        labels.append(label)
    n = len(labels)
    loop = "    for t in range(T):\n"
    if src.count(loop) != 1 or src.count(END) != 1:
        raise SystemExit("the weekly loop or its end is not found once in kernel.py")
    # slot n collects what runs before the first section (nothing but the loop itself)
    src = src.replace(loop, f"    _cyc = np.zeros({n + 1}, dtype=np.int64)\n    _sec = {n}\n"
                            f"    _last = _cycles()\n{loop}", 1)
    totals = ", ".join(f"_cyc[{i}]" for i in range(n))
    src = src.replace(END, f"{read}{n}\n    print('CYCLES', {totals})\n{END}", 1)
    exports = re.search(r"__all__ = \[[^\]]*\]", src)
    if exports is None:
        raise SystemExit("kernel.py has no __all__ to put the counter after")
    return src.replace(exports.group(0), exports.group(0) + "\n" + INTRINSIC, 1), labels


def start(src_dir: Path, tmp: Path, args: argparse.Namespace,
          strict: bool) -> tuple[subprocess.Popen[str], list[str]]:
    """Compile and run the instrumented kernel of the tree ``src_dir`` in a child process
    (``strict``: see :func:`instrumented_source`)."""
    tmp.mkdir()
    source, labels = instrumented_source((src_dir / "spigot" / "sim" / "kernel.py").read_text(),
                                         strict)
    path = tmp / "kernel_sections.py"
    path.write_text(source)
    env = {**os.environ, "NUMBA_NUM_THREADS": "1", "NUMBA_CACHE_DIR": str(tmp / "nb"),
           "PYTHONPATH": str(src_dir)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path), args.scenario,
                              str(args.draws), str(args.weeks), str(src_dir)], env=env,
                             stdout=subprocess.PIPE, text=True)
    return child, labels


def cycles(child: subprocess.Popen[str], labels: list[str]) -> dict[str, int]:
    """The child's cycles per section, summed over its blocks."""
    out, _ = child.communicate()
    if child.returncode != 0:
        raise SystemExit(f"the profiled run failed (exit {child.returncode})")
    totals = [0] * len(labels)
    for line in out.split("RUN", 1)[1].splitlines():
        if line.startswith("CYCLES"):
            totals = [a + int(b) for a, b in zip(totals, line.split()[1:], strict=True)]
    return dict(zip(labels, totals, strict=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="licence-squeeze")
    parser.add_argument("--draws", type=int, default=1024)
    parser.add_argument("--weeks", type=int, default=520)
    parser.add_argument("--against", type=Path, default=None,
                        help="another checkout whose kernel runs beside this one's")
    args = parser.parse_args()
    here = Path(kernel.__file__).resolve().parents[2]
    trees = [here] + ([args.against.resolve() / "src"] if args.against else [])
    with tempfile.TemporaryDirectory() as tmp:
        runs = [start(tree, Path(tmp) / f"tree{i}", args, strict=tree == here)
                for i, tree in enumerate(trees)]
        results = [cycles(child, labels) for child, labels in runs]
    per = args.draws * args.weeks
    print(f"{args.scenario}, {args.draws} draws x {args.weeks} weeks, one thread each; "
          f"cycles per draw-week in the weekly loop")
    names = ["this tree"] + ([str(args.against)] if args.against else [])
    print(f"  {'section':<16}" + "".join(f"{name[-24:]:>26}" for name in names))
    wholes = [sum(r.values()) for r in results]
    print(f"  {'whole loop':<16}" + "".join(f"{w / per:>26,.0f}" for w in wholes))
    order = sorted(results[0], key=lambda label: -results[0][label])
    order += [label for r in results[1:] for label in r if label not in order]
    for label in order:
        cells = [f"{r[label] / per:>18,.0f} ({100 * r[label] / w:4.1f} %)" if label in r
                 else f"{'-':>26}" for r, w in zip(results, wholes, strict=True)]
        print(f"  {label:<16}" + "".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
