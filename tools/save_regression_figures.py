"""Regenerate ``tests/regression/builtin_figures.json`` (see :mod:`tests.regression.builtin`).

Only for a change that is meant to move outputs: commit the new file with it and say why.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.regression.builtin import main

if __name__ == "__main__":
    sys.exit(main())
