"""Demand: substitution converges to its cap with the right time constant; short-run plans."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spigot.market.demand import plan_step, plan_step_ref, substitution_step, substitution_step_ref

ZONE = np.array([1, 1, 0], dtype=np.int64)
COMM = np.array([0, 1, 1], dtype=np.int64)
CAP = np.array([0.6, 0.3, 0.25])
ON, FULL = math.log(1.5), math.log(4.0)


def rate(tau: float) -> float:
    return 1.0 - math.exp(-1.0 / tau)


def run(rel: np.ndarray, steps: int, red: np.ndarray | None = None, adopt: float = 52.0,
        revert: float = 260.0) -> np.ndarray:
    r = np.zeros((3, 1)) if red is None else red[:, None].copy()
    for _ in range(steps):
        substitution_step(np.log(rel)[:, :, None], ZONE, COMM, CAP, ON, FULL, rate(adopt),
                          rate(revert), r)
    return r[:, 0]


def test_no_reduction_at_base_prices() -> None:
    assert np.array_equal(run(np.ones((2, 2)), 520), np.zeros(3))


def test_reduction_converges_to_cap_with_its_time_constant() -> None:
    rel = np.full((2, 2), 10.0)  # above the full-adoption price everywhere
    after_tau = run(rel, 52)
    np.testing.assert_allclose(after_tau, CAP * (1 - math.exp(-1.0)), rtol=1e-12)
    after_long = run(rel, 52 * 20)
    np.testing.assert_allclose(after_long, CAP, rtol=1e-8)
    assert np.all(after_long <= CAP)


def test_partial_price_targets_part_of_the_cap() -> None:
    rel = np.full((2, 2), math.exp((ON + FULL) / 2))  # halfway in log price
    np.testing.assert_allclose(run(rel, 52 * 30), CAP / 2, rtol=1e-8)


def test_reversal_is_slow() -> None:
    full = run(np.full((2, 2), 10.0), 52 * 30)
    back = run(np.ones((2, 2)), 260, red=full)
    np.testing.assert_allclose(back, full * math.exp(-1.0), rtol=1e-10)


def test_plan_factor_closed_form() -> None:
    rel = np.array([[1.0, 1.0], [2.0, 8.0]])[:, :, None]
    sector_zone = np.array([1, 0, 1], dtype=np.int64)
    eps = np.array([-0.1, -0.3, 0.0])
    sec_ptr = np.array([0, 2, 3, 4], dtype=np.int64)
    pair_c = np.array([0, 1, 1, 0], dtype=np.int64)
    weight = np.array([0.5, 0.5, 1.0, 1.0])
    plan = np.zeros((3, 1))
    plan_step(np.log(rel), sector_zone, eps, sec_ptr, pair_c, weight, 0.5, plan)
    assert plan[0, 0] == pytest.approx(4.0 ** -0.1, rel=1e-12)  # index sqrt(2 * 8)
    assert plan[1, 0] == 1.0  # China prices at base
    assert plan[2, 0] == 1.0  # zero elasticity
    plan_step(np.log(rel * 1e6), sector_zone, eps, sec_ptr, pair_c, weight, 0.5, plan)
    assert plan[0, 0] == 0.5  # floor


rels = st.lists(st.floats(0.1, 30.0), min_size=4, max_size=4).map(
    lambda v: np.array(v).reshape(2, 2))
reds = st.lists(st.floats(0.0, 0.25), min_size=3, max_size=3).map(np.array)


@settings(max_examples=150, deadline=None)
@given(rel=rels, red=reds, adopt=st.floats(1.0, 500.0), revert=st.floats(1.0, 500.0))
def test_substitution_kernel_matches_reference(rel: np.ndarray, red: np.ndarray, adopt: float,
                                               revert: float) -> None:
    r = red[:, None].copy()
    substitution_step(np.log(rel)[:, :, None], ZONE, COMM, CAP, ON, FULL, rate(adopt),
                      rate(revert), r)
    ref = substitution_step_ref(np.log(rel), ZONE, COMM, CAP, ON, FULL, rate(adopt),
                                rate(revert), red)
    np.testing.assert_allclose(r[:, 0], ref, rtol=1e-14, atol=1e-300)
    assert np.all(r >= 0)
    assert np.all(r[:, 0] <= CAP)


@settings(max_examples=100, deadline=None)
@given(rel=rels, eps=st.lists(st.floats(-1.0, 0.0), min_size=3, max_size=3).map(np.array))
def test_plan_kernel_matches_reference_and_is_bounded(rel: np.ndarray, eps: np.ndarray) -> None:
    sector_zone = np.array([1, 0, 1], dtype=np.int64)
    sec_ptr = np.array([0, 2, 3, 4], dtype=np.int64)
    pair_c = np.array([0, 1, 1, 0], dtype=np.int64)
    weight = np.array([0.3, 0.7, 1.0, 1.0])
    plan = np.zeros((3, 1))
    plan_step(np.log(rel)[:, :, None], sector_zone, eps, sec_ptr, pair_c, weight, 0.5, plan)
    ref = plan_step_ref(np.log(rel), sector_zone, eps, sec_ptr, pair_c, weight, 0.5)
    np.testing.assert_allclose(plan[:, 0], ref, rtol=1e-12)
    assert np.all((plan >= 0.5) & (plan <= 1.0))


def test_plan_groups_cover_every_sector_once() -> None:
    import spigot as sp
    from spigot.market.parameters import load_market_params

    net = sp.datasets.load("base").compile(step_weeks=1.0)
    p = load_market_params(net)
    assert len(p.group_zone) < len(net.sectors)  # regions of a zone share a group
    for s in range(len(net.sectors)):
        g = p.plan_group[s]
        a, b = p.sec_ptr[s], p.sec_ptr[s + 1]
        assert p.group_zone[g] == p.sector_zone[s]
        assert p.group_elasticity[g] == p.sector_elasticity[s]
        assert np.array_equal(p.entry_c[p.group_ptr[g]:p.group_ptr[g + 1]], p.pair_c[a:b])
        np.testing.assert_allclose(p.entry_w[p.group_ptr[g]:p.group_ptr[g + 1]].sum(),
                                   1.0 if b > a else 0.0)
