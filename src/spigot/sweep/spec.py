"""Sweep files: many parameters (and the sweep's settings) in one YAML file.

Example (``docs/sweeps.md``)::

    design: sobol
    points: 128          # Sobol base samples
    draws: 100
    pairs: [USA.automotive]
    commodities: [dy_oxide]
    parameters:
      - path: policies[0].processing_time.distribution.median
        low: 30
        high: 70
      - {path: market.price_adjust_speed, low: 0.01, high: 0.05, dist: loguniform}

Every key but ``parameters`` is optional; command-line options given explicitly win.
"""

from __future__ import annotations

from pathlib import Path

import pydantic
from pydantic import Field

from spigot.errors import InputError, Problem
from spigot.scenarios.kinds._base import Model
from spigot.scenarios.loader import YamlSource, problem_from_pydantic
from spigot.sweep.params import ParamSpec, check_range

__all__ = ["ParameterEntry", "SweepFile", "load_sweep_file"]


class ParameterEntry(Model):
    """One swept parameter of a sweep file."""

    path: str = Field(description="Scenario path or market.NAME[:KEY].")
    low: float = Field(description="Lower bound, in the parameter's unit.")
    high: float = Field(description="Upper bound, in the parameter's unit.")
    dist: str = Field("uniform", description="uniform, loguniform or integer.")


class SweepFile(Model):
    """The contents of a sweep file."""

    design: str | None = None
    points: int | None = Field(None, ge=1)
    draws: int | None = Field(None, ge=1)
    weeks: int | None = Field(None, ge=1)
    seed: int | None = Field(None, ge=0)
    pairs: list[str] = Field(default_factory=list)
    commodities: list[str] | None = None
    parameters: list[ParameterEntry] = Field(min_length=1)


def load_sweep_file(path: str | Path) -> tuple[SweepFile, list[ParamSpec]]:
    """Read and validate a sweep file; its parameters as :class:`ParamSpec`.

    Raises
    ------
    InputError
        Naming the file, line and field of each problem (a missing file, bad YAML, an unknown
        key, LOW > HIGH, an unknown distribution).
    """
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(Problem("cannot read the sweep file", file=file,
                                 value=type(exc).__name__, expected="a readable YAML file")
                         ) from None
    source = YamlSource(text, file)
    if not isinstance(source.data, dict):
        raise InputError(Problem("a sweep file must be a mapping of keys to values", file=file,
                                 line=1, expected="keys such as design, points, parameters"))
    try:
        sweep = SweepFile.model_validate(source.data)
    except pydantic.ValidationError as exc:
        raise InputError([problem_from_pydantic(e, source) for e in exc.errors()],
                         title=f"{file} is not a valid sweep file:") from None
    specs = []
    for i, entry in enumerate(sweep.parameters):
        line = source.line(("parameters", i))
        specs.append(check_range(ParamSpec(entry.path, entry.low, entry.high, entry.dist),
                                 file=file, line=line))
    return sweep, specs


def parameter_lines(path: str | Path) -> dict[str, int]:
    """Line of each parameter's entry in a sweep file, by path (for later error messages)."""
    source = YamlSource(Path(path).read_text(encoding="utf-8"), str(path))
    out: dict[str, int] = {}
    for i, entry in enumerate(source.data.get("parameters") or []):
        line = source.line(("parameters", i))
        if isinstance(entry, dict) and line is not None:
            out[str(entry.get("path"))] = line
    return out
