"""The licence process as the policy plan samples it: delay kernel, lead time, and the engine's first
approved exports.

Both engines read the same :class:`~spigot.policy.plan.BlockParams`, so their agreement cannot see a
bug in the sampling; these tests check it against values worked out by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from spigot.policy.plan import LICENCE, BlockParams, PolicyPlan
from spigot.scenarios import load_text
from spigot.sim.engine import prepare
from spigot.testing import run

LICENCE_TEXT = """
name: fixed-licence
dataset: toy
start: 2025-01-06
horizon_weeks: 30
draws: 4
markets: false
policies:
  - type: ExportLicence
    id: lic
    exporter: CHN
    commodities: [ndfeb_magnet]
    start: 2025-03-03
    processing_time: {distribution: PROCESSING, unit: days}
    approval: {default: 0.6}
    refile_weeks: null  # denied is final here: the wait is the processing time alone
"""

START_STEP = 8  # 2025-03-03 is eight weeks after 2025-01-06


def _text(processing: str) -> str:
    return LICENCE_TEXT.replace("PROCESSING", processing)


def _block(processing: str, size: int = 16) -> tuple[PolicyPlan, BlockParams]:
    model = prepare(load_text(_text(processing)))
    return model.plan, model.plan.sample_block(11, 0, size)


@pytest.mark.parametrize("processing", ["21", "3", "{dist: lognormal, median: 30, sigma: 0.5}",
                                        "{dist: uniform, low: 10, high: 50}"])
def test_delay_kernel_is_a_distribution(processing: str) -> None:
    plan, block = _block(processing)
    licences = [m for m, kind in enumerate(plan.kind) if kind == LICENCE]
    assert licences
    kernel = block.kernel[:, licences, :]
    assert (kernel >= 0).all()
    np.testing.assert_allclose(kernel.sum(axis=2), 1.0, rtol=0, atol=1e-12)


@pytest.mark.parametrize(("days", "step"), [(7, 1), (10, 2), (14, 2), (15, 3), (21, 3), (45, 7)])
def test_fixed_processing_time_lands_at_its_step(days: int, step: int) -> None:
    # a decision taken within week k (days in (7(k-1), 7k]) releases material k steps after filing
    _, block = _block(str(days))
    assert block.kernel.shape[2] > step
    np.testing.assert_array_equal(block.kernel[:, 0, step], 1.0)
    assert block.kernel[:, 0, :step].sum() == 0.0
    np.testing.assert_array_equal(block.lead[:, 0], float(step))


def test_lead_is_the_mean_delay_of_a_random_processing_time() -> None:
    # independently of the plan: the delay in steps is ceil(X / 7) for X days, X ~ U(10, 50)
    _, block = _block("{dist: uniform, low: 10, high: 50}", size=4)
    x = np.random.default_rng(0).uniform(10, 50, 400_000)
    expected = float(np.ceil(x / 7.0).mean())
    np.testing.assert_allclose(block.lead[:, 0], expected, atol=0.01)
    mean_days = 30.0
    assert math.ceil(mean_days / 7) - 1 < expected < math.ceil(mean_days / 7) + 1


def test_importers_plan_for_the_stated_delay_not_the_drawn_scale() -> None:
    # the scale is how the office turns out to work: each draw's kernel has its own delay, but
    # what importers plan and pace for is the distribution at scale 1, the same in every draw
    text = _text("21").replace("unit: days}", "unit: days, scale: {dist: uniform, low: 0.5, "
                               "high: 2.0}}")
    model = prepare(load_text(text))
    block = model.plan.sample_block(11, 0, 16)
    drawn = (block.kernel[:, 0, :] * np.arange(block.kernel.shape[2])).sum(axis=1)
    assert np.ptp(drawn) >= 2.0  # the drawn delays differ (21 days x 0.5 .. 2.0)
    np.testing.assert_array_equal(block.lead[:, 0], 3.0)  # 21 days: the third step


def test_engine_first_approved_export_comes_after_the_processing_time() -> None:
    res = run(load_text(_text("21")), draws=4, seed=1)
    ex = res.metrics.exports(over_time=True)
    usa = ex[(ex["commodity"] == "ndfeb_magnet") & (ex["destination"] == "USA")]
    series = usa["exports_t"].to_numpy()
    assert (series[:START_STEP] > 0).all()  # before the licence: the base flow
    np.testing.assert_array_equal(series[START_STEP:START_STEP + 3], 0.0)  # all under review
    assert series[START_STEP + 3] > 0  # the first decisions, three weeks after filing
    lic = res.metrics.licences().set_index("route").loc["mag_chn_usa"]
    assert lic["approval_share"] == pytest.approx(0.6, abs=1e-9)
    assert lic["mean_wait_weeks"] == pytest.approx(3.0, abs=0.35)
