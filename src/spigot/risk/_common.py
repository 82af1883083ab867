"""Helpers shared by the risk metrics: bundled reference tables, names, dates and frame attrs."""

from __future__ import annotations

import datetime as dt
import functools
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import TypeVar

import pandas as pd
import pycountry

from spigot.errors import InputError, Problem, UnknownNameError
from spigot.network import SupplyNetwork
from spigot.network.regions import COMMON_MISTAKES, holder_region, is_iso3, suggest_region

__all__ = [
    "STAGE_ORDER",
    "Importer",
    "basis_unit",
    "commodity_groups",
    "parse_date",
    "reference_table",
    "resolve_commodity",
    "resolve_importer",
    "resolve_region",
    "shared_table",
    "tidy",
    "with_unit",
]

T = TypeVar("T")

#: Stages from upstream to downstream (the order of the ``production`` table's ``stage`` column).
STAGE_ORDER: tuple[str, ...] = ("mining", "separation", "refining", "metal", "magnet", "recycling")


@functools.cache
def _read_reference(name: str) -> pd.DataFrame:
    folder = resources.files("spigot.risk") / "data"
    with (folder / f"{name}.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh, keep_default_na=True)


def reference_table(name: str) -> pd.DataFrame:
    """A copy of bundled reference table ``name`` (``src/spigot/risk/data/<name>.csv``).

    The tables and their provenance are listed in ``src/spigot/risk/data/README.md``.
    """
    return _read_reference(name).copy()


def parse_date(value: str | dt.date | pd.Timestamp | None, field: str = "at") -> pd.Timestamp:
    """Parse a calendar date given as ``YYYY-MM-DD`` (today if ``None``).

    Raises
    ------
    InputError
        Naming ``field``, the bad value and the expected format.
    """
    if value is None:
        return pd.Timestamp(dt.date.today())
    if isinstance(value, pd.Timestamp | dt.date):
        return pd.Timestamp(value).normalize()
    text = str(value).strip()
    try:
        parsed = dt.date.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is None or len(text) != 10:
        raise InputError(Problem("invalid date", field=field, value=value,
                                 expected="a date in the format YYYY-MM-DD, e.g. 2025-06-01"))
    return pd.Timestamp(parsed)


_MEMO: dict[tuple[int, str], tuple[weakref.ref[SupplyNetwork], object]] = {}


def memo(net: SupplyNetwork, key: str, compute: Callable[[], T]) -> T:
    """``compute()`` once per (network, key); networks are immutable, so the value stays valid.

    The cache holds a weak reference to the network and drops entries of collected networks.
    """
    slot = (id(net), key)
    hit = _MEMO.get(slot)
    if hit is not None and hit[0]() is net:
        return hit[1]  # type: ignore[return-value]
    for stale in [k for k, (ref, _) in _MEMO.items() if ref() is None]:
        del _MEMO[stale]
    value = compute()
    _MEMO[slot] = (weakref.ref(net), value)
    return value


def shared_table(net: SupplyNetwork, name: str) -> pd.DataFrame:
    """Table ``name`` of ``net``, read once per network and shared: **do not modify it** (use
    ``net.table(name)`` for a copy of your own)."""
    return memo(net, f"table:{name}", lambda: net.table(name))


def commodity_groups(net: SupplyNetwork) -> dict[str, str]:
    """Commodity id -> group id (an id without a group is its own group)."""
    return dict(memo(net, "commodity_groups", lambda: _commodity_groups(net)))


def _commodity_groups(net: SupplyNetwork) -> dict[str, str]:
    out: dict[str, str] = {}
    for row in shared_table(net, "commodities").to_dict(orient="records"):
        group = row.get("group")
        out[str(row["id"])] = str(group) if isinstance(group, str) and group else str(row["id"])
    return out


def known_commodities(net: SupplyNetwork) -> list[str]:
    """Commodity ids, groups, and names used in the production statistics."""
    def compute() -> list[str]:
        groups = commodity_groups(net)
        stats = shared_table(net, "production")["commodity"]
        return sorted(set(groups) | set(groups.values()) | {str(c) for c in stats})

    return list(memo(net, "known_commodities", compute))


def resolve_commodity(net: SupplyNetwork, commodity: str, field: str = "commodity") -> str:
    """Return ``commodity`` if it is a commodity id or group of ``net``.

    Raises
    ------
    UnknownNameError
        With a "did you mean" among the ids and groups.
    """
    choices = known_commodities(net)
    if commodity not in choices:
        raise UnknownNameError("commodity", commodity, choices, field=field)
    return commodity


def resolve_region(net: SupplyNetwork, region: str, field: str = "importer",
                   extra: Iterable[str] = ()) -> str:
    """Return ``region`` if it is a region id of ``net`` (or in ``extra``).

    Raises
    ------
    UnknownNameError
        With a suggestion for common mistakes (``UK`` -> ``GBR``) or close ids.
    """
    choices = sorted({str(r) for r in shared_table(net, "regions")["id"]} | set(extra))
    if region not in choices:
        raise UnknownNameError("region", region, choices, field=field, aliases=COMMON_MISTAKES,
                               hint=region_hint(net, region, choices))
    return region


@dataclass(frozen=True)
class Importer:
    """An importing region or a group of regions.

    Attributes
    ----------
    label
        How outputs name it: the region id, the group's name (``EU27``) or the members joined by
        ``+`` (``DEU+FRA+ITA``).
    members
        Region ids of the dataset it stands for (one for a region). Flows between members are
        internal: they are not imports, and the members' production is the importer's own.
    """

    label: str
    members: tuple[str, ...]

    @property
    def is_group(self) -> bool:
        """Whether the importer stands for more than one region (or is a named group)."""
        return len(self.members) != 1 or self.members[0] != self.label


def group_members(net: SupplyNetwork, group: str) -> list[str]:
    """Region ids of ``net`` whose ``groups`` column lists ``group`` (empty if none)."""
    regions = shared_table(net, "regions")
    if "groups" not in regions.columns:
        return []
    return sorted(str(r) for r, g in zip(regions["id"], regions["groups"], strict=True)
                  if isinstance(g, str) and group in g.split(";"))


def resolve_importer(net: SupplyNetwork, importer: str | Importer,
                     field: str = "importer") -> Importer:
    """The importer ``importer`` names: a region id (``USA``), a group of the regions table
    (``EU27``) or a comma-separated list of region ids (``DEU,FRA,ITA``).

    Raises
    ------
    UnknownNameError
        For a name that is neither a region id nor a group (with a "did you mean"), or a list
        with an unknown or repeated member.
    """
    if isinstance(importer, Importer):
        return importer
    text = str(importer).strip()
    if "," in text or "+" in text:
        parts = [p.strip() for p in text.replace("+", ",").split(",") if p.strip()]
        members = tuple(resolve_region(net, p, field=field) for p in parts)
        if len(set(members)) != len(members) or not members:
            raise InputError(Problem("invalid importer group", field=field, value=importer,
                                     expected="distinct region ids separated by commas, e.g. "
                                              "DEU,FRA,ITA"))
        return Importer("+".join(members), members) if len(members) > 1 \
            else Importer(members[0], members)
    regions = {str(r) for r in shared_table(net, "regions")["id"]}
    if text not in regions:
        members_of_group = group_members(net, text)
        if members_of_group:
            return Importer(text, tuple(members_of_group))
    return Importer(resolve_region(net, text, field=field, extra=region_groups(net)), (text,))


def region_groups(net: SupplyNetwork) -> list[str]:
    """Names of the groups of the regions table (``EU27``)."""
    regions = shared_table(net, "regions")
    if "groups" not in regions.columns:
        return []
    return sorted({g for cell in regions["groups"] if isinstance(cell, str)
                   for g in cell.split(";") if g})


def region_hint(net: SupplyNetwork, name: str, choices: Iterable[str]) -> str | None:
    """What to say about ``name``, not a region id of ``net``: the region it means (``us`` ->
    ``USA``), the region a country is counted in (``UK``, ``CAN`` -> ``ROW``; ``NLD`` ->
    ``EU_OTHER``), or the members of a group (``EU27``). ``None``: no better hint than the
    fuzzy match."""
    pool = set(choices)
    rows = [{str(k): str(v) for k, v in r.items()}
            for r in shared_table(net, "regions").astype(str).to_dict(orient="records")]
    members = [r["id"] for r in rows if name in r.get("groups", "").split(";")]
    if members:
        return f"{name} is a group of regions ({', '.join(members)})"
    iso = suggest_region(name)
    if iso is None:
        return None
    if iso in pool:
        return f"did you mean {iso!r}?"
    if not is_iso3(iso):
        return None
    holder = holder_region(rows, iso)
    country = pycountry.countries.get(alpha_3=iso)
    label = f"{iso} ({country.name})" if country is not None else iso
    if holder is None:
        return f"{label} is not a region of this dataset"
    return (f"{label} is not a region of this dataset; it is counted in {holder['id']} "
            f"({holder['name']}): use {holder['id']!r}")


def basis_unit(basis: str, per: str = "yr") -> str:
    """The unit of a flow of a commodity with mass ``basis`` (:data:`spigot.units.BASES`).

    >>> basis_unit("REO"), basis_unit("metal"), basis_unit("")
    ('t REO/yr', 't metal/yr', 't/yr')
    """
    return f"t {basis}/{per}" if basis else f"t/{per}"


def with_unit(frame: pd.DataFrame, net: SupplyNetwork) -> pd.DataFrame:
    """``frame`` with a column ``unit`` after ``commodity``: the unit and basis of that commodity's
    flows (``t REO/yr``, ``t metal/yr``, ``t product/yr``), so that volumes of different bases are
    never read under one label."""
    table = shared_table(net, "commodities")
    basis = dict(zip(table["id"].astype(str), table["basis"].astype(str), strict=True))
    out = frame.copy()
    units = [basis_unit(basis.get(str(c), "")) for c in out["commodity"]]
    out.insert(int(list(out.columns).index("commodity")) + 1, "unit", units)
    return out


def tidy(frame: pd.DataFrame, units: Mapping[str, str], reference: str,
         **attrs: object) -> pd.DataFrame:
    """Attach ``units`` and ``reference`` (and any ``attrs``) to ``frame`` and return it."""
    frame = frame.reset_index(drop=True)
    frame.attrs.clear()
    frame.attrs["units"] = dict(units)
    frame.attrs["reference"] = reference
    for key, value in attrs.items():
        frame.attrs[key] = value
    return frame
