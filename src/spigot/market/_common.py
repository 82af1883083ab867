"""Shared pieces of the market kernels: the compile decorator and the adoption ramp."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba as nb
import numpy as np

__all__ = ["FALSE", "TRUE", "ZERO", "inline", "inner", "jit", "ramp", "ramp_py"]

F = TypeVar("F", bound=Callable[..., Any])

#: Constant arguments for calls between compiled functions. A literal ``0``, ``False`` or
#: ``True`` at a call site makes numba compile the callee once more for that literal
#: (``Literal[int](0)``, ``Literal[bool](True)``); numpy scalars are typed ``int64`` and ``bool``,
#: so the callee compiles once (seven such copies were ~5 s of a first compile of ~70 s).
#: (Typed ``int``/``bool`` for mypy, as the callees' signatures say; the values stay numpy's.)
ZERO = cast("int", np.int64(0))
FALSE = cast("bool", np.bool_(False))
TRUE = cast("bool", np.bool_(True))


#: What every compiled function of the engine is built with (see :func:`jit`).
_OPTIONS: dict[str, Any] = {"cache": True, "fastmath": False, "error_model": "numpy",
                            "nogil": True}
#: No CPython or C wrapper (see :func:`inner`).
_NO_WRAPPERS: dict[str, Any] = {"no_cpython_wrapper": True, "no_cfunc_wrapper": True}


def jit(fn: F) -> F:
    """Compile ``fn`` as a market kernel.

    Cached, no fast-math (results stay bit-stable against the reference twins), numpy error
    model (a division by zero gives inf or nan, never raises), GIL released.
    """
    return cast("F", nb.njit(**_OPTIONS)(fn))


def inner(fn: F) -> F:
    """Compile ``fn`` as :func:`jit` does, for calls from compiled code only.

    No CPython or C wrapper is generated: the engine's phase functions take the named tuples of
    :mod:`spigot.sim.state` (some eighty arrays), and building a wrapper that boxes and unboxes
    them was about a fifth of the engine's first compile. Such a function cannot be called from
    Python (numba raises a TypeError saying it has no CPython wrapper).
    """
    return cast("F", nb.njit(**_OPTIONS, **_NO_WRAPPERS)(fn))


def inline(fn: F) -> F:
    """Compile ``fn`` as :func:`inner` does, and inline it into each compiled caller (numba's
    ``inline="always"``, at the level of numba's IR): for a small lane loop that is called
    hundreds of times a step, where the call (arrays passed by value, the vectoriser's run-time
    alias checks again) costs about half as much again as the loop. numba's cache does not see
    a change to an inlined function in its callers (as for any callee): clear the cache after
    editing one.
    """
    return cast("F", nb.njit(**_OPTIONS, **_NO_WRAPPERS, inline="always")(fn))


def ramp_py(x: float, on: float, full: float) -> float:
    """Share of the full response at ``x``: 0 below ``on``, 1 above ``full`` (kernels pass log prices).

    ``g(x) = clip((x - on) / (full - on), 0, 1)`` with ``on < full``.
    """
    if x <= on:
        return 0.0
    if x >= full:
        return 1.0
    return (x - on) / (full - on)


ramp = jit(ramp_py)
