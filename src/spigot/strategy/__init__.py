"""A strategic exporter that chooses where to turn the spigot (issue 20, item 2; docs/model.md,
"The exporter as a player").

The exporter searches a *policy family* (variants of the scenario's own export licence: which
commodities, destinations, approval odds, processing times, duration, announcement lead) for the
policy that maximises its objective: weighted harm to the targets minus its own export revenue
lost minus the long-run sales that new non-exporter capacity takes. Candidates run under Monte
Carlo with common random numbers; the importer answers with the mitigation optimiser of
``spigot mitigate`` (or a newsvendor stockpile), and best responses iterate for a few rounds.

>>> import spigot as sp
>>> found = sp.strategy("licence-squeeze", exporter="CHN", target="USA")   # doctest: +SKIP
>>> found.best.candidate.label                                              # doctest: +SKIP

``sp.strategy`` is this package, and calling it calls :func:`strategy`.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spigot.strategy.family import (
    Candidate,
    Family,
    candidates,
    check_family,
    default_family,
    load_family,
    load_family_text,
)
from spigot.strategy.game import DEFAULT_DRAWS, DEFAULT_ROUNDS, Round, StrategyResult, play
from spigot.strategy.importer import (
    DEFAULT_IMPORTER,
    IMPORTERS,
    AnswerContext,
    Cover,
    ImporterAnswer,
    Stance,
    Stock,
    mitigation_answer,
    stockpile_answer,
)
from spigot.strategy.objective import Weights, objective_table
from spigot.strategy.search import Evaluation, Evaluator, Ranking

if TYPE_CHECKING:
    from collections.abc import Callable

    from spigot.scenarios import Scenario

__all__ = ["DEFAULT_DRAWS", "DEFAULT_IMPORTER", "DEFAULT_ROUNDS", "IMPORTERS", "AnswerContext",
           "Candidate", "Cover", "Evaluation", "Evaluator", "Family", "ImporterAnswer", "Ranking",
           "Round", "Stance", "Stock", "StrategyResult", "Weights", "candidates", "check_family",
           "default_family", "load_family", "load_family_text", "mitigation_answer",
           "objective_table", "play", "stockpile_answer", "strategy"]


def strategy(scenario: str | Scenario, *, exporter: str, target: str | list[str],
             rounds: int = DEFAULT_ROUNDS, draws: int = DEFAULT_DRAWS,
             family: str | Path | Family | None = None, seed: int | None = None,
             answer: ImporterAnswer | str = DEFAULT_IMPORTER,
             progress: Callable[[str], None] | None = None) -> StrategyResult:
    """The exporter's best policy against ``target`` and the best responses that follow.

    Parameters
    ----------
    scenario
        A built-in scenario name, a scenario file, or a :class:`~spigot.scenarios.Scenario`.
    exporter
        Region id of the exporter (it needs an ``ExportLicence`` in the scenario).
    target
        Region id (or ids) whose harm the exporter seeks and who answer.
    rounds, draws, seed, progress
        See :func:`spigot.strategy.game.play`.
    answer
        The importer's answer: a function, or a name of :data:`IMPORTERS` (``"mitigate"``, the
        default, or ``"newsvendor"``).
    family
        A family file, a :class:`Family`, or None for the bundled one.

    Raises
    ------
    InputError
        For bad input (see :func:`~spigot.strategy.game.play`, :func:`load_family`).
    """
    from spigot import scenarios

    scen = scenarios.load(scenario) if isinstance(scenario, str) else scenario
    fam = load_family(family) if isinstance(family, str | Path) else family
    targets = [target] if isinstance(target, str) else list(target)
    if isinstance(answer, str):
        if answer not in IMPORTERS:
            from spigot.errors import UnknownNameError

            raise UnknownNameError("importer", answer, list(IMPORTERS), field="answer")
        answer = IMPORTERS[answer]
    return play(scen, exporter=exporter, targets=targets, rounds=rounds, draws=draws, family=fam,
                seed=seed, answer=answer, progress=progress)


class _CallableModule(types.ModuleType):
    """This package, callable as :func:`strategy` (so ``sp.strategy(...)`` works)."""

    def __call__(self, *args: Any, **kwargs: Any) -> StrategyResult:
        return strategy(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
