"""The dated thrift of a mitigation measure (docs/model.md, Substitution and thrifting): composed
with the price-driven reduction and taken out exactly; uses without a floor untouched."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from spigot.market.demand import thrift_step, thrift_step_ref

FLOOR = np.array([0.0, 0.5, 0.25])
STEP = np.array([0, 3, 10], dtype=np.int64)


@settings(max_examples=30, deadline=None)
@given(r=st.lists(st.floats(0.0, 0.95), min_size=3, max_size=3), t=st.integers(0, 20))
def test_apply_then_remove_gives_back_the_price_driven_part(r: list[float], t: int) -> None:
    state = np.array(r, dtype=float)[:, None].repeat(2, axis=1)
    before = state.copy()
    thrift_step(FLOOR, STEP, t, True, state)
    for u in range(3):
        on = FLOOR[u] > 0 and t >= STEP[u]
        expected = 1 - (1 - before[u]) * (1 - FLOOR[u]) if on else before[u]
        np.testing.assert_allclose(state[u], expected, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(state[0], before[0])  # no floor: bit for bit
    np.testing.assert_allclose(state[:, 0], thrift_step_ref(FLOOR, STEP, t, True, before[:, 0]),
                               rtol=0, atol=0)
    thrift_step(FLOOR, STEP, t, False, state)
    np.testing.assert_allclose(state, before, rtol=0, atol=1e-14)


def test_the_floor_starts_at_its_step() -> None:
    state = np.zeros((3, 1))
    thrift_step(FLOOR, STEP, 2, True, state)
    assert state[1, 0] == 0.0
    thrift_step(FLOOR, STEP, 3, True, state)
    assert state[1, 0] == 0.5
    assert state[2, 0] == 0.0
