"""Each frontier point's prediction, fitted to the engine at that portfolio on the fitted draws
(docs/mitigation.md, "Point fit").

The program chooses portfolios through the measures' effective-amount curves
(:mod:`spigot.mitigation.curve`), which add what each measure does alone or credited at the
portfolios measured; where measures interact, or between measured amounts, the curves miss the
engine. Every portfolio of the frontier is run through the engine on the fitted draws (the
calibration's runs, :class:`~spigot.mitigation.calibrate.Calibrator`), and its prediction uses
two numbers fitted there:

- a **scale** ``lambda`` on the effective amount of every stock bought and on the weekly rate
  of every flow bought (capacity, recycling, substitution, offtake), so that the abstraction's
  expected loss on the fitted draws is the engine's;
- a **tilt** ``beta``: each draw's value per t is multiplied by ``(size[d] / mean size) ^ beta``,
  ``size[d, r] = sum_{k in r} value_per_t[k] x sum_t shortfall[d, t, k]`` (the draw's valued
  shortfall), with ``lambda`` re-fitted for each ``beta``; the ``beta`` whose P95 of the loss on
  the fitted draws is closest to the engine's is kept. ``beta > 0``: a t made available does
  more in draws with a long shortfall (fitted 0.1-0.4 on USA's points; why is not analysed:
  plausibly cover refilled between licence approvals works again).

The same two numbers then predict the portfolio's loss on the fresh draws from their own
unmitigated run: verification is out of sample in draws, not in portfolios.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from spigot.mitigation.curve import StockCurve, invert
from spigot.mitigation.program import (
    CVAR_LEVEL,
    Solution,
    closed_form,
    evaluate,
    rate_array,
    room,
    supply_matrix,
    weighted_quantile,
)

if TYPE_CHECKING:
    from spigot.mitigation.calibrate import Calibrator
    from spigot.mitigation.program import Option
    from spigot.mitigation.sample import LossSample

__all__ = ["MAX_POINT_SCALE", "PointFit", "curve_error", "fit_point", "predict", "sizes",
           "with_point_fit"]

#: Largest point scale: the engine did at most this many times what the curves say.
MAX_POINT_SCALE = 20.0
#: Tilts tried (then refined to 0.01 around the best): dimensionless exponents.
TILT_GRID = tuple(float(t) for t in np.round(np.arange(-1.0, 2.01, 0.1), 2))
#: A point fit matches the engine's expected loss on the fitted draws to this share of it.
MEAN_TOLERANCE = 1e-3

#: A point's fit: (scale, tilt).
PointFit = tuple[float, float]


def sizes(sample: LossSample) -> npt.NDArray[np.float64]:
    """(D, R) each draw's valued shortfall by region, ``sum_{k in r} value_per_t[k] x sum_t
    shortfall[d, t, k]`` (USD at the fitted values)."""
    per_cell = sample.shortfall_t.sum(axis=1) * sample.value_per_t  # (D, K)
    out = np.zeros((sample.draws, len(sample.regions)))
    np.add.at(out.T, sample.cell_region, per_cell.T)
    return out


def with_point_fit(sample: LossSample, options: list[Option], amounts: dict[str, float],
                   fit: PointFit, reference: npt.NDArray[np.float64]) -> LossSample:
    """``sample`` with the effective amount of every measure bought in ``amounts`` (its curve, or
    the identity) multiplied by the fit's scale, and each draw's value per t by ``(size /
    reference) ^ tilt`` (``reference``: (R,) the fitted draws' mean size)."""
    scale, tilt = fit
    if scale == 1.0 and tilt == 0.0:
        return sample
    curves = dict(sample.curves or {})
    for o in options:
        if amounts.get(o.id, 0.0) > 1e-9:
            c = curves.get(o.id) or StockCurve(np.array([0.0, 1.0]), np.array([0.0, 1.0]))
            curves[o.id] = StockCurve(c.knots, c.effective * scale)
    out = replace(sample, curves=curves)
    if tilt != 0.0:
        ratio = _size_ratio(sample, reference)
        base = sample.draw_scale if sample.draw_scale is not None else np.ones_like(ratio)
        out = replace(out, draw_scale=base * ratio ** tilt)
    return out


def fit_point(sample: LossSample, options: list[Option], amounts: dict[str, float],
              engine_loss: npt.NDArray[np.float64] | None,
              reference: npt.NDArray[np.float64]) -> PointFit:
    """The (scale, tilt) with which the abstraction on the fitted draws ``sample`` has the
    engine's expected loss and the P95 closest to the engine's (``engine_loss``: (D,) the
    engine's loss per fitted draw with this portfolio; None: not run, (1, 0)). The scale
    multiplies the effective amount of every stock bought and the weekly rate of every flow
    bought (capacity, recycling, substitution, offtake). (1, 0) where a region has several
    valued cells (no closed form to scale), or nothing is bought."""
    bought = [o for o in options if amounts.get(o.id, 0.0) > 1e-9]
    if engine_loss is None or not bought or not closed_form(sample):
        return 1.0, 0.0
    w = sample.weights
    engine_mean = max(float(w @ engine_loss), 1e-9)
    base = float(w @ sample.total_lost_usd)
    target_p95 = weighted_quantile(engine_loss, w, CVAR_LEVEL)
    losses = _closed_losses(sample, options, amounts, reference)

    def scale_for(tilt: float) -> tuple[float, float]:
        """The scale matching the mean at this tilt, and the P95 miss with it (inf where no
        scale up to ``MAX_POINT_SCALE`` matches the mean to ``MEAN_TOLERANCE``)."""
        scale = invert(lambda x: base - float(w @ losses(x, tilt)), base - engine_mean,
                       MAX_POINT_SCALE, tol=1e-7)
        loss = losses(scale, tilt)
        if abs(float(w @ loss) - engine_mean) > MEAN_TOLERANCE * engine_mean:
            return scale, np.inf
        return scale, abs(weighted_quantile(loss, w, CVAR_LEVEL) - target_p95)

    tried = {float(t): scale_for(float(t)) for t in TILT_GRID}
    best = min(tried, key=lambda t: (tried[t][1], abs(t)))
    if not np.isfinite(tried[best][1]):  # no tilt matches the mean: the scale alone
        return tried[0.0][0], 0.0
    for t in np.round(np.arange(best - 0.09, best + 0.095, 0.01), 2):
        tried.setdefault(float(t), scale_for(float(t)))
    best = min(tried, key=lambda t: (tried[t][1], abs(t)))
    return tried[best][0], float(best)


def predict(sample: LossSample, options: list[Option], amounts: dict[str, float], fit: PointFit,
            reference: npt.NDArray[np.float64]) -> Solution:
    """The portfolio's predicted loss on ``sample`` with its point fit: :func:`evaluate` on
    :func:`with_point_fit` where only stocks are bought or there is no fit; where weekly flows
    are bought and a fit, the closed form it was fitted with (:func:`_closed_losses`: flows
    used in their week, the stocks on what they leave short)."""
    flows = any(o.rate_t_per_week and amounts.get(o.id, 0.0) > 1e-9 for o in options)
    if fit == (1.0, 0.0) or not flows or not closed_form(sample):
        return evaluate(with_point_fit(sample, options, amounts, fit, reference), options,
                        amounts)
    fixed = {o.id: min(max(amounts.get(o.id, 0.0), 0.0), o.max_amount) for o in options}
    lost = _closed_losses(sample, options, fixed, reference)(*fit)
    return Solution(amounts=fixed, cost_usd=sum(o.cost_per_unit * fixed[o.id] for o in options),
                    lost_usd=lost, weights=sample.weights, budget_dual=None, variables=0,
                    constraints=0, solve_seconds=0.0)


def _closed_losses(sample: LossSample, options: list[Option], amounts: dict[str, float],
                   reference: npt.NDArray[np.float64]) -> Callable[[float, float],
                                                                    npt.NDArray[np.float64]]:
    """``losses(scale, tilt)``: (D,) the loss per draw, USD, with the stocks' effective amounts
    and the flows' weekly rates times ``scale`` and each draw's value per t times ``(size /
    reference) ^ tilt`` (one valued cell per region). The best use has a closed form: a flow is
    used in its week, up to the week's shortfall (``sum_t min(scale f[t], short[d, t])``), the
    stocks cover what it leaves short, and a draw avoids ``v x min(used, room)`` (what
    :func:`~spigot.mitigation.program.solve` finds with the amounts fixed)."""
    ids = [o.id for o in options]
    effective = sample.effective(ids, np.array([amounts.get(i, 0.0) for i in ids], dtype=float))
    available = supply_matrix(options, list(sample.cells)).T @ effective  # (K,) t at scale 1
    useful = np.flatnonzero(sample.value_per_t > 0)
    ratio = _size_ratio(sample, reference)  # (D, R)
    lost = sample.region_lost_usd[:, sample.cell_region[useful]]  # (D, U)
    short_t = sample.shortfall_t[:, :, useful]  # (D, T, U)
    short = short_t.sum(axis=1)  # (D, U)
    value0 = sample.value_per_draw[:, useful]
    rates = rate_array(options, list(sample.cells), sample.steps, sample.week_step)
    flow = None
    if rates is not None:  # (T, U) t per step the flows bought supply at scale 1
        bought = np.array([amounts.get(i, 0.0) for i in ids], dtype=float)
        flow = np.einsum("m,mtk->tk", bought, rates)[:, useful]
        if not np.any(flow > 0):
            flow = None

    def losses(scale: float, tilt: float) -> npt.NDArray[np.float64]:
        v = value0 * ratio[:, sample.cell_region[useful]] ** tilt
        usable = room(short, lost, v)
        stock = scale * available[useful]
        if flow is None:
            used = np.minimum(stock, usable)
        else:
            flowed = np.minimum(scale * flow[None, :, :], short_t).sum(axis=1)  # (D, U)
            used = np.minimum(flowed + np.minimum(stock, short - flowed), usable)
        return np.asarray(sample.total_lost_usd - (v * used).sum(axis=1), dtype=float)

    return losses


def _size_ratio(sample: LossSample, reference: npt.NDArray[np.float64]) -> npt.NDArray[
        np.float64]:
    """(D, R) each draw's valued shortfall over ``reference`` (1 where either is 0)."""
    size = sizes(sample)
    ok = (size > 0) & (reference > 0)
    return np.where(ok, size / np.where(ok, reference, 1.0), 1.0)


def curve_error(calibrator: Calibrator, sols: list[Solution]) -> float:
    """Worst relative error, over the frontier's points, of the loss the curves predicted on the
    fitted draws (the program's figure, before the point fit) against the engine's there."""
    errors = [0.0]
    for s in sols:
        loss = calibrator.loss_at(s.amounts, flows=False)  # flows have no curve to re-fit
        if loss is not None:
            engine = float(calibrator.sample.weights @ loss)
            errors.append(abs(s.lost_usd_mean - engine) / max(engine, 1e-9))
    return max(errors)
