"""``ExportQuota``: an annual export cap over the covered routes, released evenly over the year;
unused allowance lapses at year end (the engine resets it on the first step of a new year)."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field

from spigot.scenarios.dists import Param, sample_param
from spigot.scenarios.kinds._base import (
    KIND_IDS,
    Measure,
    PlanContext,
    PolicyKind,
    SampleArrays,
    Trade,
    all_routes,
    trade_references,
)
from spigot.units import WEEKS_PER_YEAR

__all__ = ["KIND", "ExportQuota"]


class ExportQuota(Trade):
    """An annual export cap, released evenly over the year; unused allowance lapses at year end."""

    type: Literal["ExportQuota"]
    annual_t: Param = Field(description="Cap in t per year over all covered routes.")


def _sample(ctx: PlanContext, meas: Measure, m: int, e0: int, rng: np.random.Generator,
            size: int, out: SampleArrays) -> None:
    p: Any = meas.policy
    out.quota[:, m] = sample_param(p.annual_t, rng, size) * ctx.step_weeks / WEEKS_PER_YEAR


KIND = PolicyKind("ExportQuota", ExportQuota, "an annual cap in t, released evenly",
                  measures=lambda ctx, p: all_routes(ctx, p, KIND_IDS["quota"]),
                  references=trade_references, sample=_sample)
