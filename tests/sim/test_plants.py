"""Plant classes within a region x sector (issue 17 item 4): each class holds its own stock with
its own cover target, so a shortage stops a share of the lines before it stops the sector."""

from __future__ import annotations

import dataclasses
import math
from statistics import NormalDist

import numpy as np
import pytest

import spigot.sim.engine as engine
from spigot.sim.build.model import plant_classes
from spigot.testing import TOY_LICENCE, assert_same, run, toy_scenario

#: Every magnet shipment to the USA stopped from the first week (transit: 4 weeks from JPN, 5
#: from CHN, so the last arrivals land in weeks 4 and 5; USA.automotive holds 4 weeks of cover).
CUT = """
name: cut
dataset: toy
horizon_weeks: 16
draws: 1
keep_trajectories: 1
policies:
  - {type: ExportBan, id: b1, exporter: CHN, commodities: [ndfeb_magnet], destinations: [USA]}
  - {type: ExportBan, id: b2, exporter: JPN, commodities: [ndfeb_magnet], destinations: [USA]}
"""


def _with_classes(monkeypatch: pytest.MonkeyPatch, share: list[float], mult: list[float]) -> None:
    """Make every run use these plant classes (shares of output, cover multiples)."""
    prepare = engine.prepare

    def classes(scen, network=None, markets=None):
        return dataclasses.replace(prepare(scen, network, markets),
                                   cls_share=np.array(share), cls_mult=np.array(mult))
    monkeypatch.setattr(engine, "prepare", classes)


def _standing(res) -> tuple[np.ndarray, np.ndarray]:
    cs = res.metrics.capacity_stopped(moved_above=-1.0)
    f = cs[cs["id"] == "USA.automotive"]
    return f["capacity_stopped"].to_numpy(), f["share_stopped"].to_numpy()


def test_classes_are_lognormal_quantile_midpoints_with_mean_one() -> None:
    share, mult = plant_classes(0.5, 5)
    assert share.tolist() == [0.2] * 5
    assert mult.mean() == pytest.approx(1.0, abs=1e-15)
    assert np.all(np.diff(mult) > 0)
    z = np.array([NormalDist().inv_cdf((j + 0.5) / 5) for j in range(5)])
    ratio = np.log(mult[1:] / mult[:-1])  # a lognormal's midpoint quantiles: sigma x dz apart
    np.testing.assert_allclose(ratio, 0.5 * np.diff(z), rtol=1e-12)
    for sigma, k in ((0.0, 5), (0.8, 1)):  # off: one class, the sector's own stock
        share, mult = plant_classes(sigma, k)
        assert share.tolist() == [1.0]
        assert mult.tolist() == [1.0]
    # two classes at half and one and a half of the sector's cover (the toy below)
    _, mult = plant_classes(math.atanh(0.5) / NormalDist().inv_cdf(0.75), 2)
    np.testing.assert_allclose(mult, [0.5, 1.5], rtol=1e-12)


def test_two_classes_stop_one_after_the_other(monkeypatch: pytest.MonkeyPatch) -> None:
    # the sector's 4 weeks of cover in one stock: all lines stop together
    one, one_stopped = _standing(run(toy_scenario(CUT)))
    # two equal classes at 2 and 6 weeks of cover (0.5 and 1.5 times the sector's)
    _with_classes(monkeypatch, [0.5, 0.5], [0.5, 1.5])
    res = run(toy_scenario(CUT))
    assert_same(res, run(toy_scenario(CUT), engine="reference"), rtol=1e-9)
    two, two_stopped = _standing(res)
    full_one = int(np.argmax(one >= 1.0 - 1e-12))
    assert set(np.round(one, 12)) <= {0.0, 1.0} | {float(np.round(one[full_one - 1], 12))}
    half = int(np.argmax(two >= 0.5 - 1e-12))  # the 2-week class has stopped
    full = int(np.argmax(two >= 1.0 - 1e-12))  # and the 6-week class
    assert half == full_one - 2  # 2 weeks of cover instead of 4
    assert full == full_one + 2  # 6 weeks instead of 4
    np.testing.assert_allclose(two[half:full - 1], 0.5, atol=1e-12)  # half the lines stand
    assert np.all(two[full:] >= 1.0 - 1e-12)
    assert np.all(two[:half - 1] == 0.0)
    # the stop event: the first week the standing share exceeds 1 - stop_below (0.1)
    assert int(np.argmax(two_stopped > 0)) == int(np.argmax(two > 0.1))
    assert int(np.argmax(two_stopped > 0)) < int(np.argmax(one_stopped > 0))
    np.testing.assert_array_equal(two_stopped, (two > 0.1 + 1e-12).astype(float))


def test_identical_classes_are_the_single_stock(monkeypatch: pytest.MonkeyPatch) -> None:
    scen = toy_scenario(TOY_LICENCE, markets=True, horizon_weeks=30, draws=4)
    one = run(scen)
    _with_classes(monkeypatch, [0.2] * 5, [1.0] * 5)
    assert_same(run(scen), one, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("markets", [False, True])
def test_engines_agree_with_dispersed_covers(markets: bool, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    scen = toy_scenario(TOY_LICENCE, markets=markets, horizon_weeks=40, draws=3)
    base = run(scen)
    if markets:  # the market parameter
        scen = scen.model_copy(update={"market": scen.market.model_copy(
            update={"overrides": {"cover_dispersion": 0.8, "plant_classes": 5}})})
    else:
        _with_classes(monkeypatch, *map(list, plant_classes(0.8, 5)))
    fast = run(scen)  # conservation checked
    assert_same(fast, run(scen, engine="reference"), rtol=1e-9)
    lost = fast.data["lost_output_usd"].values.sum()
    assert lost != pytest.approx(base.data["lost_output_usd"].values.sum(), rel=1e-6)


def test_dispersed_covers_do_not_depend_on_chunking() -> None:
    scen = toy_scenario(TOY_LICENCE, markets=True, horizon_weeks=30, draws=130,
                        keep_trajectories=70)
    scen = scen.model_copy(update={"market": scen.market.model_copy(
        update={"overrides": {"cover_dispersion": 0.5}})})
    assert_same(run(scen, chunk_size=64), run(scen, chunk_size=192))
