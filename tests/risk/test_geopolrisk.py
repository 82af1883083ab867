"""GeoPolRisk: closed-form cases."""

from __future__ import annotations

import math

import pytest

import spigot as sp
from spigot.errors import InputError
from spigot.risk import geopolrisk, geopolrisk_score, political_stability_scaled


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
