"""The examples in the metrics docstrings run and give what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["spigot.risk", "spigot.risk.chokepoint", "spigot.risk.concentration",
           "spigot.risk.eu_supply_risk", "spigot.risk.exposure", "spigot.risk.geopolrisk",
           "spigot.risk.governance", "spigot.risk.reliance", "spigot.risk.audit"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0


@pytest.mark.parametrize("table", ["eu_crm_2023_results", "eu_crm_2023_trade_parameters",
                                   "eu_crm_2023_shares", "wgi", "usgs_net_import_reliance",
                                   "eu_material_map", "independent_totals"])
def test_every_reference_row_has_a_source(table: str) -> None:
    from spigot.risk._common import reference_table

    frame = reference_table(table)
    assert len(frame)
    assert frame["source"].notna().all()
    assert (frame["source"].astype(str).str.len() > 5).all()
