"""A licence process with memory (issue 17, item 6): denied applications are filed again after a
lag, except what was denied at zero odds (military end use under ``deny_military``)."""

from __future__ import annotations

import numpy as np
import pytest

from spigot.scenarios import load_text
from spigot.sim.engine import prepare
from spigot.testing import TOY_LICENCE, assert_same, run, toy_scenario

LOW_ODDS = """
name: low-odds
dataset: toy
start: 2025-01-06
horizon_weeks: 52
draws: 4
markets: false
policies:
  - type: ExportLicence
    id: lic
    exporter: CHN
    commodities: [ndfeb_magnet]
    start: 2025-02-03
    processing_time: {distribution: 14, unit: days}
    approval: {default: 0.3}
    REFILE
"""


def _run(refile: str):  # type: ignore[no-untyped-def]
    return run(load_text(LOW_ODDS.replace("REFILE", refile)), seed=2)


def test_refiled_applications_are_approved_later_and_lose_less() -> None:
    final, again = _run("refile_weeks: null"), _run("refile_weeks: 2")
    lic_final = final.metrics.licences().set_index("route")
    lic_again = again.metrics.licences().set_index("route")
    # denied at odds 0.3 and never filed again, an importer that orders at most twice its base
    # flow gets at most 0.6 of it for the whole regime; filed again, the denied part comes later
    assert (lic_again["approved_t"] > lic_final["approved_t"] * 1.3).all()
    # every decision still approves 30 % of what it decides
    np.testing.assert_allclose(lic_again["approval_share"], 0.3, atol=1e-9)
    # and less of the importers' orders goes back to the exporter's stock
    held_final = final.metrics.exports()["held_back_t"].sum()
    held_again = again.metrics.exports()["held_back_t"].sum()
    assert held_again < 0.5 * held_final


def test_what_is_denied_at_zero_odds_is_not_refiled() -> None:
    def refile(approval: str):  # type: ignore[no-untyped-def]
        text = LOW_ODDS.replace("REFILE", "refile_weeks: 2").replace(
            "approval: {default: 0.3}", approval)
        return prepare(load_text(text)).plan.sample_block(0, 0, 8).refile

    np.testing.assert_array_equal(refile("approval: {default: 0.3}"), 1.0)  # all civil
    np.testing.assert_array_equal(refile("approval: {default: 0.0}"), 0.0)  # a definitive no
    # military end use under deny_military: the toy's sectors are civil unless mapped
    text = LOW_ODDS.replace("REFILE", "refile_weeks: 2").replace(
        "markets: false", "markets: false\nend_use: {automotive: military}")
    block = prepare(load_text(text)).plan.sample_block(0, 0, 8)
    assert (block.refile < 1.0).any()  # the automotive (military) share is not re-filed


@pytest.mark.parametrize("seed", [0, 5])
def test_engines_agree_with_refiling(seed: int) -> None:
    scen = toy_scenario(TOY_LICENCE.replace("    approval:\n", "    refile_weeks: 3\n    approval:\n",
                                            1), horizon_weeks=40, seed=seed)
    fast = run(scen)
    assert_same(fast, run(scen, engine="reference"), rtol=1e-9)
    assert fast.data["conservation_residual"].values.max() < 1e-6
