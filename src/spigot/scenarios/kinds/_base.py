"""What every policy kind shares: the timed base model, destinations, and the hooks a kind
module fills in (:class:`PolicyKind`).

A kind module (one per policy ``type``) holds the kind's pydantic model, how it turns into
engine measures on a compiled network, how it samples its per-draw parameters, which names it
refers to (checked against the dataset), and, for kinds that add things to the world (a
strategic stockpile), how it changes the world before it is compiled. ``spigot.scenarios.kinds``
lists the kinds; the scenario model, the loader, the JSON Schema, the policy plan and the docs
test read that list.
"""


from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, model_validator

from spigot.scenarios.dists import Param, sample_param

if TYPE_CHECKING:
    from spigot.network import SupplyNetwork
    from spigot.network.compiled import CompiledNetwork

__all__ = ["DAYS_PER_WEEK", "END_USES", "KIND_IDS", "AllExcept", "Destinations", "Measure",
           "PlanContext", "PolicyKind", "SampleArrays", "date_to_step"]

FloatArray = npt.NDArray[np.float64]
Loc = tuple[int | str, ...]

#: End-use classes a licence distinguishes.
END_USES: tuple[str, ...] = ("civil", "dual-use", "military")
EndUse = Literal["civil", "dual-use", "military"]

#: Days per unit of a processing time: working days (5 a week), calendar days, weeks.
DAYS_PER_WEEK: dict[str, float] = {"working_days": 5.0, "days": 7.0, "weeks": 1.0}

#: The engine's measure kind ids, defined once: the kernels branch on these numbers.
KIND_IDS: dict[str, int] = {"licence": 0, "ban": 1, "quota": 2, "tax": 3, "release": 4,
                            "tariff": 5}


