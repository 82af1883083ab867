"""Exposure to export controls at dates before and after a measure and after its suspension."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import spigot as sp
from spigot.errors import InputError
from spigot.network.io import read_table_file
from spigot.network.schema import schemas
from spigot.risk import covers_destination, exposure, measures_in_force

BASE_CONTROLS = Path(sp.__file__).parent / "datasets" / "base" / "controls.csv"


def _share(net: sp.SupplyNetwork, at: str, importer: str = "USA",
           commodity: str = "ndfeb_magnet") -> float:
    frame = exposure(net, importer, commodity, at=at)
    return float(frame["exposure_share"].iloc[0])


def test_before_the_measure(toy_controls: sp.SupplyNetwork) -> None:
    assert _share(toy_controls, "2024-12-02") == 0.0


def test_on_and_after_the_start(toy_controls: sp.SupplyNetwork) -> None:
    # 10 of the USA's 15 t/yr of magnets come from China
    assert _share(toy_controls, "2024-12-03") == pytest.approx(10 / 15)
    frame = exposure(toy_controls, "USA", "ndfeb_magnet", at="2025-06-01")
    assert frame["measures"].iloc[0] == "ban_usa"
    assert frame["import_exposure_share"].iloc[0] == pytest.approx(10 / 15)
    assert frame.attrs["at"] == "2025-06-01"


def test_after_the_suspension(toy_controls: sp.SupplyNetwork) -> None:
    # the end date is exclusive: suspended from 2025-11-09
    assert _share(toy_controls, "2025-11-08") == pytest.approx(10 / 15)
    assert _share(toy_controls, "2025-11-09") == 0.0
    assert _share(toy_controls, "2026-06-01") == 0.0


def test_group_measure_covers_members(toy_controls: sp.SupplyNetwork) -> None:
    assert _share(toy_controls, "2025-03-01", "JPN", "dy_oxide") == 0.0
    assert _share(toy_controls, "2025-04-04", "JPN", "dy_oxide") == 1.0


def test_military_only_and_suspension_rows_do_not_count(toy_controls: sp.SupplyNetwork) -> None:
    found = measures_in_force(toy_controls.table("controls"), "2026-01-01")
    assert found["id"].tolist() == ["re_licence"]



def test_upstream_exposure_through_a_third_country(toy: sp.SupplyNetwork) -> None:
    # a licence on Chinese Dy oxide: Japan's magnet plant uses it, so the 5 t/yr of Japanese
    # magnets the USA buys depend on a controlled input; the 10 t/yr of Chinese magnets do not
    # cross a controlled border as oxide
    dy = {"id": "dy", "exporter": "CHN", "commodities": "dy_oxide", "measure": "licence",
          "destinations": "all", "end_use": "all", "start": "2025-04-04", "end": "",
          "status": "in-force", "source": "test"}
    net = toy.add("controls", [dy])
    usa = exposure(net, "USA", "ndfeb_magnet", at="2025-06-01").iloc[0]
    assert usa["exposure_share"] == 0.0
    assert usa["exposed_upstream"] == pytest.approx(5.0)
    assert usa["upstream_exposure_share"] == pytest.approx(5 / 15)
    jpn = exposure(net, "JPN", "ndfeb_magnet", at="2025-06-01").iloc[0]
    assert jpn["upstream_exposure_share"] == pytest.approx(1.0)  # its own plant, Chinese Dy
    before = exposure(net, "USA", "ndfeb_magnet", at="2025-04-03").iloc[0]
    assert before["exposed_upstream"] == 0.0

def test_destinations() -> None:
    assert covers_destination("all", "USA")
    assert covers_destination("JPN;USA", "USA")
    assert not covers_destination("JPN", "USA")
    assert not covers_destination("all-except:JPN;USA", "USA")
    assert covers_destination("all-except:JPN", "USA")


def test_dated_list_replaces_the_network_controls(toy: sp.SupplyNetwork) -> None:
    dated = pd.DataFrame([{"id": "x", "exporter": "JPN", "commodities": "ndfeb_magnet",
                           "measure": "licence", "destinations": "all-except:CHN",
                           "end_use": "all", "start": "2025-01-01", "end": ""}])
    assert exposure(toy, "USA", "ndfeb_magnet", "2025-02-01", controls=dated)[
        "exposure_share"].iloc[0] == pytest.approx(5 / 15)


def test_bad_date_names_the_field(toy: sp.SupplyNetwork) -> None:
    with pytest.raises(InputError, match=r"field 'at': invalid date: got '2025-6-1'; expected a "
                                         r"date in the format YYYY-MM-DD"):
        exposure(toy, "USA", at="2025-6-1")


def test_inputs_are_not_mutated(toy_controls: sp.SupplyNetwork) -> None:
    table = toy_controls.table("controls")
    before = table.copy()
    measures_in_force(table, "2025-06-01")
    pd.testing.assert_frame_equal(table, before)


# --- the base dataset's dated list of measures (src/spigot/datasets/base/controls.csv) -------

@pytest.fixture(scope="module")
def base_controls() -> pd.DataFrame:
    return read_table_file(BASE_CONTROLS, schemas()["controls"])


def _ids(table: pd.DataFrame, at: str, **kw: str) -> set[str]:
    groups = {c: g for g, ids in {
        "rare_earths": ["re_concentrate", "la_oxide", "ndpr_oxide", "dy_oxide", "tb_oxide"],
        "gallium": ["gallium"], "antimony": ["antimony"]}.items() for c in ids}
    return set(measures_in_force(table, at, groups, **kw)["id"])


def test_base_controls_follow_the_schema(base_controls: pd.DataFrame) -> None:
    assert base_controls["id"].is_unique
    assert (base_controls["source"].str.len() > 0).all()


def test_base_controls_timeline(base_controls: pd.DataFrame) -> None:
    assert "cn_2010_re_quota" in _ids(base_controls, "2010-10-01")
    assert "cn_2010_jpn_re_halt" in _ids(base_controls, "2010-10-01", destination="JPN")
    assert "cn_2010_jpn_re_halt" not in _ids(base_controls, "2010-10-01", destination="USA")
    assert not _ids(base_controls, "2016-01-01")  # quotas abolished, duties removed
    assert "cn_2023_no23_ga_ge" in _ids(base_controls, "2023-08-01")
    assert "cn_2023_no23_ga_ge" not in _ids(base_controls, "2023-07-31")
    ga_usa = _ids(base_controls, "2025-06-01", commodity="gallium", destination="USA")
    assert ga_usa == {"cn_2023_no23_ga_ge", "cn_2024_no46_usa_ban"}
    ga_usa_later = _ids(base_controls, "2025-12-01", commodity="gallium", destination="USA")
    assert ga_usa_later == {"cn_2023_no23_ga_ge"}  # the US ban is suspended from 2025-11-09
    dy = _ids(base_controls, "2025-06-01", commodity="dy_oxide", destination="DEU")
    assert dy == {"cn_2025_no18_hree"}
    assert "cn_2025_no57_hree" not in _ids(base_controls, "2025-12-01")  # suspended before start

