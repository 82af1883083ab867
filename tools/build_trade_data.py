"""Copy the trade and production tables that ``spigot data import-baci`` reads into the package.

Sources (``../shared/data``, the project's collected facts):

* ``trade/baci/``: CEPII BACI HS92 bilateral trade 2017-2024 for the selected HS6 codes, with its
  country and product code lists; copied unchanged (Etalab Open License 2.0; cite Gaulier and
  Zignago 2010, CEPII Working Paper 2010-23).
* ``wmd/world_mining_data_2018_2024.csv``: World Mining Data (BMF Austria) production by country;
  the rows of the six commodity groups spigot models are kept, unchanged.

Run::

    .venv/bin/python tools/build_trade_data.py

The committed files are what ships; tests never run this script or read ../shared.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
OUT = ROOT / "src" / "spigot" / "datasets" / "trade"
WMD_KEPT = ("Rare Earths (REO)", "Tungsten (W)", "Gallium", "Germanium", "Graphite", "Antimony")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    baci = SHARED / "trade" / "baci"
    shutil.copyfile(baci / "baci_hs92_selected_2017_2024.csv", OUT / "baci_hs92_2017_2024.csv")
    shutil.copyfile(baci / "country_codes.csv", OUT / "baci_country_codes.csv")
    shutil.copyfile(baci / "product_codes.csv", OUT / "baci_product_codes.csv")
    with (SHARED / "wmd" / "world_mining_data_2018_2024.csv").open(encoding="utf-8",
                                                                  newline="") as fh:
        reader = csv.DictReader(fh)
        rows = [r for r in reader if r["commodity"] in WMD_KEPT]
        fields = list(reader.fieldnames or [])
    with (OUT / "wmd_production_2018_2024.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
