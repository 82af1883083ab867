"""Warm starts: the licence pipelines of regimes already in force when a run begins.

A run (or replay) whose start falls inside a licence regime begins with that regime's pipeline as
if it had run at the route's covered base flow ``A`` (t/step) for ``warm`` steps before step 0
(issue 17, item 2; docs/design.md, "Warm starts"): the decisions due at step ``tau >= 0`` are what
was filed at steps ``-warm .. -1`` and decided ``tau - filed`` steps later,

``ok[tau] = Q a sum(kernel[tau + 1 .. min(L - 1, tau + warm)])``, ``no[tau]`` the same with
``1 - a``,

and the denied flow waiting to be filed again at step ``tau < R`` is ``rho (1 - a) Q`` where it
was decided at ``tau - R >= -warm``. ``Q`` is the steady application rate (new and re-filed) at
which the importers receive their covered flow, ``a Q = A``, as far as their orders (new
applications ``Q (1 - rho (1 - a))``, at most ``max_factor A``) allow; ``a`` the approval
share, ``rho`` the re-filed share of denials, ``R`` the re-filing lag in steps (0: none). Review
capacity is taken as not binding, and the queue starts empty. The tonnes in these rings are
applications (paper): the exporter makes the approved ones when they fall due, so they are no
part of the initial mass.

Initialised analytically, not by spinning the run up from the regime's start: a spin-up would
need every horizon total (lost output, stoppages, conservation) to skip the spin-up steps, and
the analytic pipeline is exact for the flows the rings carry.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from spigot.market._common import jit

__all__ = ["warm_rings", "warm_rings_jit"]

FloatArray = npt.NDArray[np.float64]


def warm_rings(kern: FloatArray, warm: int, flow: float, approve: float, refile: float,
               lag: int, max_factor: float, ok: FloatArray, no: FloatArray,
               again: FloatArray) -> float:
    """Fill one licence slot's rings (``ok``, ``no``: length L; ``again``: the re-filing ring)
    as the regime left them after ``warm`` steps at ``flow`` t/step; returns the t put in them.

    ``kern`` is the measure's delay kernel of the draw, ``approve`` and ``refile`` the pair's
    approval and re-filed shares, ``lag`` the re-filing lag in steps (0: never re-filed),
    ``max_factor`` the largest order as a multiple of the base flow.
    """
    n_lags = ok.shape[0]
    ring = again.shape[0]
    # new share of applications, 1 - r (1 - a) written so that it is > 0 whenever a > 0; the
    # floor is a numerical guard only (at odds below ~1e-9 with every denial re-filed)
    kept = (1.0 - refile) + refile * approve if lag > 0 else 1.0
    rate = flow / approve if approve > 0.0 else flow
    rate = min(rate, max_factor * flow / max(kept, 1e-9))
    total = 0.0
    for tau in range(n_lags):
        tail = 0.0
        for d in range(tau + 1, min(n_lags - 1, tau + warm) + 1):
            tail += kern[d]
        ok[tau] = rate * approve * tail
        no[tau] = rate * (1.0 - approve) * tail
        total += ok[tau] + no[tau]
    if lag > 0:
        for tau in range(lag):
            if lag - tau <= warm:
                amount = refile * (1.0 - approve) * rate
                again[tau % ring] = amount
                total += amount
    return total


warm_rings_jit = jit(warm_rings)
