"""Every built-in scenario and replay gives the figures saved in ``builtin_figures.json``
(to 1e-9 relative): the guard for refactors that must not change outputs.

A change that is meant to move outputs regenerates the file with
``python tools/save_regression_figures.py`` in the same commit and says why.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.regression.builtin import DRAWS, SEED, WEEKS, cases, figures, simulate_case

SAVED = json.loads((Path(__file__).parent / "builtin_figures.json").read_text(encoding="utf-8"))


def test_saved_figures_match_the_settings() -> None:
    assert (SAVED["draws"], SAVED["seed"], SAVED["weeks"]) == (DRAWS, SEED, WEEKS)
    assert sorted(SAVED["cases"]) == sorted(f"{k}:{n}" for k, n in cases())


@pytest.mark.parametrize(("kind", "name"), cases())
def test_builtin_run_gives_the_saved_figures(kind: str, name: str) -> None:
    saved = SAVED["cases"][f"{kind}:{name}"]
    now = figures(simulate_case(kind, name))
    assert sorted(now) == sorted(saved), "the Results variables changed"
    for variable, (total, squares, missing) in saved.items():
        got = now[variable]
        np.testing.assert_allclose(got[:2], [total, squares], rtol=1e-9, atol=1e-9,
                                   err_msg=f"{kind} {name}: {variable}")
        assert got[2] == missing, f"{kind} {name}: {variable} non-finite cells"