def date_to_step(date: dt.date | None, start: dt.date, step_weeks: float, default: int) -> int:
    """Index of the step that contains ``date`` (``default`` if ``date`` is None)."""
    if date is None:
        return default
    days = (date - start).days
    return int(days // (7 * step_weeks))


def lowest(value: Any) -> float:
    """The lowest value a number or distribution can take (``-inf`` for an unbounded normal)."""
    if isinstance(value, int | float):
        return float(value)
    low = {"fixed": lambda d: d.value, "uniform": lambda d: d.low,
           "triangular": lambda d: d.low, "lognormal": lambda d: 0.0,
           "beta": lambda d: 0.0}.get(getattr(value, "dist", ""), lambda d: float("-inf"))(value)
    floor = getattr(value, "min", None)
    return float(low if floor is None else max(low, floor))


class Model(BaseModel):
    """Base of scenario models: unknown fields are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class AllExcept(Model):
    """Every destination except the listed regions or groups."""

    all_except: list[str] = Field(min_length=1)


#: ``all``, a list of region ids or group names, or ``{all_except: [...]}``.
Destinations = Literal["all"] | list[str] | AllExcept


class Timed(Model):
    """A measure's id, dates and stochastic timing (every policy kind has them)."""

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
    dormant: bool = Field(False, description="Never in force by its own dates: only a "
                          "reaction that resumes it puts it in force (docs/scenarios.md, "
                          "Reactions).")

    @model_validator(mode="after")
    def _dates(self) -> Timed:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self


class Trade(Timed):
    """A measure on an exporter's shipments of some commodities to some destinations."""

    exporter: str = Field(description="Region id of the exporting country.")
    commodities: list[str] = Field(min_length=1, description="Commodity ids or groups covered.")
    destinations: Destinations = Field("all", description="all, a list, or {all_except: [...]}.")


def trade_references(p: Trade) -> Iterator[tuple[str, str, Loc]]:
    """The names a trade measure uses: ``(kind, name, field path)`` with kind region/commodity."""
    yield "region", p.exporter, ("exporter",)
    for j, c in enumerate(p.commodities):
        yield "commodity", c, ("commodities", j)
    if isinstance(p.destinations, list):
        for j, r in enumerate(p.destinations):
            yield "region", r, ("destinations", j)
    elif isinstance(p.destinations, AllExcept):
        for j, r in enumerate(p.destinations.all_except):
            yield "region", r, ("destinations", "all_except", j)


@dataclass
class Measure:
    """One engine measure: a policy (or a licence's fast track) and the routes it covers.

    ``routes``/``shares``/``weights``/``ship_t``/``lots`` have one entry per covered route
    (``shares``: the share of the route's flow the measure governs; ``weights``: end-use
    weights; ``ship_t``: t per licence application; ``lots``: the office decides the route's
    queue as whole applications, ``ExportLicence.granularity``). ``kernel_steps``: length of
    the licence delay kernel it needs; ``lead_steps``: a licence's stated mean processing time
    (its distribution at scale 1), what its importers plan and pace their orders for.
    """

    id: str
    kind: int
    policy: Any
    routes: list[int]
    shares: list[float]
    weights: list[FloatArray] = field(default_factory=list)
    parent: int = -1  # fast tracks: index of the parent licence
    fast: Any = None  # fast tracks: the FastTrack
    ship_t: list[float] | None = None
    lots: list[bool] | None = None
    validity_steps: int = 0
    refile_steps: int = 0
    kernel_steps: int = 1
    lead_steps: float = 0.0  # licences: the stated mean processing time, steps


@dataclass
class SampleArrays:
    """The per-draw arrays a kind's sampler fills (``D`` draws, ``M`` measures, ``E`` pairs)."""

    approve: FloatArray  # (D, E)
    refile: FloatArray  # (D, E)
    kernel: FloatArray  # (D, M, L)
    capacity: FloatArray  # (D, M)
    quota: FloatArray  # (D, M)
    tax: FloatArray  # (D, M)


class PlanContext(Protocol):
    """What a kind sees of the policy plan while it builds and samples its measures."""

    net: CompiledNetwork
    step_weeks: float
    kernel_steps: int  # L: length of every measure's delay kernel in the sampled arrays

    def covered(self, p: Trade, destinations: object = None) -> list[int]:
        """Routes from the exporter to the destinations carrying the covered commodities."""

    def end_use_weights(self, route: int) -> FloatArray:
        """Civil, dual-use and military shares of the route's destination use."""

    def region_in(self, region: str, name: str) -> bool:
        """Whether ``region`` is the region or group ``name``."""


Sampler = Callable[[PlanContext, Measure, int, int, np.random.Generator, int, SampleArrays],
                   None]


@dataclass(frozen=True)
class PolicyKind:
    """One policy kind: its model and its hooks (see the module docstring).

    Attributes
    ----------
    name
        The ``type`` in scenario files.
    model
        The pydantic model.
    summary
        One line for docs and ``spigot scenario``.
    measures
        ``(context, policy) -> [Measure]``; None for kinds that modify other measures
        (a suspension).
    sample
        ``(context, measure, m, e0, rng, size, arrays)``: fill row ``m`` (and pairs from
        ``e0``) of ``arrays`` for ``size`` draws from ``rng``; None when nothing is random.
    references
        ``policy -> (kind, name, field path)`` of every region/commodity it names.
    adjust_world
        ``(policy, world) -> world``: what the kind adds to the world before it is compiled.
    """

    name: str
    model: type[Timed]
    summary: str
    measures: Callable[[PlanContext, Any], list[Measure]] | None
    references: Callable[[Any], Iterator[tuple[str, str, Loc]]]
    sample: Sampler | None = None
    adjust_world: Callable[[Any, SupplyNetwork], SupplyNetwork] | None = None


def no_references(p: Any) -> Iterator[tuple[str, str, Loc]]:
    """For kinds that name no region or commodity."""
    return iter(())


def all_routes(ctx: PlanContext, p: Trade, kind: int) -> list[Measure]:
    """One measure governing the whole flow of every covered route (ban, quota, tax)."""
    routes = ctx.covered(p)
    return [Measure(p.id, kind, p, routes, [1.0] * len(routes))]


def parameter_sampler(attr: str, array: str,
                      transform: Callable[[PlanContext, FloatArray], FloatArray] | None = None
                      ) -> Sampler:
    """A sampler that draws the policy's parameter ``attr`` (a number or a distribution) once
    per draw into row ``m`` of ``arrays.<array>``, through ``transform(context, values)``."""
    def sample(ctx: PlanContext, meas: Measure, m: int, e0: int, rng: np.random.Generator,
               size: int, out: SampleArrays) -> None:
        values = sample_param(getattr(meas.policy, attr), rng, size)
        getattr(out, array)[:, m] = values if transform is None else transform(ctx, values)
    return sample
