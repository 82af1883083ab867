"""Write docs/validation.md from the three built-in replays (``--check``: compare only).

Usage: ``python tools/gen_validation.py [--check]``. Runs each replay at its default draws and
seed with the numba engine (a few seconds each once numba's cache is warm).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from spigot.replays.validation import render_all

TARGET = Path(__file__).resolve().parents[1] / "docs" / "validation.md"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is not current")
    args = parser.parse_args()
    text = render_all()
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            sys.stderr.write(f"{TARGET} is not current: run python tools/gen_validation.py\n")
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {TARGET}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
