"""A holder's losses, draw by draw and week by week, and their linear abstraction
(docs/mitigation.md, "The sample-average program").

An engine run without measures (its trajectories kept for every draw) gives, for each draw ``d``
and week ``t``:

- ``shortfall[d, t, k]``: t of commodity ``c`` the sectors of member region ``r`` lacked, for each
  *cell* ``k = r/c`` of the holder that is ever short;
- ``lost[d, t, r]``: USD of output the sectors of member region ``r`` lost.

The abstraction says that each t of ``c`` made available to region ``r`` in draw ``d`` while the
cell is short avoids ``value_per_t[k] x draw_scale[d, r]`` USD of the draw's lost output (never
more than the draw's loss). ``value_per_t`` is fitted by non-negative least squares of ``lost`` on
``shortfall``, region by region, over all draws and weeks; ``draw_scale`` is each draw's own
lost output over what the fitted values explain of it, so that a draw whose every t short is made
available loses nothing (docs/mitigation.md, "Per-draw values").
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from spigot.errors import InputError, Problem

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from spigot.mitigation.curve import StockCurve
    from spigot.network import SupplyNetwork
    from spigot.results import Results

__all__ = ["LossSample", "fit_value_per_t", "holder_loss_by_draw", "loss_sample"]


@dataclass(frozen=True)
class LossSample:
    """Per-draw, per-week shortfall and lost output of one holder, with the fitted values.

    Attributes
    ----------
    regions
        Member regions of the holder (``r``).
    cells
        ``region/commodity`` pairs of the holder that are short in some draw (``k``).
    cell_region
        (K,) index into ``regions`` of each cell.
    shortfall_t
        (D, T, K) t short in the week.
    lost_usd
        (D, T, R) USD of output lost in the week.
    weights
        (D,) probability of each draw (sum 1; several scenarios share it by their weights).
    total_lost_usd
        (D,) the holder's lost output over the horizon, USD, as the run reports it
        (``lost_output_usd`` summed over the holder's sectors).
    value_per_t
        (K,) USD of lost output avoided per t made available in a week the cell is short.
    fit_r2
        (R,) share of the variance of weekly lost output the fit explains, by region.
    week_step
        Weeks per time step.
    curves
        Effective amount of each calibrated measure (measure id -> :class:`~spigot.mitigation.
        curve.StockCurve`): the measure supplies as if ``phi(amount)`` were bought; a measure not
        in it supplies what is bought (the identity).
    draw_scale
        (D, R) the draw's lost output in the region over ``sum_t sum_k value_per_t[k] x
        shortfall[d, t, k]`` (1 where nothing valued is short; None: 1 everywhere): a t of the
        cell is worth ``value_per_t[k] x draw_scale[d, r]`` in draw ``d``
        (:attr:`value_per_draw`).
    """

    regions: tuple[str, ...]
    cells: tuple[str, ...]
    cell_region: npt.NDArray[np.int64]
    shortfall_t: npt.NDArray[np.float64]
    lost_usd: npt.NDArray[np.float64]
    weights: npt.NDArray[np.float64]
    total_lost_usd: npt.NDArray[np.float64]
    value_per_t: npt.NDArray[np.float64]
    fit_r2: npt.NDArray[np.float64]
    week_step: float = 1.0
    curves: Mapping[str, StockCurve] | None = None
    draw_scale: npt.NDArray[np.float64] | None = None

    @property
    def draws(self) -> int:
        """Number of draws ``D``."""
        return int(self.shortfall_t.shape[0])

    @property
    def steps(self) -> int:
        """Number of time steps ``T``."""
        return int(self.shortfall_t.shape[1])

    @property
    def value_per_draw(self) -> npt.NDArray[np.float64]:
        """(D, K) USD of the draw's lost output avoided per t of the cell made available while
        it is short: ``value_per_t[k] x draw_scale[d, region of k]``."""
        if self.draw_scale is None:
            return np.broadcast_to(self.value_per_t, (self.draws, len(self.cells)))
        return np.asarray(self.value_per_t * self.draw_scale[:, self.cell_region], dtype=float)

    @property
    def region_lost_usd(self) -> npt.NDArray[np.float64]:
        """(D, R) USD of output each member region lost over the horizon."""
        return np.asarray(self.lost_usd.sum(axis=1), dtype=float)

    def scaled(self, factor: npt.NDArray[np.float64]) -> LossSample:
        """The sample with ``value_per_t`` multiplied by ``factor`` (K,) (a re-fit)."""
        return replace(self, value_per_t=self.value_per_t * factor)

    def calibrated(self, factor: npt.NDArray[np.float64],
                   curves: Mapping[str, StockCurve] | None) -> LossSample:
        """The sample with ``value_per_t`` multiplied by ``factor`` (K,) and the effective-stock
        ``curves`` (None: the identity for every cell)."""
        return replace(self.scaled(factor), curves=dict(curves) if curves else None)

    def effective(self, ids: Sequence[str],
                  amounts: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The effective amount of each measure ``ids`` bought in ``amounts`` (its curve)."""
        out = np.asarray(amounts, dtype=float).copy()
        for j, m in enumerate(ids):
            if self.curves and m in self.curves:
                out[j] = float(self.curves[m](out[j]))
        return out


def holder_sectors(results: Results, regions: Sequence[str],
                   sectors: Sequence[str] | None = None) -> npt.NDArray[np.bool_]:
    """(S,) which sectors of the run belong to the holder: its regions' sectors, or only the
    sector ids ``sectors`` (a firm as holder, ``USA.automotive``)."""
    mask = np.isin(results.data["sector_region"].values.astype(str), list(regions))
    if sectors is not None:
        mask &= np.isin(results.data["sector"].values.astype(str), list(sectors))
    return mask


def holder_loss_by_draw(results: Results, regions: Sequence[str],
                        sectors: Sequence[str] | None = None) -> npt.NDArray[np.float64]:
    """USD of output the holder's sectors (those of ``regions``, or only ``sectors``) lost over
    the horizon, one value per draw."""
    mask = holder_sectors(results, regions, sectors)
    return np.asarray(results.data["lost_output_usd"].values[:, mask].sum(axis=1), dtype=float)


def loss_sample(runs: Sequence[Results], world: SupplyNetwork, regions: Sequence[str],
                weights: Sequence[float] | None = None,
                like: LossSample | None = None,
                own_sectors: Sequence[str] | None = None) -> LossSample:
    """The holder's :class:`LossSample` from runs whose trajectories were kept for every draw.

    Parameters
    ----------
    runs
        One run per scenario (same horizon), each with ``keep_trajectories`` equal to its draws.
    world
        The world the runs used (sector values per unit).
    regions
        The holder's member regions.
    weights
        Weight of each scenario (default equal); normalised to sum 1.
    like
        Use this sample's cells and values per t (the abstraction fitted on other draws) instead
        of fitting new ones.
    own_sectors
        Count only these sector ids' lost output (a firm as holder); the shortfall stays the
        region's (the engine has no per-sector shortfall).

    Raises
    ------
    InputError
        If a run did not keep every draw's trajectory, or the runs' horizons differ.
    """
    sectors = world.sectors.set_index("id")
    steps = {int(r.data.sizes["time"]) for r in runs}
    if len(steps) != 1:
        raise InputError(Problem("the scenarios have different horizons", field="scenarios",
                                 value=sorted(steps), expected="scenarios with one horizon"))
    w_s = np.full(len(runs), 1.0 / len(runs)) if weights is None else np.asarray(weights, float)
    w_s = w_s / w_s.sum()
    # cells: every member region/commodity short in some draw of some run
    cells: list[str] = []
    for res in runs:
        ds = res.data
        if ds.sizes["sample"] != ds.sizes["draw"]:
            raise InputError(Problem("the run kept trajectories of only some draws",
                                     field="keep_trajectories", value=int(ds.sizes["sample"]),
                                     expected=f"{int(ds.sizes['draw'])} (every draw)"))
        region = ds["rc_region"].values.astype(str)
        short = ds["shortfall_t"].values.max(axis=0) > 0
        cells += [str(k) for k, r, s in zip(ds["rc"].values, region, short, strict=True)
                  if r in regions and s and str(k) not in cells]
    cells = sorted(cells) if like is None else list(like.cells)
    reg = tuple(regions)
    cell_region = np.array([reg.index(k.split("/")[0]) for k in cells], dtype=np.int64)
    short_parts, lost_parts, total_parts, w_parts = [], [], [], []
    for res, ws in zip(runs, w_s, strict=True):
        ds = res.data
        rc = [str(k) for k in ds["rc"].values]
        short = np.zeros((ds.sizes["draw"], ds.sizes["time"], len(cells)))
        for j, k in enumerate(cells):
            if k in rc:
                short[:, :, j] = ds["traj_shortfall"].values[:, :, rc.index(k)]
        names = ds["sector"].values.astype(str)
        value = np.array([float(sectors.loc[s, "value_per_unit"]) for s in names])
        units = ds["traj_lost_units"].values * value  # (D, T, S) USD
        sector_region = ds["sector_region"].values.astype(str)
        own = holder_sectors(res, reg, own_sectors)
        lost = np.stack([units[:, :, (sector_region == r) & own].sum(axis=2) for r in reg],
                        axis=2)
        short_parts.append(short)
        lost_parts.append(lost)
        total_parts.append(holder_loss_by_draw(res, reg, own_sectors))
        w_parts.append(np.full(ds.sizes["draw"], ws / ds.sizes["draw"]))
    shortfall = np.concatenate(short_parts)
    lost = np.concatenate(lost_parts)
    value_per_t, r2 = (fit_value_per_t(shortfall, lost, cell_region) if like is None
                       else (like.value_per_t, like.fit_r2))
    step = float(runs[0].manifest.get("step_weeks", 1.0) or 1.0)
    return LossSample(reg, tuple(cells), cell_region, shortfall, lost,
                      np.concatenate(w_parts), np.concatenate(total_parts), value_per_t, r2, step,
                      draw_scale=draw_scale(shortfall, lost, cell_region, value_per_t))


def draw_scale(shortfall_t: npt.NDArray[np.float64], lost_usd: npt.NDArray[np.float64],
               cell_region: npt.NDArray[np.int64],
               value_per_t: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """(D, R) each draw's lost output in each region over what ``value_per_t`` explains of it,
    ``sum_t lost[d, t, r] / sum_t sum_{k in r} value_per_t[k] shortfall[d, t, k]``; 1 where
    nothing valued is short in the draw.

    The fitted values are averages over draws and weeks; a draw's own loss per t short differs
    (on base with licence-squeeze, USA: 0.9 to 1.4 times the fitted value, higher in short bans).
    Scaled by the draw's own ratio, the abstraction says what the engine does at both ends: no
    measure, the run's loss; every t short made available, no loss.
    """
    explained = np.zeros((shortfall_t.shape[0], lost_usd.shape[2]))
    np.add.at(explained.T, cell_region, (shortfall_t.sum(axis=1) * value_per_t).T)
    total = lost_usd.sum(axis=1)
    ok = explained > 1e-12 * np.maximum(total, 1.0)
    return np.where(ok, total / np.where(ok, explained, 1.0), 1.0)


def fit_value_per_t(shortfall_t: npt.NDArray[np.float64], lost_usd: npt.NDArray[np.float64],
                    cell_region: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.float64],
                                                                npt.NDArray[np.float64]]:
    """USD of weekly lost output per t short, by cell: least squares with no intercept and no
    negative value (a column whose value comes out negative is dropped and the rest re-fitted).

    Parameters
    ----------
    shortfall_t
        (D, T, K) t short per week.
    lost_usd
        (D, T, R) USD lost per week.
    cell_region
        (K,) region index of each cell.

    Returns
    -------
    tuple of numpy.ndarray
        (K,) USD/t, and (R,) the R^2 of each region's fit (1 where the region never loses).
    """
    values = np.zeros(shortfall_t.shape[2])
    r2 = np.ones(lost_usd.shape[2])
    for r in range(lost_usd.shape[2]):
        cols = np.flatnonzero(cell_region == r)
        y = lost_usd[:, :, r].ravel()
        if not cols.size or not np.any(y > 0):
            continue
        a = shortfall_t[:, :, cols].reshape(-1, cols.size)
        rows = (y > 0) | np.any(a > 0, axis=1)
        a, y = a[rows], y[rows]
        scale = np.maximum(a.max(axis=0), 1e-12)  # conditioning: fit on t relative to the largest
        values[cols] = _nonnegative_lstsq(a / scale, y) / scale
        resid = y - a @ values[cols]
        ss = float(((y - y.mean()) ** 2).sum())
        r2[r] = 1.0 - float((resid ** 2).sum()) / ss if ss > 0 else 1.0
    return values, r2


def _nonnegative_lstsq(a: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Least squares ``a x ~ y`` with ``x >= 0``: drop the most negative column and re-fit until
    none is negative (exact for one column; the usual case is one or two)."""
    active = np.ones(a.shape[1], dtype=bool)
    x = np.zeros(a.shape[1])
    while np.any(active):
        coef = np.linalg.lstsq(a[:, active], y, rcond=None)[0]
        if np.all(coef >= 0):
            x[active] = coef
            break
        idx = np.flatnonzero(active)
        active[idx[int(np.argmin(coef))]] = False
    return x
