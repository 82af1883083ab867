"""What a run will cost before it runs: memory and time from draws x steps x state size.

The limits live here, in one place (documented in ``docs/cli.md``, "Run-cost limits"):

=====================  ===========  ==========  =============================================
limit                  command line  dashboard   raise it with
=====================  ===========  ==========  =============================================
time steps             20,000        20,000      ``SPIGOT_MAX_RUN_STEPS``
memory (estimate)      8 GiB         2 GiB       ``SPIGOT_MAX_RUN_GIB``
time (estimate)        4 h           30 min      ``SPIGOT_MAX_RUN_MINUTES``
=====================  ===========  ==========  =============================================

(The dashboard's limits are the :data:`WEB_LIMITS`, or lower ones from ``SPIGOT_MAX_RUN_*``;
draws per request are capped separately by ``spigot serve --max-draws``.)

Two checks, both before anything large is allocated:

1. :func:`check_steps` on the scenario alone (``horizon_weeks / step_weeks``), before the model is
   prepared: preparing a model with millions of steps is itself slow.
2. :func:`check` on :func:`estimate`, once the model's state size is known (cells of the weekly
   record, market record, draws kept whole) and before the result arrays exist.

The estimates are deliberately simple and on the safe side: bytes are the sizes of the arrays
:func:`spigot.sim.simulate` allocates, plus working state, times :data:`ASSEMBLY_FACTOR` for the
arrays built from them into the Results; seconds are ``draws x steps x cells /``
:data:`CELL_STEPS_PER_SECOND` (measured on the 2-core development machines, markets on).
"""

from __future__ import annotations

import dataclasses
import math
import os
from typing import TYPE_CHECKING

from spigot.errors import InputError, Problem

if TYPE_CHECKING:  # pragma: no cover
    from spigot.scenarios.models import Scenario
    from spigot.sim.build.model import SimModel

__all__ = ["CLI_LIMITS", "WEB_LIMITS", "RunCost", "RunLimits", "RunTooLargeError", "check",
           "check_steps", "estimate"]

GIB = 1024**3
#: Cell-draw-steps the compiled engine moves per second (conservative, 2-core machine).
CELL_STEPS_PER_SECOND = 1.0e8
#: Result arrays built from the raw outputs (quantiles, summaries) relative to the raw outputs.
ASSEMBLY_FACTOR = 2.0
#: Environment variables that raise (or lower) the limits.
STEPS_ENV, GIB_ENV, MINUTES_ENV = "SPIGOT_MAX_RUN_STEPS", "SPIGOT_MAX_RUN_GIB", "SPIGOT_MAX_RUN_MINUTES"


class RunTooLargeError(InputError):
    """A run would need more memory, time or steps than the limits allow (exit code 2; 422)."""


@dataclasses.dataclass(frozen=True)
class RunLimits:
    """Most a single run may cost.

    Attributes
    ----------
    max_steps
        Time steps (``horizon_weeks / step_weeks``).
    max_bytes
        Estimated peak memory, bytes.
    max_seconds
        Estimated run time, seconds.
    where
        ``"cli"`` or ``"web"``: what the message suggests to raise a limit.
    """

    max_steps: int
    max_bytes: int
    max_seconds: float
    where: str = "cli"

    @classmethod
    def from_env(cls, base: RunLimits | None = None) -> RunLimits:
        """``base`` (default :data:`CLI_LIMITS`) with the ``SPIGOT_MAX_RUN_*`` variables applied.

        On the dashboard (``base.where == "web"``) a variable can only lower a limit.
        """
        base = base or CLI_LIMITS
        values = {"max_steps": base.max_steps, "max_bytes": base.max_bytes,
                  "max_seconds": base.max_seconds}
        for env, key, scale in ((STEPS_ENV, "max_steps", 1), (GIB_ENV, "max_bytes", GIB),
                                (MINUTES_ENV, "max_seconds", 60)):
            raw = os.environ.get(env, "").strip()
            if not raw:
                continue
            try:
                value = float(raw) * scale
            except ValueError:
                raise InputError(Problem("not a number", field=env, value=raw,
                                         expected="a positive number")) from None
            if not value > 0 or not math.isfinite(value):
                raise InputError(Problem("must be a positive number", field=env, value=raw))
            current = values[key]
            values[key] = min(current, value) if base.where == "web" else value
        return RunLimits(int(values["max_steps"]), int(values["max_bytes"]),
                         float(values["max_seconds"]), base.where)


#: Limits of ``spigot run``, ``spigot replay`` and :func:`spigot.simulate`.
CLI_LIMITS = RunLimits(max_steps=20_000, max_bytes=8 * GIB, max_seconds=4 * 3600.0, where="cli")
#: Limits of runs requested from the dashboard.
WEB_LIMITS = RunLimits(max_steps=20_000, max_bytes=2 * GIB, max_seconds=30 * 60.0, where="web")


