"""Measures beyond stocks: new capacity, recycling, substitution and diversified offtake
(docs/mitigation.md, "Capacity, recycling, substitution, offtake"; docs/design.md).

Each kind is a pydantic model of a menu (YAML, line-numbered errors as the stock measures), a
cost model (:func:`lever_cost`, priors in ``data/mitigations.csv``) and a rate of supply: the t
per week of a holder's cell ``region/commodity`` that one unit of the measure's amount makes
available, week by week (:func:`lever_rate`). The program (:mod:`spigot.mitigation.program`)
treats that rate as a weekly supply from the lead time on, as it treats a stockpile as a stock.
The full engine runs the measures through the world it is given
(:func:`spigot.mitigation.engine_levers.apply_levers`).

Amounts (what the program chooses, linear):

==========================  ==================================  =====================================
kind                        amount                              one unit makes available
==========================  ==================================  =====================================
``new_capacity`` (project)  1 = build it (binary)               its capacity x output yield / 52 t/wk
``new_capacity`` (plant)    t/yr of capacity (activity basis)   output yield / 52 t/week
``recycling``               t/yr of recovered commodity         1 / 52 t/week
``substitution``            share of the sector's intensity     the sector's base use, t/week
``diversified_offtake``     share of imports from China         the base imports from China, t/week
==========================  ==================================  =====================================

Capacity and recycling ramp linearly over ``ramp_weeks`` from the lead time (the engine's project
rule); a magnet plant's output counts for sectors only after the stage's qualification weeks.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pydantic
from pydantic import BaseModel, ConfigDict, Field

from spigot.errors import InputError, Problem, did_you_mean

if TYPE_CHECKING:
    from spigot.mitigation.program import Option
    from spigot.network import SupplyNetwork

__all__ = ["LEVER_KINDS", "DiversifiedOfftake", "LeverCost", "NewCapacity", "Recycling",
           "Substitution", "capital_recovery_factor", "lever_cost", "lever_names", "lever_option",
           "lever_rate", "plant_template"]

#: Weeks in a year (t/yr -> t/week).
WEEKS_PER_YEAR = 52.0
#: First week of a scenario that does not say (the scenarios' default start).
DEFAULT_START = dt.date(2025, 1, 6)
#: The zone of the exporter whose supply the measures diversify from.
EXPORTER_REGION = "CHN"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_ID = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$",
            description="Stable id of the measure (letters, digits, _ . -).")
_LEAD = Field(None, ge=0, le=1040, description="Weeks from the run's first week until the "
              "measure starts to act (default: the bundled prior; a project: its announced start).")
_RAMP = Field(None, ge=0, le=1040, description="Weeks from the start to full capacity (default: "
              "the bundled prior; a project: its own ramp).")


class NewCapacity(_Model):
    """A plant the holder pays for: a dataset project (``project``) built and started on time,
    or a generic plant of up to ``tonnes_per_year`` of capacity in ``region`` making
    ``commodity``."""

    kind: Literal["new_capacity"]
    id: str = _ID
    project: str | None = Field(None, description="Node id of a planned or ramping project of the "
                                "dataset (build or not: its whole capacity).")
    region: str | None = Field(None, description="Region of a generic plant, or the member region "
                               "a project delivers to (default: the project's region).")
    commodity: str | None = Field(None, description="Output of a generic plant (its recipe comes "
                                  "from the template).")
    tonnes_per_year: float | None = Field(None, gt=0, description="Largest capacity of a generic "
                                          "plant, t/yr of activity (the nodes table's basis).")
    template: str | None = Field(None, description="Node whose recipe, unit and feed routes a "
                                 "generic plant copies (default: the largest operating plant "
                                 "outside China making the commodity).")
    lead_time_weeks: float | None = _LEAD
    ramp_weeks: float | None = _RAMP
    capex_usd: float | None = Field(None, ge=0, description="Capital cost of a project, USD "
                                    "(default: capex per t/yr x capacity).")
    capex_usd_per_t_year: float | None = Field(None, ge=0, description="Capital cost per t/yr of "
                                               "capacity, USD/(t/yr) (default: bundled prior).")
    opex_premium_share: float | None = Field(None, ge=0, le=10, description="Cost of a t made "
                                             "above the base price, as a share of it.")

    @pydantic.model_validator(mode="after")
    def _project_or_plant(self) -> NewCapacity:
        generic = (self.commodity, self.tonnes_per_year)
        if self.project is None and (None in generic or self.region is None):
            raise ValueError("give either 'project' (a dataset project) or 'region', "
                             "'commodity' and 'tonnes_per_year' (a generic plant)")
        if self.project is not None and any(v is not None for v in (*generic, self.template)):
            raise ValueError("a project has its own commodity and capacity: drop 'commodity', "
                             "'tonnes_per_year' and 'template'")
        return self


class Recycling(_Model):
    """Added collection and processing capacity: up to ``tonnes_per_year`` t/yr of
    ``commodity`` recovered from scrap in ``region``."""

    kind: Literal["recycling"]
    id: str = _ID
    region: str = Field(description="Region id where the material is recovered and used.")
    commodity: str = Field(description="Commodity recovered, in its basis (t REO, metal, product).")
    tonnes_per_year: float = Field(gt=0, description="Largest recovery capacity, t/yr.")
    lead_time_weeks: float | None = _LEAD
    ramp_weeks: float | None = _RAMP
    capex_usd_per_t_year: float | None = Field(None, ge=0, description="Capital cost per t/yr of "
                                               "capacity, USD/(t/yr) (default: bundled prior).")
    opex_premium_share: float | None = Field(None, ge=0, le=10, description="Cost of a t "
                                             "recovered above the base price, as a share of it.")


class Substitution(_Model):
    """Substitution and thrifting: the sector ``region.sector`` needs up to ``share`` less of
    ``commodity`` per unit of output from the lead time on (R&D and requalification)."""

    kind: Literal["substitution"]
    id: str = _ID
    region: str = Field(description="Region id of the sector.")
    sector: str = Field(description="Sector name (automotive): the sector <region>.<sector>.")
    commodity: str = Field(description="Commodity whose intensity is reduced.")
    share: float = Field(gt=0, le=0.99, description="Largest reduction of the intensity, share "
                         "(at most 0.99: the engine composes it with price-driven substitution).")
    lead_time_weeks: float | None = _LEAD
    rd_cost_usd_per_t_year: float | None = Field(
        None, ge=0, description="R&D and requalification cost per t/yr of use removed, USD "
        "(default: bundled prior, a multiple of the base price).")


class DiversifiedOfftake(_Model):
    """A contracted share of the region's imports of ``commodity`` from China moved to non-China
    suppliers, paid at a premium."""

    kind: Literal["diversified_offtake"]
    id: str = _ID
    region: str = Field(description="Region id that contracts.")
    commodity: str = Field(description="Commodity contracted.")
    share: float = Field(gt=0, le=1, description="Largest share of the base imports from China "
                         "contracted from non-China suppliers.")
    premium_share: float | None = Field(None, ge=0, le=10, description="Price paid above the base "
                                        "price, as a share of it (default: bundled prior).")


Lever = NewCapacity | Recycling | Substitution | DiversifiedOfftake
#: The kinds this module adds to a menu.
LEVER_KINDS = ("new_capacity", "recycling", "substitution", "diversified_offtake")


# ----------------------------------------------------------------------------- names


def lever_names(m: Lever) -> list[tuple[str, str, str]]:
    """``(field, value, what)`` of every name in ``m`` to check against the world."""
    out: list[tuple[str, str, str]] = []
    if isinstance(m, NewCapacity):
        if m.project is not None:
            out.append(("project", m.project, "project"))
        if m.region is not None:
            out.append(("region", m.region, "region"))
        if m.commodity is not None:
            out.append(("commodity", m.commodity, "commodity"))
        if m.template is not None:
            out.append(("template", m.template, "node"))
        return out
    out.append(("region", m.region, "region"))
    if isinstance(m, Substitution):
        out.append(("sector", m.sector, "sector"))
    out.append(("commodity", m.commodity, "commodity"))
    return out


def name_pool(world: SupplyNetwork, what: str, m: Lever) -> list[str]:
    """The valid values of a name of kind ``what`` for ``m`` on ``world``."""
    nodes = world.nodes
    if what == "region":
        return [str(r) for r in world.regions["id"]]
    if what == "commodity":
        return [str(c) for c in world.commodities["id"]]
    if what == "project":
        return sorted(str(n) for n in nodes.loc[nodes["status"].isin(["planned", "ramping"]), "id"])
    if what == "node":
        return sorted(str(n) for n in nodes["id"])
    sectors = world.sectors
    region = getattr(m, "region", None)
    return sorted({str(s) for s in sectors.loc[sectors["region"] == region, "sector"]})


def check_lever(m: Lever, world: SupplyNetwork) -> list[Problem]:
    """Problems of ``m`` against ``world`` beyond unknown names: a sector that does not use the
    commodity, an offtake with no import from China or no other supplier, a generic plant with
    no template."""
    problems: list[Problem] = []
    try:
        if isinstance(m, Substitution):
            if sector_use_t_per_year(world, m.region, m.sector, m.commodity) <= 0:
                problems.append(Problem("the sector does not use the commodity", field="commodity",
                                        value=m.commodity,
                                        expected=f"a commodity of {m.region}.{m.sector}'s bill "
                                        "of materials"))
        elif isinstance(m, DiversifiedOfftake):
            from spigot.mitigation.engine_levers import offtake_base

            china, others = offtake_base(world, m.region, m.commodity)
            if china <= 0 or others <= 0:
                problems.append(Problem(
                    "nothing to diversify", field="commodity", value=m.commodity,
                    expected=f"a commodity {m.region} imports from China ({china:g} t/yr) and "
                    f"that another supplier ships to some region ({others:g} t/yr)"))
            elif m.share * china > others * (1 + 1e-9):
                problems.append(Problem(
                    "the offtake asks for more than other regions' non-China supply",
                    field="share", value=m.share,
                    expected=f"at most {others / china:.3g} (other regions take {others:g} t/yr "
                    f"of non-China {m.commodity}; {m.region} imports {china:g} t/yr from China)"))
        elif isinstance(m, NewCapacity) and m.project is None:
            plant_template(world, m)
    except InputError as exc:
        problems.extend(exc.problems)
    return problems


# ----------------------------------------------------------------------------- world facts


def sector_use_t_per_year(world: SupplyNetwork, region: str, sector: str, commodity: str) -> float:
    """Base use of ``commodity`` by the sector ``region.sector``, t/yr (output x kg per unit /
    1000)."""
    sid = f"{region}.{sector}"
    sectors = world.sectors.set_index("id")
    if sid not in sectors.index:
        return 0.0
    bom = world.bom
    rows = bom[(bom["sector"] == sid) & (bom["commodity"] == commodity)]
    if rows.empty:
        return 0.0
    return float(sectors.loc[sid, "output"]) * float(rows["intensity"].iloc[0]) / 1000.0


def recipe_outputs(world: SupplyNetwork, recipe: str) -> dict[str, float]:
    """Outputs of ``recipe``, t per t of activity, by commodity."""
    r = world.recipes
    rows = r[(r["recipe"] == recipe) & (r["role"] == "output")]
    return {str(c): float(k) for c, k in zip(rows["commodity"], rows["coefficient"], strict=True)}


def plant_template(world: SupplyNetwork, m: NewCapacity) -> dict[str, Any]:
    """The node row a generic plant copies (recipe, stage, unit): ``m.template``, else the
    operating node outside China with the largest output whose recipe makes ``m.commodity``.

    Raises
    ------
    InputError
        If the template does not make the commodity or no node does.
    """
    nodes = world.nodes
    if m.template is not None:
        row = nodes[nodes["id"] == m.template].iloc[0].to_dict()
        if m.commodity not in recipe_outputs(world, str(row["recipe"])):
            raise InputError(Problem("the template does not make the commodity", field="template",
                                     value=m.template, expected=f"a node making {m.commodity}"))
        return row
    makers = [n for n in nodes.to_dict(orient="records")
              if m.commodity in recipe_outputs(world, str(n["recipe"]))]
    if not makers:
        raise InputError(Problem("no node of the world makes the commodity", field="commodity",
                                 value=m.commodity, expected="a commodity some recipe outputs",
                                 hint="give a template node, or recycle it instead"))

    def rank(n: dict[str, Any]) -> tuple[int, int, float]:
        return (n["status"] == "operating", n["region"] != EXPORTER_REGION, float(n["output"]))

    return max(makers, key=rank)


def _price(world: SupplyNetwork, commodity: str, region: str) -> float:
    from spigot.mitigation.measures import _price_usd_per_t

    return _price_usd_per_t(world, commodity, region)


# ----------------------------------------------------------------------------- priors


def _prior(kind: str, parameter: str, *keys: str) -> float:
    """The bundled prior ``parameter:key`` for the first key that has a row, else ``parameter``."""
    from spigot.mitigation.measures import _read_table

    table = _read_table()
    rows = table[table["kind"] == kind]
    for key in (*[f"{parameter}:{k}" for k in keys], parameter):
        hit = rows[rows["parameter"] == key]
        if not hit.empty:
            return float(hit["value"].iloc[0])
    raise KeyError(f"no prior {kind}.{parameter}")


def capital_recovery_factor(rate: float, life_years: float) -> float:
    """Yearly payment per USD of capital over ``life_years`` at ``rate`` (1/yr)."""
    if rate <= 0:
        return 1.0 / life_years
    return rate / (1.0 - (1.0 + rate) ** -life_years)


def lead_and_ramp(m: Lever, world: SupplyNetwork | None,
                  start_year: float) -> tuple[float, float]:
    """Lead time and ramp of ``m``, weeks (defaults: the project's own dates, else priors; a
    project needs ``world``)."""
    if isinstance(m, NewCapacity) and m.project is not None:
        assert world is not None
        row = world.nodes.set_index("id").loc[m.project]
        from spigot.network.supply_network import _decimal_year

        announced = _decimal_year(row["start"])
        own = max(0.0, (announced - start_year) * 365.25 / 7.0) if math.isfinite(announced) else 0.0
        lead = own if m.lead_time_weeks is None else m.lead_time_weeks
        ramp = float(row["ramp_weeks"] or 0.0) if m.ramp_weeks is None else m.ramp_weeks
        return lead, ramp
    kind = m.kind
    if isinstance(m, DiversifiedOfftake):  # a contract in force from the first week
        return 0.0, 0.0
    lead = m.lead_time_weeks if m.lead_time_weeks is not None else _prior(kind, "lead_time_weeks")
    if isinstance(m, Substitution):
        return lead, 0.0
    ramp = m.ramp_weeks if m.ramp_weeks is not None else _prior(kind, "ramp_weeks")
    return lead, ramp


def qualification_weeks(stage: str) -> float:
    """Weeks after start before a stage's new output counts for sectors (market parameters)."""
    from spigot.market.parameters import default_table

    t = default_table()
    rows = t[t["parameter"] == "qualification_weeks"]
    for key in (stage, "*"):
        hit = rows[rows["key"] == key]
        if not hit.empty:
            return float(hit["value"].iloc[0])
    return 0.0


