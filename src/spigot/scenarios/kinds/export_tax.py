"""``ExportTax``: a price wedge between the exporter's zone and the others, used by the market
phase (it does not move flows by itself)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from spigot.scenarios.dists import Param
from spigot.scenarios.kinds import _base as base

__all__ = ["KIND", "ExportTax"]


class ExportTax(base.Trade):
    """An export tax: a price wedge (used by the market phase; no effect on flows without it)."""

    type: Literal["ExportTax"]
    rate: Param = Field(description="Tax as a fraction of the price (0.25 = 25 %).")


KIND = base.PolicyKind(
    "ExportTax", ExportTax, "a price wedge for the market phase",
    measures=lambda ctx, p: base.all_routes(ctx, p, base.KIND_IDS["tax"]),
    references=base.trade_references, sample=base.parameter_sampler("rate", "tax"))
