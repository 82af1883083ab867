"""The strategic search on the toy world: successive halving finds the brute force's best, and
best responses settle or cycle as stated."""

from __future__ import annotations

import math

import pytest

import spigot as sp
from spigot.strategy import Evaluator, candidates, play
from spigot.strategy.game import DEFAULT_DRAWS
from spigot.strategy.importer import AnswerContext, Stock
from spigot.strategy.objective import WorldFacts, weights
from spigot.strategy.search import enumerate_family, successive_halving
from tests.strategy.worlds import toy_family, toy_squeeze

DRAWS = 64


def _evaluator(seed: int) -> tuple[Evaluator, list]:
    scen, family = toy_squeeze(), toy_family()
    world = sp.datasets.load("toy")
    ev = Evaluator(scen, world, "lic", WorldFacts.of(world, "CHN", ("USA",)),
                   weights(family.objective), seed)
    return ev, candidates(family, scen, "CHN", "USA")


def test_successive_halving_finds_the_brute_force_best() -> None:
    """Same best policy, and the same score within Monte Carlo error.

    The brute force enumerates all 13 candidates at 64 draws with seed 1; the search runs
    successive halving (13 at 16 draws, 5 at 48, 4 at 64) with seed 0, so the two best scores are
    independent estimates of the same mean. Tolerance: 3 standard errors of their difference,
    ``3 sqrt(se_a^2 + se_b^2)`` (independent seeds: the variances add); a false alarm has odds of
    about 0.3 % if the estimates are normal, and the seeds are fixed, so the test is deterministic.
    The premise, that the family has one clear best, is checked too: in the brute force the best
    leads the runner-up by more than 3 paired standard errors.
    """
    brute_ev, cands = _evaluator(seed=1)
    brute = enumerate_family(cands, brute_ev.evaluate, DRAWS)
    first, second = brute.evaluations[:2]
    assert first.score - second.score > 3 * first.gap_se(second)
    search_ev, _ = _evaluator(seed=0)
    found = successive_halving(cands, search_ev.evaluate, DRAWS, toy_family().search)
    assert [r["candidates"] for r in found.rungs] == [13, 5, 4]
    assert [r["draws"] for r in found.rungs] == [16, 48, 64]
    assert found.best.candidate.label == first.candidate.label
    assert abs(found.best.score - first.score) <= 3 * math.hypot(found.best.se, first.se)
    assert found.best.draws == DRAWS
    assert [e.candidate for e in found.screened] == cands  # the whole family, in its order
    assert sorted(e.draws for e in found.screened) == [16] * 8 + [48] + [64] * 4
    assert all(e.draws == DRAWS for e in found.evaluations)


def test_same_seed_same_numbers() -> None:
    a_ev, cands = _evaluator(seed=3)
    b_ev, _ = _evaluator(seed=3)
    a, b = a_ev.evaluate(cands[5], 32), b_ev.evaluate(cands[5], 32)
    assert list(a.outcome.score_usd) == list(b.outcome.score_usd)


def test_rounds_settle_when_the_importer_never_moves() -> None:
    def stand_still(ctx: AnswerContext) -> tuple[Stock, ...]:
        return ()

    found = play(toy_squeeze(), exporter="CHN", targets=["USA"], rounds=4, draws=32,
                 family=toy_family(), answer=stand_still)
    assert found.outcome == {"status": "settled", "round": 2, "period": 1}
    assert [r.state for r in found.rounds] == ["new", "settled"]
    assert found.rounds[1].ranking.best.candidate == found.rounds[0].ranking.best.candidate


def test_rounds_cycle_when_answers_alternate() -> None:
    """A stock that makes the squeeze pointless, then no stock once there is no squeeze: the
    exporter and the importer alternate, and round 3 repeats round 1 (period 2)."""
    def answer(ctx: AnswerContext) -> tuple[Stock, ...]:
        if not ctx.shortfall_t:
            return ()
        return (Stock("USA", "ndfeb_magnet", 50.0, 1.0, 0.0, 1.0, 0.5),)

    found = play(toy_squeeze(), exporter="CHN", targets=["USA"], rounds=5, draws=32,
                 family=toy_family(), answer=answer)
    assert found.rounds[0].ranking.best.candidate.policy is not None
    assert found.rounds[1].ranking.best.candidate.label == "no restriction"
    assert found.outcome == {"status": "cycle", "round": 3, "period": 2}
    assert found.rounds[2].state == "repeats round 1"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"exporter": "CHA"}, "unknown exporter"),
    ({"targets": ["USB"]}, "unknown target"),
    ({"targets": ["CHN"]}, "the target is the exporter"),
    ({"rounds": 0}, "at least one round"),
    ({"draws": 1}, "at least two draws"),
])
def test_bad_arguments_are_input_errors(kwargs: dict, message: str) -> None:
    args = {"exporter": "CHN", "targets": ["USA"], **kwargs}
    with pytest.raises(sp.errors.InputError, match=message):
        play(toy_squeeze(), family=toy_family(), **args)


def test_default_draws_is_the_issues_200() -> None:
    assert DEFAULT_DRAWS == 200
