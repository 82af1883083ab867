"""``ExportQuota``: an annual export cap over the covered routes, released evenly over the year;
unused allowance lapses at year end (the engine resets it on the first step of a new year)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from spigot.scenarios.dists import Param
from spigot.scenarios.kinds._base import (
    KIND_IDS,
    PolicyKind,
    Trade,
    all_routes,
    parameter_sampler,
    trade_references,
)
from spigot.units import WEEKS_PER_YEAR

__all__ = ["KIND", "ExportQuota"]


class ExportQuota(Trade):
    """An annual export cap, released evenly over the year; unused allowance lapses at year end."""

    type: Literal["ExportQuota"]
    annual_t: Param = Field(description="Cap in t per year over all covered routes.")


KIND = PolicyKind("ExportQuota", ExportQuota, "an annual cap in t, released evenly",
                  measures=lambda ctx, p: all_routes(ctx, p, KIND_IDS["quota"]),
                  references=trade_references,
                  # t per year -> allowance per step
                  sample=parameter_sampler("annual_t", "quota", lambda ctx, t_per_year:
                                           t_per_year * ctx.step_weeks / WEEKS_PER_YEAR))