# ----------------------------------------------------------------------------- cost and rate


@dataclass(frozen=True)
class LeverCost:
    """What one unit of a lever's amount costs and delivers.

    Attributes
    ----------
    cell
        ``region/commodity`` the measure supplies (the holder's cell).
    unit
        Unit of the amount (``project``, ``t/yr``, ``share``).
    max_amount
        Largest amount (1 for a project).
    capex_usd_per_unit
        Capital (or R&D) cost per unit of amount, USD, paid once.
    yearly_usd_per_unit
        Yearly cost per unit: annualised capital plus the premium on output at full rate, USD/yr.
    t_per_year_per_unit
        Full rate of supply (or need removed) per unit of amount, t/yr of the cell's commodity.
    lead_weeks, ramp_weeks, qualification_weeks
        When it starts to act, how long it ramps and the weeks before its output counts for
        sectors (capacity of a stage with customer qualification).
    premium_usd_per_t
        Cost above the base price of each t delivered, USD/t.
    crf
        Capital recovery factor used, 1/yr.
    """

    cell: str
    unit: str
    max_amount: float
    capex_usd_per_unit: float
    t_per_year_per_unit: float
    lead_weeks: float
    ramp_weeks: float
    qualification_weeks: float
    premium_usd_per_t: float
    crf: float

    def rate_t_per_week(self, weeks: int) -> npt.NDArray[np.float64]:
        """(weeks,) t per week per unit of amount, week by week from the run's first week."""
        t = np.arange(weeks, dtype=float)
        t0 = math.floor(self.lead_weeks + 0.5)
        share = np.where(t >= t0, 1.0, 0.0)
        if self.ramp_weeks > 1:
            share = np.clip((t - t0 + 1.0) / self.ramp_weeks, 0.0, 1.0) * share
        share = np.where(t >= t0 + self.qualification_weeks, share, 0.0)
        return np.asarray(share * self.t_per_year_per_unit / WEEKS_PER_YEAR, dtype=float)

    def horizon_cost_usd(self, weeks: float) -> float:
        """Cost per unit of amount over a horizon of ``weeks``: annualised capital over the
        horizon plus the premium on what it delivers, USD."""
        delivered = float(self.rate_t_per_week(math.ceil(weeks)).sum())
        return (self.capex_usd_per_unit * self.crf * weeks / WEEKS_PER_YEAR
                + self.premium_usd_per_t * delivered)


