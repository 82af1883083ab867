"""Scenario files as pydantic models: horizon, draws, seed and a dated list of policies.

A scenario is plain YAML (see ``docs/scenarios.md`` and ``spigot scenario schema`` for the JSON
Schema an editor can use). Every policy has a ``type`` (one of the kinds registered in
:mod:`spigot.scenarios.kinds`), an ``id``, dates, and optional stochastic timing: a
``probability`` that it happens at all in a draw, a ``hazard_per_year`` that delays its start by an
exponential waiting time, and a ``duration_weeks`` (a number or a distribution) that ends it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Literal

from pydantic import (
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from spigot.scenarios.kinds import (
    DAYS_PER_WEEK,
    END_USES,
    AllExcept,
    Approval,
    Destinations,
    EndUse,
    ExportBan,
    ExportLicence,
    ExportQuota,
    ExportTax,
    FastTrack,
    Policy,
    ProcessingTime,
    ReviewCapacity,
    Suspension,
)
from spigot.scenarios.kinds._base import Model
from spigot.scenarios.reactions import Reaction, reaction_problems

__all__ = [
    "DAYS_PER_WEEK",
    "END_USES",
    "MAX_SEED",
    "AllExcept",
    "Approval",
    "Destinations",
    "ExportBan",
    "ExportLicence",
    "ExportQuota",
    "ExportTax",
    "FastTrack",
    "Growth",
    "MarketOptions",
    "Policy",
    "ProcessingTime",
    "Reaction",
    "ReviewCapacity",
    "Scenario",
    "Suspension",
]

#: Largest seed: the run store keeps seeds as signed 64-bit integers.
MAX_SEED = 2**63 - 1

class Growth(Model):
    """What changes in the world with no measure in force (``docs/scenarios.md``, Growth).

    The bundled worlds are equilibria of the model's rules: without growth every flow, stock and
    price stays at its base level. Growth is an explicit input, never a side effect.
    """

    projects: Literal["none", "scheduled"] = Field(
        "none", description="'scheduled': capacity projects (nodes with status planned or "
        "ramping and a start date) start on their announced date plus a sampled delay and ramp "
        "up, as history or their owners schedule them (used by the replays); 'none': every node "
        "keeps its base-year output (used by the built-in scenarios, so that a measure's effect "
        "is not mixed with supply growth that no demand growth absorbs).")


class MarketOptions(Model):
    """Settings of the market and behaviour phase (prices, responses; ``docs/model.md``)."""

    parameters: str | None = Field(
        None, description="A parameter table in the format of spigot's bundled "
        "src/spigot/market/parameters.csv (default: the bundled table).")
    overrides: dict[str, float] = Field(
        default_factory=dict, description="'parameter' or 'parameter:key' -> value, replacing "
        "table values, e.g. {price_adjust_speed: 0.3, 'substitution_cap:wind:ndfeb_magnet': 0.5}.")


class Scenario(Model):
    """A scenario: the world, the horizon, the Monte Carlo settings and the policies.

    Examples
    --------
    >>> import spigot as sp
    >>> scen = sp.scenarios.load("licence-squeeze")
    >>> scen.with_options(draws=100).draws
    100
    """

    name: str = "scenario"
    description: str = ""
    dataset: str = Field("base", description="Bundled dataset name or a dataset folder.")
    start: dt.date = Field(dt.date(2025, 1, 6), description="First simulated week (a Monday).")
    horizon_weeks: int = Field(104, ge=1, le=5200, description="Simulated weeks.")
    step_weeks: float = Field(1.0, gt=0, le=13, description="Length of a time step in weeks.")
    draws: int = Field(1000, ge=1, le=10_000_000, description="Monte Carlo draws.")
    seed: int = Field(0, ge=0, le=MAX_SEED, description="Seed of the random streams "
                      "(0 to 2**63 - 1: the store keeps it as a 64-bit integer).")
    stop_below: float = Field(0.9, gt=0, le=1, description="A sector counts as stopped in a "
                              "step when it makes less than this share of its planned output.")
    end_use: dict[str, EndUse] = Field(
        default_factory=lambda: {"defence": "military", "military": "military"},  # type: ignore[arg-type]
        description="Sector name -> end-use class; sectors not listed are civil.")
    keep_trajectories: int = Field(10, ge=0, le=10_000,
                                   description="Draws whose full trajectories are kept.")
    policies: list[Policy] = Field(default_factory=list)
    reactions: list[Reaction] = Field(
        default_factory=list, description="Conditional changes to the policies: a trigger, a "
        "lag and an action on one measure, evaluated by the engine each step on every draw "
        "(docs/scenarios.md, Reactions).")
    markets: bool = Field(True, description="Run the market phase: zone prices, demand and "
                          "supply responses, recycling, stockpile and safety-stock rules "
                          "(false: flows only, as before issue 4).")
    market: MarketOptions = Field(MarketOptions(parameters=None),
                                  description="Market parameters (used when 'markets' is true).")
    growth: Growth = Field(Growth(projects="none"),
                           description="Supply growth (scheduled projects) in the world; none "
                           "by default: the world stays at its base balance.")
    #: The YAML source the scenario came from (for line numbers in later error messages).
    _source: Any = PrivateAttr(None)

    @field_validator("policies")
    @classmethod
    def _unique_ids(cls, policies: list[Any]) -> list[Any]:
        seen: set[str] = set()
        for p in policies:
            if p.id in seen:
                raise ValueError(f"policy id {p.id!r} is used twice")
            seen.add(p.id)
        ids = {p.id for p in policies}
        for p in policies:
            if isinstance(p, Suspension) and p.measure not in ids - {p.id}:
                raise ValueError(f"suspension {p.id!r} names measure {p.measure!r}, which is not "
                                 "a policy of this scenario")
        return policies

    @model_validator(mode="after")
    def _reactions_refer_to_policies(self, info: ValidationInfo) -> Scenario:
        # the loader checks these itself, with line numbers (spigot.scenarios.loader)
        if info.context and info.context.get("reactions_checked_later"):
            return self
        problems = reaction_problems(self)
        if problems:
            msg, loc, value, expected = problems[0]
            where = ".".join(str(x) for x in loc)
            raise ValueError(f"{where}: {msg}: {value!r} (expected {expected})")
        return self

    @property
    def steps(self) -> int:
        """Number of time steps in the horizon."""
        return max(1, round(self.horizon_weeks / self.step_weeks))

    def with_options(self, **changes: Any) -> Scenario:
        """A copy with some top-level fields changed (validated)."""
        data = self.model_dump(mode="json")
        data.update({k: v for k, v in changes.items() if v is not None})
        try:
            return Scenario.model_validate(data)
        except ValidationError as exc:  # an option out of range (--draws, --weeks, --seed)
            from spigot.errors import Problem, ScenarioError
            from spigot.scenarios.loader import field_path

            raise ScenarioError([Problem(str(e.get("msg", "invalid value")),
                                         field=field_path(e.get("loc", ())) or None,
                                         value=e.get("input") if not isinstance(
                                             e.get("input"), dict | list) else None,
                                         hint="change the option or the scenario's field")
                                 for e in exc.errors()],
                                title="invalid option for this scenario:") from None

    def content_hash(self) -> str:
        """SHA-256 of the scenario's canonical JSON form."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    @classmethod
    def from_yaml(cls, path: str) -> Scenario:
        """Load and validate a scenario file (see :func:`spigot.scenarios.load_file`)."""
        from spigot.scenarios.loader import load_file

        return load_file(path)

    def to_yaml(self) -> str:
        """The scenario as YAML text that :meth:`from_yaml` reads back."""
        import yaml

        data = self.model_dump(mode="json", exclude_defaults=False)
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
