"""The importer answers with the mitigation optimiser (``--importer mitigate``): the rounds
settle or cycle on the toy world, and the answer is the portfolio ``sp.mitigate`` gives for the
same scenario, draws and seed (its frontier point with the least expected cost + expected lost
output); extra cover enters the world the exporter's runs use."""

from __future__ import annotations

import numpy as np
import pytest

import spigot as sp
from spigot.strategy import Round, StrategyResult, play
from spigot.strategy.importer import (
    MITIGATE_POINTS,
    MITIGATE_REFITS,
    Cover,
    Stock,
    apply_answer,
    mitigation_answer,
    stance_key,
)
from tests.strategy.worlds import toy_family, toy_squeeze

DRAWS = 16
SEED = 3


@pytest.fixture(scope="module")
def found() -> StrategyResult:
    return play(toy_squeeze(), exporter="CHN", targets=["USA"], rounds=4, draws=DRAWS,
                family=toy_family(), seed=SEED, answer=mitigation_answer)


def test_rounds_with_the_mitigate_importer_settle_or_cycle(found: StrategyResult) -> None:
    assert found.importer == "mitigate"
    assert found.outcome["status"] in ("settled", "cycle")
    last = found.rounds[-1]
    assert last.state != "new"
    # the round it repeats (or the one before, when settled) has the same policy and answer
    j = found.outcome["round"] - found.outcome["period"]
    earlier: Round = found.rounds[j - 1]
    assert earlier.ranking.best.candidate.label == last.ranking.best.candidate.label
    assert stance_key(earlier.answer) == stance_key(last.answer)
    # a squeeze in round 1 that the target answers with some stock
    assert found.rounds[0].ranking.best.candidate.policy is not None
    assert found.rounds[0].answer


def test_the_answer_is_the_portfolio_sp_mitigate_gives_for_the_same_draws(
        found: StrategyResult) -> None:
    best = found.rounds[0].ranking.best.candidate
    assert best.policy is not None
    scen = toy_squeeze().with_options(
        policies=[best.policy.model_dump(mode="json", exclude_none=True)])
    result = sp.mitigate(scen, "USA", draws=DRAWS, seed=SEED, points=MITIGATE_POINTS,
                         refits=MITIGATE_REFITS, marginal=False)
    frontier = result.frontier
    total = frontier["cost_usd"] + frontier["simulated_lost_usd_mean"]
    i = int(np.argmin(total.to_numpy()))
    assert total[i] <= total.min()  # the least expected cost + expected lost output
    portfolio = result.portfolio(i)
    assert len(portfolio) == len(found.rounds[0].answer)
    menu = {m.id: m for m in result.menu.measures}  # type: ignore[union-attr]
    for row in portfolio.itertuples(index=False):
        m = menu[row.id]
        match = [s for s in found.rounds[0].answer
                 if (isinstance(s, Stock) and row.kind == "strategic_stockpile"
                     and (s.holder, s.commodity) == (m.holder, m.commodity))  # type: ignore[union-attr]
                 or (isinstance(s, Cover) and row.kind == "extra_cover"
                     and (s.holder, s.sector) == (m.region, m.sector))]  # type: ignore[union-attr]
        assert len(match) == 1, row
        got = match[0].tonnes if isinstance(match[0], Stock) else match[0].weeks
        assert got == pytest.approx(row.amount, rel=1e-5)


def test_no_policy_or_no_shortfall_gets_no_answer() -> None:
    from spigot import datasets
    from spigot.strategy.importer import AnswerContext

    world = datasets.load("toy")
    assert mitigation_answer(AnswerContext(world, ("USA",), {}, 40.0, None, DRAWS, SEED)) == ()
    none_short = {"USA/ndfeb_magnet": np.zeros(DRAWS)}
    assert mitigation_answer(AnswerContext(world, ("USA",), none_short, 40.0, toy_squeeze(),
                                           DRAWS, SEED)) == ()


def test_extra_cover_goes_into_the_world_and_stocks_into_the_scenario() -> None:
    from spigot import datasets

    world = datasets.load("toy")
    sectors = world.sectors
    row = sectors[sectors["region"] == "USA"].iloc[0]
    stance = (Cover("USA", str(row["sector"]), 3.0, 10.0),
              Stock("USA", "ndfeb_magnet", 2.0, 0.5, 1.0, 1.0, None))
    scen, changed = apply_answer(toy_squeeze(), world, stance)
    before = float(row["cover_weeks"])
    after = changed.sectors.set_index("id").loc[row["id"], "cover_weeks"]
    assert after == pytest.approx(before + 3.0)
    others = changed.sectors["id"] != row["id"]
    assert (changed.sectors.loc[others, "cover_weeks"].to_numpy()
            == sectors.loc[others, "cover_weeks"].to_numpy()).all()
    assert [p.id for p in scen.policies] == ["lic", "answer_USA_ndfeb_magnet"]
    same, untouched = apply_answer(toy_squeeze(), world, ())
    assert untouched is world
    assert same.content_hash() == toy_squeeze().content_hash()
