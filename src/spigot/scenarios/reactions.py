"""Reactions: conditional changes to a scenario's measures, evaluated by the engine each step.

A reaction says *when* (a trigger), *how long after* (``lag_weeks``) and *what* happens to one
measure of the scenario (its ``measure``)::

    reactions:
      - id: geneva_fast_track
        measure: cn_heavy_re_licence
        when: {policy_starts: us_tariff_truce}
        lag_weeks: 2
        do: {fast_track: {destinations: [USA], approval: 0.9}}

Triggers (``when``, exactly one key) and actions (``do``) are listed once, in
:data:`TRIGGERS` and :data:`ACTIONS`: the engine ids, the JSON Schema, the loader's field
suggestions and ``docs/scenarios.md`` follow them. A trigger is checked at the start of every
step on every draw, on the state the previous step left (prices, stocks); it fires once, at
the first step it holds, and the action applies from ``lag_weeks`` later (rounded to steps).
``docs/design.md``, "Reactions", says how the engine evaluates them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from spigot.scenarios.dists import Param
from spigot.scenarios.kinds._base import Loc, Model
from spigot.scenarios.kinds.export_licence import ProcessingTime

if TYPE_CHECKING:
    from spigot.scenarios.models import Scenario

__all__ = ["ACTIONS", "TRIGGERS", "Action", "CoverCondition", "FastTrackGrant",
           "PriceCondition", "Reaction", "RevenueCondition", "StockpileCondition", "Trigger",
           "action_name", "reaction_problems", "reaction_references", "trigger_name"]

#: Trigger kinds: ``when`` key -> (engine id, one line for the docs).
TRIGGERS: dict[str, tuple[int, str]] = {
    "date": (0, "the step that contains this date has come"),
    "policy_starts": (1, "another measure of the scenario is in force (for the first time)"),
    "policy_ends": (2, "another measure, once in force, is no longer in force"),
    "probability_per_week": (3, "a chance per week (the firing week is drawn in the plan)"),
    "price_above": (4, "the relative price of a commodity in a zone is at least a multiple "
                    "of base (needs markets: true)"),
    "price_below": (5, "the relative price is at most a multiple of base (needs markets)"),
    "cover_below": (6, "a destination's stock of a commodity (pool and sector inventories) "
                    "is below some weeks of its base use"),
    "stockpile_below": (7, "a stockpile (dataset row or StockpileRelease id) holds less than "
                        "some tonnes"),
    "revenue_lost_above": (8, "an exporter's cross-border export revenue lost over the last "
                           "weeks (base flows at base prices minus exports at the draw's "
                           "prices) is at least some USD"),
}

#: Action kinds: ``do`` value or key -> (engine id, one line for the docs). A fast track
#: compiles to an extra licence measure that the reaction puts in force (``resume``).
ACTIONS: dict[str, tuple[int, str]] = {
    "suspend": (0, "the measure is not in force from then on (whatever its dates)"),
    "resume": (1, "the measure is in force from then on (whatever its dates; undoes suspend)"),
    "approval": (2, "a licence's approval share of its covered flow becomes this value"),
    "approval_scale": (3, "a licence's approval shares are multiplied by this (capped at 1)"),
    "processing_time": (4, "a licence's processing time becomes this (new applications)"),
    "fast_track": (1, "grant a fast track on the licence: its own processing time and odds "
                   "for some destinations, in force while the licence is"),
}


class PriceCondition(Model):
    """A zone price relative to its base price."""

    commodity: str = Field(description="Commodity id.")
    zone: Literal["china", "ex_china"] = Field("ex_china", description="Price zone.")
    multiple: float = Field(gt=0, description="Multiple of the base price (1.0 = base).")


class CoverCondition(Model):
    """A destination's stock of a commodity in weeks of its base use."""

    region: str = Field(description="Region id of the destination.")
    commodity: str = Field(description="Commodity id.")
    weeks: float = Field(gt=0, description="Weeks of base use (pool and sector inventories).")


