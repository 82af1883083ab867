"""Best responses: the exporter searches its family, the importer answers, for a few rounds.

Round ``k``: the exporter's best policy ``P_k`` against the importer's stance ``S_{k-1}`` (``S_0``:
no stock of its own), then the importer's answer ``S_k`` to ``P_k`` (:mod:`spigot.strategy.
importer`). The rounds **settle** at round ``k`` when ``(P_k, S_k) = (P_{k-1}, S_{k-1})``: each is a
best response to the other (an equilibrium among these choices); they **cycle** when ``(P_k, S_k)``
repeats an earlier round ``j < k - 1`` (period ``k - j``); else they are **open** after the rounds
played. Play stops at the first settle or cycle. Runs are cached by scenario and draws, so a
round that faces a stance already seen costs nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from spigot import datasets
from spigot.errors import InputError, Problem, UnknownNameError
from spigot.strategy.family import Candidate, Family, base_licence, candidates, check_family, default_family
from spigot.strategy.importer import (
    AnswerContext,
    ImporterAnswer,
    Stance,
    apply_answer,
    importer_name,
    mitigation_answer,
    stance_key,
)
from spigot.strategy.objective import RunValues, Weights, WorldFacts, weights
from spigot.strategy.search import Evaluation, Evaluator, Ranking, search

if TYPE_CHECKING:
    from collections.abc import Callable

    from spigot.scenarios import Scenario

__all__ = ["DEFAULT_DRAWS", "DEFAULT_ROUNDS", "Round", "StrategyResult", "play"]

#: Draws per candidate at full precision.
DEFAULT_DRAWS = 200
#: Rounds of best responses.
DEFAULT_ROUNDS = 3


@dataclass(frozen=True)
class Round:
    """One round: the exporter's best response and the importer's answer to it.

    Attributes
    ----------
    number
        1, 2, ...
    ranking
        The exporter's search against the importer's previous stance.
    stance
        The importer's previous stance (what the exporter faced): stocks and extra cover.
    answer
        The importer's answer to the best policy.
    state
        ``"new"``, ``"settled"`` or ``"repeats round j"``.
    """

    number: int
    ranking: Ranking
    stance: Stance
    answer: Stance
    state: str


@dataclass(frozen=True)
class StrategyResult:
    """What :func:`play` found.

    Attributes
    ----------
    scenario, exporter, targets, draws, seed
        The question.
    family
        The family searched.
    weights
        The objective's parameters.
    rounds
        The rounds played (round 1: the best response to the importer as the scenario has it).
    outcome
        ``{"status": "settled" | "cycle" | "open", "round": k, "period": p}``.
    runs
        Engine runs made (the exporter's search; the ``mitigate`` importer's runs are not
        counted).
    seconds
        Wall time, s.
    importer
        The importer's answer: ``"newsvendor"``, ``"mitigate"`` or ``"custom"``.
    """

    scenario: str
    exporter: str
    targets: tuple[str, ...]
    draws: int
    seed: int
    family: Family
    weights: Weights
    candidates: int
    rounds: list[Round]
    outcome: dict[str, Any]
    runs: int
    seconds: float = 0.0
    importer: str = "newsvendor"

    @property
    def best(self) -> Evaluation:
        """The exporter's best policy in round 1."""
        return self.rounds[0].ranking.best

    def surface(self) -> list[dict[str, Any]]:
        """Round 1's objective over the whole family: one row per candidate with its lever
        settings, ``score_usd``, ``score_se_usd`` and ``draws`` (the last rung it reached)."""
        return [{"label": e.candidate.label, **{f"lever:{k}": str(v)
                                                for k, v in e.candidate.settings.items()},
                 "score_usd": e.score, "score_se_usd": e.se, "draws": e.draws}
                for e in self.rounds[0].ranking.screened]

    @property
    def alternatives(self) -> list[Evaluation]:
        """The next best policies of round 1 that ran at full draws, best first."""
        return self.rounds[0].ranking.evaluations[1:]


def _check_regions(world: Any, exporter: str, targets: tuple[str, ...]) -> None:
    ids = [str(r) for r in world.regions["id"]]
    if exporter not in ids:
        raise UnknownNameError("exporter", exporter, ids, field="exporter")
    if not targets:
        raise InputError(Problem("no target given", field="target",
                                 expected="at least one region id"))
    for t in targets:
        if t not in ids:
            raise UnknownNameError("target", t, ids, field="target")
        if t == exporter:
            raise InputError(Problem("the target is the exporter", field="target", value=t,
                                     expected="an importing region other than " + exporter))


