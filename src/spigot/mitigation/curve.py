"""What a measure buys as the engine delivers it: a concave piecewise-linear *effective amount*
per measure, fitted from engine runs at several amounts (docs/mitigation.md, "Calibration").

The program's release abstraction (:mod:`spigot.mitigation.program`) lets every t a measure makes
available fill its cells' shortfall with perfect foresight, at a constant ``value_per_t``. The
engine does not: its release rule (cover trigger, weekly rate) spends a stockpile early or late,
released tonnes lower the firms' orders, and a sector's extra cover is its own. What ``a`` units
of a measure buy in the engine is measured on the fitted draws (the same seed, so the same draws)
as the drop of the holder's mean loss, ``A(a)``. The *effective amount* ``phi(a)`` is the amount
``e`` with which the abstraction avoids ``A(a)``: what the perfect-foresight abstraction needs to
do what ``a`` did in the engine. ``phi`` through ``(0, 0)`` and the measured points, made concave
(their least concave majorant), is what the program buys through: a measure supplies
``supply[m, k] x phi_m(amount[m])`` t to cell ``k``. Concave with falling slopes, ``phi`` is exact
in a linear program (segment variables filled in order), so the first t of a stock can be worth
more than the last.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["StockCurve", "concave_majorant", "invert"]


@dataclass(frozen=True)
class StockCurve:
    """A non-decreasing, piecewise-linear effective amount ``phi(a)`` of one measure.

    Attributes
    ----------
    knots
        (J+1,) amounts, from 0, increasing.
    effective
        (J+1,) effective amount at the knots, from 0, non-decreasing; beyond the last knot
        ``phi`` rises at the last segment's slope.
    """

    knots: npt.NDArray[np.float64]
    effective: npt.NDArray[np.float64]

    @property
    def slopes(self) -> npt.NDArray[np.float64]:
        """(J,) effective amount per unit of each segment."""
        return np.asarray(np.diff(self.effective) / np.diff(self.knots), dtype=float)

    @property
    def widths(self) -> npt.NDArray[np.float64]:
        """(J,) amount in each segment; the last is unbounded (``inf``)."""
        w = np.diff(self.knots).astype(float)
        w[-1] = np.inf
        return w

    def concave(self) -> StockCurve:
        """The least concave majorant (what the linear program buys through: its slopes fall)."""
        return StockCurve(*concave_majorant(self.knots, self.effective))

    def __call__(self, amount: float | npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """``phi(amount)``: the interpolation of the measured points."""
        a = np.asarray(amount, dtype=float)
        inside = np.interp(a, self.knots, self.effective)
        beyond = self.effective[-1] + self.slopes[-1] * (a - self.knots[-1])
        return np.where(a > self.knots[-1], beyond, inside)

    @classmethod
    def through(cls, amounts: npt.NDArray[np.float64],
                effective: npt.NDArray[np.float64]) -> StockCurve:
        """The curve through ``(0, 0)`` and the points (sorted; the largest effective amount of
        repeated amounts; made non-decreasing)."""
        x = np.concatenate([[0.0], np.asarray(amounts, float)])
        y = np.concatenate([[0.0], np.asarray(effective, float)])
        order = np.lexsort((-y, x))
        x, y = x[order], y[order]
        keep = np.concatenate([[True], np.diff(x) > 0])
        x, y = x[keep], np.maximum.accumulate(y[keep])
        if len(x) < 2:  # nothing measured above 0: the identity
            return cls(np.array([0.0, 1.0]), np.array([0.0, 1.0]))
        return cls(x, y)


def concave_majorant(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> tuple[
        npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The least concave majorant of points (upper hull), x increasing; ``y`` first made
    non-decreasing."""
    order = np.argsort(x, kind="stable")
    xs, ys = np.asarray(x, float)[order], np.maximum.accumulate(np.asarray(y, float)[order])
    hull: list[int] = []
    for i in range(len(xs)):
        if hull and xs[i] == xs[hull[-1]]:
            if ys[i] <= ys[hull[-1]]:
                continue
            hull.pop()
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            # drop b when it lies on or under the chord a -> i
            if (ys[b] - ys[a]) * (xs[i] - xs[a]) <= (ys[i] - ys[a]) * (xs[b] - xs[a]):
                hull.pop()
            else:
                break
        hull.append(i)
    return xs[hull], ys[hull]


def invert(avoided_at: Callable[[float], float], target_usd: float, high: float,
           tol: float = 1e-6) -> float:
    """The smallest ``e`` in ``[0, high]`` with ``avoided_at(e) >= target_usd`` (bisection on a
    non-decreasing function; ``high`` when even it falls short)."""
    if target_usd <= 0:
        return 0.0
    if avoided_at(high) <= target_usd:
        return high
    lo, hi = 0.0, high
    while hi - lo > tol * high:
        mid = 0.5 * (lo + hi)
        if avoided_at(mid) >= target_usd:
            hi = mid
        else:
            lo = mid
    return hi
