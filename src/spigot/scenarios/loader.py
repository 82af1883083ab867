"""Read scenario YAML with line numbers, and check its names against a dataset.

Every mistake becomes a :class:`~spigot.errors.ScenarioError` whose problems name the file, the
line, the field path (``policies[0].approval.default``), the bad value and what was expected.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pydantic
import yaml

from spigot.errors import InputError, Problem, ScenarioError, UnknownNameError, did_you_mean
from spigot.network.files import is_url, read_text
from spigot.network.regions import COMMON_MISTAKES
from spigot.scenarios.kinds import KINDS, by_name, date_to_step
from spigot.scenarios.models import Scenario
from spigot.scenarios.reactions import (
    Action,
    Reaction,
    Trigger,
    reaction_problems,
    reaction_references,
)

if TYPE_CHECKING:
    from spigot.network import SupplyNetwork

__all__ = ["YamlSource", "adjusted_world", "check_names", "date_to_step", "dedupe_problems",
           "field_path", "load_file", "load_text", "problem_from_pydantic", "relevant_errors"]

Loc = tuple[int | str, ...]


def field_path(loc: Iterable[int | str]) -> str:
    """``("policies", 0, "approval")`` -> ``"policies[0].approval"``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _line_of(root: yaml.Node | None, loc: Loc) -> int | None:
    """1-based line of the YAML node at ``loc`` (the deepest one found)."""
    node = root
    line = None if node is None else node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = None
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    match = (key, value)
                    break
            if match is None:
                continue  # a tag of a union in pydantic's location; stay on this node
            line = match[0].start_mark.line + 1
            node = match[1]
            if not isinstance(node, yaml.MappingNode | yaml.SequenceNode):
                line = node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line + 1
        else:
            continue
    return line


def _clean_loc(loc: Loc) -> Loc:
    """Drop the union tags pydantic inserts (``ExportLicence``, ``float``, ``uniform``...)."""
    tags = {*(k.name for k in KINDS), "float", "int",
            "fixed", "uniform", "triangular", "lognormal", "normal", "beta", "list[str]",
            "AllExcept", "literal['all']", "function-after[_order(), Uniform]",
            "function-after[_order(), Triangular]", "function-after[_bounds(), Fixed]"}
    return tuple(p for p in loc if not (isinstance(p, str) and (p in tags or "[" in p)))


