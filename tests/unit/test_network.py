"""SupplyNetwork: loading, immutability, round trips, balance and compilation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import spigot as sp
from spigot.errors import UnknownNameError
from spigot.network import SupplyNetwork
from spigot.units import WEEKS_PER_YEAR, convert, parse_unit


def test_export_then_from_folder_is_unchanged(toy: SupplyNetwork, tmp_path: Path) -> None:
    folder = sp.datasets.export("toy", tmp_path / "copy")
    again = SupplyNetwork.from_folder(folder)
    assert again == toy
    assert again.content_hash() == toy.content_hash()


def test_export_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("mine")
    with pytest.raises(sp.errors.DataError, match="folder is not empty"):
        sp.datasets.export("toy", tmp_path / "x")
    assert (tmp_path / "x" / "keep.txt").read_text() == "mine"


def test_add_returns_a_new_network_and_leaves_inputs_alone(toy: SupplyNetwork) -> None:
    rows = pd.DataFrame([{"id": "row_magnets", "holder": "ROW", "commodity": "ndfeb_magnet",
                          "quantity": 1.5, "unit": "kt product", "year": 2024, "source": "test"}])
    before = rows.copy()
    bigger = toy.add("stockpiles", rows)
    assert len(bigger.stockpiles) == len(toy.stockpiles) + 1
    assert bigger.stockpiles.set_index("id").loc["row_magnets", "quantity"] == 1500.0
    pd.testing.assert_frame_equal(rows, before)
    assert "row_magnets" not in set(toy.stockpiles["id"])


def test_tables_are_copies(toy: SupplyNetwork) -> None:
    nodes = toy.nodes
    nodes.loc[0, "capacity"] = -1.0
    assert (toy.nodes["capacity"] >= 0).all()
    assert toy.nodes.attrs["units"]["capacity"] == "t/yr"


def test_unknown_table_and_dataset_names_suggest(toy: SupplyNetwork) -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'nodes'"):
        toy.add("node", [])
    with pytest.raises(UnknownNameError, match="did you mean 'toy'"):
        sp.datasets.load("toys")


def test_toy_balances_and_compiles(toy: SupplyNetwork) -> None:
    balance = toy.balance()
    assert balance["ok"].all()
    compiled = toy.compile()
    assert compiled.sizes["node"] == 6
    assert compiled.recipe_out.shape == (6, 4)
    # weekly rates are annual / weeks per year
    sep = compiled.index("node", "sep_chn")
    assert compiled.node_base_activity[sep] == pytest.approx(120 / WEEKS_PER_YEAR)
    # route shares of each origin's production sum to 1
    totals: dict[tuple[int, int], float] = {}
    for k in range(compiled.sizes["route"]):
        key = (int(compiled.route_origin[k]), int(compiled.route_commodity[k]))
        totals[key] = totals.get(key, 0.0) + float(compiled.route_share[k])
    assert np.allclose(list(totals.values()), 1.0)
    # region demand equals sector output x intensity
    magnet = compiled.index("commodity", "ndfeb_magnet")
    assert compiled.region_demand()[:, magnet].sum() * WEEKS_PER_YEAR == pytest.approx(80.0)
    assert compiled.route_dest_node[compiled.index("route", "mag_chn_usa")] == -1
    assert compiled.price[magnet, 1] == pytest.approx(60_000.0)  # USD/t


def test_compiled_steps_scale_rates(toy: SupplyNetwork) -> None:
    weekly, monthly = toy.compile(1.0), toy.compile(4.0)
    assert np.allclose(monthly.route_base_flow, 4 * weekly.route_base_flow)
    assert (monthly.route_transit_steps <= weekly.route_transit_steps).all()
    assert (monthly.route_transit_steps >= 1).all()


@pytest.mark.parametrize(
    ("text", "magnitude", "basis"),
    [("t REO/yr", "t/yr", "REO"), ("kt metal/yr", "kt/yr", "metal"), ("t W", "t", "metal"),
     ("t product", "t", "product"), ("t/yr", "t/yr", None)],
)
def test_parse_unit(text: str, magnitude: str, basis: str | None) -> None:
    parsed = parse_unit(text)
    assert (parsed.magnitude, parsed.basis) == (magnitude, basis)


def test_convert_refuses_basis_and_dimension_changes() -> None:
    assert convert(2.5, "kt REO/yr", "t REO/yr") == pytest.approx(2500.0)
    with pytest.raises(ValueError, match="basis 'REO' cannot be converted to 'metal'"):
        convert(1.0, "t REO/yr", "t metal/yr")
    with pytest.raises(ValueError, match="not convertible"):
        convert(1.0, "t/yr", "t")


def test_load_takes_a_bundled_name_or_a_folder(toy: SupplyNetwork, tmp_path: Path) -> None:
    folder = sp.datasets.export("toy", tmp_path / "mine")
    assert sp.datasets.load(str(folder)) == toy
    assert sp.datasets.load("toy") is sp.datasets.load("toy")  # bundled worlds are cached
    with pytest.raises(UnknownNameError, match=r"unknown dataset: got '.*toys'; expected one of base"):
        sp.datasets.load(str(tmp_path / "toys"))
