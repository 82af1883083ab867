"""``ExportLicence``: per-shipment export licences with a review queue, a processing time,
approval odds by destination and end use, fast tracks, re-filing and announcements.

Engine measures: the licence itself and one measure per fast track (a fast track governs the
subset of the licence's routes to its destinations from its own date, with its own processing
time and odds). Sampling order per measure: delay kernel, approval odds, review capacity.
"""

# ruff: noqa: N806 - sizes are named as in the docs
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from spigot.scenarios.dists import Dist, LogNormal, Normal, Param, param_cdf, sample_param
from spigot.scenarios.kinds._base import (
    DAYS_PER_WEEK,
    END_USES,
    KIND_IDS,
    EndUse,
    FloatArray,
    Loc,
    Measure,
    Model,
    PlanContext,
    PolicyKind,
    SampleArrays,
    Trade,
    lowest,
    trade_references,
)

__all__ = ["KIND", "Approval", "ExportLicence", "FastTrack", "ProcessingTime", "ReviewCapacity",
           "fast_track_measure", "kernel_length", "processing_kernel"]

#: Longest licence delay kernel, in steps.
MAX_KERNEL_STEPS = 520


class ProcessingTime(Model):
    """Time from a licence application's review to its decision.

    ``distribution`` is the spread over shipments (a delay kernel: many shipments a week, each with
    its own processing time); ``scale`` multiplies it per draw (regime uncertainty).
    """

    distribution: Dist | float = Field(description="Processing time in 'unit' (number or dist).")
    unit: Literal["working_days", "days", "weeks"] = "working_days"
    scale: Param = Field(1.0, description="Per-draw multiplier (number or distribution).")

    @model_validator(mode="after")
    def _not_negative(self) -> ProcessingTime:
        for name, value in (("distribution", self.distribution), ("scale", self.scale)):
            low = lowest(value)
            if low < 0:
                raise ValueError(f"processing time can be negative: {name} reaches {low:g} "
                                 "(a decision cannot come before the application); use values "
                                 ">= 0, or set 'min: 0' on the distribution")
        return self


class Approval(Model):
    """Approval probability by destination and end-use class (a share of the flow in a draw)."""

    default: Param = Field(1.0, description="Probability for destinations not listed.")
    by_destination: dict[str, Param] = Field(default_factory=dict,
                                             description="Region id or group -> probability.")
    by_end_use: dict[EndUse, Param] = Field(
        default_factory=dict, description="End-use class -> multiplier of the destination's odds.")

    @model_validator(mode="after")
    def _probabilities(self) -> Approval:
        values = [self.default, *self.by_destination.values(), *self.by_end_use.values()]
        for v in values:
            if isinstance(v, int | float) and not 0.0 <= v <= 1.0:
                raise ValueError(f"approval probabilities must be between 0 and 1; got {v}")
        return self


class ReviewCapacity(Model):
    """How many applications the licensing authority decides per week (queues build beyond)."""

    applications_per_week: Param = Field(description="Applications reviewed per week.")
    shipment_t: float | dict[str, float] = Field(
        1.0, description="Typical tonnes per application (one value, or per commodity id).")


class FastTrack(Model):
    """Fast-track or general licences for named destinations from a date."""

    destinations: list[str] = Field(min_length=1)
    start: dt.date
    processing_time: ProcessingTime = ProcessingTime(distribution=0.0, scale=1.0)
    approval: Param = 1.0


