"""Swept parameters: a path into the scenario (or a market parameter's name) and a range.

A parameter is addressed by its path in the scenario YAML, with ``[i]`` for list items and dots
between keys (``policies[0].processing_time.distribution.median``,
``policies[0].approval.by_destination.USA``), or by a market parameter's name
(``market.price_adjust_speed``, ``market.price_inv_flexibility:dy_oxide``), which becomes an entry
of the scenario's ``market.overrides``. Its range is ``LOW:HIGH[:DIST]`` with ``DIST`` one of
:data:`DISTRIBUTIONS` (default ``uniform``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pydantic

from spigot.errors import InputError, Problem, did_you_mean
from spigot.market.parameters import PARAMETERS
from spigot.scenarios.models import Scenario

__all__ = ["DISTRIBUTIONS", "ParamSpec", "apply_point", "parse_param", "resolve_path",
           "split_path"]

#: Distributions of a swept parameter over ``[LOW, HIGH]``: ``uniform``; ``loguniform`` (uniform
#: in log, both bounds > 0); ``integer`` (uniform over the integers LOW..HIGH).
DISTRIBUTIONS: tuple[str, ...] = ("uniform", "loguniform", "integer")

_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True)
class ParamSpec:
    """One swept parameter.

    Attributes
    ----------
    path
        Where it goes: a scenario path or ``market.NAME[:KEY]``.
    low, high
        Bounds (in the parameter's own unit), ``low <= high``.
    dist
        One of :data:`DISTRIBUTIONS`.
    """

    path: str
    low: float
    high: float
    dist: str = "uniform"

    def from_unit(self, u: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Values for quantiles ``u`` in [0, 1] of the parameter's distribution."""
        q = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        if self.dist == "loguniform":
            lo, hi = math.log(self.low), math.log(self.high)
            return np.asarray(np.exp(lo + q * (hi - lo)), dtype=float)
        if self.dist == "integer":
            n = int(self.high) - int(self.low) + 1
            return np.asarray(int(self.low) + np.minimum(np.floor(q * n), n - 1), dtype=float)
        return np.asarray(self.low + q * (self.high - self.low), dtype=float)

    @property
    def market_name(self) -> str | None:
        """``NAME[:KEY]`` of a market parameter, or ``None`` for a scenario path."""
        head, _, rest = self.path.partition(".")
        name = rest.partition(":")[0]
        return rest if head == "market" and name in PARAMETERS else None


def _bad(message: str, field: str, value: object, expected: str, hint: str | None = None,
         file: str | None = None, line: int | None = None) -> InputError:
    return InputError(Problem(message, file=file, line=line, field=field, value=value,
                              expected=expected, hint=hint))


def check_range(spec: ParamSpec, *, file: str | None = None, line: int | None = None) -> ParamSpec:
    """``spec`` if its bounds and distribution are valid.

    Raises
    ------
    InputError
        LOW > HIGH, a non-finite bound, an unknown distribution, or a loguniform bound <= 0.
    """
    field = spec.path
    if spec.dist not in DISTRIBUTIONS:
        raise _bad("unknown distribution", field, spec.dist, "one of " + ", ".join(DISTRIBUTIONS),
                   did_you_mean(spec.dist, DISTRIBUTIONS) or None, file, line)
    if not (math.isfinite(spec.low) and math.isfinite(spec.high)):
        raise _bad("bounds must be finite numbers", field, f"{spec.low}:{spec.high}",
                   "LOW:HIGH with finite numbers", None, file, line)
    if spec.low > spec.high:
        raise _bad("LOW is above HIGH", field, f"{spec.low:g}:{spec.high:g}", "LOW <= HIGH",
                   f"write {spec.high:g}:{spec.low:g}", file, line)
    if spec.dist == "loguniform" and spec.low <= 0:
        raise _bad("a loguniform range needs LOW > 0", field, spec.low, "LOW > 0",
                   "use a uniform range, or a positive LOW", file, line)
    return spec


def parse_param(text: str) -> ParamSpec:
    """Parse ``PATH=LOW:HIGH[:DIST]`` (the ``--param`` option).

    Raises
    ------
    InputError
        For text not of that form, bounds that are not numbers, or a bad range (:func:`check_range`).
    """
    path, eq, rng = text.partition("=")
    parts = rng.split(":")
    if not eq or not path.strip() or len(parts) not in (2, 3):
        raise _bad("not a parameter range", "--param", text, "PATH=LOW:HIGH[:DIST], e.g. "
                   "policies[0].approval.default=0.5:0.9 or market.price_adjust_speed=0.01:0.05:"
                   "loguniform")
    try:
        low, high = float(parts[0]), float(parts[1])
    except ValueError:
        raise _bad("bounds must be numbers", path.strip(), rng, "LOW:HIGH[:DIST] with numbers "
                   "LOW and HIGH") from None
    dist = parts[2].strip() if len(parts) == 3 else "uniform"
    return check_range(ParamSpec(path.strip(), low, high, dist))


def split_path(path: str) -> list[str | int]:
    """The segments of a path: ``"policies[0].approval.default"`` -> ``["policies", 0,
    "approval", "default"]``.

    Raises
    ------
    InputError
        If the path is empty or malformed (``a..b``, ``a[x]``).
    """
    segments: list[str | int] = []
    pos = 0
    text = path.strip()
    while pos < len(text):
        if text[pos] == "." and segments and pos + 1 < len(text) and text[pos + 1] != "[":
            pos += 1
        m = _SEGMENT.match(text, pos)
        if m is None:
            raise _bad("malformed path", path, text[pos:] or path,
                       "keys joined by dots, list items as [i], e.g. policies[0].approval.default")
        segments.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    if not segments:
        raise _bad("empty path", "--param", path, "a path such as policies[0].approval.default")
    return segments


def _where(segments: list[str | int]) -> str:
    out = ""
    for s in segments:
        out += f"[{s}]" if isinstance(s, int) else (f".{s}" if out else s)
    return out or "the scenario"


def resolve_path(data: Any, path: str) -> tuple[Any, str | int]:
    """The container in the scenario's data (``Scenario.model_dump(mode="json")``) that holds
    ``path``'s last segment, and that segment.

    Raises
    ------
    InputError
        Naming the path, the segment that failed and the keys available there.
    """
    segments = split_path(path)
    node = data
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        here = _where(segments[:i])
        if isinstance(node, list):
            if not isinstance(seg, int) or not 0 <= seg < len(node):
                raise _bad(f"no item {seg!r} under {here}", path, seg,
                           f"an index [0] to [{len(node) - 1}]" if node else "(the list is empty)")
        elif isinstance(node, dict):
            if seg not in node:
                keys = [str(k) for k in node]
                raise _bad(f"no key {seg!r} under {here}", path, seg,
                           "one of " + ", ".join(keys) if keys else "(nothing there)",
                           did_you_mean(seg, keys) or None)
        else:
            raise _bad(f"{here} is a value, not a mapping or list", path, seg,
                       f"the path to end at {here}")
        if last:
            return node, seg
        node = node[seg]
    raise AssertionError("unreachable")  # pragma: no cover


def check_paths(scenario: Scenario, specs: list[ParamSpec]) -> None:
    """Check that every spec addresses a number (or a distribution) of ``scenario``.

    Raises
    ------
    InputError
        For a path that does not exist, a path used twice, or one that addresses a section.
    """
    data = scenario.model_dump(mode="json")
    seen: set[str] = set()
    for spec in specs:
        if spec.path in seen:
            raise _bad("parameter swept twice", spec.path, spec.path, "each path once")
        seen.add(spec.path)
        if spec.market_name is not None:
            continue
        if spec.path.startswith("market.") and not spec.path.startswith("market.overrides"):
            name = spec.path.partition(".")[2].partition(":")[0]
            raise _bad(f"no key {name!r} under market", spec.path, name,
                       "a market parameter (docs/model.md) or one of parameters, overrides",
                       did_you_mean(name, list(PARAMETERS)) or None)
        node, seg = resolve_path(data, spec.path)
        value = node[seg]
        if isinstance(value, list) or (isinstance(value, dict) and "dist" not in value):
            raise _bad("the path ends at a section, not a number", spec.path,
                       type(value).__name__, "a path to a number or a distribution",
                       "keys there: " + ", ".join(map(str, value)) if isinstance(value, dict)
                       else None)


def apply_point(scenario: Scenario, specs: list[ParamSpec], values: npt.ArrayLike) -> Scenario:
    """A copy of ``scenario`` with each spec's value set (validated).

    Raises
    ------
    InputError
        If a path does not exist or the scenario rejects a value.
    """
    data = scenario.model_dump(mode="json")
    for spec, value in zip(specs, np.asarray(values, dtype=float).tolist(), strict=True):
        number: float | int = int(value) if spec.dist == "integer" else value
        if spec.market_name is not None:
            data["market"]["overrides"][spec.market_name] = number
            continue
        node, seg = resolve_path(data, spec.path)
        node[seg] = number
    try:
        return Scenario.model_validate(data)
    except pydantic.ValidationError as exc:
        err = exc.errors()[0]
        raise _bad("the scenario rejects this value", ".".join(map(str, err.get("loc", ()))),
                   err.get("input") if not isinstance(err.get("input"), dict | list) else None,
                   str(err.get("msg", "a valid value")),
                   "narrow the parameter's range") from None
