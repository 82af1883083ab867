"""`Results.metrics`: summaries of a run as DataFrames, units in ``.attrs["units"]``.

Quantiles (P5, P50, P95) are exact: they come from per-draw totals kept for every draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from spigot.errors import InputError, Problem, did_you_mean

if TYPE_CHECKING:
    from spigot.results.results import Results

__all__ = ["QUANTILES", "Metrics", "draw_quantiles"]

#: Quantiles reported next to the mean.
QUANTILES: tuple[tuple[str, float], ...] = (("p5", 5.0), ("p50", 50.0), ("p95", 95.0))


def draw_quantiles(values: npt.ArrayLike, axis: int = 0) -> npt.NDArray[np.float64]:
    """P5, P50 and P95 (:data:`QUANTILES`) over draws along ``axis``, stacked on a new first axis.

    The one quantile rule of run summaries (``np.percentile``'s linear interpolation); an empty
    axis gives NaN. Drop non-finite draws first where they mean "did not happen".

    >>> draw_quantiles([1.0, 2.0, 3.0]).tolist()
    [1.1, 2.0, 2.9]
    """
    arr = np.asarray(values, dtype=float)
    if arr.shape[axis] == 0:
        shape = list(arr.shape)
        del shape[axis]
        return np.full((len(QUANTILES), *shape), np.nan)
    return np.asarray(np.percentile(arr, [q for _, q in QUANTILES], axis=axis), dtype=float)


def _stats(values: npt.NDArray[np.float64], prefix: str) -> dict[str, float]:
    """Mean and quantiles over draws (axis 0) of a 1-D array; NaN-aware."""
    finite = values[~np.isnan(values)]
    out = {f"{prefix}_mean": float(finite.mean()) if finite.size else float("nan")}
    for (name, _), value in zip(QUANTILES, draw_quantiles(finite), strict=True):
        out[f"{prefix}_{name}"] = float(value)
    return out


class Metrics:
    """Summary tables of a :class:`~spigot.results.Results` (``res.metrics``)."""

    def __init__(self, results: Results) -> None:
        self._res = results
        self._ds = results.data

    def _group(self, frame: pd.DataFrame, by: Sequence[str] | None, keys: Sequence[str],
               sums: Sequence[str]) -> pd.DataFrame:
        if by is None:
            return frame
        unknown = [b for b in by if b not in keys]
        if unknown:
            raise InputError(Problem("cannot group by this", field="by", value=unknown[0],
                                     expected="any of " + ", ".join(keys),
                                     hint=did_you_mean(unknown[0], keys) or None))
        return frame.groupby(list(by), sort=False, as_index=False)[list(sums)].sum()

    def first_stoppage(self, by: Sequence[str] | None = None) -> pd.DataFrame:
        """When and how often each sector stops, over all draws.

        Columns: ``region``, ``sector``, ``id``, ``share_stopped`` (share of draws in which it
        stops at least once), ``first_stop_week_{mean,p5,p50,p95}`` (among the draws that stop),
        ``first_stop_date`` (the median first stop as a date), ``stopped_weeks_mean``.
        ``by`` is accepted for symmetry (``["region", "sector"]`` is the natural grain).
        """
        ds = self._ds
        rows = []
        start = pd.Timestamp(ds["time"].values[0])
        for i, ident in enumerate(ds["sector"].values):
            fs = ds["first_stop_week"].values[:, i]
            row: dict[str, Any] = {"region": str(ds["sector_region"].values[i]),
                                   "sector": str(ds["sector_name"].values[i]), "id": str(ident),
                                   "share_stopped": float(np.mean(~np.isnan(fs)))}
            row.update(_stats(fs, "first_stop_week"))
            p50 = row["first_stop_week_p50"]
            row["first_stop_date"] = (None if np.isnan(p50) else
                                      (start + pd.Timedelta(weeks=p50)).date().isoformat())
            row["stopped_weeks_mean"] = float(ds["stopped_weeks"].values[:, i].mean())
            rows.append(row)
        frame = pd.DataFrame(rows)
        if by is not None:
            allowed = ("region", "sector", "id")
            unknown = [b for b in by if b not in allowed]
            if unknown:
                raise InputError(Problem("cannot group by this", field="by", value=unknown[0],
                                         expected="any of region, sector, id",
                                         hint=did_you_mean(unknown[0], allowed) or None))
        frame.attrs["units"] = {"share_stopped": "1", "first_stop_week": "week",
                                "stopped_weeks_mean": "week"}
        return frame

    def reactions(self) -> pd.DataFrame:
        """The reaction timeline: when each reaction's trigger fired and its action applied.

        One row per reaction (``docs/scenarios.md``, Reactions): ``reaction``, ``measure``,
        ``trigger``, ``action``, ``share_fired`` (share of draws in which the trigger held
        within the horizon), ``share_applied`` (its action applied within the horizon),
        ``fired_week_{mean,p5,p50,p95}`` and ``applied_week_{mean,p5,p50,p95}`` (weeks from
        the start, among the draws where it happened), ``fired_date`` and ``applied_date``
        (the medians as dates). Empty for a scenario without reactions.
        """
        ds = self._ds
        if "reaction" not in ds.coords:
            return pd.DataFrame(columns=["reaction", "measure", "trigger", "action",
                                         "share_fired", "share_applied"])
        start = pd.Timestamp(ds["time"].values[0])
        rows = []
        for i, ident in enumerate(ds["reaction"].values):
            fired = ds["reaction_fired_week"].values[:, i]
            applied = ds["reaction_applied_week"].values[:, i]
            row: dict[str, Any] = {
                "reaction": str(ident), "measure": str(ds["reaction_measure"].values[i]),
                "trigger": str(ds["reaction_trigger"].values[i]),
                "action": str(ds["reaction_action"].values[i]),
                "share_fired": float(np.mean(~np.isnan(fired))),
                "share_applied": float(np.mean(~np.isnan(applied)))}
            row.update(_stats(fired, "fired_week"))
            row.update(_stats(applied, "applied_week"))
            for what in ("fired", "applied"):
                p50 = row[f"{what}_week_p50"]
                row[f"{what}_date"] = (None if np.isnan(p50) else
                                       (start + pd.Timedelta(weeks=p50)).date().isoformat())
            rows.append(row)
        frame = pd.DataFrame(rows)
        frame.attrs["units"] = {"share_fired": "1", "share_applied": "1",
                                "fired_week": "week", "applied_week": "week"}
        return frame

    def lost_output(self, by: Sequence[str] | None = None) -> pd.DataFrame:
        """Lost output per region x sector: USD and units, mean and quantiles over draws.

        ``by`` may be ``["region"]`` or ``["sector"]`` to sum draws' losses over the other
        before taking quantiles.
        """
        ds = self._ds
        usd = ds["lost_output_usd"].values
        units = ds["lost_output_units"].values
        keys = {"region": ds["sector_region"].values, "sector": ds["sector_name"].values,
                "id": ds["sector"].values}
        groups: dict[tuple[str, ...], list[int]] = {}
        cols = list(by) if by else ["region", "sector", "id"]
        for c in cols:
            if c not in keys:
                raise InputError(Problem("cannot group by this", field="by", value=c,
                                         expected="any of region, sector, id",
                                         hint=did_you_mean(c, list(keys)) or None))
        for i in range(usd.shape[1]):
            groups.setdefault(tuple(str(keys[c][i]) for c in cols), []).append(i)
        rows = []
        for key, idx in groups.items():
            row: dict[str, Any] = dict(zip(cols, key, strict=True))
            row.update(_stats(usd[:, idx].sum(axis=1), "lost_usd"))
            if not by or "id" in cols:
                row.update(_stats(units[:, idx].sum(axis=1), "lost_units"))
            rows.append(row)
        frame = pd.DataFrame(rows)
        frame.attrs["units"] = {"lost_usd": "USD", "lost_units": "unit of the sector's output"}
        return frame

    def capacity_stopped(self, moved_above: float = 0.0) -> pd.DataFrame:
        """Per week and region x sector: the share of capacity stopped and the stop event.

        ``capacity_stopped`` is the mean over draws of the step's lost output over the sector's
        base output (``mean_lost_units / sector_output``: lines standing for want of input; a
        voluntary cut at high prices is demand destruction and not counted), ``share_stopped``
        the share of draws in which the sector counts as stopped that step (made less than the
        scenario's ``stop_below`` of its plan). Rows of sectors whose largest share stopped is
        at most ``moved_above`` are left out (0: sectors that never lose output).
        """
        ds = self._ds
        out = ds["sector_output"].values
        lost = ds["mean_lost_units"].values  # (time, sector)
        share = np.divide(lost, out, out=np.zeros_like(lost), where=out > 0)
        stopped = ds["mean_stopped"].values
        keep = np.flatnonzero(share.max(axis=0) > moved_above)
        n_t = share.shape[0]
        frame = pd.DataFrame({  # one block of rows per kept sector, its weeks in order
            "time": np.tile(pd.to_datetime(ds["time"].values), len(keep)),
            "region": np.repeat(ds["sector_region"].values[keep].astype(str), n_t),
            "sector": np.repeat(ds["sector_name"].values[keep].astype(str), n_t),
            "id": np.repeat(ds["sector"].values[keep].astype(str), n_t),
            "capacity_stopped": share[:, keep].T.ravel().astype(float),
            "share_stopped": stopped[:, keep].T.ravel().astype(float)})
        frame.attrs["units"] = {"capacity_stopped": "1", "share_stopped": "1"}
        return frame

    def shortfall(self) -> pd.DataFrame:
        """t short per region x commodity over the horizon: mean and quantiles over draws."""
        ds = self._ds
        values = ds["shortfall_t"].values
        rows = []
        for i in range(values.shape[1]):
            row: dict[str, Any] = {"region": str(ds["rc_region"].values[i]),
                                   "commodity": str(ds["rc_commodity"].values[i])}
            row.update(_stats(values[:, i], "shortfall_t"))
            rows.append(row)
        frame = pd.DataFrame(rows)
        frame.attrs["units"] = {"shortfall_t": "t"}
        return frame

    def exports(self, over_time: bool = False) -> pd.DataFrame:
        """Exports per exporter x commodity x destination (cross-border routes only).

        Mean over draws; ``over_time`` gives one row per step (t/step), else the horizon total
        with the base-flow total beside it (t).
        """
        ds = self._ds
        exp = ds["mean_exports"].values
        held = ds["mean_held"].values
        keys = list(zip(ds["route_exporter"].values, ds["route_commodity"].values,
                        ds["route_destination"].values, strict=True))
        cross = [i for i, (o, _, dst) in enumerate(keys) if o != dst]
        groups: dict[tuple[str, str, str], list[int]] = {}
        for i in cross:
            groups.setdefault(tuple(str(x) for x in keys[i]), []).append(i)  # type: ignore[arg-type]
        rows: list[dict[str, Any]] = []
        times = pd.DatetimeIndex(ds["time"].values)
        for (o, c, dst), idx in groups.items():
            if over_time:
                series = exp[:, idx].sum(axis=1)
                rows.extend({"exporter": o, "commodity": c, "destination": dst,
                             "time": times[t].date().isoformat(), "exports_t": float(series[t])}
                            for t in range(len(times)))
            else:
                rows.append({"exporter": o, "commodity": c, "destination": dst,
                             "exports_t": float(exp[:, idx].sum()),
                             "held_back_t": float(held[:, idx].sum())})
        frame = pd.DataFrame(rows)
        frame.attrs["units"] = {"exports_t": "t/step" if over_time else "t", "held_back_t": "t"}
        return frame

    def licences(self) -> pd.DataFrame:
        """Licence statistics per licensed route, means over draws.

        Columns: ``applied_t``, ``approved_t``, ``denied_t`` (horizon totals), ``approval_share``
        (approved / decided), ``queue_t_mean`` and ``in_review_t_mean`` (average t waiting and
        under review), ``mean_wait_weeks`` (Little's law: average t waiting or under review /
        average t applied per week), ``applications`` (applied t / typical shipment size).
        """
        ds = self._ds
        step = float(ds.attrs.get("step_weeks", 1.0))
        plan_ship = self._res.manifest.get("licence_shipment_t", {})
        rows = []
        for i, ident in enumerate(ds["licence_route"].values):
            applied = ds["mean_licence_applications"].values[:, i]
            ok = ds["mean_licence_approved"].values[:, i].sum()
            no = ds["mean_licence_denied"].values[:, i].sum()
            queue = ds["mean_licence_queue"].values[:, i].mean()
            review = ds["mean_licence_pipeline"].values[:, i].mean()
            rate = applied.mean() / step
            ship = float(plan_ship.get(str(ident), 1.0))
            rows.append({
                "route": str(ident), "exporter": str(ds["licence_exporter"].values[i]),
                "commodity": str(ds["licence_commodity"].values[i]),
                "destination": str(ds["licence_destination"].values[i]),
                "applied_t": float(applied.sum()), "applications": float(applied.sum()) / ship,
                "approved_t": float(ok), "denied_t": float(no),
                "approval_share": float(ok / (ok + no)) if ok + no > 0 else float("nan"),
                "queue_t_mean": float(queue), "in_review_t_mean": float(review),
                "mean_wait_weeks": float((queue + review) / rate) if rate > 0 else float("nan"),
            })
        frame = pd.DataFrame(rows)
        frame.attrs["units"] = {"applied_t": "t", "approved_t": "t", "denied_t": "t",
                                "queue_t_mean": "t", "in_review_t_mean": "t",
                                "mean_wait_weeks": "week", "applications": "1"}
        return frame

    def stocks(self) -> pd.DataFrame:
        """Mean stocks per region x commodity at the start and the end of the horizon (t)."""
        ds = self._ds
        s = ds["mean_sector_stock"].values
        rows = [{"region": str(ds["rc_region"].values[i]),
                 "commodity": str(ds["rc_commodity"].values[i]),
                 "holder": "sectors", "start_t": float(s[0, i]), "end_t": float(s[-1, i]),
                 "min_t": float(s[:, i].min())} for i in range(s.shape[1])]
        p = ds["mean_producer_stock"].values
        for i, ident in enumerate(ds["pc"].values):
            region, commodity = str(ident).split("/", 1)
            rows.append({"region": region, "commodity": commodity, "holder": "producers",
                         "start_t": float(p[0, i]), "end_t": float(p[-1, i]),
                         "min_t": float(p[:, i].min())})
        frame = pd.DataFrame(rows)
        frame.attrs["units"] = {"start_t": "t", "end_t": "t", "min_t": "t"}
        return frame

    def summary(self) -> dict[str, Any]:
        """The run in numbers: draws, weeks, share of draws with a stoppage, lost output (USD,
        mean and quantiles over draws of each draw's total) and the largest conservation residual
        (t). What ``spigot run`` prints first and the ``summary`` key of its JSON."""
        ds = self._ds
        total_usd = ds["lost_output_usd"].values.sum(axis=1)
        any_stop = (~np.isnan(ds["first_stop_week"].values)).any(axis=1)
        resid = np.abs(ds["conservation_residual"].values)
        return {
            "draws": self._res.draws,
            "weeks": self._res.manifest.get("weeks"),
            "share_draws_with_stoppage": float(any_stop.mean()),
            **_stats(total_usd, "lost_output_usd"),
            "max_abs_conservation_residual_t": float(resid.max()) if resid.size else 0.0,
        }

    def prices(self, moved_above: float = 0.01) -> pd.DataFrame:
        """Per commodity whose mean price moved by more than ``moved_above`` in |log| in a zone:
        P50 relative to base at the end in each zone, the peak of the mean relative price, and the
        median ex-China / China spread at the end; largest moves first. Empty without a market
        phase."""
        ds = self._ds
        if "price" not in ds:
            return pd.DataFrame()
        base = ds["base_price"].values  # (Z, C)
        p50 = ds["price"].sel(quantile=0.5).values / base[None]  # (T, Z, C)
        mean = ds["mean_price"].values / base[None]
        spread = ds["price_spread"].sel(quantile=0.5).values  # (T, C)
        rows = []
        for c, name in enumerate(ds["commodity"].values):
            moved = np.abs(np.log(mean[:, :, c])).max()
            if moved < moved_above:
                continue
            rows.append({"commodity": str(name), "china_p50_end": p50[-1, 0, c],
                         "ex_china_p50_end": p50[-1, 1, c], "china_mean_peak": mean[:, 0, c].max(),
                         "ex_china_mean_peak": mean[:, 1, c].max(),
                         "spread_p50_end": spread[-1, c], "moved": moved})
        frame = pd.DataFrame(rows)
        if frame.empty:
            return frame
        frame = frame.sort_values("moved", ascending=False).drop(columns="moved")
        frame.attrs["units"] = {c: "1 (relative to base)" for c in frame.columns if c != "commodity"}
        return frame.reset_index(drop=True)