class ExportLicence(Trade):
    """Per-shipment export licences: a review queue, a processing time, and approval odds."""

    type: Literal["ExportLicence"]
    end_uses: list[EndUse] = Field(default_factory=lambda: ["civil", "dual-use", "military"],  # type: ignore[arg-type]
                                   description="End-use classes that need a licence.")
    processing_time: ProcessingTime = ProcessingTime(
        distribution=LogNormal(dist="lognormal", median=45, sigma=0.35, min=5, max=90),
        scale=1.0)
    approval: Approval = Approval(default=1.0)
    deny_military: bool = Field(True, description="Military end use is always denied.")
    review_capacity: ReviewCapacity | None = Field(None, description="None: unlimited.")
    validity_weeks: float = Field(0.0, ge=0, description="Weeks an approved licence covers "
                                  "further shipments on the route (0: one licence per shipment).")
    fast_track: list[FastTrack] = Field(default_factory=list)
    refile_weeks: float | None = Field(
        4.0, gt=0, description="Weeks after which a denied application is filed again "
        "(paper: it waits counted as in licensing; default 4, a stated prior: about a month "
        "to prepare a new contract and end-user documents); null: never, denied means lost. "
        "Only what was denied at non-zero odds is re-filed: military end use under "
        "deny_military, or a class whose odds are 0, stays denied.")
    announced: dt.date | None = Field(
        None, description="Date the regime was announced (default: no warning). From it, "
        "importers plan for the licence lead time: they order ahead (front-load) to hold "
        "the base flow over the mean licence delay before the regime starts, as fast as "
        "their order rule allows (at most twice the base flow a step).")
    granularity: Literal["fluid", "applications", "auto"] = Field(
        "fluid", description="How the review office decides a covered route's queue: 'fluid' "
        "(default) decides tonnes, a share of the queue, and approves the approval share of "
        "them, spread over the processing-time distribution; 'applications' decides whole "
        "applications of shipment_t tonnes, each approved or denied (a binomial count) with "
        "its own processing time (a multinomial spread); 'auto': 'applications' on routes "
        "whose covered base flow is fewer than granularity_threshold applications a week, "
        "'fluid' on the others (docs/model.md, 'Queue discipline and lumpiness').")
    granularity_threshold: float = Field(
        20.0, gt=0, description="Applications a week below which 'auto' decides a route's "
        "queue as whole applications (default 20: where the fluid's share of draws that stop "
        "comes within about 5 points of a discrete office; docs/model.md).")

    @model_validator(mode="after")
    def _announced_before_start(self) -> ExportLicence:
        if self.announced and self.start and self.announced > self.start:
            raise ValueError(f"announced ({self.announced}) is after start ({self.start}): a "
                             "regime is announced on or before the day it takes effect")
        return self


# ---------------------------------------------------------------------- measures
def _measures(ctx: PlanContext, p: ExportLicence) -> list[Measure]:
    """The licence on the routes whose destination uses a licensed end-use class, then one
    measure per fast track on the subset of those routes to its destinations."""
    kind = KIND_IDS["licence"]
    covered = [END_USES.index(e) for e in p.end_uses]
    ks, shares, weights = [], [], []
    for k in ctx.covered(p):
        w = ctx.end_use_weights(k)
        share = float(w[covered].sum())
        if share > 0:
            ks.append(k)
            shares.append(share)
            weights.append(w)
    ship = [_shipment_t(ctx, p, k) for k in ks]
    lots = [_whole_applications(ctx, p, k, share, size)
            for k, share, size in zip(ks, shares, ship, strict=True)]
    refile = max(1, round(p.refile_weeks / ctx.step_weeks)) if p.refile_weeks is not None else 0
    out = [Measure(p.id, kind, p, ks, shares, weights, ship_t=ship, lots=lots,
                   validity_steps=round(p.validity_weeks / ctx.step_weeks),
                   refile_steps=refile, kernel_steps=kernel_length(ctx, p.processing_time),
                   lead_steps=announced_lead(ctx, p.processing_time))]
    for i, ft in enumerate(p.fast_track):
        out.append(fast_track_measure(ctx, out[0], ft, f"{p.id}.fast_track[{i}]"))
    return out


def fast_track_measure(ctx: PlanContext, licence: Measure, ft: Any, ident: str) -> Measure:
    """The measure of a fast track ``ft`` (a :class:`FastTrack`, or a reaction's grant: it has
    ``destinations``, ``processing_time`` and ``approval``) on the routes of ``licence`` (the
    licence's own measure) to its destinations. ``parent`` is 0: the plan offsets it."""
    p = licence.policy
    ft_routes = set(ctx.covered(p, ft.destinations))
    sel = [j for j, k in enumerate(licence.routes) if k in ft_routes]
    ship = licence.ship_t or [1.0] * len(licence.routes)
    lots = licence.lots or [False] * len(licence.routes)
    return Measure(ident, licence.kind, p, [licence.routes[j] for j in sel],
                   [licence.shares[j] for j in sel], [licence.weights[j] for j in sel],
                   parent=0, fast=ft, ship_t=[ship[j] for j in sel], lots=[lots[j] for j in sel],
                   refile_steps=licence.refile_steps,
                   kernel_steps=kernel_length(ctx, ft.processing_time),
                   lead_steps=announced_lead(ctx, ft.processing_time))