class StockpileCondition(Model):
    """A stockpile's level."""

    stockpile: str = Field(description="Stockpile id: a dataset row or a StockpileRelease id.")
    tonnes: float = Field(ge=0, description="Tonnes, in the commodity's unit.")


class RevenueCondition(Model):
    """An exporter's export revenue lost over a trailing window, against its base trade.

    The revenue lost in a step is ``sum_k base_k x p0_k - x_k x p0_k x rel_k`` over the
    exporter's cross-border routes ``k`` (of ``commodities``, all if not given): base flow
    ``base_k`` and shipments ``x_k`` in t/step, ``p0_k`` the base price of the route's
    commodity in its destination's zone (USD/t), ``rel_k`` the draw's relative price there
    (1 without markets). :mod:`spigot.strategy.objective` prices exports the same way.
    """

    exporter: str = Field(description="Region id of the exporter.")
    usd: float = Field(gt=0, description="USD of revenue lost over the window.")
    weeks: float = Field(gt=0, description="Length of the trailing window, weeks (rounded "
                         "to whole steps, at least one).")
    commodities: list[str] | None = Field(None, min_length=1, description="Commodity ids "
                                          "whose revenue counts (default: all).")


class Trigger(Model):
    """When a reaction fires: exactly one of the keys (see :data:`TRIGGERS`)."""

    date: dt.date | None = Field(None, description=TRIGGERS["date"][1])
    policy_starts: str | None = Field(None, description=TRIGGERS["policy_starts"][1])
    policy_ends: str | None = Field(None, description=TRIGGERS["policy_ends"][1])
    probability_per_week: float | None = Field(None, gt=0, le=1,
                                               description=TRIGGERS["probability_per_week"][1])
    price_above: PriceCondition | None = Field(None, description=TRIGGERS["price_above"][1])
    price_below: PriceCondition | None = Field(None, description=TRIGGERS["price_below"][1])
    cover_below: CoverCondition | None = Field(None, description=TRIGGERS["cover_below"][1])
    stockpile_below: StockpileCondition | None = Field(
        None, description=TRIGGERS["stockpile_below"][1])
    revenue_lost_above: RevenueCondition | None = Field(
        None, description=TRIGGERS["revenue_lost_above"][1])

    @model_validator(mode="after")
    def _exactly_one(self) -> Trigger:
        given = [k for k in TRIGGERS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a trigger has exactly one of " + ", ".join(TRIGGERS)
                             + (f"; got {', '.join(given)}" if given else "; got none"))
        return self


class FastTrackGrant(Model):
    """A fast track a reaction grants on a licence (like the licence's ``fast_track`` items,
    without a date: it starts when the reaction applies)."""

    destinations: list[str] = Field(min_length=1, description="Region ids or groups.")
    processing_time: ProcessingTime = ProcessingTime(distribution=0.0, scale=1.0)
    approval: Param = 1.0


