"""The chokepoint: the stage with the highest HHI, compared with mining."""

from __future__ import annotations

import pytest

import spigot as sp
from spigot.risk import chain_members, chains, chokepoints


def test_toy_chain_links_rare_earths_to_magnets(toy: sp.SupplyNetwork) -> None:
    assert chain_members(toy, "rare_earths") == ["ndfeb_magnet", "rare_earths"]
    assert chain_members(toy, "dy_oxide") == ["ndfeb_magnet", "rare_earths"]
    assert chains(toy) == ["rare_earths"]


def test_toy_chokepoint_is_separation(toy: sp.SupplyNetwork) -> None:
    frame = chokepoints(toy, "rare_earths")
    assert frame["stage"].tolist() == ["mining", "separation", "magnet"]
    assert frame.loc[frame["chokepoint"], "stage"].tolist() == ["separation"]
    sep = frame[frame["stage"] == "separation"].iloc[0]
    # HHI 1 vs mining 26/36: ratio 36/26, difference 10/36
    assert sep["hhi_ratio_to_mining"] == pytest.approx(36 / 26)
    assert sep["hhi_difference_to_mining"] == pytest.approx(10 / 36)


def test_seeds_point_mining_70_refining_90(seeds_world: sp.SupplyNetwork) -> None:
    frame = chokepoints(seeds_world, "rare_earths").set_index("stage")
    assert frame.loc["mining", "top_share"] == pytest.approx(0.7)
    assert frame.loc["separation", "top_share"] == pytest.approx(0.9)
    assert frame.loc["mining", "hhi"] == pytest.approx(0.49 + 0.09)
    assert frame.loc["separation", "hhi"] == pytest.approx(0.82)
    assert bool(frame.loc["separation", "chokepoint"])
    assert frame.loc["separation", "hhi_ratio_to_mining"] == pytest.approx(0.82 / 0.58)


def test_ties_go_to_the_most_downstream_stage(seeds_world: sp.SupplyNetwork) -> None:
    rows = [{"commodity": "ndfeb_magnet", "stage": "magnet", "region": r, "year": 2024,
             "value": "", "unit": "t product/yr", "share": s, "source": "test"}
            for r, s in [("CHN", 0.9), ("JPN", 0.1)]]
    frame = chokepoints(seeds_world.add("production", rows), "rare_earths")
    assert frame.loc[frame["chokepoint"], "stage"].tolist() == ["magnet"]
