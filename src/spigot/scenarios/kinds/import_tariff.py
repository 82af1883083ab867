"""``ImportTariff``: an importer's tariff on an exporter's goods, a player's move that other
measures can react to (``reactions``, trigger ``policy_starts``/``policy_ends``).

The model's prices have two zones (China and the rest), so a bilateral tariff has no zone price
to move and no flow of its own to cut: the measure moves nothing by itself. It exists so that
tit-for-tat can be written down (an export control that answers a tariff step, a fast track
that answers its cut) and so that its dates, its ``probability``, ``hazard_per_year`` and
``duration_weeks`` make the other player's moves uncertain. ``rate`` is kept for reports.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from spigot.scenarios.dists import Param
from spigot.scenarios.kinds._base import KIND_IDS, Loc, Measure, PlanContext, PolicyKind, Timed

__all__ = ["KIND", "ImportTariff"]


class ImportTariff(Timed):
    """An importer's tariff on an exporter's goods (a move others react to; no price effect)."""

    type: Literal["ImportTariff"]
    importer: str = Field(description="Region id of the country that levies the tariff.")
    exporter: str = Field(description="Region id of the country whose goods it taxes.")
    rate: Param = Field(0.0, description="Additional tariff, share of the value (0.34 = 34 %); "
                        "for reports: the measure moves no price or flow by itself.")


def _measures(ctx: PlanContext, p: ImportTariff) -> list[Measure]:
    return [Measure(p.id, KIND_IDS["tariff"], p, [], [])]


def _references(p: ImportTariff) -> Iterator[tuple[str, str, Loc]]:
    yield "region", p.importer, ("importer",)
    yield "region", p.exporter, ("exporter",)


KIND = PolicyKind("ImportTariff", ImportTariff,
                  "an importer's tariff: a move other measures react to (no price effect)",
                  measures=_measures, references=_references)
