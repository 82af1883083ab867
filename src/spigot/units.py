"""Units and mass bases, normalised at the boundary.

A quantity of a commodity has a *magnitude unit* (t, kt, kg per year or week) and a *basis*: what the
tonnes are tonnes of. spigot knows three bases:

``REO``
    tonnes of rare-earth oxide equivalent (concentrates and separated oxides);
``metal``
    tonnes of contained metal (W in APT, Ga, Ge, Sb, NdPr metal); an element symbol such as ``t W``
    is read as the metal basis;
``product``
    tonnes of the traded product itself (NdFeB magnets, graphite).

Data files write units such as ``t REO/yr`` or ``kt metal/yr``; :func:`parse_unit` splits them, pint
converts the magnitude, and the basis must equal the commodity's basis. Bases are never converted
silently: a recipe that turns oxide into metal states its yield explicitly.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import pint

__all__ = [
    "BASES",
    "WEEKS_PER_YEAR",
    "ParsedUnit",
    "convert",
    "parse_unit",
    "registry",
]

#: Valid mass bases.
BASES: tuple[str, ...] = ("REO", "metal", "product")

#: Weeks in a year, used to turn annual rates into weekly ones (365.25 / 7).
WEEKS_PER_YEAR: float = 365.25 / 7.0

_ELEMENT_SYMBOLS = {"W", "Ga", "Ge", "Sb", "Nd", "Pr", "Dy", "Tb", "NdPr", "C", "Co", "Li"}
_BASIS_ALIASES = {"reo": "REO", "metal": "metal", "contained": "metal", "product": "product"}


@functools.cache
def registry() -> pint.UnitRegistry:
    """Return spigot's pint unit registry (tonnes, years, weeks, US dollars)."""
    ureg: pint.UnitRegistry = pint.UnitRegistry(on_redefinition="ignore")
    ureg.define("kt = 1000 * metric_ton = kilotonne")  # pint reads kt as knot otherwise
    ureg.define("USD = [currency]")
    ureg.define("MUSD = 1e6 * USD")
    ureg.define("unit = [item] = units")
    return ureg


@dataclass(frozen=True)
class ParsedUnit:
    """A unit string split into magnitude and basis.

    Attributes
    ----------
    text
        The unit as written.
    magnitude
        The unit without its basis, as pint reads it (``kt/yr``).
    basis
        ``REO``, ``metal``, ``product`` or ``None`` when the unit names none.
    """

    text: str
    magnitude: str
    basis: str | None


_BASIS_TOKEN = re.compile(r"^\s*(?P<prefix>[0-9.eE+\-]*\s*[a-zA-Z]+)\s+(?P<basis>[A-Za-z]+)(?P<rest>.*)$")


@functools.cache
def parse_unit(text: str) -> ParsedUnit:
    """Split a unit such as ``"kt REO/yr"`` into ``("kt/yr", "REO")``.

    Raises
    ------
    ValueError
        If the magnitude part is not a unit pint knows.
    """
    basis: str | None = None
    magnitude = text.strip()
    m = _BASIS_TOKEN.match(magnitude)
    if m:
        token = m.group("basis")
        if token.lower() in _BASIS_ALIASES:
            basis = _BASIS_ALIASES[token.lower()]
            magnitude = (m.group("prefix") + m.group("rest")).strip()
        elif token in _ELEMENT_SYMBOLS:
            basis = "metal"
            magnitude = (m.group("prefix") + m.group("rest")).strip()
    if _simple(magnitude) is None:  # simple mass(/time) units skip pint (loading it takes ~1 s)
        try:
            registry().parse_units(magnitude)
        except Exception as exc:  # pint raises several types for garbage
            raise ValueError(f"not a unit: {text!r}") from exc
    return ParsedUnit(text=text, magnitude=magnitude, basis=basis)


_MASS_IN_T = {"kg": 1e-3, "t": 1.0, "kt": 1e3, "Mt": 1e6}
_TIMES = {"", "yr", "week"}


@functools.cache
def _simple(magnitude: str) -> tuple[float, str] | None:
    """``"kt/yr"`` -> ``(1000.0, "yr")``: tonnes per unit and the time unit; ``None`` if not simple."""
    mass, _, time = magnitude.replace(" ", "").partition("/")
    if mass in _MASS_IN_T and time in _TIMES:
        return _MASS_IN_T[mass], time
    return None


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert ``value`` between two units with the same basis.

    Parameters
    ----------
    value
        The number in ``from_unit``.
    from_unit, to_unit
        Unit strings, optionally with a basis (``"kt REO/yr"``, ``"t REO/yr"``).

    Raises
    ------
    ValueError
        If the bases differ, or the dimensions do not match (mass vs mass per time).
    """
    a, b = parse_unit(from_unit), parse_unit(to_unit)
    if a.basis is not None and b.basis is not None and a.basis != b.basis:
        raise ValueError(f"basis {a.basis!r} cannot be converted to {b.basis!r} without a recipe")
    sa, sb = _simple(a.magnitude), _simple(b.magnitude)
    if sa is not None and sb is not None and sa[1] == sb[1]:
        return float(value * sa[0] / sb[0])
    ureg = registry()
    try:
        return float(ureg.Quantity(value, a.magnitude).to(b.magnitude).magnitude)
    except pint.DimensionalityError as exc:
        raise ValueError(f"{from_unit!r} is not convertible to {to_unit!r}") from exc