class YamlSource:
    """A scenario text with its composed YAML tree, for mapping field paths to lines."""

    def __init__(self, text: str, file: str) -> None:
        self.file = file
        self.text = text
        try:
            self.root: yaml.Node | None = yaml.compose(text, Loader=_Loader)
            self.data: Any = yaml.load(text, Loader=_Loader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ScenarioError(Problem(f"not valid YAML: {problem}", file=file,
                                        line=mark.line + 1 if mark else None,
                                        expected="YAML text (key: value)")) from None
        except (ValueError, TypeError, RecursionError) as exc:  # e.g. bad timestamps
            raise ScenarioError(Problem(f"not valid YAML: {exc}", file=file)) from None

    def line(self, loc: Loc) -> int | None:
        return _line_of(self.root, loc)


def problem_from_pydantic(err: Mapping[str, Any], source: YamlSource) -> Problem:
    loc = _clean_loc(tuple(err.get("loc", ())))
    kind = err.get("type", "")
    msg = str(err.get("msg", "invalid value"))
    msg = msg.removeprefix("Value error, ")
    value = err.get("input")
    expected = None
    hint = None
    if kind == "extra_forbidden":
        msg = "unknown field"
        value = str(loc[-1]) if loc else value
        parent = loc[:-1]
        fields = _fields_at(parent, source)
        expected = "one of " + ", ".join(fields) if fields else None
        hint = did_you_mean(value, fields) or None
    elif kind == "union_tag_invalid":
        ctx = err.get("ctx", {})
        msg = f"unknown {ctx.get('discriminator', 'type')}".replace("'", "")
        value = ctx.get("tag")
        choices = [c.strip(" '") for c in str(ctx.get("expected_tags", "")).split(",")]
        expected = "one of " + ", ".join(choices)
        hint = did_you_mean(value, choices) or None
    elif kind == "union_tag_not_found":
        msg = "missing key 'type' (or 'dist')"
        value = None
    elif kind == "missing":
        value = None
        msg = "missing required field"
    if isinstance(value, dict | list):
        value = None
    return Problem(msg, file=source.file, line=source.line(loc), field=field_path(loc) or None,
                   value=value, expected=expected, hint=hint)


def _fields_at(loc: Loc, source: YamlSource) -> list[str]:
    """Allowed field names of the model at ``loc`` (best effort, for suggestions)."""
    if not loc:
        return list(Scenario.model_fields)
    data = source.data
    try:
        for part in loc:
            data = data[part]
    except (KeyError, IndexError, TypeError):
        return []
    if len(loc) == 2 and loc[0] == "policies" and isinstance(data, dict):
        kind = by_name(str(data.get("type")))
        if kind is not None:
            return list(kind.model.model_fields)
    if loc[0] == "reactions" and isinstance(data, dict):
        models: dict[str, type[pydantic.BaseModel]] = {"when": Trigger, "do": Action}
        model = Reaction if len(loc) == 2 else models.get(str(loc[-1])) if len(loc) == 3 \
            else None
        if model is not None:
            return list(model.model_fields)
    return []


def load_text(text: str, file: str = "<scenario>") -> Scenario:
    """Parse and validate scenario YAML text.

    Raises
    ------
    ScenarioError
        With one problem per mistake, each naming the line and field.
    """
    source = YamlSource(text, file)
    if not isinstance(source.data, dict):
        got = type(source.data).__name__ if source.data is not None else "an empty file"
        raise ScenarioError(Problem("a scenario must be a mapping of keys to values", file=file,
                                    line=1, value=got, expected="keys such as name, dataset, "
                                    "horizon_weeks, policies"))
    bad_keys = [k for k in source.data if not isinstance(k, str)]
    if bad_keys:
        raise ScenarioError(Problem("keys must be text", file=file, line=source.line(()),
                                    value=str(bad_keys[0])))
    try:
        scenario = Scenario.model_validate(source.data,
                                           context={"reactions_checked_later": True})
    except pydantic.ValidationError as exc:
        problems = dedupe_problems([problem_from_pydantic(e, source) for e in relevant_errors(exc.errors())])
        raise ScenarioError(problems, title=f"{file} is not a valid scenario:") from None
    bad = reaction_problems(scenario)
    if bad:
        raise ScenarioError([Problem(msg, file=file, line=source.line(loc), field=field_path(loc),
                                     value=value, expected=expected,
                                     hint=did_you_mean(str(value), [p.id for p in
                                                                    scenario.policies]) or None)
                             for msg, loc, value, expected in bad],
                            title=f"{file} is not a valid scenario:")
    scenario._source = source
    return scenario


def relevant_errors(errors: list[Any]) -> list[Any]:
    """Drop the errors of union branches that clearly do not apply: "not a number" where a
    mapping (a distribution) was written, and "not a mapping" where a scalar was written, when
    another branch explains the same field."""
    scalar_kinds = {"float_type", "float_parsing", "int_type", "int_parsing", "list_type",
                    "literal_error", "string_type"}
    mapping_kinds = {"model_type", "model_attributes_type", "dict_type"}
    out = []
    for err in errors:
        value, kind, loc = err.get("input"), err.get("type"), _clean_loc(err["loc"])
        others = [e for e in errors if e is not err and _clean_loc(e["loc"])[:len(loc)] == loc]
        drop_scalar = kind in scalar_kinds and isinstance(value, dict) and any(
            e.get("type") not in scalar_kinds for e in others)
        drop_mapping = kind in mapping_kinds and not isinstance(value, dict) and any(
            e.get("type") in scalar_kinds for e in others)
        if not (drop_scalar or drop_mapping):
            out.append(err)
    return out or errors


def dedupe_problems(problems: list[Problem]) -> list[Problem]:
    """Drop repeats, and merge the alternatives of one union field into one problem."""
    groups: dict[tuple[int | None, str | None], list[Problem]] = {}
    for p in problems:
        groups.setdefault((p.line, p.field), []).append(p)
    out: list[Problem] = []
    seen: set[str] = set()
    for group in groups.values():
        should = [p for p in group if p.message.startswith("Input should be")]
        if len(should) > 1:
            alternatives = " or ".join(dict.fromkeys(
                p.message.removeprefix("Input should be ").strip() for p in should))
            if (should[0].field or "").endswith("destinations"):
                alternatives = "'all', a list of region ids or groups, or {all_except: [...]}"
            group = [Problem("invalid value", file=should[0].file, line=should[0].line,
                             field=should[0].field, value=should[0].value,
                             expected=alternatives)] + [p for p in group if p not in should]
        for p in group:
            key = p.describe()
            if key not in seen:
                seen.add(key)
                out.append(p)
    return out


class _Loader(yaml.SafeLoader):
    """Safe YAML without implicit timestamps: pydantic parses dates (with line numbers)."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def load_file(path: str | os.PathLike[str]) -> Scenario:
    """Read and validate a scenario file.

    Raises
    ------
    ScenarioError
        If the file is missing, unreadable or invalid.
    """
    file = Path(path)
    if not is_url(str(path)) and not os.path.lexists(file):
        raise ScenarioError(Problem("no such file", file=str(file),
                                    expected="a scenario YAML file or a built-in name",
                                    hint="'spigot scenario list' shows the built-in ones"))
    try:  # a regular local file within the size cap: never a URL, FIFO or device
        text = read_text(file, what="a scenario YAML file")
    except InputError as exc:
        raise ScenarioError(exc.problems) from None
    scenario = load_text(text, str(file))
    if scenario.name == "scenario":
        source = scenario._source
        scenario = scenario.model_copy(update={"name": file.stem})
        scenario._source = source
    return scenario


def _source_of(scenario: Scenario) -> YamlSource | None:
    source = scenario._source
    return source if isinstance(source, YamlSource) else None


def check_names(scenario: Scenario, commodities: Iterable[str], commodity_groups: Mapping[str, Any],
                regions: Iterable[str], region_groups: Mapping[str, Any]) -> None:
    """Check that every commodity, region and group a scenario names exists in the dataset.

    Raises
    ------
    ScenarioError
        Naming the field path, the line (when the scenario came from a file), the unknown name,
        and a suggestion.
    """
    source = _source_of(scenario)
    file = source.file if source else None
    comm_pool = sorted(set(commodities) | set(commodity_groups))
    reg_pool = sorted(set(regions) | set(region_groups))
    problems: list[Problem] = []

    def check(value: str, pool: list[str], kind: str, loc: Loc) -> None:
        if value not in pool:
            aliases = COMMON_MISTAKES if kind == "region" else None
            problems.append(Problem(f"unknown {kind}", file=file,
                                    line=source.line(loc) if source else None,
                                    field=field_path(loc), value=value,
                                    expected=f"a {kind} of dataset {scenario.dataset!r}",
                                    hint=did_you_mean(value, pool, aliases) or None))

    pools = {"region": reg_pool, "commodity": comm_pool}
    for i, p in enumerate(scenario.policies):
        kind = by_name(p.type)
        assert kind is not None  # the model validated the type
        for what, name, loc in kind.references(p):
            check(name, pools[what], what, ("policies", i, *loc))
    for i, r in enumerate(scenario.reactions):
        for what, name, loc in reaction_references(r):
            check(name, pools[what], what, ("reactions", i, *loc))
    if problems:
        where = file or f"scenario {scenario.name!r}"
        raise ScenarioError(problems, title=f"{where} names things that are not in the dataset:")


def adjusted_world(scenario: Scenario, world: SupplyNetwork) -> SupplyNetwork:
    """The world with what the scenario's measures add to it (a strategic stockpile: see each
    kind's ``adjust_world``); the world itself when no measure adds anything.

    Raises
    ------
    ScenarioError
        If a measure adds a row whose id the world already has.
    """
    for i, p in enumerate(scenario.policies):
        kind = by_name(p.type)
        if kind is None or kind.adjust_world is None:
            continue
        try:
            world = kind.adjust_world(p, world)
        except InputError as exc:
            source = _source_of(scenario)
            raise ScenarioError(Problem(
                f"policy {p.id!r} cannot be added to the world: "
                f"{exc.problems[0].message if exc.problems else exc}",
                file=source.file if source else None,
                line=source.line(("policies", i, "id")) if source else None,
                field=f"policies[{i}].id", value=p.id,
                hint="give the measure an id that the dataset's tables do not use")) from None
    return world


def dataset_error(scenario: Scenario, exc: UnknownNameError) -> ScenarioError:
    """Re-raise an unknown dataset name as a scenario error that names the line."""
    source = _source_of(scenario)
    problem = exc.problems[0]
    return ScenarioError(Problem(
        problem.message, file=source.file if source else None,
        line=source.line(("dataset",)) if source else None, field="dataset",
        value=problem.value, expected=(problem.expected or "") + ", or a dataset folder",
        hint=problem.hint))
