"""Start-up time of light commands: ``spigot --help``, ``spigot data list``, ``spigot scenario list``.

Prints the median and the best of N runs of each, wall time of the whole process (what a user
waits for), with the load average before the runs. Targets (issue 16): under 0.5 s on the 2-core
machine. Run: ``python benchmarks/bench_cli_start.py [--repeat 7]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = (["--help"], ["data", "list"], ["scenario", "list"], ["--version"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    spigot = Path(sys.executable).with_name("spigot")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    for argv in COMMANDS:
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            subprocess.run([str(spigot), *argv], capture_output=True, check=True)
            times.append(time.perf_counter() - t0)
        print(f"spigot {' '.join(argv):<16} median {statistics.median(times):.3f} s   "
              f"best {min(times):.3f} s   ({args.repeat} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
