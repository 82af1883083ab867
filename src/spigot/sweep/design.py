"""Sweep designs: where in the parameter box the points go.

Every design samples quantiles ``u`` in ``[0, 1]`` per parameter, mapped to values by each
parameter's distribution (:meth:`ParamSpec.from_unit`). ``--points N`` means:

``grid``
    ``N`` evenly spaced levels per parameter, ends included: ``N ** k`` points for ``k`` parameters.
``lhs``
    ``N`` points of a Latin hypercube (``scipy.stats.qmc.LatinHypercube``, seeded).
``sobol``
    Saltelli's design for first-order and total Sobol indices (``SALib.sample.sobol``, no
    second-order terms): ``N`` base samples (a power of 2) and ``N * (k + 2)`` points.
``morris``
    ``N`` Morris trajectories on a 4-level grid (``SALib.sample.morris``): ``N * (k + 1)`` points.
"""

from __future__ import annotations

import itertools
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from spigot.errors import InputError, Problem
from spigot.sweep.params import ParamSpec

__all__ = ["DESIGNS", "MORRIS_LEVELS", "Design", "design_points", "point_count", "salib_problem"]

Design = Literal["grid", "lhs", "sobol", "morris"]
#: The designs of ``--design``.
DESIGNS: tuple[str, ...] = ("grid", "lhs", "sobol", "morris")
#: Grid levels of the Morris design.
MORRIS_LEVELS = 4
#: Most points a sweep may have (a guard against a grid that explodes).
MAX_POINTS = 1_000_000


def salib_problem(specs: list[ParamSpec]) -> dict[str, Any]:
    """SALib's problem dict on the unit box (values are mapped by each spec's distribution)."""
    return {"num_vars": len(specs), "names": [s.path for s in specs],
            "bounds": [[0.0, 1.0]] * len(specs)}


def _unit(design: str, k: int, points: int, seed: int) -> npt.NDArray[np.float64]:
    if design == "grid":
        levels = np.linspace(0.0, 1.0, points) if points > 1 else np.array([0.5])
        return np.array(list(itertools.product(levels, repeat=k)), dtype=float).reshape(-1, k)
    if design == "lhs":
        from scipy.stats import qmc

        return np.asarray(qmc.LatinHypercube(d=k, seed=seed).random(points), dtype=float)
    problem = {"num_vars": k, "names": [f"x{i}" for i in range(k)], "bounds": [[0.0, 1.0]] * k}
    if design == "sobol":
        from SALib.sample import sobol as sobol_sample

        return np.asarray(sobol_sample.sample(problem, points, calc_second_order=False,
                                              seed=seed), dtype=float)
    from SALib.sample import morris as morris_sample

    return np.asarray(morris_sample.sample(problem, points, num_levels=MORRIS_LEVELS,
                                           seed=seed), dtype=float)


def point_count(design: str, points: int, k: int) -> int:
    """Scenario runs of a ``design`` with ``points`` (levels, samples, base samples or
    trajectories) over ``k`` parameters, without building it (the module docstring's counts).
    ``design`` must be one of :data:`DESIGNS`."""
    return {"grid": points ** k, "lhs": points, "sobol": points * (k + 2),
            "morris": points * (k + 1)}[design]


def design_points(specs: list[ParamSpec], design: str, points: int, seed: int = 0
                  ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The quantiles and the parameter values (each points x parameters) of a design.

    Raises
    ------
    InputError
        For an unknown design, no parameters, ``points < 1``, a Sobol ``N`` that is not a power
        of 2, a Morris sweep with fewer than 2 trajectories, or more than 1,000,000 points.
    """
    k = len(specs)
    if design not in DESIGNS:
        raise InputError(Problem("unknown design", field="--design", value=design,
                                 expected="one of " + ", ".join(DESIGNS)))
    if k == 0:
        raise InputError(Problem("nothing to sweep", field="--param", expected="at least one "
                                 "--param PATH=LOW:HIGH (or a sweep file)"))
    if points < 1:
        raise InputError(Problem("too few points", field="--points", value=points,
                                 expected="at least 1"))
    if design == "sobol" and points & (points - 1):
        lower = 1 << (points.bit_length() - 1)
        raise InputError(Problem("a Sobol design needs a power of 2 base samples", field="--points",
                                 value=points, expected="1, 2, 4, ..., 64, 128, ...",
                                 hint=f"use {lower} or {lower * 2}"))
    if design == "morris" and points < 2:
        raise InputError(Problem("a Morris design needs at least 2 trajectories",
                                 field="--points", value=points, expected="at least 2"))
    total = point_count(design, points, k)
    if total > MAX_POINTS:
        raise InputError(Problem("too many points", field="--points", value=total,
                                 expected=f"at most {MAX_POINTS:,}",
                                 hint="fewer levels, or an lhs/sobol design"))
    unit = _unit(design, k, points, seed)
    values = np.column_stack([s.from_unit(unit[:, i]) for i, s in enumerate(specs)])
    return unit, values
