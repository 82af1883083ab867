"""Recycling: zero at base prices, follows its lag to capacity, reference twin."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from spigot.market.recycling import recycling_step, recycling_step_ref

ZONE = np.array([1, 0], dtype=np.int64)
COMM = np.array([0, 0], dtype=np.int64)
CAPACITY = np.array([5.0, 2.0])
RATE = 1.0 - math.exp(-1.0 / 26.0)
ON, FULL = math.log(1.5), math.log(4.0)


def run(rel: np.ndarray, steps: int, out: np.ndarray | None = None) -> np.ndarray:
    y = np.zeros((2, 1)) if out is None else out[:, None].copy()
    for _ in range(steps):
        recycling_step(np.log(rel)[:, :, None], ZONE, COMM, CAPACITY, ON, FULL, RATE, y)
    return y[:, 0]


def test_no_extra_recycling_at_base_prices() -> None:
    assert np.array_equal(run(np.ones((2, 1)), 520), np.zeros(2))


def test_output_follows_its_lag() -> None:
    rel = np.array([[1.0], [5.0]])  # ex-China scarce, China at base
    for t in (1, 13, 26, 52):
        y = run(rel, t)
        assert math.isclose(y[0], CAPACITY[0] * (1 - (1 - RATE) ** t), rel_tol=1e-12)
        assert y[1] == 0.0
    np.testing.assert_allclose(run(rel, 26)[0], CAPACITY[0] * (1 - math.exp(-1)), rtol=1e-12)
    assert run(rel, 5200)[0] <= CAPACITY[0]


def test_output_winds_down_when_prices_fall() -> None:
    full = run(np.array([[5.0], [5.0]]), 2000)
    np.testing.assert_allclose(run(np.ones((2, 1)), 26, full), full * math.exp(-1), rtol=1e-10)


@settings(max_examples=100, deadline=None)
@given(rel=st.lists(st.floats(0.1, 30.0), min_size=2, max_size=2).map(
    lambda v: np.array(v).reshape(2, 1)),
       y=st.lists(st.floats(0.0, 5.0), min_size=2, max_size=2).map(np.array))
def test_kernel_matches_reference(rel: np.ndarray, y: np.ndarray) -> None:
    out = y[:, None].copy()
    recycling_step(np.log(rel)[:, :, None], ZONE, COMM, CAPACITY, ON, FULL, RATE, out)
    ref = recycling_step_ref(np.log(rel), ZONE, COMM, CAPACITY, ON, FULL, RATE, y)
    np.testing.assert_allclose(out[:, 0], ref, rtol=1e-14)
    assert np.all(np.isfinite(out))
    assert np.all(out >= 0)
