"""Search a policy family under Monte Carlo with common random numbers (docs/model.md, "Search
under Monte Carlo").

Every candidate runs with the same seed, so draw ``d`` of every run samples the same parameters
from the same stream where the policies share them (the engine's draws come in blocks of 64 with
one stream per block, and a run of ``n`` draws is the first ``n`` draws of a longer one). Scores
are compared draw by draw: the standard error of a difference between two candidates is that of
the paired differences, far smaller than either score's own.

- **Enumerate** (families of at most ``enumerate_up_to`` candidates): every candidate at full
  draws.
- **Successive halving** (larger families): every candidate at ``first_rung_draws``; the best
  ``max(finalists, ceil(n / eta))`` go on with ``eta`` times the draws, until a rung runs at full
  draws. "No restriction" is exact (the objective is 0 in every draw) and needs no run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from spigot.sim import simulate
from spigot.strategy.family import Candidate, SearchSettings
from spigot.strategy.objective import Outcome, RunValues, Weights, WorldFacts, outcome, run_values

if TYPE_CHECKING:
    from spigot.network import SupplyNetwork
    from spigot.scenarios import Scenario

__all__ = ["Evaluation", "Evaluator", "Ranking", "enumerate_family", "rank", "search",
           "successive_halving"]


@dataclass(frozen=True)
class Evaluation:
    """A candidate's objective over ``draws`` draws.

    Attributes
    ----------
    candidate
        The policy.
    draws
        Draws it ran.
    outcome
        Per-draw score and parts (:class:`~spigot.strategy.objective.Outcome`).
    values
        The run's own per-draw values (for the importer's answer); None for "no restriction".
    """

    candidate: Candidate
    draws: int
    outcome: Outcome
    values: RunValues | None = None

    @property
    def score(self) -> float:
        """Mean of ``J_d`` over draws, USD."""
        return float(np.mean(self.outcome.score_usd))

    @property
    def se(self) -> float:
        """Standard error of :attr:`score`, USD."""
        return _se(self.outcome.score_usd)

    def gap_se(self, other: Evaluation) -> float:
        """Standard error of ``self.score - other.score`` from the paired draws (common random
        numbers), USD."""
        n = min(self.draws, other.draws)
        return _se(self.outcome.score_usd[:n] - other.outcome.score_usd[:n])

    def summary(self) -> dict[str, Any]:
        """Means and standard errors of the score and its parts (JSON values)."""
        o = self.outcome
        return {"score_usd": self.score, "score_se_usd": self.se,
                "harm_usd": float(np.mean(o.harm_usd)), "harm_se_usd": _se(o.harm_usd),
                "revenue_lost_usd": float(np.mean(o.revenue_lost_usd)),
                "revenue_lost_se_usd": _se(o.revenue_lost_usd),
                "share_lost": float(np.mean(o.share_lost)),
                "share_lost_usd": float(np.mean(o.share_lost_usd)),
                "share_lost_se_usd": _se(o.share_lost_usd), "draws": self.draws}


def _se(x: np.ndarray) -> float:
    return float(np.std(x, ddof=1) / math.sqrt(len(x))) if len(x) > 1 else float("nan")


class Evaluator:
    """Runs candidates against one importer stance and caches every run by scenario and draws.

    Parameters
    ----------
    scenario
        The scenario (with the importer's stance applied) whose licence the candidates replace.
    world
        Its world (passed to the engine, loaded once).
    licence_id
        Id of the scenario's licence that candidates replace (and "no restriction" removes).
    facts, weights
        What the objective needs (:mod:`spigot.strategy.objective`).
    seed
        The seed of every run (common random numbers).
    cache
        Shared between evaluators: runs keyed by (scenario hash + ``world_key``, draws).
    world_key
        Says how ``world`` differs from the other evaluators' (the importer's extra cover), so
        that the shared cache keeps runs on different worlds apart ("": the scenario's world).
    """

    def __init__(self, scenario: Scenario, world: SupplyNetwork, licence_id: str,
                 facts: WorldFacts, weights: Weights, seed: int,
                 cache: dict[tuple[str, int], RunValues] | None = None,
                 world_key: str = "") -> None:
        self.scenario = scenario
        self.world = world
        self.world_key = world_key
        self.licence_id = licence_id
        self.facts = facts
        self.weights = weights
        self.seed = seed
        self.cache: dict[tuple[str, int], RunValues] = {} if cache is None else cache
        self.runs = 0

    def scenario_of(self, candidate: Candidate) -> Scenario:
        """The scenario with the licence replaced by the candidate's (removed for "no
        restriction", with any suspension of it)."""
        policies = []
        for p in self.scenario.policies:
            if p.id == self.licence_id:
                if candidate.policy is not None:
                    policies.append(candidate.policy.model_dump(mode="json", exclude_none=True))
            elif candidate.policy is None and getattr(p, "measure", None) == self.licence_id:
                continue
            else:
                policies.append(p.model_dump(mode="json", exclude_none=True))
        return self.scenario.with_options(policies=policies)

    def values(self, scen: Scenario, draws: int) -> RunValues:
        """Per-draw values of ``scen`` at ``draws`` (run once, then cached)."""
        key = (scen.content_hash() + self.world_key, draws)
        if key not in self.cache:
            res = simulate(scen, draws=draws, seed=self.seed, keep_trajectories=draws,
                           network=self.world)
            res.check_conservation()
            self.cache[key] = run_values(res, self.facts, self.weights)
            self.runs += 1
        return self.cache[key]

    def without(self, draws: int) -> RunValues:
        """Values of the scenario without the licence."""
        return self.values(self.scenario_of(Candidate("no restriction")), draws)

    def evaluate(self, candidate: Candidate, draws: int) -> Evaluation:
        """The candidate's objective at ``draws`` draws."""
        base = self.without(draws)
        if candidate.policy is None:
            zero = np.zeros(draws)
            return Evaluation(candidate, draws, Outcome(zero, zero, zero, zero, zero), base)
        mine = self.values(self.scenario_of(candidate), draws)
        return Evaluation(candidate, draws, outcome(mine, base, self.weights,
                                                    self.scenario.horizon_weeks), mine)


@dataclass(frozen=True)
class Ranking:
    """Candidates at full draws, best first, and how the search got there.

    Attributes
    ----------
    evaluations
        The candidates that reached full draws, by score (best first).
    method
        ``"enumerate"`` or ``"successive_halving"``.
    rungs
        ``{"draws", "candidates"}`` per rung.
    screened
        Every candidate's last evaluation (at the draws of the last rung it reached), in the
        family's order: the objective over the whole family.
    """

    evaluations: list[Evaluation]
    method: str
    rungs: list[dict[str, int]] = field(default_factory=list)
    screened: list[Evaluation] = field(default_factory=list)

    @property
    def best(self) -> Evaluation:
        """The best candidate."""
        return self.evaluations[0]


def rank(evaluations: list[Evaluation]) -> list[Evaluation]:
    """Best first; ties (equal scores) keep the family's order."""
    return sorted(evaluations, key=lambda e: -e.score)


Evaluate = Callable[[Candidate, int], Evaluation]


def enumerate_family(cands: list[Candidate], evaluate: Evaluate, draws: int) -> Ranking:
    """Every candidate at ``draws`` draws (the brute force)."""
    evals = [evaluate(c, draws) for c in cands]
    return Ranking(rank(evals), "enumerate", [{"draws": draws, "candidates": len(cands)}], evals)


def successive_halving(cands: list[Candidate], evaluate: Evaluate, draws: int,
                       settings: SearchSettings) -> Ranking:
    """Many candidates at few draws, the best at more, until a rung runs at full ``draws``."""
    alive = list(cands)
    n = min(settings.first_rung_draws, draws)
    rungs = []
    last: dict[int, Evaluation] = {}
    while True:
        evals = rank([evaluate(c, n) for c in alive])
        last.update({id(e.candidate): e for e in evals})
        rungs.append({"draws": n, "candidates": len(alive)})
        if n >= draws:
            return Ranking(evals, "successive_halving", rungs,
                           [last[id(c)] for c in cands])
        keep = max(settings.finalists, math.ceil(len(alive) / settings.eta))
        alive = [e.candidate for e in evals[:keep]]
        n = min(draws, n * settings.eta)


def search(cands: list[Candidate], evaluate: Evaluate, draws: int,
           settings: SearchSettings) -> Ranking:
    """Enumerate small families, successive halving for larger ones (module docstring)."""
    if len(cands) <= settings.enumerate_up_to:
        return enumerate_family(cands, evaluate, draws)
    return successive_halving(cands, evaluate, draws, settings)
