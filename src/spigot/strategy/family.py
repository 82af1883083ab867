"""A policy family: the export licences a strategic exporter may choose among (docs/model.md,
"The exporter as a player").

A family is YAML, validated by pydantic with line numbers (as scenario files and mitigation menus
are). Each field lists the options of one lever of the scenario's own ``ExportLicence``; the
candidates are every combination (a Cartesian product), plus "no restriction" when
``include_no_policy`` is true::

    name: licence-squeeze-default
    policy: cn_heavy_re_licence        # the scenario's ExportLicence to vary (default: the
                                       # exporter's first)
    commodities:                       # options: lists of commodity ids or groups
      - [dy_oxide, tb_oxide, ndfeb_magnet]
      - [ndfeb_magnet]
    destinations: [all, [target]]      # all | a list | {all_except: [...]}; 'target' = --target
    approval_target: [0.2, 0.5]        # approval odds of the target (its by_destination entry)
    approval_default: [0.75]           # approval odds of every other destination
    processing_time_scale: [1.0, 2.0]  # multiplies the processing time (per-draw scale)
    duration_weeks: [26, null]         # null: open-ended
    announcement_lead_weeks: [0, 8]    # 0: no warning
    objective: {harm: lost_output, harm_weight: 0.1}   # see spigot.strategy.objective
    search: {enumerate_up_to: 64}                      # see spigot.strategy.search

A field that is left out keeps the scenario's value. Bad input (a field with no options, a family
that varies nothing, an unknown commodity or region, bad YAML) is an
:class:`~spigot.errors.InputError` naming the file, line and field.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from spigot.errors import InputError, Problem, did_you_mean
from spigot.network.files import read_text
from spigot.scenarios.dists import Beta, Fixed, LogNormal, Normal, Param, Triangular, Uniform
from spigot.scenarios.kinds._base import AllExcept
from spigot.scenarios.kinds.export_licence import ExportLicence
from spigot.scenarios.loader import YamlSource, dedupe_problems, problem_from_pydantic, relevant_errors

if TYPE_CHECKING:
    from spigot.network import SupplyNetwork
    from spigot.scenarios import Scenario

__all__ = ["MAX_CANDIDATES", "TARGET", "Candidate", "Family", "ObjectiveSettings",
           "SearchSettings", "base_licence", "candidates", "check_family", "default_family",
           "load_family", "load_family_text"]

#: The word that stands for the ``--target`` region in ``destinations``.
TARGET = "target"
#: Most candidates a family may generate (each costs an engine run).
MAX_CANDIDATES = 2000

#: The levers, in the order candidate labels show them.
LEVERS: tuple[str, ...] = ("commodities", "destinations", "approval_target", "approval_default",
                           "processing_time_scale", "duration_weeks", "announcement_lead_weeks")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ObjectiveSettings(_Model):
    """The exporter's objective: what counts as harm, and the weights (None: the bundled prior of
    ``src/spigot/strategy/data/objective.csv``; units and sources in docs/model.md)."""

    harm: Literal["lost_output", "price_spike"] = Field(
        "lost_output", description="lost_output: the targets' lost output, USD; price_spike: "
        "what the targets pay above base prices for their imports, USD.")
    harm_weight: float | None = Field(None, ge=0, description="USD of objective per USD of "
                                      "harm to the targets (the relative-gains coefficient).")
    revenue_weight: float | None = Field(None, ge=0, description="USD of objective per USD of "
                                         "the exporter's export revenue lost.")
    share_weight: float | None = Field(None, ge=0, description="USD of objective per USD-"
                                       "equivalent of long-run market share lost.")
    share_pv_years: float | None = Field(None, ge=0, description="Years of base revenue a lost "
                                         "share of sales is worth (present value), yr.")
    bring_forward_full_price: float | None = Field(
        None, gt=1, description="Mean relative price (ex-exporter zone, over the horizon) at "
        "which every non-exporter project of a commodity is brought forward, 1.")


class SearchSettings(_Model):
    """How candidates are searched (docs/model.md, "Search under Monte Carlo")."""

    enumerate_up_to: int = Field(64, ge=1, description="Families with at most this many "
                                 "candidates are enumerated, each at full draws.")
    first_rung_draws: int = Field(40, ge=2, description="Draws per candidate in the first rung "
                                  "of successive halving.")
    eta: int = Field(3, ge=2, description="Each rung keeps 1/eta of the candidates and runs "
                     "eta times the draws.")
    finalists: int = Field(4, ge=1, description="Fewest candidates a rung keeps (the best and "
                           "the alternatives reported at full draws).")


DestinationOption = Literal["all"] | list[str] | AllExcept


class Family(_Model):
    """The levers of an export licence the exporter may set, each with its options."""

    name: str = Field(min_length=1, description="Short name of the family.")
    description: str = ""
    policy: str | None = Field(None, description="Id of the scenario's ExportLicence to vary "
                               "(default: the first one of the exporter).")
    include_no_policy: bool = Field(True, description="Also consider not restricting at all.")
    commodities: list[list[str]] | None = Field(None, min_length=1)
    destinations: list[DestinationOption] | None = Field(None, min_length=1)
    approval_target: list[float] | None = Field(None, min_length=1)
    approval_default: list[float] | None = Field(None, min_length=1)
    processing_time_scale: list[float] | None = Field(None, min_length=1)
    duration_weeks: list[float | None] | None = Field(None, min_length=1)
    announcement_lead_weeks: list[float] | None = Field(None, min_length=1)
    objective: ObjectiveSettings = ObjectiveSettings.model_validate({})
    search: SearchSettings = SearchSettings.model_validate({})
    _source: YamlSource | None = PrivateAttr(None)

    @pydantic.field_validator("commodities")
    @classmethod
    def _non_empty_sets(cls, value: list[list[str]] | None) -> list[list[str]] | None:
        for option in value or []:
            if not option:
                raise ValueError("a commodity option must name at least one commodity")
        return value

    @pydantic.field_validator("approval_target", "approval_default")
    @classmethod
    def _probabilities(cls, value: list[float] | None) -> list[float] | None:
        for p in value or []:
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"approval odds are probabilities between 0 and 1; got {p}")
        return value

    @pydantic.field_validator("processing_time_scale")
    @classmethod
    def _positive_scale(cls, value: list[float] | None) -> list[float] | None:
        for k in value or []:
            if k <= 0:
                raise ValueError(f"a processing-time scale must be positive; got {k}")
        return value

    @pydantic.field_validator("duration_weeks", "announcement_lead_weeks")
    @classmethod
    def _weeks(cls, value: list[float | None] | None) -> list[float | None] | None:
        for w in value or []:
            if w is not None and w < 0:
                raise ValueError(f"weeks cannot be negative; got {w}")
        return value

    @pydantic.model_validator(mode="after")
    def _varies_something(self) -> Family:
        if all(getattr(self, lever) is None for lever in LEVERS):
            raise ValueError("the family varies nothing: give at least one of "
                             + ", ".join(LEVERS))
        return self

    def options(self) -> dict[str, list[Any]]:
        """The varied levers and their options, in :data:`LEVERS` order."""
        return {lever: list(getattr(self, lever)) for lever in LEVERS
                if getattr(self, lever) is not None}

    def size(self) -> int:
        """Number of candidates (including "no restriction" when included)."""
        n = 1
        for values in self.options().values():
            n *= len(values)
        return n + int(self.include_no_policy)


def load_family_text(text: str, file: str = "<family>") -> Family:
    """Parse and validate a family's YAML text (names are checked by :func:`check_family`).

    Raises
    ------
    InputError
        One problem per mistake, each with the file, line, field, bad value and what was expected.
    """
    title = f"{file} is not a valid policy family:"
    try:
        source = YamlSource(text, file)
    except InputError as exc:
        raise InputError(exc.problems, title=title) from None
    if not isinstance(source.data, dict):
        raise InputError(Problem("a policy family must be a mapping of keys to values", file=file,
                                 line=1, expected="keys name, commodities, destinations, ..."),
                         title=title)
    try:
        family = Family.model_validate(source.data)
    except pydantic.ValidationError as exc:
        problems = []
        for e in relevant_errors(exc.errors()):
            p = problem_from_pydantic(e, source)
            if e.get("type") == "extra_forbidden":
                p = _unknown_field(e, p)
            elif e.get("type") == "too_short":
                p = Problem("empty family: this lever has no options", file=p.file, line=p.line,
                            field=p.field, expected="a list of at least one option",
                            hint="leave the field out to keep the scenario's value")
            elif not e.get("loc"):
                p = Problem(p.message, file=file, line=1, hint="see docs/model.md, "
                            "'The exporter as a player'")
            problems.append(p)
        raise InputError(dedupe_problems(problems), title=title) from None
    family._source = source
    if family.size() > MAX_CANDIDATES:
        raise InputError(Problem("the family has too many candidates", file=file, line=1,
                                 value=family.size(), expected=f"at most {MAX_CANDIDATES}",
                                 hint="drop options of some levers"), title=title)
    return family


def _unknown_field(err: Any, p: Problem) -> Problem:
    """The fields allowed where an unknown one was written, with a "did you mean"."""
    loc = tuple(err.get("loc", ()))
    models: dict[tuple[Any, ...], type[BaseModel]] = {
        (): Family, ("objective",): ObjectiveSettings, ("search",): SearchSettings}
    model = models.get(loc[:-1])
    if model is None:
        return p
    fields = [f for f in model.model_fields if not f.startswith("_")]
    return Problem(p.message, file=p.file, line=p.line, field=p.field, value=p.value,
                   expected="one of " + ", ".join(fields),
                   hint=did_you_mean(str(loc[-1]), fields) or None)


def load_family(path: str | Path) -> Family:
    """Read and validate a family file.

    Raises
    ------
    InputError
        If the file is missing, unreadable or invalid.
    """
    file = Path(path)
    if not file.is_file():
        raise InputError(Problem("no such file", file=str(file),
                                 expected="a policy-family YAML file",
                                 hint="leave --family out for the bundled default"))
    return load_family_text(read_text(file, what="a policy-family YAML file"), str(file))


def default_family() -> Family:
    """The bundled family for licence-squeeze (``src/spigot/strategy/data/licence-squeeze.yaml``)."""
    ref = resources.files("spigot.strategy") / "data" / "licence-squeeze.yaml"
    return load_family_text(ref.read_text(encoding="utf-8"), "licence-squeeze.yaml (bundled)")


def _groups(table: Any, column: str) -> set[str]:
    out: set[str] = set()
    if column not in table:
        return out
    for value in table[column].dropna():
        out.update(g.strip() for g in str(value).split(";") if g.strip())
    return out


def check_family(family: Family, world: SupplyNetwork) -> None:
    """Check every commodity and region the family names against ``world``.

    Raises
    ------
    InputError
        Listing every unknown name with its line and a "did you mean".
    """
    source = family._source
    file = source.file if source else None
    commodities = sorted({str(c) for c in world.commodities["id"]}
                         | _groups(world.commodities, "group"))
    regions = sorted({str(r) for r in world.regions["id"]} | _groups(world.regions, "groups"))
    problems: list[Problem] = []

    def check(value: str, pool: list[str], kind: str, loc: tuple[int | str, ...]) -> None:
        if value not in pool:
            problems.append(Problem(
                f"unknown {kind}", file=file, line=source.line(loc) if source else None,
                field=".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in loc)
                .replace(".[", "["), value=value,
                expected=f"a {kind} of the scenario's dataset" + (
                    f" or '{TARGET}'" if kind == "region" else ""),
                hint=did_you_mean(value, pool) or None))

    for i, option in enumerate(family.commodities or []):
        for j, c in enumerate(option):
            check(c, commodities, "commodity", ("commodities", i, j))
    for i, dest in enumerate(family.destinations or []):
        names = dest if isinstance(dest, list) else (
            dest.all_except if isinstance(dest, AllExcept) else [])
        for j, r in enumerate(names):
            if r != TARGET:
                loc: tuple[int | str, ...] = (("destinations", i, j) if isinstance(dest, list)
                                              else ("destinations", i, "all_except", j))
                check(r, regions, "region", loc)
    if problems:
        raise InputError(problems, title=f"policy family {family.name!r} does not fit the world:")


def base_licence(scenario: Scenario, exporter: str, policy_id: str | None = None) -> ExportLicence:
    """The scenario's export licence the family varies.

    Raises
    ------
    InputError
        If the scenario has no such licence (none of the exporter, or no policy ``policy_id``).
    """
    licences = [p for p in scenario.policies if isinstance(p, ExportLicence)]
    if policy_id is not None:
        named = [p for p in licences if p.id == policy_id]
        if not named:
            ids = [p.id for p in licences]
            raise InputError(Problem(
                "the scenario has no ExportLicence with this id", field="policy", value=policy_id,
                expected="one of " + (", ".join(ids) or "(none)"),
                hint=did_you_mean(policy_id, ids) or None))
        if named[0].exporter != exporter:
            raise InputError(Problem(
                f"policy {policy_id!r} is a licence of {named[0].exporter}, not of the exporter",
                field="policy", value=policy_id, expected=f"a licence with exporter {exporter}"))
        return named[0]
    own = [p for p in licences if p.exporter == exporter]
    if not own:
        have = sorted({p.exporter for p in licences})
        raise InputError(Problem(
            f"scenario {scenario.name!r} has no ExportLicence of this exporter to vary",
            field="exporter", value=exporter,
            expected="an exporter with an ExportLicence in the scenario: "
            + (", ".join(have) or "(the scenario has none)"),
            hint="add an ExportLicence policy of the exporter to the scenario"))
    return own[0]


@dataclass(frozen=True)
class Candidate:
    """One policy of the family.

    Attributes
    ----------
    label
        Short text naming the levers' values (``"no restriction"`` for the null policy).
    settings
        Lever -> chosen option (JSON values; ``target`` already replaced by the region id).
    policy
        The export licence, or None for "no restriction".
    """

    label: str
    settings: dict[str, Any] = field(default_factory=dict)
    policy: ExportLicence | None = None


NO_POLICY = "no restriction"


def candidates(family: Family, scenario: Scenario, exporter: str, target: str) -> list[Candidate]:
    """Every policy of ``family`` built from the scenario's own licence (see module docstring).

    Raises
    ------
    InputError
        If the scenario has no licence to vary, or a combination is not a valid licence (a
        processing time that cannot be scaled, a duration out of range).
    """
    base = base_licence(scenario, exporter, family.policy)
    start = base.start or scenario.start
    options = family.options()
    out: list[Candidate] = [Candidate(NO_POLICY)] if family.include_no_policy else []
    for combo in itertools.product(*options.values()):
        settings = dict(zip(options, combo, strict=True))
        data = base.model_dump(mode="json", exclude_none=True)
        shown: dict[str, Any] = {}
        for lever, value in settings.items():
            shown[lever] = _apply(data, lever, value, target, start)
        try:
            policy = ExportLicence.model_validate(data)
        except pydantic.ValidationError as exc:
            raise InputError(Problem(
                "this combination of the family is not a valid licence",
                field=", ".join(settings), value=str(shown),
                expected=str(exc.errors()[0].get("msg", "")))) from None
        out.append(Candidate(_label(shown), shown, policy))
    return out


def _apply(data: dict[str, Any], lever: str, value: Any, target: str, start: dt.date) -> Any:
    """Set one lever in the licence's JSON ``data``; return the value as shown to the user."""
    if lever == "commodities":
        data["commodities"] = list(value)
        return list(value)
    if lever == "destinations":
        dest: Any = value
        if isinstance(value, list):
            dest = [target if r == TARGET else r for r in value]
        elif isinstance(value, AllExcept):
            dest = {"all_except": [target if r == TARGET else r for r in value.all_except]}
        data["destinations"] = dest
        return dest
    if lever == "approval_target":
        approval = data.setdefault("approval", {})
        others = {k: v for k, v in approval.get("by_destination", {}).items() if k != target}
        approval["by_destination"] = {target: value, **others}  # first match wins: target first
        return value
    if lever == "approval_default":
        data.setdefault("approval", {})["default"] = value
        return value
    if lever == "processing_time_scale":
        current = ExportLicence.model_validate(data).processing_time
        pt = current.model_dump(mode="json", exclude_none=True)
        pt["scale"] = _scaled(current.scale, float(value))
        data["processing_time"] = pt
        return value
    if lever == "duration_weeks":
        data.pop("end", None)
        if value is None:
            data.pop("duration_weeks", None)
        else:
            data["duration_weeks"] = value
        return value
    if lever == "announcement_lead_weeks":
        if value:
            data["announced"] = (start - dt.timedelta(days=round(7 * value))).isoformat()
        else:
            data.pop("announced", None)
        return value
    raise AssertionError(lever)  # pragma: no cover - LEVERS lists every lever