def lever_cost(m: Lever, world: SupplyNetwork, start_year: float) -> LeverCost:
    """Cost model and rate of ``m`` on ``world`` (docs/mitigation.md, cost table).

    - capacity: ``capex`` (USD per t/yr of capacity x capacity, or the project's ``capex_usd``)
      annualised by the capital recovery factor (discount rate, life), plus
      ``opex_premium_share x base price`` per t made;
    - recycling: the same with the recycling priors;
    - substitution: R&D cost per t/yr removed x the sector's base use, annualised over the R&D
      life;
    - offtake: ``premium_share x base price`` per t contracted (the base imports from China x
      share).

    Raises
    ------
    DataError
        If a commodity has no base price in the region's zone.
    """
    lead, ramp = lead_and_ramp(m, world, start_year)
    kind = m.kind
    if isinstance(m, NewCapacity):
        from spigot.mitigation.engine_levers import project_delivery

        rate_r = _prior(kind, "discount_rate")
        crf = capital_recovery_factor(rate_r, _prior(kind, "life_years"))
        if m.project is not None:
            node = world.nodes.set_index("id").loc[m.project]
            region, commodity = project_delivery(world, m)
            outs = recipe_outputs(world, str(node["recipe"]))
            capacity = float(node["capacity"])
            per_unit_t = capacity * outs[commodity]
            per_t_cap = (m.capex_usd_per_t_year if m.capex_usd_per_t_year is not None else
                         _prior(kind, "capex_usd_per_t_year", str(node["recipe"]),
                                str(node["stage"])))
            capex = m.capex_usd if m.capex_usd is not None else per_t_cap * capacity
            unit, most, stage = "project", 1.0, str(node["stage"])
        else:
            tmpl = plant_template(world, m)
            assert m.commodity is not None
            assert m.region is not None
            assert m.tonnes_per_year is not None
            region, commodity = m.region, m.commodity
            per_unit_t = recipe_outputs(world, str(tmpl["recipe"]))[commodity]
            capex = (m.capex_usd_per_t_year if m.capex_usd_per_t_year is not None else
                     _prior(kind, "capex_usd_per_t_year", str(tmpl["recipe"]), str(tmpl["stage"])))
            unit, most, stage = "t/yr", m.tonnes_per_year, str(tmpl["stage"])
        share = (m.opex_premium_share if m.opex_premium_share is not None
                 else _prior(kind, "opex_premium_share"))
        price = _price(world, commodity, region)
        return LeverCost(f"{region}/{commodity}", unit, most, capex, per_unit_t, lead, ramp,
                         qualification_weeks(stage), share * price, crf)
    if isinstance(m, Recycling):
        crf = capital_recovery_factor(_prior(kind, "discount_rate"), _prior(kind, "life_years"))
        capex = (m.capex_usd_per_t_year if m.capex_usd_per_t_year is not None else
                 _prior(kind, "capex_usd_per_t_year", m.commodity))
        share = (m.opex_premium_share if m.opex_premium_share is not None
                 else _prior(kind, "opex_premium_share", m.commodity))
        price = _price(world, m.commodity, m.region)
        return LeverCost(f"{m.region}/{m.commodity}", "t/yr", m.tonnes_per_year, capex, 1.0, lead,
                         ramp, 0.0, share * price, crf)
    if isinstance(m, Substitution):
        use = sector_use_t_per_year(world, m.region, m.sector, m.commodity)
        price = _price(world, m.commodity, m.region)
        per_t = (m.rd_cost_usd_per_t_year if m.rd_cost_usd_per_t_year is not None
                 else _prior(kind, "rd_cost_years_of_value") * price)
        crf = capital_recovery_factor(_prior(kind, "discount_rate"), _prior(kind, "life_years"))
        return LeverCost(f"{m.region}/{m.commodity}", "share", m.share, per_t * use, use, lead,
                         0.0, 0.0, 0.0, crf)
    from spigot.mitigation.engine_levers import offtake_base

    china, _ = offtake_base(world, m.region, m.commodity)
    price = _price(world, m.commodity, m.region)
    premium = (m.premium_share if m.premium_share is not None
               else _prior(kind, "premium_share"))
    return LeverCost(f"{m.region}/{m.commodity}", "share", m.share, 0.0, china, lead, 0.0, 0.0,
                     premium * price, 0.0)


