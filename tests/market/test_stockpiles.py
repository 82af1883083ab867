"""Stockpiles: release stops when empty, mass, monotonicity; safety-stock lags."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spigot.market.stockpiles import (
    release_step,
    release_step_ref,
    safety_stock_step,
    safety_stock_step_ref,
)

USE = np.array([10.0, 2.0])
COVER_BELOW = np.array([4.0, 2.0])
MAX_RELEASE = np.array([3.0, 1.0])
ZONE = np.array([1, 1], dtype=np.int64)
COMM = np.array([0, 1], dtype=np.int64)


NO_OWNER = np.array([-1, -1], dtype=np.int64)


def log_triggers(trigger: float) -> np.ndarray:
    return np.full(2, math.log(trigger) if trigger > 0 else math.inf)


def release(on_hand: np.ndarray, left: np.ndarray, rel: np.ndarray | None = None,
            trigger: float = 0.0, owner: np.ndarray = NO_OWNER,
            active: tuple[bool, ...] = ()) -> tuple[np.ndarray, np.ndarray]:
    rel = np.ones((2, 2)) if rel is None else rel
    lft = left[:, None].astype(float).copy()
    out = np.zeros((2, 1))
    act = np.array(active, dtype=np.bool_).reshape(len(active), 1)
    release_step(on_hand[:, None].astype(float), USE, COVER_BELOW, MAX_RELEASE,
                 log_triggers(trigger), np.log(rel)[:, :, None], ZONE, COMM, owner, act, lft,
                 out)
    return lft[:, 0], out[:, 0]


def test_an_owned_pile_releases_only_while_its_measure_is_in_force() -> None:
    owner = np.array([0, -1], dtype=np.int64)  # pile 0 belongs to measure 0
    left = np.array([10.0, 10.0])
    _, off = release(np.zeros(2), left, owner=owner, active=(False,))
    _, on = release(np.zeros(2), left, owner=owner, active=(True,))
    assert np.array_equal(off, [0.0, 1.0])  # the dataset pile releases either way
    assert np.array_equal(on, [3.0, 1.0])
    ref_left, ref_out = release_step_ref(np.zeros(2), USE, COVER_BELOW, MAX_RELEASE,
                                         log_triggers(0.0), np.zeros((2, 2)), ZONE, COMM,
                                         np.array([False, True]), left)
    assert np.array_equal(ref_out, off)
    assert np.array_equal(ref_left, left - off)


def test_each_pile_has_its_own_price_trigger() -> None:
    lft = np.array([[10.0], [10.0]])
    out = np.zeros((2, 1))
    rel = np.log(np.array([[1.0, 1.0], [2.0, 2.0]]))[:, :, None]
    on_hand = (USE * COVER_BELOW)[:, None]  # enough cover: only a price trigger releases
    release_step(on_hand, USE, COVER_BELOW, MAX_RELEASE, np.log([1.5, 3.0]), rel, ZONE, COMM,
                 NO_OWNER, np.zeros((0, 1), dtype=np.bool_), lft, out)
    assert np.array_equal(out[:, 0], [3.0, 0.0])


def test_release_until_empty_then_stop() -> None:
    left = np.array([10.0, 2.5])
    total = np.zeros(2)
    for _ in range(10):
        left, out = release(np.zeros(2), left)  # cover 0: always below the threshold
        total += out
    assert np.array_equal(left, np.zeros(2))
    np.testing.assert_allclose(total, [10.0, 2.5], rtol=0, atol=1e-12)
    _, out = release(np.zeros(2), left)
    assert np.array_equal(out, np.zeros(2))


def test_no_release_with_enough_cover_unless_price_trigger() -> None:
    on_hand = USE * COVER_BELOW  # exactly at the threshold: not below
    left, out = release(on_hand, np.array([10.0, 10.0]))
    assert np.array_equal(out, np.zeros(2))
    assert np.array_equal(left, np.array([10.0, 10.0]))
    rel = np.array([[1.0, 1.0], [3.0, 1.0]])
    _left, out = release(on_hand, np.array([10.0, 10.0]), rel, trigger=2.5)
    assert np.array_equal(out, np.array([3.0, 0.0]))


piles = st.lists(st.floats(0.0, 50.0), min_size=2, max_size=2).map(np.array)


@settings(max_examples=150, deadline=None)
@given(on_hand=piles, left=piles, more=piles, trigger=st.floats(0.0, 5.0),
       rel=st.lists(st.floats(0.3, 10.0), min_size=4, max_size=4).map(
           lambda v: np.array(v).reshape(2, 2)))
def test_release_mass_monotone_and_reference(on_hand: np.ndarray, left: np.ndarray,
                                             more: np.ndarray, trigger: float,
                                             rel: np.ndarray) -> None:
    new_left, out = release(on_hand, left, rel, trigger)
    np.testing.assert_allclose(new_left + out, left, rtol=1e-15, atol=0)
    assert np.all(out >= 0)
    assert np.all(new_left >= 0)
    ref_left, ref_out = release_step_ref(on_hand, USE, COVER_BELOW, MAX_RELEASE,
                                         log_triggers(trigger), np.log(rel), ZONE, COMM,
                                         np.ones(2, dtype=bool), left)
    assert np.array_equal(ref_left, new_left)
    assert np.array_equal(ref_out, out)
    # more stockpile never lowers released supply
    _, out_more = release(on_hand, left + more, rel, trigger)
    assert np.all(out_more >= out)


def test_safety_stock_rises_after_a_shock_and_decays() -> None:
    up, down = 1 - math.exp(-1 / 13), 1 - math.exp(-1 / 52)
    mult = np.ones((1, 1))
    rel = np.zeros((2, 1, 1))  # log prices at base
    two = math.log(2.0)
    for _ in range(13):
        safety_stock_step(rel, np.ones((1, 1)), ZONE[:1], COMM[:1], 1.0, two, up, down, mult)
    np.testing.assert_allclose(mult[0, 0], 1 + (1 - math.exp(-1)), rtol=1e-12)
    peak = mult[0, 0]
    for _ in range(52):
        safety_stock_step(rel, np.zeros((1, 1)), ZONE[:1], COMM[:1], 1.0, two, up, down, mult)
    np.testing.assert_allclose(mult[0, 0] - 1, (peak - 1) * math.exp(-1), rtol=1e-10)
    # a high price alone is a shock too
    hot = np.full((2, 1, 1), math.log(3.0))
    before = mult[0, 0]
    safety_stock_step(hot, np.zeros((1, 1)), ZONE[:1], COMM[:1], 1.0, two, up, down, mult)
    assert mult[0, 0] > before


def test_a_region_whose_lines_together_hold_their_need_is_not_in_shock() -> None:
    # gap = sum over the buffer's pairs of need - stock: one class 1 t short while another holds
    # 2 t above its need is -1 t: no shock, the multiplier decays; +1 t is a shock
    up, down = 0.1, 0.02
    two = math.log(2.0)
    rel = np.zeros((2, 1, 1))
    mult = np.full((1, 1), 1.5)
    safety_stock_step(rel, np.full((1, 1), -1.0), ZONE[:1], COMM[:1], 1.0, two, up, down, mult)
    assert mult[0, 0] == pytest.approx(1.5 - 0.5 * down, rel=1e-15)
    safety_stock_step(rel, np.full((1, 1), 1.0), ZONE[:1], COMM[:1], 1.0, two, up, down, mult)
    assert mult[0, 0] > 1.5 - 0.5 * down


@settings(max_examples=100, deadline=None)
@given(short=st.lists(st.floats(-5.0, 5.0), min_size=2, max_size=2).map(np.array),
       mult=st.lists(st.floats(1.0, 2.0), min_size=2, max_size=2).map(np.array),
       rel=st.lists(st.floats(0.3, 10.0), min_size=4, max_size=4).map(
           lambda v: np.array(v).reshape(2, 2)))
def test_safety_kernel_matches_reference(short: np.ndarray, mult: np.ndarray,
                                         rel: np.ndarray) -> None:
    m = mult[:, None].copy()
    two = math.log(2.0)
    safety_stock_step(np.log(rel)[:, :, None], short[:, None], ZONE, COMM, 1.0, two, 0.1, 0.02, m)
    ref = safety_stock_step_ref(np.log(rel), short, ZONE, COMM, 1.0, two, 0.1, 0.02, mult)
    np.testing.assert_allclose(m[:, 0], ref, rtol=1e-15)
    assert np.all((m >= 1.0) & (m <= 2.0))
