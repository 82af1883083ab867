"""Calibration of the program's abstraction by the engine: each measure's effective-amount curve
(:mod:`spigot.mitigation.curve`) fitted from engine runs on the fitted draws (docs/mitigation.md,
"Calibration").

:func:`spigot.mitigation.frontier.mitigate` runs each measure that supplies a valued cell alone at
its most, then at smaller amounts where that is worth it (:meth:`Calibrator.start`), fits the
curves (:meth:`Calibrator.fit`), and, when verification is off by more than 10 %, runs the
frontier's portfolios (:meth:`Calibrator.measure`) and fits again. The runs go through a callable
(portfolio -> per-draw loss of the holder, USD), so this module runs no engine itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from spigot.mitigation.curve import StockCurve, invert
from spigot.mitigation.program import Option, evaluate
from spigot.mitigation.sample import LossSample

__all__ = ["CALIBRATION_SHARES", "Calibrator", "calibration_levels", "calibration_targets",
           "flow_targets"]

#: Amounts, as shares of the most the frontier can buy of a measure, at which the engine is run
#: on the fitted draws to fit its effective-amount curve (docs/mitigation.md, "Calibration").
CALIBRATION_SHARES = (0.05, 0.15, 0.4, 1.0)
#: A measure that avoids less than this share of the unmitigated expected loss at its most is
#: calibrated at that amount only (its curve is a line to it).
MIN_CALIBRATED_SHARE = 0.01
#: Largest effective amount a calibration considers, as a multiple of the measure's most.
HIGH_SHARE = 20.0
#: Largest factor a calibration puts on a cell's value per t.
MAX_VALUE_SCALE = 20.0


def calibration_targets(sample: LossSample, options: list[Option]) -> list[Option]:
    """The measures that supply a cell with a positive value per t (those worth calibrating),
    or none where a member region has several such cells (the closed form of
    :func:`~spigot.mitigation.program.evaluate`, which the fit inverts, needs one)."""
    useful = sample.value_per_t > 0
    if np.any(np.bincount(sample.cell_region[useful], minlength=len(sample.regions)) > 1):
        return []
    cells = {k for k, u in zip(sample.cells, useful, strict=True) if u}
    return [o for o in options if o.max_amount > 0
            and any(k in cells and x > 0 for k, x in o.supply_t.items())]


def flow_targets(sample: LossSample, options: list[Option]) -> list[Option]:
    """The weekly-flow measures (capacity, recycling, substitution, offtake) that supply a cell
    with a positive value per t, or none where a member region has several such cells: the
    portfolios that buy them are run on the fitted draws for their point fit
    (:mod:`spigot.mitigation.pointfit`), not for a curve."""
    useful = sample.value_per_t > 0
    if np.any(np.bincount(sample.cell_region[useful], minlength=len(sample.regions)) > 1):
        return []
    cells = {k for k, u in zip(sample.cells, useful, strict=True) if u}
    return [o for o in options if o.max_amount > 0
            and any(k in cells and any(x > 0 for x in r) for k, r in o.rate_t_per_week.items())]


def calibration_levels(option: Option, budget: float | None) -> np.ndarray:
    """Amounts at which the engine is run to fit a measure's curve: shares of the most the
    frontier can buy of it."""
    top = option.max_amount
    if budget is not None and option.cost_per_unit > 0:
        top = min(top, budget / option.cost_per_unit)
    return top * np.asarray(CALIBRATION_SHARES)


class Calibrator:
    """Engine runs on the fitted draws (their seed) at given portfolios, and the effective-amount
    curves fitted from them (:mod:`spigot.mitigation.curve`). A portfolio's avoided
    loss is credited to the measure whose amount is farthest from those its curve already has
    (then the costliest), the others at their current curves."""

    def __init__(self, sample: LossSample, options: list[Option], targets: list[Option],
                 run: Callable[[dict[str, float]], np.ndarray],
                 flows: list[Option] | None = None) -> None:
        """``run(amounts)``: the holder's loss per draw (USD) on the fitted draws with that
        portfolio. ``flows``: weekly-flow measures whose portfolios are run for their point fit
        only (no curve: :attr:`point_records`)."""
        self.sample, self.options, self.run = sample, options, run
        self.targets = {o.id: o for o in targets}
        self.flows = {o.id: o for o in flows or []}
        #: portfolios with a weekly flow run on the fitted draws, and the engine's loss per draw
        self.point_records: list[tuple[dict[str, float], np.ndarray]] = []
        self.base = float(sample.weights @ sample.total_lost_usd)
        self.records: list[tuple[dict[str, float], str, float]] = []
        #: the engine's loss per fitted draw of each record (USD), in the records' order
        self.losses: list[np.ndarray] = []
        self.runs = 0

    def start(self, budget_usd: float | None) -> None:
        """Each measure at its most; the smaller amounts only where that avoids at least
        ``MIN_CALIBRATED_SHARE`` of the unmitigated expected loss."""
        targets = list(self.targets.values())
        self.measure([{o.id: float(calibration_levels(o, budget_usd)[-1])} for o in targets])
        worth = [o for o in targets if any(r[1] == o.id and r[2] >= MIN_CALIBRATED_SHARE
                                           * self.base for r in self.records)]
        self.measure([{o.id: float(level)} for o in worth
                      for level in calibration_levels(o, budget_usd)[:-1]])

    def measure(self, portfolios: list[dict[str, float]]) -> bool:
        """Run the engine at each portfolio not yet measured; True if any was that a curve can
        learn from (a portfolio with a weekly flow is run for its point fit only)."""
        added = False
        tops = {**self.targets, **self.flows}
        for amounts in portfolios:
            if any(a > 1e-6 and m in self.flows for m, a in amounts.items()):
                point = {m: float(a) for m, a in amounts.items() if a > 1e-6}
                known = any(_same(point, r[0], tops) for r in self.point_records)
                if all(m in tops for m in point) and not known:
                    self.point_records.append((point, np.asarray(self.run(point), dtype=float)))
                    self.runs += 1
                continue
            bought = {m: float(a) for m, a in amounts.items() if a > 1e-6 and m in self.targets}
            if not bought or any(_same(bought, r[0], self.targets) for r in self.records):
                continue
            lead = max(bought, key=lambda m: (self._novelty(m, bought[m]),
                                              bought[m] * self.targets[m].cost_per_unit))
            loss = self.run(bought)
            self.runs += 1
            self.records.append((bought, lead, self.base - float(self.sample.weights @ loss)))
            self.losses.append(np.asarray(loss, dtype=float))
            added = True
        return added

    def loss_at(self, amounts: dict[str, float], flows: bool = True) -> np.ndarray | None:
        """The engine's loss per fitted draw with this portfolio, USD (None if it was not run,
        or if it buys a measure that is neither calibrated nor a weekly flow run for the point
        fit, or, without ``flows``, a weekly flow: the runs leave those out)."""
        tops = {**self.targets, **self.flows} if flows else self.targets
        if any(a > 1e-6 and m not in tops for m, a in amounts.items()):
            return None
        if any(a > 1e-6 and m in self.flows for m, a in amounts.items()):
            point = {m: float(a) for m, a in amounts.items() if a > 1e-6}
            return next((loss for r, loss in self.point_records if _same(point, r, tops)), None)
        bought = {m: float(a) for m, a in amounts.items() if a > 1e-6 and m in self.targets}
        for r, loss in zip(self.records, self.losses, strict=True):
            if bought and _same(bought, r[0], self.targets):
                return loss
        return None

    def _novelty(self, measure: str, amount: float) -> float:
        """How far ``amount`` is from the amounts of ``measure`` its curve already has, as a
        share of its most (1 when it has none)."""
        known = [r[0][r[1]] for r in self.records if r[1] == measure]
        if not known:
            return 1.0
        return min(abs(amount - k) for k in known) / max(self.targets[measure].max_amount, 1e-12)

    def fit(self) -> tuple[np.ndarray, dict[str, StockCurve] | None]:
        """The factor on each cell's value per t (raised where a measure alone avoided more in
        the engine than the abstraction can) and the curves of the measured measures."""
        s = self.sample
        factor = np.ones(len(s.cells))
        for bought, lead, avoided in self.records:
            if len(bought) != 1:
                continue
            o = self.targets[lead]
            cols = [s.cells.index(k) for k, x in o.supply_t.items() if x > 0 and k in s.cells]
            for _ in range(8):  # raise the values of its cells until the abstraction can
                ceiling = self._avoided(s.scaled(factor), {}, lead, HIGH_SHARE * o.max_amount)
                if avoided <= ceiling * 1.01 or ceiling <= 0 or factor[cols].max() >= \
                        MAX_VALUE_SCALE:
                    break
                factor[cols] = np.minimum(factor[cols] * avoided / ceiling, MAX_VALUE_SCALE)
        scaled = s.scaled(factor)
        curves: dict[str, StockCurve] = {}
        for singles_only in (True, False):  # the others' curves from the first pass
            points: dict[str, list[tuple[float, float]]] = {}
            model = scaled.calibrated(np.ones(len(s.cells)), curves)
            for bought, lead, avoided in self.records:
                if singles_only and len(bought) != 1:
                    continue
                others = {m: a for m, a in bought.items() if m != lead}
                at = functools.partial(self._avoided, model, others, lead)
                high = HIGH_SHARE * self.targets[lead].max_amount
                # at most what the abstraction can avoid: the smallest amount that does it all
                e = invert(at, min(avoided, at(high) * (1 - 1e-6)), high)
                points.setdefault(lead, []).append((bought[lead], e))
            curves = {**curves, **{m: _curve(p) for m, p in points.items()}}
        return factor, curves or None

    def _avoided(self, sample: LossSample, others: dict[str, float], lead: str,
                 effective: float) -> float:
        """Expected USD the abstraction avoids with ``others`` (at their curves) and an
        effective amount of ``lead``."""
        curves = {m: c for m, c in (sample.curves or {}).items() if m != lead}
        model = replace(sample, curves=curves or None)
        sol = evaluate(model, self.options, {**others, lead: effective}, clip=False)
        return self.base - sol.lost_usd_mean


def _same(a: dict[str, float], b: dict[str, float], tops: dict[str, Option]) -> bool:
    """The same portfolio, to 0.1 % of each measure's most (no engine run for a hair's
    difference)."""
    return a.keys() == b.keys() and all(abs(a[m] - b[m]) <= 1e-3 * tops[m].max_amount
                                        for m in a)


def _curve(points: list[tuple[float, float]]) -> StockCurve:
    return StockCurve.through(np.array([p[0] for p in points]), np.array([p[1] for p in points]))
