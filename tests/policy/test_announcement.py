"""Announcement effects (issue 17, item 3): between a licence's announcement and its start,
importers plan for its lead time and order ahead."""

from __future__ import annotations

import numpy as np
import pytest

from spigot.errors import ScenarioError
from spigot.policy.plan import PolicyPlan
from spigot.scenarios.loader import load_text
from spigot.sim.engine import prepare
from spigot.testing import TOY_LICENCE, assert_same, run, toy_scenario

#: The toy licence (start 2025-02-03, scenario start 2025-01-06) announced three weeks ahead.
ANNOUNCED = TOY_LICENCE.replace("    start: 2025-02-03\n",
                                "    start: 2025-02-03\n    announced: 2025-01-13\n", 1)


def _plan(text: str) -> PolicyPlan:
    return prepare(toy_scenario(text)).plan


def test_the_announcement_window_runs_from_announcement_to_start() -> None:
    params = _plan(ANNOUNCED).sample_block(0, 0, 8)
    lic = 0  # the licence is the first measure
    start = int(np.argmax(params.active[0, lic]))
    assert start == 4  # 2025-02-03 is four weeks after 2025-01-06
    np.testing.assert_array_equal(np.flatnonzero(params.announced[0, lic]), [1, 2, 3])
    assert not params.announced[:, 1:].any()  # other measures: no announcement
    assert not _plan(TOY_LICENCE).sample_block(0, 0, 8).announced.any()


def test_an_announcement_draws_no_random_number() -> None:
    a = _plan(ANNOUNCED).sample_block(3, 1, 16)
    b = _plan(TOY_LICENCE).sample_block(3, 1, 16)
    for name in ("active", "approve", "kernel", "capacity", "lead"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_an_announcement_after_the_start_is_an_error() -> None:
    text = TOY_LICENCE.replace("    start: 2025-02-03\n",
                               "    start: 2025-02-03\n    announced: 2025-03-03\n", 1)
    with pytest.raises(ScenarioError, match="announced"):
        load_text(text)


def test_importers_front_load_and_the_engines_agree() -> None:
    warned = toy_scenario(ANNOUNCED, horizon_weeks=30)
    cold = toy_scenario(TOY_LICENCE, horizon_weeks=30)
    fast = run(warned)
    assert_same(fast, run(warned, engine="reference"), rtol=1e-9)
    before = run(cold)
    exports = fast.data["mean_exports"].sum("route").values  # t/step over all routes
    exports_cold = before.data["mean_exports"].sum("route").values
    # weeks 1-3 (announced, not in force): more leaves China than without the warning ...
    assert exports[1:4].sum() > exports_cold[1:4].sum() * 1.02
    # ... and importers run shorter after the start than without it
    assert fast.data["shortfall_t"].values.sum() < before.data["shortfall_t"].values.sum()
