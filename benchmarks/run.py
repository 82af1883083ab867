"""Run every benchmark script in this folder (``bench_*.py``), one after the other.

Run: ``.venv/bin/python benchmarks/run.py`` (the Makefile's ``bench`` target). Extra arguments
are passed to every script (for example ``--quick``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).resolve().parent
    failed = 0
    for script in sorted(here.glob("bench_*.py")):
        print(f"== {script.name}", flush=True)
        args = argv if script.name == "bench_engine.py" else []
        failed |= subprocess.run([sys.executable, str(script), *args], check=False).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
