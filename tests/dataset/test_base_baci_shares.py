"""Issue #18's acceptance: base's import shares per importer match BACI 2024 within 5 points at
every exporter of each HS code, or the (code, importer) pair is a documented exception."""

from __future__ import annotations

import pandas as pd
import pytest

import spigot as sp
from spigot.datasets import baci
from spigot.datasets.trade_report import (
    EXCEPTION_CAUSES,
    exceptions,
    exporter_regions,
    import_shares,
    pair_gaps,
)

TOLERANCE_PP = 5.0


@pytest.fixture(scope="module")
def base() -> sp.network.SupplyNetwork:
    return sp.datasets.load("base")


@pytest.fixture(scope="module")
def shares(base: sp.network.SupplyNetwork) -> pd.DataFrame:
    return import_shares(base, 2024)


def test_every_pair_matches_baci_or_is_a_documented_exception(shares: pd.DataFrame) -> None:
    gaps = pair_gaps(shares)
    missing = {pair for pair, row in gaps.iterrows() if abs(row["diff_pp"]) > TOLERANCE_PP}
    table = exceptions()
    listed = set(zip(table["hs6"], table["importer"], strict=True))
    not_listed = {f"{p}: {gaps.loc[p, 'diff_pp']:+.1f} pp at {gaps.loc[p, 'exporter']}"
                  for p in missing - listed}
    assert not not_listed, f"pairs missing BACI 2024 by more than 5 points: {sorted(not_listed)}"
    no_longer = {f"{p}: {gaps.loc[p, 'diff_pp']:+.1f} pp" if p in gaps.index else f"{p}: no pair"
                 for p in listed - missing}
    assert not no_longer, f"exceptions no longer needed (remove them): {sorted(no_longer)}"
    # the comparison covers the codes of every HS-mapped group with trade in both data sets
    assert {"250410", "261100", "261710", "280530", "284610", "284690"} <= set(
        gaps.index.get_level_values("hs6"))


def test_exceptions_are_unique_and_say_why() -> None:
    table = exceptions()
    assert not table.duplicated(["hs6", "importer"]).any()
    assert set(table["cause"]) <= set(EXCEPTION_CAUSES)
    assert (table["note"].str.len() > 20).all()
    assert (table["source"].str.len() > 0).all()


def test_no_exporter_node_exceptions_name_exporters_the_world_cannot_ship_from(
        base: sp.network.SupplyNetwork, shares: pd.DataFrame) -> None:
    """An exception for a missing exporter holds only if BACI's exporter really has no producing
    node for the code's commodities and more than 5 % of the importer's imports."""
    mapping = baci.read_hs_map(None, base.commodities["id"]).rows
    table = exceptions()
    rows = table[table["cause"] == "no_exporter_node"]
    assert len(rows) > 0
    for row in rows.itertuples():
        can_ship = exporter_regions(base, mapping.loc[mapping["hs6"] == row.hs6, "commodity"])
        pair = shares[(shares["hs6"] == row.hs6) & (shares["importer"] == row.importer)]
        baci_share = pair.set_index("exporter")["baci_share"]
        named = row.exporter.split(";")
        assert not set(named) & can_ship, (row.hs6, row.importer, named)
        assert max(baci_share.get(e, 0.0) for e in named) > TOLERANCE_PP / 100, (
            row.hs6, row.importer, named)


def test_hs_basket_and_usgs_exceptions_have_their_ground(base: sp.network.SupplyNetwork) -> None:
    """``hs_basket``: the code's commodities are carried by another code too, or the code is
    mapped to fewer commodities than it carries; ``usgs``: only the US is routed from USGS."""
    mapping = baci.read_hs_map(None, base.commodities["id"]).rows
    table = exceptions()
    for row in table[table["cause"] == "hs_basket"].itertuples():
        own = set(mapping.loc[mapping["hs6"] == row.hs6, "commodity"])
        elsewhere = set(mapping.loc[mapping["hs6"] != row.hs6, "commodity"])
        assert own & elsewhere or row.hs6 == "280530", row.hs6
    assert set(table.loc[table["cause"] == "usgs", "importer"]) <= {"USA"}


def test_exporter_regions_follow_the_nodes(base: sp.network.SupplyNetwork) -> None:
    assert exporter_regions(base, ["graphite_natural"]) == {"CHN", "ROW"}
    assert "MYS" in exporter_regions(base, ["ce_oxide"])
    assert exporter_regions(base, ["no_such_commodity"]) == set()
