"""The policy kinds, one module each; :data:`KINDS` is the registry everything else reads.

To add a kind: write a module with its pydantic model (``type: Literal["Name"]``) and a
:class:`~spigot.scenarios.kinds._base.PolicyKind` named ``KIND``, then list it here. The
scenario model's ``policies`` union, the loader's name checks and field suggestions, the JSON
Schema, the policy plan's measures and samplers, and the docs test all follow.
"""

from __future__ import annotations

import functools
import operator
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from spigot.scenarios.kinds import (
    export_ban,
    export_licence,
    export_quota,
    export_tax,
    import_tariff,
    stockpile_release,
    suspension,
)
from spigot.scenarios.kinds._base import (
    DAYS_PER_WEEK,
    END_USES,
    KIND_IDS,
    AllExcept,
    Destinations,
    EndUse,
    Measure,
    PlanContext,
    PolicyKind,
    SampleArrays,
    date_to_step,
)
from spigot.scenarios.kinds.export_ban import ExportBan
from spigot.scenarios.kinds.export_licence import (
    Approval,
    ExportLicence,
    FastTrack,
    ProcessingTime,
    ReviewCapacity,
)
from spigot.scenarios.kinds.export_quota import ExportQuota
from spigot.scenarios.kinds.export_tax import ExportTax
from spigot.scenarios.kinds.import_tariff import ImportTariff
from spigot.scenarios.kinds.stockpile_release import StockpileRelease
from spigot.scenarios.kinds.suspension import Suspension

__all__ = ["DAYS_PER_WEEK", "END_USES", "KINDS", "KIND_IDS", "AllExcept", "Approval",
           "Destinations", "EndUse", "ExportBan", "ExportLicence", "ExportQuota", "ExportTax",
           "FastTrack", "ImportTariff", "Measure", "PlanContext", "Policy", "PolicyKind", "ProcessingTime",
           "ReviewCapacity", "SampleArrays", "StockpileRelease", "Suspension", "by_name", "date_to_step"]

#: Every policy kind, in the order docs list them.
KINDS: tuple[PolicyKind, ...] = (export_licence.KIND, export_quota.KIND, export_ban.KIND,
                                  export_tax.KIND, suspension.KIND, stockpile_release.KIND,
                                  import_tariff.KIND)

if TYPE_CHECKING:
    Policy = Any
else:
    #: A scenario's policy: one of the registered kinds, told apart by ``type``.
    Policy = Annotated[functools.reduce(operator.or_, (k.model for k in KINDS)),
                       Field(discriminator="type")]


def by_name(name: str) -> PolicyKind | None:
    """The kind whose ``type`` is ``name`` (None if there is none)."""
    return next((k for k in KINDS if k.name == name), None)
