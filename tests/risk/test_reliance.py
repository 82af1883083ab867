"""Net import reliance (USGS definition) and import sources."""

from __future__ import annotations

import math

import pytest

import spigot as sp
from spigot.errors import UnknownNameError
from spigot.risk import import_sources, net_import_reliance, nir, usgs_published_reliance
from spigot.risk._common import region_hint


def test_nir_closed_form() -> None:
    # (100 - 40) / (20 + 100 - 40)
    assert nir(production=20, imports=100, exports=40) == pytest.approx(0.75)
    # a stock draw-down of 20 t adds to net imports and to consumption: (60 + 20) / (80 + 20)
    assert nir(20, 100, 40, stock_release=20) == pytest.approx(0.8)
    assert nir(100, 10, 50) == pytest.approx(-40 / 60)  # net exporter
    assert math.isnan(nir(0, 0, 0))


def test_toy_reliance(toy: sp.SupplyNetwork) -> None:
    frame = net_import_reliance(toy).set_index(["region", "commodity"])
    assert frame.loc[("USA", "ndfeb_magnet"), "nir"] == pytest.approx(1.0)
    # China mines 100 and imports 20 t of US concentrate: 20 / 120
    assert frame.loc[("CHN", "re_concentrate"), "nir"] == pytest.approx(20 / 120)
    assert bool(frame.loc[("CHN", "ndfeb_magnet"), "net_exporter"])
    assert frame.loc[("USA", "ndfeb_magnet"), "top_source"] == "CHN"
    assert frame.attrs["units"]["nir"] == "fraction of apparent consumption"


def test_import_sources(toy: sp.SupplyNetwork) -> None:
    src = import_sources(toy, "USA", "ndfeb_magnet")
    assert src["origin"].tolist() == ["CHN", "JPN"]
    assert src["share"].tolist() == pytest.approx([2 / 3, 1 / 3])


def test_group_selects_its_members(toy: sp.SupplyNetwork) -> None:
    frame = net_import_reliance(toy, "JPN", "rare_earths")
    assert set(frame["commodity"]) == {"dy_oxide", "ndpr_oxide"}


def test_unknown_importer_names_the_region_that_holds_it(toy: sp.SupplyNetwork) -> None:
    with pytest.raises(UnknownNameError, match="it is counted in ROW"):
        net_import_reliance(toy, "UK")
    with pytest.raises(UnknownNameError, match="did you mean 'USA'"):
        net_import_reliance(toy, "us")


@pytest.mark.parametrize(("name", "hint"), [
    ("EU27", "EU27 is a group of regions (DEU, FRA, ITA, EST, EU_OTHER)"),
    ("NLD", "NLD (Netherlands) is not a region of this dataset; it is counted in EU_OTHER"),
    ("Canada", "CAN (Canada) is not a region of this dataset; it is counted in ROW"),
    ("DE", "did you mean 'DEU'?"),
])
def test_region_hints_on_base(name: str, hint: str) -> None:
    base = sp.datasets.load("base")
    assert hint in (region_hint(base, name, base.regions["id"]) or "")


def test_no_hint_for_a_name_that_is_no_country(toy: sp.SupplyNetwork) -> None:
    assert region_hint(toy, "Narnia", toy.regions["id"]) is None


def test_usgs_published_values() -> None:
    table = usgs_published_reliance("rare_earths").set_index("year")
    assert table.loc[2024, "nir"] == pytest.approx(0.53)
    assert table.loc[2022, "qualifier"] == ">95"
    assert "MCS2026" in table.loc[2024, "source"]


def test_net_exporter_has_no_reliance_value(toy: sp.SupplyNetwork) -> None:
    # China makes 60 t of magnets and exports 10 t: the USGS prints "E", spigot NaN + the flag
    row = net_import_reliance(toy, "CHN", "ndfeb_magnet").iloc[0]
    assert bool(row["net_exporter"])
    assert math.isnan(row["nir"])
