"""Transit times between the regions of the bundled worlds (assumptions; docs/data.md, Routes).

Both the generator of the ``base`` world (``tools/build_base_dataset.py``) and the BACI importer
(:mod:`spigot.datasets.baci`) take their routes' ``transit_weeks`` from :func:`transit`.
"""

from __future__ import annotations

__all__ = ["CONTINENT", "transit"]

#: Continent of each region of the ``base`` world (``row``: the rest-of-world aggregate).
CONTINENT: dict[str, str] = {
    "CHN": "asia", "JPN": "asia", "KOR": "asia", "VNM": "asia", "IND": "asia", "MYS": "asia",
    "MMR": "asia", "TJK": "asia", "RUS": "europe", "DEU": "europe", "FRA": "europe",
    "ITA": "europe", "EST": "europe", "EU_OTHER": "europe", "USA": "americas", "AUS": "oceania",
    "ROW": "row"}

#: Regions large enough that a shipment within them takes two weeks rather than one.
LARGE: frozenset[str] = frozenset({"CHN", "USA", "RUS", "AUS", "ROW", "EU_OTHER", "IND"})


def transit(a: str, b: str) -> float:
    """Transit weeks from region ``a`` to region ``b`` (assumption; see docs/data.md, Routes).

    1 within a small country, 2 within a large one or an aggregate, 2 within Europe or the
    Americas, 3 Australia-Asia, 4 within Asia and Russia-China by rail, 4 Europe-Americas, 5 to or
    from ROW (and any region without a continent here), 6 between Asia/Oceania and
    Europe/Americas.
    """
    if a == b:
        return 2.0 if a in LARGE else 1.0
    ca, cb = CONTINENT.get(a, "row"), CONTINENT.get(b, "row")
    if "row" in (ca, cb):
        return 5.0
    if {a, b} == {"RUS", "CHN"}:
        return 4.0  # rail
    if ca == cb:
        return {"asia": 4.0, "europe": 2.0, "americas": 2.0, "oceania": 2.0}[ca]
    pair = {ca, cb}
    if pair == {"asia", "oceania"}:
        return 3.0
    if pair == {"europe", "americas"}:
        return 4.0
    return 6.0  # Asia/Oceania <-> Europe/Americas