class Action(Model):
    """What a reaction does to its measure, as a mapping: exactly one key."""

    approval: Param | None = Field(None, description=ACTIONS["approval"][1])
    approval_scale: Param | None = Field(None, description=ACTIONS["approval_scale"][1])
    processing_time: ProcessingTime | None = Field(None,
                                                   description=ACTIONS["processing_time"][1])
    fast_track: FastTrackGrant | None = Field(None, description=ACTIONS["fast_track"][1])

    @model_validator(mode="after")
    def _exactly_one(self) -> Action:
        keys = ("approval", "approval_scale", "processing_time", "fast_track")
        given = [k for k in keys if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("an action mapping has exactly one of " + ", ".join(keys)
                             + (f"; got {', '.join(given)}" if given else "; got none"))
        if isinstance(self.approval, int | float) and not 0 <= self.approval <= 1:
            raise ValueError(f"approval must be between 0 and 1; got {self.approval}")
        if isinstance(self.approval_scale, int | float) and self.approval_scale < 0:
            raise ValueError(f"approval_scale must be >= 0; got {self.approval_scale}")
        return self


class Reaction(Model):
    """A trigger, a lag and an action on one measure of the scenario."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$",
                    description="Stable id of the reaction (letters, digits, _ . -).")
    measure: str = Field(description="Id of the policy the action applies to.")
    when: Trigger = Field(description="The trigger (exactly one key).")
    lag_weeks: float = Field(0.0, ge=0, description="Weeks from the trigger to the action "
                             "(rounded to whole steps).")
    do: Literal["suspend", "resume"] | Action = Field(
        description="suspend, resume, or one of {approval, approval_scale, processing_time, "
        "fast_track}.")


def trigger_name(t: Trigger) -> str:
    """The key of the trigger (``date``, ``price_above``, ...)."""
    return next(k for k in TRIGGERS if getattr(t, k) is not None)


def action_name(r: Reaction) -> str:
    """The name of the reaction's action (``suspend``, ``approval``, ``fast_track``, ...)."""
    if isinstance(r.do, str):
        return r.do
    return next(k for k in ("approval", "approval_scale", "processing_time", "fast_track")
                if getattr(r.do, k) is not None)


#: Actions that only a licence has (approval odds, processing times, fast tracks).
LICENCE_ACTIONS = ("approval", "approval_scale", "processing_time", "fast_track")


def reaction_problems(scenario: Scenario) -> list[tuple[str, Loc, Any, str]]:
    """What is wrong with the scenario's reactions that the models alone cannot see.

    Each problem is ``(message, field path, value, expected)``: a reaction id used twice (or
    by a policy), a target or trigger measure that is not a policy of the scenario, a licence
    action on a measure that is not an ``ExportLicence``, a reaction on a ``Suspension``.
    """
    kinds = {p.id: p.type for p in scenario.policies}
    ids = sorted(kinds)
    out: list[tuple[str, Loc, Any, str]] = []
    seen: set[str] = set(kinds)
    for i, r in enumerate(scenario.reactions):
        if r.id in seen:
            out.append(("reaction id is used twice (or by a policy)", ("reactions", i, "id"),
                        r.id, "an id no policy or other reaction uses"))
        seen.add(r.id)
        if r.measure not in kinds:
            out.append(("unknown target measure", ("reactions", i, "measure"), r.measure,
                        "the id of a policy of this scenario: " + ", ".join(ids)))
        elif kinds[r.measure] == "Suspension":
            out.append(("a reaction cannot act on a Suspension", ("reactions", i, "measure"),
                        r.measure, "the id of the measure itself (suspend/resume it directly)"))
        elif action_name(r) in LICENCE_ACTIONS and kinds[r.measure] != "ExportLicence":
            out.append((f"action {action_name(r)!r} needs an ExportLicence",
                        ("reactions", i, "do"), r.measure, "a measure of type ExportLicence"))
        for key in ("policy_starts", "policy_ends"):
            name = getattr(r.when, key)
            if name is not None and name not in kinds:
                out.append(("unknown measure in the trigger", ("reactions", i, "when", key),
                            name, "the id of a policy of this scenario: " + ", ".join(ids)))
    return out


def reaction_references(r: Reaction) -> Iterator[tuple[str, str, Loc]]:
    """The regions and commodities a reaction names: ``(kind, name, path under the reaction)``."""
    w = r.when
    for key in ("price_above", "price_below"):
        cond = getattr(w, key)
        if cond is not None:
            yield "commodity", cond.commodity, ("when", key, "commodity")
    if w.cover_below is not None:
        yield "region", w.cover_below.region, ("when", "cover_below", "region")
        yield "commodity", w.cover_below.commodity, ("when", "cover_below", "commodity")
    lost = w.revenue_lost_above
    if lost is not None:
        yield "region", lost.exporter, ("when", "revenue_lost_above", "exporter")
        for j, name in enumerate(lost.commodities or []):
            yield "commodity", name, ("when", "revenue_lost_above", "commodities", j)
    if isinstance(r.do, Action) and r.do.fast_track is not None:
        for j, name in enumerate(r.do.fast_track.destinations):
            yield "region", name, ("do", "fast_track", "destinations", j)