def _shipment_t(ctx: PlanContext, p: ExportLicence, route: int) -> float:
    cap = p.review_capacity
    size = 1.0 if cap is None else cap.shipment_t
    if isinstance(size, dict):
        size = size.get(ctx.net.commodities[int(ctx.net.route_commodity[route])], 1.0)
    return float(size)


def _whole_applications(ctx: PlanContext, p: ExportLicence, route: int, share: float,
                        shipment_t: float) -> bool:
    """Whether the office decides ``route``'s queue as whole applications (``granularity``):
    always for ``applications``, never for ``fluid``; for ``auto`` when the route's covered
    base flow (t/week) is fewer than ``granularity_threshold`` applications of ``shipment_t``
    a week."""
    if p.granularity != "auto":
        return p.granularity == "applications"
    per_week = float(ctx.net.route_base_flow[route]) * share / ctx.step_weeks / shipment_t
    return per_week < p.granularity_threshold


def kernel_length(ctx: PlanContext, pt: ProcessingTime, scale: float | None = None) -> int:
    """Steps of the delay kernel a processing time needs (its largest value, capped), at its
    largest ``scale`` (or at ``scale`` where given)."""
    hi = upper(pt.distribution) * (upper(pt.scale) if scale is None else scale)
    steps = hi / DAYS_PER_WEEK[pt.unit] / ctx.step_weeks
    return int(min(MAX_KERNEL_STEPS, math.ceil(steps - 1e-9) + 1))


def announced_lead(ctx: PlanContext, pt: ProcessingTime) -> float:
    """Mean delay of processing time ``pt`` at scale 1 (its stated distribution, without the
    per-draw ``scale``), steps: what importers plan and pace their licensed orders for
    (``BlockParams.lead``; docs/model.md, "The licensed importer's order"): the drawn scale is
    how the office turns out to work, which no importer knows when it orders, so a slower
    office never makes it file more slowly. Computed once per measure, with no random draw, on the
    step grid of the engines' delay kernels (a decision ``l`` steps after filing counts ``l``).

    Returns
    -------
    float
        The mean delay, steps (0 for a processing time of under half a step).
    """
    L = kernel_length(ctx, pt, scale=1.0)
    kernel = delay_kernel(ctx, pt, np.ones(1), L)[0]
    return float((kernel * np.arange(L, dtype=float)).sum())


def upper(param: Param) -> float:
    """A value the parameter (or distribution) does not exceed, for sizing kernels."""
    if isinstance(param, int | float):
        return float(param)
    if param.max is not None:
        return float(param.max)
    for attr in ("value", "high"):
        if hasattr(param, attr):
            return float(getattr(param, attr))
    if isinstance(param, LogNormal):
        return float(param.median * math.exp(6.0 * param.sigma))
    if isinstance(param, Normal):
        return float(param.mean + 6.0 * param.sd)
    return 1.0


# ---------------------------------------------------------------------- sampling
def _sample(ctx: PlanContext, meas: Measure, m: int, e0: int, rng: np.random.Generator,
            size: int, out: SampleArrays) -> None:
    p = meas.policy
    assert isinstance(p, ExportLicence)
    n_e = len(meas.routes)
    out.kernel[:, m, :] = _kernel(ctx, meas, rng, size)
    out.approve[:, e0:e0 + n_e], out.refile[:, e0:e0 + n_e] = _approval(ctx, meas, rng, size)
    if p.review_capacity is not None and meas.fast is None:
        out.capacity[:, m] = sample_param(p.review_capacity.applications_per_week, rng, size) \
            * ctx.step_weeks


def _kernel(ctx: PlanContext, meas: Measure, rng: np.random.Generator,
            size: int) -> FloatArray:
    """Per draw, the share of a step's applications decided ``l`` steps later (D, L)."""
    pt = meas.fast.processing_time if meas.fast is not None else meas.policy.processing_time
    return processing_kernel(ctx, pt, rng, size)


