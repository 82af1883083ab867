"""Scenario files as pydantic models: horizon, draws, seed and a dated list of policies.

A scenario is plain YAML (see ``docs/scenarios.md`` and ``spigot scenario schema`` for the JSON
Schema an editor can use). Every policy has a ``type`` (``ExportLicence``, ``ExportQuota``,
``ExportBan``, ``ExportTax``, ``Suspension``), an ``id``, dates, and optional stochastic timing: a
``probability`` that it happens at all in a draw, a ``hazard_per_year`` that delays its start by an
exponential waiting time, and a ``duration_weeks`` (a number or a distribution) that ends it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from spigot.scenarios.dists import Dist, LogNormal, Param

__all__ = [
    "END_USES",
    "MAX_SEED",
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
    "ReviewCapacity",
    "Scenario",
    "Suspension",
]

#: End-use classes a licence distinguishes.
END_USES: tuple[str, ...] = ("civil", "dual-use", "military")
EndUse = Literal["civil", "dual-use", "military"]

#: Largest seed: the run store keeps seeds as signed 64-bit integers.
MAX_SEED = 2**63 - 1

#: Days per unit of a processing time: working days (5 a week), calendar days, weeks.
DAYS_PER_WEEK: dict[str, float] = {"working_days": 5.0, "days": 7.0, "weeks": 1.0}


def _lowest(value: Any) -> float:
    """The lowest value a number or distribution can take (``-inf`` for an unbounded normal)."""
    if isinstance(value, int | float):
        return float(value)
    low = {"fixed": lambda d: d.value, "uniform": lambda d: d.low,
           "triangular": lambda d: d.low, "lognormal": lambda d: 0.0,
           "beta": lambda d: 0.0}.get(getattr(value, "dist", ""), lambda d: float("-inf"))(value)
    floor = getattr(value, "min", None)
    return float(low if floor is None else max(low, floor))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AllExcept(_Model):
    """Every destination except the listed regions or groups."""

    all_except: list[str] = Field(min_length=1)


#: ``all``, a list of region ids or group names, or ``{all_except: [...]}``.
Destinations = Literal["all"] | list[str] | AllExcept


class _Timed(_Model):
    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$",
                    description="Stable id of the measure (letters, digits, _ . -).")
    start: dt.date | None = Field(None, description="Date it takes effect (default: scenario start).")
    end: dt.date | None = Field(None, description="Date it ends (default: open-ended).")
    probability: float = Field(1.0, ge=0, le=1,
                               description="Chance that the measure happens at all in a draw.")
    hazard_per_year: float | None = Field(
        None, gt=0, description="If given, the start is delayed by an exponential waiting time "
        "with this rate per year (a measure that may come at any time).")
    duration_weeks: Param | None = Field(
        None, description="Duration in weeks (number or distribution); overrides 'end'.")

    @model_validator(mode="after")
    def _dates(self) -> _Timed:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self


class _Trade(_Timed):
    exporter: str = Field(description="Region id of the exporting country.")
    commodities: list[str] = Field(min_length=1, description="Commodity ids or groups covered.")
    destinations: Destinations = Field("all", description="all, a list, or {all_except: [...]}.")


class ProcessingTime(_Model):
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
            low = _lowest(value)
            if low < 0:
                raise ValueError(f"processing time can be negative: {name} reaches {low:g} "
                                 "(a decision cannot come before the application); use values "
                                 ">= 0, or set 'min: 0' on the distribution")
        return self


class Approval(_Model):
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


class ReviewCapacity(_Model):
    """How many applications the licensing authority decides per week (queues build beyond)."""

    applications_per_week: Param = Field(description="Applications reviewed per week.")
    shipment_t: float | dict[str, float] = Field(
        1.0, description="Typical tonnes per application (one value, or per commodity id).")


class FastTrack(_Model):
    """Fast-track or general licences for named destinations from a date."""

    destinations: list[str] = Field(min_length=1)
    start: dt.date
    processing_time: ProcessingTime = ProcessingTime(distribution=0.0, scale=1.0)
    approval: Param = 1.0


class ExportLicence(_Trade):
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
        None, gt=0, description="Weeks after which a denied application is filed again (its "
        "tonnes wait with the exporter, counted as in licensing); null (default): never, "
        "denied means lost. Only what was denied at non-zero odds is re-filed: military end "
        "use under deny_military, or a class whose odds are 0, stays denied.")
    announced: dt.date | None = Field(
        None, description="Date the regime was announced (default: no warning). From it, "
        "importers plan for the licence lead time: they order ahead (front-load) to hold "
        "the base flow over the mean licence delay before the regime starts, as fast as "
        "their order rule allows (at most twice the base flow a step).")

    @model_validator(mode="after")
    def _announced_before_start(self) -> ExportLicence:
        if self.announced and self.start and self.announced > self.start:
            raise ValueError(f"announced ({self.announced}) is after start ({self.start}): a "
                             "regime is announced on or before the day it takes effect")
        return self


class ExportQuota(_Trade):
    """An annual export cap, released evenly over the year; unused allowance lapses at year end."""

    type: Literal["ExportQuota"]
    annual_t: Param = Field(description="Cap in t per year over all covered routes.")


class ExportBan(_Trade):
    """No exports of the commodities to the destinations while in force."""

    type: Literal["ExportBan"]


class ExportTax(_Trade):
    """An export tax: a price wedge (used by the market phase; no effect on flows without it)."""

    type: Literal["ExportTax"]
    rate: Param = Field(description="Tax as a fraction of the price (0.25 = 25 %).")


class Suspension(_Timed):
    """Pause another measure between two dates."""

    type: Literal["Suspension"]
    measure: str = Field(description="Id of the measure suspended.")


Policy = Annotated[ExportLicence | ExportQuota | ExportBan | ExportTax | Suspension,
                   Field(discriminator="type")]


class Growth(_Model):
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


class MarketOptions(_Model):
    """Settings of the market and behaviour phase (prices, responses; ``docs/model.md``)."""

    parameters: str | None = Field(
        None, description="A parameter table in the format of spigot's bundled "
        "src/spigot/market/parameters.csv (default: the bundled table).")
    overrides: dict[str, float] = Field(
        default_factory=dict, description="'parameter' or 'parameter:key' -> value, replacing "
        "table values, e.g. {price_adjust_speed: 0.3, 'substitution_cap:wind:ndfeb_magnet': 0.5}.")


class Scenario(_Model):
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