def play(scenario: Scenario, *, exporter: str, targets: tuple[str, ...] | list[str],
         rounds: int = DEFAULT_ROUNDS, draws: int = DEFAULT_DRAWS, family: Family | None = None,
         seed: int | None = None, answer: ImporterAnswer = mitigation_answer,
         progress: Callable[[str], None] | None = None) -> StrategyResult:
    """Search the exporter's best policy and iterate best responses with the importer.

    Parameters
    ----------
    scenario
        A scenario with an ``ExportLicence`` of ``exporter`` (the family varies it).
    exporter
        Region id of the exporter.
    targets
        Region ids whose harm counts (and who answer); the family's ``target`` (destinations,
        ``approval_target``) is the first.
    rounds
        Rounds of best responses (at least 1).
    draws
        Draws per candidate at full precision (at least 2, for standard errors).
    family
        The policy family (default: the bundled one, :func:`~spigot.strategy.family.default_family`).
    seed
        Seed of every run (default: the scenario's).
    answer
        The importer's answer (default: the mitigation optimiser,
        :func:`~spigot.strategy.importer.mitigation_answer`; the others are in
        :data:`spigot.strategy.importer.IMPORTERS`).
    progress
        Called with a line of text as each round starts.

    Raises
    ------
    InputError
        Unknown exporter or target, a scenario without a licence of the exporter, a family that
        names things the world lacks, rounds < 1 or draws < 2.
    """
    start = time.perf_counter()
    targets = tuple(targets)
    if rounds < 1:
        raise InputError(Problem("at least one round", field="rounds", value=rounds,
                                 expected="an integer >= 1"))
    if draws < 2:
        raise InputError(Problem("standard errors need at least two draws", field="draws",
                                 value=draws, expected="an integer >= 2"))
    family = family or default_family()
    world = datasets.load(scenario.dataset)
    _check_regions(world, exporter, targets)
    check_family(family, world)
    licence = base_licence(scenario, exporter, family.policy)
    cands = candidates(family, scenario, exporter, targets[0])
    w = weights(family.objective)
    facts = WorldFacts.of(world, exporter, targets)
    seed = scenario.seed if seed is None else seed
    cache: dict[tuple[str, int], RunValues] = {}

    def evaluator(stance: Stance) -> Evaluator:
        scen, stance_world = apply_answer(scenario, world, stance)
        covers = ";".join(f"{k}" for k in stance_key(stance) if k[0] == "cover")
        return Evaluator(scen, stance_world, licence.id, facts, w, seed, cache,
                         world_key=covers and "|" + covers)

    bare = evaluator(())
    played: list[Round] = []
    keys: list[tuple[str, Any]] = []
    stance: Stance = ()
    status: dict[str, Any] = {"status": "open", "round": None, "period": None}
    for k in range(1, rounds + 1):
        if progress is not None:
            progress(f"round {k}: the exporter searches {len(cands)} candidates")
        ev = evaluator(stance)
        ranking = search(cands, ev.evaluate, draws, family.search)
        best = ranking.best.candidate
        reply = answer(AnswerContext(
            world, targets, _shortfall(bare, best, draws), float(scenario.horizon_weeks),
            None if best.policy is None else bare.scenario_of(best), draws, seed))
        key = (best.label, stance_key(reply))
        state = "new"
        if keys and keys[-1] == key:
            state = "settled"
            status = {"status": "settled", "round": k, "period": 1}
        elif key in keys:
            j = keys.index(key) + 1
            state = f"repeats round {j}"
            status = {"status": "cycle", "round": k, "period": k - j}
        played.append(Round(k, ranking, stance, reply, state))
        keys.append(key)
        if state != "new":
            break
        stance = reply
    return StrategyResult(scenario.name, exporter, targets, draws, seed, family, w, len(cands),
                          played, status, len(cache), time.perf_counter() - start,
                          importer_name(answer))


def _shortfall(bare: Evaluator, best: Candidate, draws: int) -> dict[str, Any]:
    """The targets' shortfalls under ``best`` with no importer stock (what the importer answers)."""
    if best.policy is None:
        return {}
    return dict(bare.evaluate(best, draws).values.target_shortfall_t)  # type: ignore[union-attr]
