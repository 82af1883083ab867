"""EU supply risk (EU 2023 methodology): closed-form cases and the reproduction of the EU's 2023 results."""

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
from spigot.risk.eu_supply_risk import (
    EU27_MEMBERS,
    REPRODUCTION_RELATIVE,
    REPRODUCTION_TOLERANCE,
    eu_wgi,
    stage_supply_risk,
)


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


# Reproduction of the EU's 2023 SR (issue #18: +/-10 %) from the bundled 2023 inputs. Rows that
# reproduce: the heavy rare earths and cerium at processing (published shares, GS only) and the
# HREE group. Rows that do not are pinned at their measured ratio, each with its cause in
# docs/metrics.md, so that a change shows and nothing is hidden.
WITHIN = [("Dysprosium", "processing"), ("HREE", "processing"), ("Cerium", "processing"),
          ("Erbium", "processing"), ("Europium", "processing"), ("Gadolinium", "processing"),
          ("Holmium", "processing"), ("Lutetium", "processing"), ("Thulium", "processing"),
          ("Ytterbium", "processing"), ("Terbium", "processing"), ("Erbium", "extraction"),
          ("Lanthanum", "extraction"), ("Praseodymium", "extraction")]
# headline (bottleneck-stage) rows of the issue's materials outside +/-10 %: measured ratio
KNOWN_GAPS = {("Neodymium", "extraction"): 0.391, ("Gallium", "processing"): 1.260,
              ("Germanium", "processing"): 1.172, ("Natural graphite", "extraction"): 1.170,
              ("Antimony", "extraction"): 0.896, ("Tungsten", "processing"): 0.876,
              ("LREE", "processing"): 0.825}
ISSUE_MATERIALS = ["Dysprosium", "Neodymium", "Gallium", "Germanium", "Natural graphite",
                   "Antimony", "Tungsten", "LREE", "HREE"]


@pytest.fixture(scope="module")
def reproduction() -> pd.DataFrame:
    return reproduce_eu_2023().set_index(["material", "stage"])


@pytest.mark.parametrize(("material", "stage"), WITHIN)
def test_reproduces_eu_2023_sr_within_10_percent(reproduction: pd.DataFrame, material: str,
                                                 stage: str) -> None:
    row = reproduction.loc[(material, stage)]
    assert abs(row["sr"] / row["published_sr"] - 1) <= 0.10
    assert bool(row["within_10pct"])


@pytest.mark.parametrize(("key", "ratio"), list(KNOWN_GAPS.items()))
def test_known_gaps_are_reported_not_hidden(reproduction: pd.DataFrame, key: tuple[str, str],
                                            ratio: float) -> None:
    row = reproduction.loc[key]
    assert bool(row["bottleneck"])
    assert row["ratio"] == pytest.approx(ratio, abs=0.002)
    assert not bool(row["within_10pct"])


def test_every_issue_material_has_a_headline_row(reproduction: pd.DataFrame) -> None:
    frame = reproduction.reset_index()
    headline = frame[frame["bottleneck"] & frame["material"].isin(ISSUE_MATERIALS)]
    assert sorted(headline["material"]) == sorted(ISSUE_MATERIALS)
    assert headline["sr"].notna().all()
    assert headline["published_sr"].notna().all()
    assert set(zip(headline["material"], headline["stage"], strict=True)) <= (
        set(WITHIN) | set(KNOWN_GAPS))


def test_reproduction_tolerances() -> None:
    assert (REPRODUCTION_RELATIVE, REPRODUCTION_TOLERANCE) == (0.10, 0.05)


def test_dysprosium_worked_example(reproduction: pd.DataFrame) -> None:
    # HHI_WGI,t = 1^2 * 5.6665 * 1; SR = 5.6665 * (1 - 0.01) * 0.99 = 5.5537 -> published 5.6
    row = reproduction.loc[("Dysprosium", "processing")]
    assert row["basis"] == "GSonly"
    assert row["hhi_wgi_t_gs"] == pytest.approx(5.6665)
    assert row["sr"] == pytest.approx(5.6665 * 0.99 * 0.99)
    assert bool(row["within_rounding"])


