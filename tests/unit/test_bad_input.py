"""A user's folder with mistakes gets one clear message per mistake (messages pinned)."""

from __future__ import annotations

from pathlib import Path

import pytest

from spigot.errors import ConsistencyError, DataError
from spigot.network import SupplyNetwork
from tests.conftest import edit_csv


def test_negative_capacity_names_file_line_field_and_value(toy_folder: Path) -> None:
    edit_csv(toy_folder / "nodes.csv", "mine_usa,US mining,USA,mining,facility,mine_re,25,",
             "mine_usa,US mining,USA,mining,facility,mine_re,-25,")
    with pytest.raises(DataError) as info:
        SupplyNetwork.from_folder(toy_folder)
    message = str(info.value)
    assert "nodes.csv, line 3: field 'capacity': negative value: got '-25'" in message
    assert "expected a number >= 0 in t/yr" in message


def test_unknown_region_code_suggests_iso3(toy_folder: Path) -> None:
    edit_csv(toy_folder / "regions.csv", "JPN,Japan,ex_china,country", "GBR,United Kingdom,"
             "ex_china,country")
    edit_csv(toy_folder / "nodes.csv", "magnet_jpn,Japan magnets,JPN", "magnet_jpn,UK magnets,UK")
    text = (toy_folder / "sectors.csv").read_text().replace("JPN", "GBR")
    (toy_folder / "sectors.csv").write_text(text)
    for name in ("bom.csv", "routes.csv", "stockpiles.csv"):
        path = toy_folder / name
        path.write_text(path.read_text().replace("JPN", "GBR"))
    with pytest.raises(ConsistencyError) as info:
        SupplyNetwork.from_folder(toy_folder)
    message = str(info.value)
    assert "nodes.csv, line 6: field 'region': unknown region code: got 'UK'" in message
    assert "did you mean 'GBR'?" in message


def test_missing_column_is_named_with_the_expected_columns(toy_folder: Path) -> None:
    edit_csv(toy_folder / "routes.csv", "transit_weeks,", "transit,")
    with pytest.raises(DataError) as info:
        SupplyNetwork.from_folder(toy_folder)
    message = str(info.value)
    assert "routes.csv: field 'transit': unknown column" in message
    # transit_weeks has a default, so only the unknown column is reported
    edit_csv(toy_folder / "routes.csv", "transit,", "transit_weeks,")
    edit_csv(toy_folder / "routes.csv", "id,commodity,origin", "id,commodty,origin")
    with pytest.raises(DataError) as info:
        SupplyNetwork.from_folder(toy_folder)
    message = str(info.value)
    assert "routes.csv: field 'commodity': missing column" in message
    assert "did you mean 'commodty'?" in message


def test_route_to_missing_node_is_named(toy_folder: Path) -> None:
    edit_csv(toy_folder / "routes.csv", "ndpr_jpn,ndpr_oxide,sep_chn,magnet_jpn",
             "ndpr_jpn,ndpr_oxide,sep_chn,magnet_jp")
    with pytest.raises(ConsistencyError) as info:
        SupplyNetwork.from_folder(toy_folder)
    message = str(info.value)
    assert "routes.csv, line 5: field 'destination': unknown reference: got 'magnet_jp'" in message
    assert "did you mean one of 'magnet_jpn'" in message
    assert "no sector in the destination region" not in message


def test_unit_with_wrong_basis_is_rejected(toy_folder: Path) -> None:
    edit_csv(toy_folder / "routes.csv", "20,t REO/yr,6", "20,t product/yr,6")
    with pytest.raises(ConsistencyError) as info:
        SupplyNetwork.from_folder(toy_folder)
    message = str(info.value)
    assert "routes.csv, line 3: field 'unit': unit basis does not match the commodity: " \
        "got 't product/yr'; expected basis 'REO' for 're_concentrate'" in message


def test_unit_with_wrong_dimension_is_rejected(toy_folder: Path) -> None:
    edit_csv(toy_folder / "routes.csv", "20,t REO/yr,6", "20,t REO/kg,6")
    with pytest.raises(DataError) as info:
        SupplyNetwork.from_folder(toy_folder)
    assert "routes.csv, line 3: field 'unit': unit does not match the schema: got 't REO/kg'" \
        in str(info.value)


def test_convertible_units_are_normalised(toy_folder: Path) -> None:
    edit_csv(toy_folder / "routes.csv", "20,t REO/yr,6", "0.02,kt REO/yr,6")
    net = SupplyNetwork.from_folder(toy_folder)
    routes = net.routes.set_index("id")
    assert routes.loc["conc_usa", "volume"] == pytest.approx(20.0)
    assert routes.loc["conc_usa", "unit"] == "t REO/yr"


def test_imbalance_beyond_tolerance_is_reported(toy_folder: Path) -> None:
    edit_csv(toy_folder / "routes.csv", "mag_chn_usa,ndfeb_magnet,magnet_chn,USA,10",
             "mag_chn_usa,ndfeb_magnet,magnet_chn,USA,30")
    with pytest.raises(ConsistencyError) as info:
        SupplyNetwork.from_folder(toy_folder)
    message = str(info.value)
    assert "field 'magnet_chn/ndfeb_magnet': supply and use do not balance: got '80 t/yr routed'"\
        in message
    net = SupplyNetwork.from_folder(toy_folder, strict=False)
    assert any("do not balance" in p.message for p in net.problems())


def test_malformed_csv_and_unknown_table_file(toy_folder: Path) -> None:
    (toy_folder / "node.csv").write_text("id\nx\n")
    with pytest.raises(DataError) as info:
        SupplyNetwork.from_folder(toy_folder)
    assert "node.csv: unknown table file: got 'node.csv'" in str(info.value)
    assert "did you mean 'nodes'?" in str(info.value)
    (toy_folder / "node.csv").unlink()
    with (toy_folder / "prices.csv").open("a") as fh:
        fh.write("gallium,china\n")
    with pytest.raises(DataError) as info:
        SupplyNetwork.from_folder(toy_folder)
    assert "prices.csv, line 10: wrong number of cells: got 2" in str(info.value)


def test_yaml_tables_report_their_lines(toy_folder: Path) -> None:
    (toy_folder / "stockpiles.csv").unlink()
    (toy_folder / "stockpiles.yaml").write_text(
        "- id: jpn_magnets\n  holder: JPN\n  commodity: ndfeb_magnet\n  quantity: 2\n"
        "  unit: t product\n  year: 2024\n  source: test\n"
        "- id: bad\n  holder: JPN\n  commodity: ndfeb_magnet\n  quantity: lots\n"
        "  unit: t product\n  year: 2024\n  source: test\n")
    with pytest.raises(DataError) as info:
        SupplyNetwork.from_folder(toy_folder)
    assert "stockpiles.yaml, line 8: field 'quantity': not a number: got 'lots'" in str(info.value)


def test_enumerations_suggest_the_right_value(toy_folder: Path) -> None:
    edit_csv(toy_folder / "nodes.csv", "t REO/yr,operating", "t REO/yr,operatng")
    with pytest.raises(DataError) as info:
        SupplyNetwork.from_folder(toy_folder)
    assert "field 'status': value not allowed: got 'operatng'" in str(info.value)
    assert "did you mean 'operating'?" in str(info.value)
