"""Phase 5, allocation: a region's pool shared over its sectors (the reference rule, by hand).

The numba kernel's agreement with the reference engine over random priorities and covers is
tested in tests/properties/test_engine_properties.py; here the rule itself.
"""

from __future__ import annotations

import numpy as np
import pytest

from spigot.sim.reference import share_pool

# two classes: a priority-1 pair with 26 steps of cover (target 26 t, need 1 t) and a
# priority-2 pair with 4 steps (target 20 t, need 5 t); both hold nothing; pace 1/8
PRIORITY = [1, 2]
NEED = [1.0, 5.0]
WANT = [27.0, 25.0]
PACE = 1.0 / 8.0


def _share(available: float, held: list[float] | None = None) -> tuple[np.ndarray, float]:
    out = np.zeros(2)
    left = share_pool(available, PRIORITY, NEED, WANT, held or [0.0, 0.0], PACE, out, [0, 1])
    return out, left


def test_a_first_class_rebuilds_cover_at_the_pace_of_its_orders() -> None:
    # round 0: class 1 asks 1 + 26/8 = 4.25, class 2 asks 5 + 20/8 = 7.5; 10 t: class 1 gets its
    # 4.25, class 2 the 5.75 left (its step's need met; under a rule that refills class 1's
    # whole cover first, class 2 would get nothing)
    given, left = _share(10.0)
    assert given == pytest.approx([4.25, 5.75], abs=1e-12)
    assert left == 0.0


def test_the_rest_of_the_gap_is_served_in_priority_order_after_round_0() -> None:
    # 20 t: round 0 gives 4.25 and 7.5 (11.75); round 1: class 1 asks 27 - 4.25 = 22.75 and
    # takes the 8.25 left
    given, left = _share(20.0)
    assert given == pytest.approx([12.5, 7.5], abs=1e-12)
    assert left == 0.0


def test_a_full_pool_fills_every_want_and_keeps_the_rest() -> None:
    given, left = _share(60.0)
    assert given == pytest.approx(WANT, abs=1e-12)
    assert left == pytest.approx(60.0 - sum(WANT), abs=1e-12)


def test_a_short_pool_is_shared_pro_rata_within_the_first_class() -> None:
    # 3 t against class 1's round-0 request of 4.25: all of it to class 1, none to class 2
    given, left = _share(3.0)
    assert given == pytest.approx([3.0, 0.0], abs=1e-12)
    assert left == 0.0


def test_pace_one_is_the_old_rule_whole_cover_first() -> None:
    out = np.zeros(2)
    share_pool(10.0, PRIORITY, NEED, WANT, [0.0, 0.0], 1.0, out, [0, 1])
    assert out == pytest.approx([10.0, 0.0], abs=1e-12)


def test_stock_held_counts_against_the_request() -> None:
    # class 1 holds its whole want: it asks nothing; class 2 holds 3 of its 5 t need:
    # round 0 asks 2 + (22 - 2) / 8 = 4.5
    given, left = _share(4.0, held=[27.0, 3.0])
    assert given == pytest.approx([0.0, 4.0], abs=1e-12)
    assert left == 0.0
