"""Checks of a valid scenario that warn rather than refuse (docs/scenarios.md, "Checks beyond
the field types").

A policy that starts on or after the last simulated week never takes effect: that is allowed (a
scenario can be run with a shorter ``--weeks``) but almost always a mistake, so ``spigot
validate``, ``spigot run`` (in its log) and the dashboard's *Validate* say so.
"""

from __future__ import annotations

import datetime as dt

from spigot.errors import Problem
from spigot.scenarios.loader import field_path
from spigot.scenarios.models import Scenario

__all__ = ["scenario_warnings"]


def scenario_warnings(scenario: Scenario) -> list[Problem]:
    """Problems that do not stop a run: policies that start after the horizon ends.

    Returns
    -------
    list of Problem
        One per policy whose ``start`` is on or after ``start + horizon_weeks``.
    """
    source = getattr(scenario, "_source", None)
    file = getattr(source, "file", None)
    end = scenario.start + dt.timedelta(weeks=scenario.horizon_weeks)
    out: list[Problem] = []
    for i, policy in enumerate(scenario.policies):
        start = getattr(policy, "start", None)
        if start is not None and start >= end:
            loc = ("policies", i, "start")
            line = source.line(loc) if source is not None and hasattr(source, "line") else None
            out.append(Problem("policy starts after the horizon ends, so it never takes effect",
                               file=file, line=line, field=field_path(loc), value=str(start),
                               expected=f"a date before {end.isoformat()} (start + "
                                        f"{scenario.horizon_weeks} weeks)",
                               hint="lengthen horizon_weeks or move the start"))
    return out
