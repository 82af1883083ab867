"""EU supply risk (JRC 2017): closed-form cases and the reproduction of the EU's 2023 results."""

from __future__ import annotations

import pandas as pd
import pytest

import spigot as sp
from spigot.errors import InputError, UnknownNameError
from spigot.risk import (
    eu_2023_results,
    eu_supply_risk,
    hhi_wgi_t,
    reproduce_eu_2023,
    supply_risk,
    trade_parameter,
    wgi_scaled,
)
from spigot.risk.eu_supply_risk import REPRODUCTION_TOLERANCE


def test_hhi_wgi_t_closed_form() -> None:
    # 0.5^2 * 8 * 1.1 + 0.5^2 * 2 * 1 = 2.2 + 0.5
    assert hhi_wgi_t({"A": 0.5, "B": 0.5}, {"A": 8.0, "B": 2.0}, {"A": 1.1}) == pytest.approx(2.7)
    assert hhi_wgi_t({"A": 1.0}, {"A": 10.0}) == pytest.approx(10.0)


def test_supply_risk_closed_form() -> None:
    # [5 * 0.5/2 + 3 * (1 - 0.5/2)] * (1 - 0.1) * 0.9 = 3.5 * 0.81
    assert supply_risk(5.0, ir=0.5, eol_rir=0.1, si_sr=0.9, hhi_eu=3.0) == pytest.approx(2.835)
    # global supply only: the bracket is HHI_GS
    assert supply_risk(5.0, ir=0.7, eol_rir=0.0, si_sr=1.0) == pytest.approx(5.0)
    # full import reliance weighs GS and EU sourcing half and half
    assert supply_risk(4.0, ir=1.0, eol_rir=0.0, si_sr=1.0, hhi_eu=2.0) == pytest.approx(3.0)


def test_supply_risk_rejects_fractions_out_of_range() -> None:
    with pytest.raises(InputError, match=r"field 'eol_rir': out of range: got 5; expected a "
                                         r"fraction between 0 and 1"):
        supply_risk(5.0, ir=0.5, eol_rir=5, si_sr=0.9, hhi_eu=3.0)


def test_wgi_scaling_closed_form() -> None:
    # China 2022: mean of the six estimates -0.33325 -> 2 * (2.5 + 0.33325)
    assert wgi_scaled(["CHN"])["CHN"] == pytest.approx(5.6665)
    scaled = wgi_scaled()
    assert scaled.between(0, 10).all()
    missing = wgi_scaled(["CHN", "XXX"])
    assert missing["XXX"] == 5.0
    assert missing.attrs["missing"] == ["XXX"]


def test_trade_parameter() -> None:
    assert trade_parameter([]) == 1.0
    assert trade_parameter(["licence"]) == pytest.approx(1.1)
    assert trade_parameter(["licence", "licence"]) == pytest.approx(1.1)
    assert trade_parameter(["tax", "quota", "ban"]) == pytest.approx(1.3)
    assert trade_parameter([], agreement=True) == pytest.approx(0.8)


# The materials whose 2023 stage SR can be recomputed from published inputs (global-supply basis,
# published processing shares): heavy rare earths from the HREE shares (China 100 %), cerium
# from the LREE shares. Tolerance: half a unit of the published one-decimal value.
REPRODUCED = ["Cerium", "Dysprosium", "Erbium", "Europium", "Gadolinium", "Holmium", "Lutetium",
              "Thulium", "Ytterbium"]


@pytest.fixture(scope="module")
def reproduction() -> pd.DataFrame:
    return reproduce_eu_2023().set_index(["material", "stage"])


@pytest.mark.parametrize("material", REPRODUCED)
def test_reproduces_eu_2023_sr(reproduction: pd.DataFrame, material: str) -> None:
    row = reproduction.loc[(material, "processing")]
    assert row["reproducible"]
    assert abs(row["spigot_sr"] - row["published_sr"]) <= REPRODUCTION_TOLERANCE


def test_reproduction_tolerance_is_half_a_published_decimal() -> None:
    assert REPRODUCTION_TOLERANCE == 0.05


def test_dysprosium_worked_example(reproduction: pd.DataFrame) -> None:
    # HHI_WGI,t = 1^2 * 5.6665 * 1; SR = 5.6665 * (1 - 0.01) * 0.99 = 5.5537 -> published 5.6
    row = reproduction.loc[("Dysprosium", "processing")]
    assert row["hhi_wgi_t_gs"] == pytest.approx(5.6665)
    assert row["spigot_sr"] == pytest.approx(5.6665 * 0.99 * 0.99)


@pytest.mark.parametrize(("material", "published"), [("Terbium", 4.9), ("Yttrium", 3.5)])
def test_known_differences_are_reported_not_hidden(reproduction: pd.DataFrame, material: str,
                                                   published: float) -> None:
    # the EU used element-specific processing shares for Tb and Y that are not in spigot's sources
    row = reproduction.loc[(material, "processing")]
    assert row["published_sr"] == published
    assert not row["within_tolerance"]
    assert row["spigot_sr"] > published


@pytest.mark.parametrize("material", ["Lanthanum", "Neodymium", "Samarium", "Germanium"])
def test_eu_sourcing_basis_is_not_reproducible(reproduction: pd.DataFrame, material: str) -> None:
    row = reproduction.loc[(material, "processing")]
    assert not row["reproducible"]
    assert "EU-sourcing shares not published" in row["reason"]
    assert 0 < row["implied_hhi_eu"] < 10


def test_published_results_copy() -> None:
    table = eu_2023_results()
    assert table["material"].is_unique  # the duplicated tungsten row is dropped
    dy = eu_2023_results("Dysprosium").iloc[0]
    assert (dy["sr"], dy["bottleneck_stage"], dy["si_sr"], dy["eol_rir"]) == (
        5.6, "processing", 0.99, 0.01)
    with pytest.raises(UnknownNameError, match="did you mean 'Dysprosium'"):
        eu_2023_results("Dysprosium ")


def test_eu_supply_risk_from_the_toy_world(toy: sp.SupplyNetwork) -> None:
    frame = eu_supply_risk(toy, "rare_earths", at="2024-01-01")
    dy = frame[frame["material"] == "Dysprosium"].set_index("stage")
    # separation: China 100 % -> 5.6665 * 0.99 * 0.99
    assert dy.loc["separation", "sr"] == pytest.approx(5.6665 * 0.99 * 0.99)
    assert bool(dy.loc["separation", "bottleneck"])
    assert dy.loc["separation", "published_sr"] == 5.6
    assert frame.attrs["units"]["sr"].startswith("1")


def test_export_measures_raise_t(toy_controls: sp.SupplyNetwork) -> None:
    before = eu_supply_risk(toy_controls, "rare_earths", at="2025-01-01")
    after = eu_supply_risk(toy_controls, "rare_earths", at="2025-06-01")
    sep_before = before[before["stage"] == "separation"]["sr"].iloc[0]
    sep_after = after[after["stage"] == "separation"]["sr"].iloc[0]
    assert sep_after == pytest.approx(sep_before * 1.1)
    assert after["restricted_exporters"].iloc[0] == "CHN"
