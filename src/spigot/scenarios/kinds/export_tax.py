"""``ExportTax``: a price wedge between the exporter's zone and the others, used by the market
phase (it does not move flows by itself)."""

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

__all__ = ["KIND", "ExportTax"]


class ExportTax(Trade):
    """An export tax: a price wedge (used by the market phase; no effect on flows without it)."""

    type: Literal["ExportTax"]
    rate: Param = Field(description="Tax as a fraction of the price (0.25 = 25 %).")


def _sample(ctx: PlanContext, meas: Measure, m: int, e0: int, rng: np.random.Generator,
            size: int, out: SampleArrays) -> None:
    p: Any = meas.policy
    out.tax[:, m] = sample_param(p.rate, rng, size)


KIND = PolicyKind("ExportTax", ExportTax, "a price wedge for the market phase",
                  measures=lambda ctx, p: all_routes(ctx, p, KIND_IDS["tax"]),
                  references=trade_references, sample=_sample)