def lever_rate(m: Lever, world: SupplyNetwork, start_year: float,
               weeks: int) -> tuple[str, npt.NDArray[np.float64]]:
    """The cell ``m`` supplies and its (weeks,) rate per unit of amount, t/week."""
    cost = lever_cost(m, world, start_year)
    return cost.cell, cost.rate_t_per_week(weeks)


def unknown_name_problem(file: str | None, line: int | None, i: int, field: str, value: str,
                         what: str, pool: list[str]) -> Problem:
    """The problem of an unknown name in measure ``i`` (with a "did you mean")."""
    return Problem(f"unknown {what}", file=file, line=line, field=f"measures[{i}].{field}",
                   value=value, expected="one of " + ", ".join(sorted(pool)[:20]),
                   hint=did_you_mean(value, pool) or None)


def lever_option(m: Lever, world: SupplyNetwork, horizon_weeks: float,
                 start: dt.date | None = None) -> Option:
    """``m`` as an option of the program: its largest amount, its cost per unit over the horizon
    and its weekly rate per unit in its cell (a project is a binary choice)."""
    from spigot.mitigation.program import Option

    begin = start or DEFAULT_START
    year = begin.year + (begin.timetuple().tm_yday - 1) / 365.25
    cost = lever_cost(m, world, year)
    weeks = math.ceil(horizon_weeks)
    return Option(m.id, m.kind, cost.unit, float(cost.max_amount),
                  cost.horizon_cost_usd(horizon_weeks), {},
                  rate_t_per_week={cost.cell: tuple(float(x) for x in cost.rate_t_per_week(weeks))},
                  integer=cost.unit == "project")
