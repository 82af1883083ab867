"""Whole applications: the licence office's decision on a route with ``granularity:
applications`` (docs/model.md, "Queue discipline and lumpiness").

On such a route the office decides whole applications of ``shipment_t`` tonnes instead of a
share of the queue's tonnes. In a step it decides ``n`` of them (:func:`office_count`):
every whole application in the queue when the measure's review capacity does not bind, else
the route's pro rata share of the capacity rounded down, the rounding remainder carried to the
route's next step. Each decided application is approved with the draw's odds (so the approved
count is ``Binomial(n, p)``) and decided after its own lag, drawn from the draw's delay kernel
(so the approved and the denied counts are spread over the lags by a multinomial draw); its
tonnes join the licence rings at that lag.

Random numbers: the policy plan samples one 64-bit seed per draw, whole-application slot and
step with the block's generator (``BlockParams.lot_seed``), so they do not depend on chunking
or on the engine. A seed starts two counter-based streams (SplitMix64; one for the decisions,
one for the lags, so that a change of the processing time leaves the yes and no of every
application as it was): the ``i``-th application of the step takes the ``i``-th uniform of
each, approved when ``u < p`` and decided after the first lag whose cumulative kernel weight
exceeds ``v`` (inverse CDFs). The stream is integer arithmetic, the same bits in both engines:
:func:`decide_whole` (numba, one lane) and :func:`decide_whole_ref` (the reference engine) give
the same counts, and the tonnes agree to the last bit.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from spigot.market._common import inner

__all__ = ["LAG_STREAM", "decide_whole", "decide_whole_ref", "next_uniform_ref",
           "office_count", "whole_in_queue"]

FloatArray = npt.NDArray[np.float64]

_MASK = (1 << 64) - 1
_GAMMA = 0x9E3779B97F4A7C15
_MIX1 = 0xBF58476D1CE4E5B9
_MIX2 = 0x94D049BB133111EB
#: Xor-ed into a seed to start the lag stream (the decision stream starts at the seed).
LAG_STREAM = 0xD1B54A32D192ED03
#: Tolerance of the whole-application count (``floor(queue / shipment_t + 1e-9)``), as the
#: discrete model's ``lots="whole"`` counts them.
WHOLE_TOL = 1e-9


def whole_in_queue(queue: float, shipment_t: float) -> int:
    """Whole applications of ``shipment_t`` t in a queue of ``queue`` t."""
    return math.floor(queue / shipment_t + WHOLE_TOL)


def office_count(whole: int, applications: float, capacity: float, carry: float
                 ) -> tuple[int, float]:
    """Applications decided on a route this step and its new rounding remainder.

    ``whole``: the route's whole applications in its queue; ``applications``: all the
    applications before the measure's office (its routes' queues in applications, fluid ones
    fractional); ``capacity``: the office's applications a step; ``carry``: the route's
    remainder from earlier steps. A capacity that does not bind decides every whole
    application and clears the remainder.
    """
    if applications <= capacity:
        return whole, 0.0
    x = whole * (capacity / applications) + carry
    n = min(whole, math.floor(x))
    return n, x - n


office_count_jit = inner(office_count)
whole_in_queue_jit = inner(whole_in_queue)


def next_uniform_ref(state: int) -> tuple[int, float]:
    """One SplitMix64 step: the new state and a uniform in [0, 1) from the output's top 53
    bits."""
    state = (state + _GAMMA) & _MASK
    z = state
    z = ((z ^ (z >> 30)) * _MIX1) & _MASK
    z = ((z ^ (z >> 27)) * _MIX2) & _MASK
    z = z ^ (z >> 31)
    return state, (z >> 11) * 2.0**-53


def decide_whole_ref(seed: int, n: int, tonnes: float, p: float, kernel: FloatArray, t: int,
                     ok: FloatArray, no: FloatArray) -> None:
    """Decide ``n`` applications of ``tonnes`` t each at step ``t`` (the reference rule).

    Application ``i`` is approved when the ``i``-th uniform of the decision stream is below
    ``p`` and decided ``l`` steps later, ``l`` the first lag whose cumulative weight in
    ``kernel`` (L,) exceeds the ``i``-th uniform of the lag stream (the last lag with weight
    if rounding leaves none); its tonnes join ``ok`` or ``no`` (the slot's rings, L) at
    ``(t + l) % L``.
    """
    n_lags = len(kernel)
    last = max([lag for lag in range(n_lags) if kernel[lag] > 0], default=n_lags - 1)
    s_ok, s_lag = seed, seed ^ LAG_STREAM
    for _ in range(n):
        s_ok, u = next_uniform_ref(s_ok)
        s_lag, v = next_uniform_ref(s_lag)
        lag, acc = last, 0.0
        for x in range(n_lags):
            acc += kernel[x]
            if v < acc:
                lag = x
                break
        if u < p:
            ok[(t + lag) % n_lags] += tonnes
        else:
            no[(t + lag) % n_lags] += tonnes


@inner
def _next_uniform(state: np.uint64) -> tuple[np.uint64, float]:
    """:func:`next_uniform_ref` in unsigned 64-bit arithmetic (wraps as the mask does)."""
    state = state + np.uint64(_GAMMA)
    z = state
    z = (z ^ (z >> np.uint64(30))) * np.uint64(_MIX1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(_MIX2)
    z = z ^ (z >> np.uint64(31))
    return state, float(z >> np.uint64(11)) * 2.0**-53


@inner
def decide_whole(seed: np.uint64, n: int, tonnes: float, p: float, kern: np.ndarray, lo: int,
                 hi: int, s0: int, ok: np.ndarray, no: np.ndarray) -> None:
    """:func:`decide_whole_ref` for one lane: ``kern`` (L,) the lane's kernel with weight on
    lags ``lo .. hi - 1`` only, ``s0 = t % L``, ``ok`` and ``no`` the lane's rings (L,)."""
    n_lags = kern.shape[0]
    s_ok = seed
    s_lag = seed ^ np.uint64(LAG_STREAM)
    last = hi - 1 if hi > lo else n_lags - 1
    for _ in range(n):
        s_ok, u = _next_uniform(s_ok)
        s_lag, v = _next_uniform(s_lag)
        lag = last
        acc = 0.0
        for x in range(lo, hi):
            acc += kern[x]
            if v < acc:
                lag = x
                break
        s = s0 + lag
        if s >= n_lags:
            s -= n_lags
        if u < p:
            ok[s] += tonnes
        else:
            no[s] += tonnes
