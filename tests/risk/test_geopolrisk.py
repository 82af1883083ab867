"""GeoPolRisk: closed-form cases."""

from __future__ import annotations

import math

import pytest

import spigot as sp
from spigot.errors import InputError
from spigot.risk import (
    geopolrisk,
    geopolrisk_from_inputs,
    geopolrisk_score,
    political_stability_scaled,
)
from spigot.risk.geopolrisk import CF_COPPER


def test_closed_form_without_domestic_production() -> None:
    # 0.5 * (60 * 0.6 + 40 * 0.2) / 100 = 0.5 * 0.44
    assert geopolrisk_score(0.5, {"A": 60, "B": 40}, {"A": 0.6, "B": 0.2}) == pytest.approx(0.22)


def test_domestic_production_dilutes_the_import_risk() -> None:
    # 0.5 * 44 / (100 + 100)
    assert geopolrisk_score(0.5, {"A": 60, "B": 40}, {"A": 0.6, "B": 0.2},
                            domestic_production=100) == pytest.approx(0.11)
    assert math.isnan(geopolrisk_score(0.5, {}, {}))


def test_political_stability_scaling() -> None:
    # China PS 2022 = -0.4411 -> (2.5 + 0.4411) / 5
    assert political_stability_scaled(["CHN"])["CHN"] == pytest.approx((2.5 + 0.441074) / 5)
    assert political_stability_scaled().between(0, 1).all()


def test_invalid_input() -> None:
    with pytest.raises(InputError, match="invalid GeoPolRisk input"):
        geopolrisk_score(1.5, {"A": 1})


def test_toy_usa_magnets(toy: sp.SupplyNetwork) -> None:
    frame = geopolrisk(toy, "USA", "ndfeb_magnet")
    row = frame.iloc[0]
    g = political_stability_scaled(["CHN", "JPN"])
    # magnet HHI 0.75^2 + 0.25^2; imports CHN 10, JPN 5
    expected = 0.625 * (10 * g["CHN"] + 5 * g["JPN"]) / 15
    assert row["hhi"] == pytest.approx(0.625)
    assert row["geopolrisk"] == pytest.approx(expected)


def test_toy_row_columns(toy: sp.SupplyNetwork) -> None:
    row = geopolrisk(toy, "USA", "ndfeb_magnet").iloc[0]
    assert row["unit"] == "t product/yr"
    assert (row["wgi_year"], row["default_wgi_share"], row["default_wgi_partners"]) == (2022, 0, "")


def test_wgi_of_the_year_asked_for(toy: sp.SupplyNetwork) -> None:
    row = geopolrisk(toy, "USA", "ndfeb_magnet", year=2015).iloc[0]
    g = political_stability_scaled(["CHN", "JPN"], year=2015)
    assert row["wgi_year"] == 2015
    assert row["wta"] == pytest.approx((10 * g["CHN"] + 5 * g["JPN"]) / 15)
    assert g["CHN"] != pytest.approx(political_stability_scaled(["CHN"])["CHN"], abs=1e-4)
    with pytest.raises(InputError, match="no WGI for this year"):
        geopolrisk(toy, "USA", year=2030)


def test_default_wgi_is_shown_not_silent() -> None:
    """Base world: part of the US gallium imports comes from ROW, which has no WGI (g = 0.5)."""
    row = geopolrisk(sp.datasets.load("base"), "USA", "gallium").iloc[0]
    assert row["default_wgi_partners"] == "ROW"
    assert 0 < row["default_wgi_share"] < 1


def test_from_inputs_group_importer_and_cf() -> None:
    """A group: trade between members counts with g = 0; members' production is domestic."""
    out = geopolrisk_from_inputs({"A": 2, "B": 1, "C": 1}, {"A": 50, "B": 30, "X": 20},
                                 {"A": 0.0}, ["B", "C"], price=4.0)
    assert out["hhi"] == pytest.approx(6 / 16)
    assert out["domestic_production"] == 2
    g_a = 2.5 / 5
    assert out["numerator"] == pytest.approx(50 * g_a + 30 * 0 + 20 * 0.5)
    assert out["wta"] == pytest.approx(out["numerator"] / 102)
    assert out["cf"] == pytest.approx(out["geopolrisk"] * 4.0 / CF_COPPER)
    assert out["default_wgi_partners"] == ["X"]
    assert out["default_wgi_share"] == pytest.approx(0.2)


def test_from_inputs_rejects_bad_input() -> None:
    with pytest.raises(InputError, match="invalid GeoPolRisk input"):
        geopolrisk_from_inputs({"A": 1}, {"B": -1}, {}, "C")
    with pytest.raises(InputError, match="invalid GeoPolRisk input"):
        geopolrisk_from_inputs({"A": 0}, {"B": 1}, {}, "C")
