"""Sensitivity indices of sweep outputs: Sobol (first-order and total) and Morris screening.

Indices are computed on the parameters' quantiles (the unit box the designs sample); a Sobol
index does not change under a monotone map of one input, so they are also the indices of the
parameters with their distributions. An output that is NaN at some point (a pair that never
stops there) or constant over the sweep has no indices: ``None``.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from typing import Any

import numpy as np
import numpy.typing as npt

from spigot.sweep.design import MORRIS_LEVELS, salib_problem
from spigot.sweep.params import ParamSpec

__all__ = ["CONF_LEVEL", "RESAMPLES", "morris_indices", "sobol_indices"]

#: Confidence level of the bootstrap intervals (``*_conf`` are half-widths).
CONF_LEVEL = 0.95
#: Bootstrap resamples of the Sobol intervals.
RESAMPLES = 1000


def _usable(y: npt.NDArray[np.float64]) -> bool:
    return bool(np.all(np.isfinite(y)) and np.ptp(y) > 0)


def _num(value: Any) -> float | None:
    v = float(value)
    return v if math.isfinite(v) else None


def sobol_indices(specs: list[ParamSpec], outputs: dict[str, npt.NDArray[np.float64]],
                  seed: int = 0) -> dict[str, dict[str, dict[str, float | None]] | None]:
    """``{output: {param: {S1, S1_conf, ST, ST_conf}}}`` from a Sobol design's outputs
    (points in the design's order); ``None`` for an output without indices."""
    from SALib.analyze import sobol

    problem = salib_problem(specs)
    result: dict[str, dict[str, dict[str, float | None]] | None] = {}
    for name, y in outputs.items():
        if not _usable(y):
            result[name] = None
            continue
        with warnings.catch_warnings(), np.errstate(all="ignore"), \
                contextlib.redirect_stdout(None):
            warnings.simplefilter("ignore")
            si = sobol.analyze(problem, y, calc_second_order=False, num_resamples=RESAMPLES,
                               conf_level=CONF_LEVEL, seed=seed)
        result[name] = {s.path: {key: _num(si[key][i]) for key in ("S1", "S1_conf", "ST",
                                                                       "ST_conf")}
                        for i, s in enumerate(specs)}
    return result


def morris_indices(specs: list[ParamSpec], unit: npt.NDArray[np.float64],
                   outputs: dict[str, npt.NDArray[np.float64]], seed: int = 0
                   ) -> dict[str, dict[str, dict[str, float | None]] | None]:
    """``{output: {param: {mu, mu_star, mu_star_conf, sigma}}}`` from a Morris design (``unit``:
    its quantiles, points x parameters); ``None`` for an output without indices."""
    from SALib.analyze import morris

    problem = salib_problem(specs)
    result: dict[str, dict[str, dict[str, float | None]] | None] = {}
    for name, y in outputs.items():
        if not _usable(y):
            result[name] = None
            continue
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            si = morris.analyze(problem, unit, y, num_levels=MORRIS_LEVELS,
                                conf_level=CONF_LEVEL, seed=seed)
        result[name] = {s.path: {key: _num(si[key][i]) for key in ("mu", "mu_star",
                                                                       "mu_star_conf", "sigma")}
                        for i, s in enumerate(specs)}
    return result
