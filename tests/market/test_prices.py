"""Prices: closed-form cases, the arbitrage band, reference twin, monotonicity."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spigot.market.prices import price_step, price_step_ref, zone_sum, zone_sum_ref

C = 3
K_FLEX = np.array([2.0, 3.0, 1.0])
LOG_FLOOR = np.log(np.full(C, 0.3))
LOG_CAP = np.log(np.array([20.0, 25.0, 20.0]))
COVER = np.array([[4.0, 4.0, 2.0], [8.0, 8.0, 6.0]])
SHARE = np.array([[0.8, 0.7, 0.5], [0.2, 0.3, 0.5]])
USE = np.array([[10.0, 1.0, 5.0], [3.0, 0.5, 5.0]])


def step(stock: np.ndarray, rel: np.ndarray, *, speed: float = 1.0, band: float = 0.05,
         strength: float = 1.0, tax: np.ndarray | None = None,
         openness: np.ndarray | None = None, use: np.ndarray = USE) -> np.ndarray:
    """One kernel step for one lane; returns the new relative prices (2, C)."""
    lr = np.log(np.array(rel, dtype=float))[:, :, None].copy()
    tax = np.zeros(C) if tax is None else tax
    openness = np.ones(C) if openness is None else openness
    price_step(stock[:, :, None].astype(float), use[:, :, None].astype(float), COVER, K_FLEX,
               LOG_FLOOR, LOG_CAP, SHARE, speed, band, strength, tax[:, None].astype(float),
               openness[:, None].astype(float), lr)
    return np.exp(lr[:, :, 0])


def base_stock() -> np.ndarray:
    return COVER * USE


def test_price_at_target_cover_is_base() -> None:
    assert np.array_equal(step(base_stock(), np.ones((2, C))), np.ones((2, C)))


def test_no_shock_stays_flat_for_ten_years() -> None:
    rel = np.ones((2, C))
    for _ in range(520):
        rel = step(base_stock(), rel, speed=0.15)
    assert np.array_equal(rel, np.ones((2, C)))


def test_half_cover_in_both_zones_gives_two_to_the_k() -> None:
    rel = step(0.5 * base_stock(), np.ones((2, C)))
    expected = np.broadcast_to(2.0 ** K_FLEX, (2, C))
    np.testing.assert_allclose(rel, expected, rtol=1e-12)


def test_zero_cover_hits_the_cap_and_flooding_hits_the_floor() -> None:
    rel = step(np.zeros((2, C)), np.ones((2, C)))
    np.testing.assert_allclose(rel, np.exp(np.broadcast_to(LOG_CAP, (2, C))), rtol=1e-12)
    rel = step(1e6 * base_stock(), np.ones((2, C)))
    np.testing.assert_allclose(rel, np.exp(np.broadcast_to(LOG_FLOOR, (2, C))), rtol=1e-12)


def test_smoothing_closes_the_log_gap_geometrically() -> None:
    kappa = 0.15
    rel = np.ones((2, C))
    for t in range(1, 30):
        rel = step(0.5 * base_stock(), rel, speed=kappa)
        expected = np.exp(K_FLEX * math.log(2.0) * (1.0 - (1.0 - kappa) ** t))
        np.testing.assert_allclose(rel[1], expected, rtol=1e-12)


def test_arbitrage_band_holds_without_controls() -> None:
    stock = base_stock().copy()
    stock[1] *= 0.25  # ex-China short
    band = 0.05
    rel = step(stock, np.ones((2, C)), band=band)
    ratio = rel[1] / rel[0]
    assert np.all(ratio <= (1 + band) * (1 + 1e-12))
    # the larger market moves less: China (share 0.8) barely moves for commodity 0
    up_cn, up_ex = math.log(rel[0, 0]), math.log(4.0 ** K_FLEX[0]) - math.log(rel[1, 0])
    assert up_cn == pytest.approx(0.2 / 0.8 * up_ex)


def test_export_tax_widens_the_band() -> None:
    stock = base_stock().copy()
    stock[1] *= 0.25
    rel = step(stock, np.ones((2, C)), tax=np.full(C, 0.25))
    np.testing.assert_allclose(rel[1] / rel[0], 1.05 * 1.25, rtol=1e-12)


def test_control_depresses_china_and_lifts_ex_china() -> None:
    stock = base_stock().copy()
    stock[0] *= 2.0  # held back at home
    stock[1] *= 0.5  # missing abroad
    rel = step(stock, np.ones((2, C)), openness=np.zeros(C))
    np.testing.assert_allclose(rel[0], np.maximum(0.3, 2.0 ** -K_FLEX), rtol=1e-12)
    np.testing.assert_allclose(rel[1], 2.0 ** K_FLEX, rtol=1e-12)
    free = step(stock, np.ones((2, C)))
    assert np.all(free[1] < rel[1])  # free trade would have narrowed the spread


def test_zone_without_use_is_neutral() -> None:
    use = USE.copy()
    use[1, 2] = 0.0
    rel = step(base_stock() * 0.5, np.ones((2, C)), use=use)
    # ex-China has no cover signal (target 1), China is short (target 2): trade into China
    # pulls the pair to the lower band edge, ex-China price / China price = 1 / (1 + b)
    assert rel[1, 2] / rel[0, 2] == pytest.approx(1 / 1.05, rel=1e-12)
    assert 1.0 < rel[1, 2] < rel[0, 2] < 2.0


def test_zone_sum_matches_reference() -> None:
    rng = np.random.default_rng(1)
    values = rng.random((7, 4))
    zones = rng.integers(0, 2, 7)
    comms = rng.integers(0, C, 7)
    out = np.zeros((2, C, 4))
    zone_sum(values, zones, comms, out)
    for lane in range(4):
        np.testing.assert_allclose(out[:, :, lane], zone_sum_ref(values[:, lane], zones, comms, C))


finite = st.floats(0.0, 100.0, allow_nan=False)
stocks = st.lists(finite, min_size=2 * C, max_size=2 * C).map(lambda v: np.array(v).reshape(2, C))
rels = st.lists(st.floats(0.3, 25.0), min_size=2 * C, max_size=2 * C).map(
    lambda v: np.array(v).reshape(2, C))
shares = st.lists(st.floats(0.0, 1.0), min_size=C, max_size=C).map(np.array)


@settings(max_examples=150, deadline=None)
@given(stock=stocks, rel=rels, openness=shares, tax=shares, speed=st.floats(0.0, 1.0),
       band=st.floats(0.0, 0.5))
def test_kernel_matches_reference(stock: np.ndarray, rel: np.ndarray, openness: np.ndarray,
                                  tax: np.ndarray, speed: float, band: float) -> None:
    fast = step(stock, rel, speed=speed, band=band, tax=tax, openness=openness)
    ref = price_step_ref(stock, USE, COVER, K_FLEX, LOG_FLOOR, LOG_CAP, SHARE, speed, band, 1.0,
                         tax, openness, np.log(rel))
    np.testing.assert_allclose(np.log(fast), ref, rtol=1e-13, atol=1e-15)
    assert np.all(np.isfinite(fast))
    assert np.all(fast > 0)


@settings(max_examples=150, deadline=None)
@given(stock=stocks, rel=rels, openness=shares, cut=st.floats(0.0, 1.0), c=st.integers(0, C - 1))
def test_lower_ex_china_cover_never_lowers_ex_china_price(stock: np.ndarray, rel: np.ndarray,
                                                           openness: np.ndarray, cut: float,
                                                           c: int) -> None:
    lower = stock.copy()
    lower[1, c] *= cut
    a = step(stock, rel, speed=0.3, openness=openness)
    b = step(lower, rel, speed=0.3, openness=openness)
    assert b[1, c] >= a[1, c] * (1 - 1e-12)


@settings(max_examples=150, deadline=None)
@given(stock=stocks, rel=rels, openness=shares, tighter=st.floats(0.0, 1.0),
       tax=shares)
def test_less_openness_never_lowers_ex_china_price(stock: np.ndarray, rel: np.ndarray,
                                                   openness: np.ndarray, tighter: float,
                                                   tax: np.ndarray) -> None:
    a = step(stock, rel, speed=0.3, openness=openness, tax=tax)
    b = step(stock, rel, speed=0.3, openness=openness * tighter, tax=tax)
    assert np.all(b[1] >= a[1] * (1 - 1e-12))
    c = step(stock, rel, speed=0.3, openness=openness, tax=tax * 2)
    assert np.all(c[1] >= a[1] * (1 - 1e-12))
