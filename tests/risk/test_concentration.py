"""Concentration indices: closed-form cases and the toy world."""

from __future__ import annotations

import pandas as pd
import pytest

import spigot as sp
from spigot.errors import InputError, UnknownNameError
from spigot.risk import concentration, concentration_indices, hhi, stage_shares


def test_hhi_closed_form() -> None:
    assert hhi([1.0]) == 1.0
    assert hhi([0.5, 0.5]) == pytest.approx(0.5)
    assert hhi([0.7, 0.2, 0.1]) == pytest.approx(0.49 + 0.04 + 0.01)
    assert hhi([0.25] * 4) == pytest.approx(0.25)


def test_hhi_ignores_nan_and_treats_unlisted_remainder_as_atomistic() -> None:
    assert hhi([0.6, float("nan"), 0.2]) == pytest.approx(0.40)


def test_indices_closed_form() -> None:
    out = concentration_indices(pd.Series({"CHN": 0.6, "AUS": 0.3, "USA": 0.1}))
    assert out["hhi"] == pytest.approx(0.46)
    assert out["hhi_points"] == pytest.approx(4600)
    # normalised: (0.46 - 1/3) / (1 - 1/3) = 0.19
    assert out["hhi_normalised"] == pytest.approx(0.19)
    assert out["cr1"] == pytest.approx(0.6)
    assert out["cr3"] == pytest.approx(1.0)
    assert out["n_producers"] == 3
    assert (out["top_supplier"], out["top_share"]) == ("CHN", pytest.approx(0.6))


def test_indices_monopoly_and_equal_split() -> None:
    assert concentration_indices(pd.Series({"CHN": 1.0}))["hhi_normalised"] == 1.0
    equal = concentration_indices(pd.Series({"A": 0.25, "B": 0.25, "C": 0.25, "D": 0.25}))
    assert equal["hhi_normalised"] == pytest.approx(0.0)
    assert equal["cr3"] == pytest.approx(0.75)


def test_invalid_shares_raise_input_error() -> None:
    with pytest.raises(InputError, match=r"field 'shares': invalid shares: got \[-0.1, 0.5\]; "
                                         r"expected fractions >= 0 that sum to at most 1"):
        hhi([-0.1, 0.5])
    with pytest.raises(InputError, match="sum to at most 1"):
        hhi([0.8, 0.8])


def test_toy_mining_hhi_is_13_over_18(toy: sp.SupplyNetwork) -> None:
    # CHN 100 t, USA 20 t of 120 t: (5/6)^2 + (1/6)^2 = 26/36
    frame = concentration(toy, "rare_earths", "mining")
    assert frame["hhi"].iloc[0] == pytest.approx(26 / 36)
    assert frame.attrs["units"]["hhi_points"] == "points (0-10,000)"
    assert "Herfindahl" in frame.attrs["reference"]


def test_stage_without_statistics_falls_back_to_node_output(toy: sp.SupplyNetwork) -> None:
    shares = stage_shares(toy, "ndfeb_magnet", "magnet")
    assert dict(zip(shares["region"], shares["share"], strict=True)) == pytest.approx(
        {"CHN": 0.75, "JPN": 0.25})
    assert set(shares["source"]) == {"network nodes (base-year output)"}


def test_inputs_are_not_mutated(toy: sp.SupplyNetwork) -> None:
    before = toy.content_hash()
    concentration(toy)
    assert toy.content_hash() == before


def test_unknown_commodity_and_stage_suggest(toy: sp.SupplyNetwork) -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'rare_earths'"):
        concentration(toy, "rare_earth")
    with pytest.raises(UnknownNameError, match="did you mean one of 'mining'"):
        concentration(toy, "rare_earths", "minning")


@pytest.mark.parametrize(("commodity", "stage"), [("rare_earths", "mining"),
                                                  ("antimony", "mining"),
                                                  ("gallium", "refining")])
def test_year_selection_uses_the_year_asked_for(commodity: str, stage: str) -> None:
    # every year the statistics hold is the year used when asked for; a year without data is an
    # error naming the years there are (issue 18: never another year in silence)
    net = sp.datasets.load("base")
    stats = net.production
    rows = stats[(stats["commodity"] == commodity) & (stats["stage"] == stage)]
    years = sorted({int(y) for y in rows["year"]})
    assert len(years) >= 2
    for year in years:
        assert set(stage_shares(net, commodity, stage, year)["year"]) == {year}
    for wrong in (years[-1] + 3, years[0] - 3):
        with pytest.raises(UnknownNameError, match=f"got {wrong}; expected one of "
                                                   + ", ".join(str(y) for y in years)):
            stage_shares(net, commodity, stage, wrong)
    assert set(stage_shares(net, commodity, stage)["year"]) == {years[-1]}