@dataclasses.dataclass(frozen=True)
class RunCost:
    """The estimated cost of one run.

    Attributes
    ----------
    draws, steps
        Monte Carlo draws and time steps.
    cells
        Values per draw and step (weekly record plus market record).
    bytes
        Estimated peak memory, bytes.
    seconds
        Estimated run time, seconds.
    """

    draws: int
    steps: int
    cells: int
    bytes: int
    seconds: float

    def describe(self) -> str:
        """``"1,000 draws x 104 steps x 2,000 cells: about 1.2 GiB and 40 s"``."""
        return (f"{self.draws:,} draws x {self.steps:,} steps x {self.cells:,} cells: about "
                f"{_gib(self.bytes)} and {_duration(self.seconds)}")


def _gib(n: float) -> str:
    return f"{n / GIB:.3g} GiB" if n >= GIB / 10 else f"{n / 1024**2:.3g} MiB"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.3g} s"
    if seconds < 7200:
        return f"{seconds / 60:.3g} min"
    return f"{seconds / 3600:.3g} h"


def _how_to_raise(limits: RunLimits, env: str, option: str) -> str:
    if limits.where == "web":
        return ("ask for fewer draws or a shorter horizon, or run it from the command line "
                "('spigot run FILE'), where the limits are higher")
    return f"ask for fewer {option}, or raise the limit: {env}=<value> spigot run ..."


def check_steps(scenario: Scenario, limits: RunLimits | None = None) -> int:
    """Refuse a horizon with too many time steps before the model is prepared; return the steps.

    Raises
    ------
    RunTooLargeError
        If ``horizon_weeks / step_weeks`` exceeds ``limits.max_steps``.
    """
    limits = limits or RunLimits.from_env()
    steps = scenario.steps
    if steps > limits.max_steps:
        raise RunTooLargeError(Problem(
            "too many time steps for one run", field="horizon_weeks / step_weeks",
            value=f"{scenario.horizon_weeks} / {scenario.step_weeks:g} = {steps:,} steps",
            expected=f"at most {limits.max_steps:,} steps",
            hint="use a longer step_weeks or a shorter horizon_weeks; "
                 + _how_to_raise(limits, STEPS_ENV, "weeks")))
    return steps


def estimate(model: SimModel, draws: int, *, keep: int = 10, chunk_draws: int = 1024) -> RunCost:
    """Estimate the memory and time of running ``draws`` draws of a prepared model.

    Parameters
    ----------
    model
        The prepared model (:func:`spigot.sim.prepare`).
    draws
        Monte Carlo draws.
    keep
        Draws whose whole trajectories are kept.
    chunk_draws
        Draws simulated at once (rounded up to blocks of 64).
    """
    from spigot.sim.build.model import PRICE_BINS

    block = 64
    steps, size = int(model.steps), int(model.layout.size)
    mk = model.market
    market = int(mk.layout.size) if mk is not None else 0
    n_c = len(model.net.commodities) if mk is not None else 0
    s, c, n = len(model.net.sectors), len(model.net.commodities), len(model.node_cap)
    rbuf = int(model.layout.n_rbuf)
    d_chunk = min(draws, max(block, math.ceil(chunk_draws / block) * block))
    blocks = math.ceil(d_chunk / block)
    keep = min(keep, draws)
    f8 = 8
    per_draw = f8 * (4 * s + rbuf + 3 * c + n)  # sector scalars, first stop, totals, restarts
    per_step = f8 * (size + market + 3 * n_c * (PRICE_BINS + 2))  # totals, price counts, bounds
    per_draw += f8 * steps * c  # cross-border exports per draw and step (for their quantiles)
    persistent = draws * per_draw + steps * per_step + f8 * keep * steps * size
    chunk = (f8 * blocks * steps * (size + market + 6 * n_c)  # per-block sums and price bounds
             + d_chunk * steps * 3 * n_c  # price bins (uint8)
             + f8 * d_chunk * steps * c  # the chunk's exports per draw
             + f8 * keep * steps * size
             + f8 * d_chunk * 4 * (size + market)  # working state of the draws in flight
             + 8 * d_chunk * model.plan.n_lot_slots * steps)  # whole-application seeds
    total = int(ASSEMBLY_FACTOR * persistent + chunk)
    cells = size + market
    seconds = draws * steps * cells / CELL_STEPS_PER_SECOND
    return RunCost(draws, steps, cells, total, seconds)


def check(cost: RunCost, limits: RunLimits | None = None) -> RunCost:
    """Refuse a run whose estimated cost exceeds the limits; return the cost.

    Raises
    ------
    RunTooLargeError
        Naming what the run would take, the limit, and how to raise it.
    """
    limits = limits or RunLimits.from_env()
    problems = []
    if cost.bytes > limits.max_bytes:
        problems.append(Problem(
            "run too large for memory", field="draws x steps",
            value=f"{cost.describe()}", expected=f"at most {_gib(limits.max_bytes)}",
            hint=_how_to_raise(limits, GIB_ENV, "draws (--draws) or weeks (--weeks)")))
    if cost.seconds > limits.max_seconds:
        problems.append(Problem(
            "run would take too long", field="draws x steps",
            value=f"{cost.describe()}", expected=f"at most {_duration(limits.max_seconds)}",
            hint=_how_to_raise(limits, MINUTES_ENV, "draws (--draws) or weeks (--weeks)")))
    if problems:
        raise RunTooLargeError(problems, title="this run is over the run-cost limits "
                                               "(docs/cli.md, 'Run-cost limits'):")
    return cost
