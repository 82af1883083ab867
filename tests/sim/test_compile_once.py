"""The kernel's first compile builds each numba function once (issue 16, item 6).

A literal argument at a call site between compiled functions (``0``, ``False``, ``True``) makes
numba compile the callee once more for that literal; the call sites pass
:data:`spigot.market._common.ZERO`/``FALSE``/``TRUE`` instead. Only a compile from an empty cache
shows the signatures (a cached block function does not compile its callees), so the run happens
in a child process with a fresh ``NUMBA_CACHE_DIR``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CHILD = """
import json, sys
from numba.core.registry import CPUDispatcher
import spigot as sp
sp.simulate(sp.scenarios.load("licence-squeeze"), draws=2, weeks=4)
seen = {}
for name, mod in list(sys.modules.items()):
    if name.startswith("spigot"):
        for v in vars(mod).values():
            if isinstance(v, CPUDispatcher):
                key = v.py_func.__module__ + "." + v.py_func.__qualname__
                seen[key] = [str(s) for s in v.signatures]
print(json.dumps(seen))
"""


@pytest.mark.slow
def test_first_run_compiles_each_function_once(tmp_path: Path) -> None:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    src = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, check=True,
                         capture_output=True, text=True)
    sigs: dict[str, list[str]] = json.loads(out.stdout.strip().splitlines()[-1])
    assert sigs["spigot.sim.kernel._run_block"]  # the run compiled the kernel here
    twice = {name: s for name, s in sigs.items() if len(s) > 1}
    assert twice == {}