def _scaled(param: Param, k: float) -> Any:
    """``param`` (a number or a distribution) multiplied by ``k``, as JSON."""
    if isinstance(param, int | float):
        return float(param) * k
    data = param.model_dump(mode="json", exclude_none=True)
    fields = {Fixed: ("value",), Uniform: ("low", "high"), Triangular: ("low", "mode", "high"),
              LogNormal: ("median",), Normal: ("mean", "sd")}.get(type(param))
    if fields is None or isinstance(param, Beta):
        raise InputError(Problem("a processing-time scale given as this distribution cannot be "
                                 "multiplied", field="processing_time.scale",
                                 value=getattr(param, "dist", None),
                                 expected="a number, fixed, uniform, triangular, lognormal or "
                                 "normal distribution",
                                 hint="leave processing_time_scale out of the family"))
    for name in (*fields, "min", "max"):
        if name in data:
            data[name] = float(data[name]) * k
    return data


def _label(shown: dict[str, Any]) -> str:
    parts = []
    for lever, value in shown.items():
        if lever == "commodities":
            parts.append("+".join(value))
        elif lever == "destinations":
            parts.append("to all" if value == "all" else "to " + ",".join(value)
                         if isinstance(value, list) else "to all but " + ",".join(
                             value["all_except"]))
        elif lever == "approval_target":
            parts.append(f"target odds {value:g}")
        elif lever == "approval_default":
            parts.append(f"other odds {value:g}")
        elif lever == "processing_time_scale":
            parts.append(f"processing x{value:g}")
        elif lever == "duration_weeks":
            parts.append("open-ended" if value is None else f"{value:g} weeks")
        elif lever == "announcement_lead_weeks":
            parts.append("no warning" if not value else f"announced {value:g} weeks ahead")
    return "; ".join(parts)
