"""Scenario weights (issue 19): the program's expectation and CVaR95 are over the weighted mixture
of the scenarios' draws, weights move the optimum the way they should, and bad weights exit 2.

Two scenarios on the toy world: a short magnet ban on the USA (2-4 weeks) and a long one
(16-24 weeks). Their mixture's expected loss is the weighted mean of theirs; putting weight on
the long ban raises the P95 of the unmitigated loss and the cost of keeping CVaR95 under a given
cap."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest

import spigot as sp
from spigot.errors import InputError
from spigot.mitigation import mitigate
from spigot.mitigation.frontier import check_weights
from spigot.mitigation.program import Option, evaluate, solve
from spigot.mitigation.sample import LossSample, loss_sample
from spigot.testing import run, toy_scenario
from tests.clikit import cli

BAN = """
name: {name}
dataset: toy
horizon_weeks: 30
draws: 24
policies:
  - {{type: ExportBan, id: ban, exporter: CHN, commodities: [ndfeb_magnet], destinations: [USA],
     start: 2025-01-06, duration_weeks: {{dist: uniform, low: {low}, high: {high}}}}}
"""
DRAWS, SEED = 24, 3
SHORT = BAN.format(name="short-ban", low=2, high=4)
LONG = BAN.format(name="long-ban", low=16, high=24)


@functools.cache
def runs() -> tuple[sp.Results, sp.Results]:
    return tuple(run(toy_scenario(t), draws=DRAWS, seed=SEED, keep_trajectories=DRAWS)
                 for t in (SHORT, LONG))  # type: ignore[return-value]


def sample(w_short: float) -> LossSample:
    return loss_sample(list(runs()), sp.datasets.load("toy"), ["USA"],
                       weights=[w_short, 1.0 - w_short])


def pile(s: LossSample) -> list[Option]:
    cell = "USA/ndfeb_magnet"
    j = s.cells.index(cell)
    worst = float(s.shortfall_t[:, :, j].sum(axis=1).max())
    return [Option("pile", "strategic_stockpile", "t", worst, 2_000.0, {cell: 1.0})]


def test_the_mixture_expectation_is_the_weighted_mean_of_the_scenarios() -> None:
    short, long = (holder.data["lost_output_usd"].values.sum(axis=1) for holder in runs())
    for w in (0.5, 0.9, 0.1):
        s = sample(w)
        zero = evaluate(s, pile(s), {})
        assert zero.lost_usd_mean == pytest.approx(w * short.mean() + (1 - w) * long.mean())
    # the long ban loses more: the premise of the next test
    assert long.mean() > 2 * short.mean()


def test_weight_on_the_long_ban_raises_the_tail_and_the_price_of_a_cap() -> None:
    light, heavy = sample(0.9), sample(0.1)   # 10 % and 90 % on the long ban
    zero_light, zero_heavy = (evaluate(s, pile(s), {}) for s in (light, heavy))
    assert zero_heavy.lost_usd_mean > zero_light.lost_usd_mean
    assert zero_heavy.lost_usd_p95 >= zero_light.lost_usd_p95
    # the same CVaR95 cap: half the light mixture's unmitigated CVaR95
    cap = 0.5 * zero_light.lost_usd_cvar95
    cheap = solve(light, pile(light), cvar_cap_usd=cap, objective="cost")
    dear = solve(heavy, pile(heavy), cvar_cap_usd=cap, objective="cost")
    assert cheap.lost_usd_cvar95 <= cap * (1 + 1e-6)
    assert dear.lost_usd_cvar95 <= cap * (1 + 1e-6)
    assert 0 < cheap.cost_usd < dear.cost_usd
    # the same budget: the expected loss avoided is larger where the long ban weighs more (its
    # draws use every tonne)
    budget = 0.3 * pile(light)[0].max_amount * 2_000.0
    b_light = solve(light, pile(light), budget_usd=budget)
    b_heavy = solve(heavy, pile(heavy), budget_usd=budget)
    avoided_light = zero_light.lost_usd_mean - b_light.lost_usd_mean
    avoided_heavy = zero_heavy.lost_usd_mean - b_heavy.lost_usd_mean
    assert avoided_heavy > avoided_light > 0


@pytest.mark.parametrize(("weights", "match"), [
    ([0.5], "one weight per scenario"),
    ([0.5, 0.3, 0.2], "one weight per scenario"),
    ([1.2, -0.2], "negative"),
    ([0.7, float("nan")], "not a number"),
    ([0.7, 0.7], "sum to 1.4"),
])
def test_bad_weights_are_input_errors(weights: list[float], match: str) -> None:
    with pytest.raises(InputError, match=match) as err:
        check_weights(weights, ["short-ban", "long-ban"])
    assert err.value.exit_code == 2


def test_weights_summing_to_other_than_one_are_refused_with_the_normalised_ones() -> None:
    with pytest.raises(InputError, match=r"normalised they are 0\.5,0\.5"):
        check_weights([2.0, 2.0], ["a", "b"])
    np.testing.assert_array_equal(check_weights(None, ["a", "b", "c"]), np.full(3, 1 / 3))


def test_mitigate_records_the_weights_and_the_cli_refuses_bad_ones(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    res = mitigate([toy_scenario(SHORT), toy_scenario(LONG)], "USA", draws=8, points=2,
                   seed=SEED, refits=0, marginal=False, weights=[0.25, 0.75])
    assert res.manifest["scenario_weights"] == [0.25, 0.75]
    assert res.points[0].weights[:8].sum() == pytest.approx(0.25)
    files = []
    for text in (SHORT, LONG):
        f = tmp_path / f"{toy_scenario(text).name}.yaml"
        f.write_text(text)
        files.append(str(f))
    for bad, says in (("0.7", "one weight per scenario"), ("0.7,0.7", "sum to 1.4"),
                      ("0.7,x", "not a number")):
        code, _, err = cli(capsys, "mitigate", ",".join(files), "--for", "USA", "--weights", bad,
                           "--draws", "4", "--points", "2", "--no-save")
        assert code == 2, err
        assert says in err
        assert "Traceback" not in err
    code, out, err = cli(capsys, "mitigate", ",".join(files), "--for", "USA", "--weights",
                         "0.25,0.75", "--draws", "4", "--points", "2", "--refits", "0",
                         "--no-save", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["manifest"]["scenario_weights"] == [0.25, 0.75]