def processing_kernel(ctx: PlanContext, pt: ProcessingTime, rng: np.random.Generator,
                      size: int) -> FloatArray:
    """Per draw, the delay kernel of processing time ``pt``: the share of a step's decided
    applications decided ``l`` steps later, (size, L), ``L = ctx.kernel_steps``; draws the
    per-draw scale from ``rng``."""
    scale = np.maximum(sample_param(pt.scale, rng, size), 1e-12)
    return delay_kernel(ctx, pt, scale, ctx.kernel_steps)


def delay_kernel(ctx: PlanContext, pt: ProcessingTime, scale: FloatArray,
                 steps: int) -> FloatArray:
    """The delay kernel of processing time ``pt`` at each of the scales ``scale`` (D,): the
    share of a step's applications decided ``l`` steps after filing, (D, steps), the last step
    taking the distribution's tail."""
    grid = np.arange(steps, dtype=float) * ctx.step_weeks * DAYS_PER_WEEK[pt.unit]
    x = grid[None, :] / scale[:, None]
    cdf = param_cdf(pt.distribution, x.ravel()).reshape(len(scale), steps)
    cdf[:, -1] = 1.0
    kernel = np.diff(cdf, axis=1, prepend=0.0)
    return np.asarray(np.maximum(kernel, 0.0), dtype=float)


def _approval(ctx: PlanContext, meas: Measure, rng: np.random.Generator, size: int
              ) -> tuple[FloatArray, FloatArray]:
    """Approval share of each covered route's flow and the share of its denied flow that is
    re-filed (the part denied at non-zero odds), per draw: two (size, routes) arrays."""
    p = meas.policy
    assert isinstance(p, ExportLicence)
    n_e = len(meas.routes)
    out = np.zeros((size, n_e))
    again = np.zeros((size, n_e))
    covered = [END_USES.index(e) for e in p.end_uses]
    mult = np.ones((size, len(END_USES)))
    if meas.fast is not None:
        base = {None: sample_param(meas.fast.approval, rng, size)}
    else:
        base = {None: sample_param(p.approval.default, rng, size)}
        for name, prm in p.approval.by_destination.items():
            base[name] = sample_param(prm, rng, size)  # type: ignore[index]
        for e_name, prm in p.approval.by_end_use.items():
            mult[:, END_USES.index(e_name)] = sample_param(prm, rng, size)
    if p.deny_military:
        mult[:, END_USES.index("military")] = 0.0
    for j, k in enumerate(meas.routes):
        region = ctx.net.regions[int(ctx.net.route_dest_region[k])]
        p_dest = base[None]
        if meas.fast is None:
            for name in p.approval.by_destination:
                if ctx.region_in(region, name):
                    p_dest = base[name]  # type: ignore[index]
                    break
        w = meas.weights[j]
        acc = np.zeros(size)
        denied = np.zeros(size)
        refiled = np.zeros(size)
        for e in covered:
            odds = np.clip(p_dest * mult[:, e], 0.0, 1.0)
            acc += w[e] * odds
            denied += w[e] * (1.0 - odds)
            refiled += np.where(odds > 0.0, w[e] * (1.0 - odds), 0.0)
        out[:, j] = acc / meas.shares[j]
        if p.refile_weeks is not None:
            again[:, j] = np.divide(refiled, denied, out=np.zeros(size), where=denied > 0)
    return np.clip(out, 0.0, 1.0), np.clip(again, 0.0, 1.0)


def _references(p: ExportLicence) -> Iterator[tuple[str, str, Loc]]:
    yield from trade_references(p)
    for r in p.approval.by_destination:
        yield "region", r, ("approval", "by_destination", r)
    for k, ft in enumerate(p.fast_track):
        for j, r in enumerate(ft.destinations):
            yield "region", r, ("fast_track", k, "destinations", j)
    cap = p.review_capacity
    if cap is not None and isinstance(cap.shipment_t, dict):
        for c in cap.shipment_t:
            yield "commodity", c, ("review_capacity", "shipment_t", c)


KIND = PolicyKind("ExportLicence", ExportLicence,
                  "per-shipment licences: review queue, processing time, approval odds",
                  measures=_measures, references=_references, sample=_sample)