def test_eu_sourcing_term_is_used(reproduction: pd.DataFrame) -> None:
    """Antimony extraction, IR = 1: SR = (H_GS/2 + H_EU/2) (1 - 0.28) 0.94."""
    row = reproduction.loc[("Antimony", "extraction")]
    assert row["basis"] == "GS+EU"
    expected = (row["hhi_wgi_t_gs"] / 2 + row["hhi_wgi_t_eu"] / 2) * (1 - 0.28) * 0.94
    assert row["sr"] == pytest.approx(expected)
    assert row["hhi_wgi_t_eu"] != pytest.approx(row["hhi_wgi_t_gs"], abs=0.1)


def test_group_si_is_the_mean_of_the_members(reproduction: pd.DataFrame) -> None:
    members = eu_2023_results()
    hree = members[(members["group"] == "HREE") & (members["material"] != "HREE")]
    row = reproduction.loc[("HREE", "processing")]
    assert row["si_sr"] == pytest.approx(hree["si_sr"].mean())
    assert "mean of the members" in row["note"]


def test_stage_supply_risk_closed_form() -> None:
    gs, eu = {"A": 1.0}, {"A": 0.5, "B": 0.5}
    wgi = {"A": 6.0, "B": 2.0}
    h_gs, h_eu = 6.0, 0.25 * 6 + 0.25 * 2
    out = stage_supply_risk(gs, eu, ir=0.5, eol_rir=0.1, si_sr=0.9, wgi=wgi)
    assert (out["hhi_wgi_t_gs"], out["hhi_wgi_t_eu"]) == (pytest.approx(h_gs), pytest.approx(h_eu))
    assert out["sr"] == pytest.approx((h_gs * 0.25 + h_eu * 0.75) * 0.9 * 0.9)
    only = stage_supply_risk(gs, eu, ir=0.5, eol_rir=0.0, si_sr=1.0, basis="GSonly", wgi=wgi)
    assert only["sr"] == pytest.approx(h_gs)
    eu_only = stage_supply_risk(gs, eu, ir=0.5, eol_rir=0.0, si_sr=1.0, basis="EUonly", wgi=wgi)
    assert eu_only["sr"] == pytest.approx(h_eu)


def test_stage_supply_risk_lists_default_wgi() -> None:
    out = stage_supply_risk({"CHN": 0.9, "XXX": 0.1}, None, ir=1.0, eol_rir=0.0, si_sr=1.0,
                            basis="GSonly")
    assert out["wgi_default"] == ["XXX"]
    assert out["hhi_wgi_t_gs"] == pytest.approx(0.81 * 5.6665 + 0.01 * 5.0, rel=1e-4)


def test_stage_supply_risk_rejects_bad_input() -> None:
    with pytest.raises(InputError, match="unknown supply basis"):
        stage_supply_risk({"CHN": 1.0}, None, ir=1.0, eol_rir=0.0, si_sr=1.0, basis="GS")
    with pytest.raises(InputError, match="EU-sourcing shares missing"):
        stage_supply_risk({"CHN": 1.0}, None, ir=1.0, eol_rir=0.0, si_sr=1.0)


def test_eu_wgi_scores_eu_production_with_the_members_mean() -> None:
    members = wgi_scaled(list(EU27_MEMBERS))
    known = [m for m in EU27_MEMBERS if m not in members.attrs["missing"]]
    assert eu_wgi(["EU27"])["EU27"] == pytest.approx(members[known].mean())


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


def test_network_sr_has_the_eu_sourcing_term() -> None:
    """Gallium in the base world: EU production and imports give H_EU and IR; SR mixes them."""
    row = eu_supply_risk(sp.datasets.load("base"), "gallium", at="2022-06-01").iloc[0]
    assert row["basis"].startswith("GS+EU (dataset shares and IR)")
    ir = row["ir"]
    assert 0 <= ir <= 1
    expected = ((row["hhi_wgi_t"] * ir / 2 + row["hhi_wgi_t_eu"] * (1 - ir / 2))
                * (1 - row["eol_rir"]) * row["si_sr"])
    assert row["sr"] == pytest.approx(expected)
