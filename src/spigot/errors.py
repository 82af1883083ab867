"""Error types of spigot.

Every error a user can cause by their input is an :class:`InputError` (exit code 2 on the command
line). Its message names where the problem is (file, line, field), the bad value, what was expected
and, where one can be found, a suggestion. Internal failures are :class:`SpigotError` (exit code 1).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "ConservationError",
    "ConsistencyError",
    "DataError",
    "InputError",
    "Problem",
    "ScenarioError",
    "SpigotError",
    "UnknownNameError",
    "did_you_mean",
]

#: How many problems an error message lists before it summarises the rest.
MAX_LISTED_PROBLEMS = 12


def did_you_mean(value: object, choices: Iterable[str], aliases: dict[str, str] | None = None) -> str:
    """Return a "did you mean ...?" hint for ``value`` among ``choices``, or ``""``.

    Parameters
    ----------
    value
        The unknown name the user gave.
    choices
        The valid names.
    aliases
        Known wrong spellings mapped to the right name (for example ``{"UK": "GBR"}``); checked
        before fuzzy matching.
    """
    text = str(value)
    pool = list(choices)
    if aliases and text in aliases:
        return f"did you mean {aliases[text]!r}?"
    upper = {c.upper(): c for c in pool}
    if text.upper() in upper and upper[text.upper()] != text:
        return f"did you mean {upper[text.upper()]!r}?"
    close = difflib.get_close_matches(text, pool, n=3, cutoff=0.6)
    if not close:
        close = [c for c in pool if text and (c.startswith(text) or text in c)][:3]
    if not close:
        return ""
    if len(close) == 1:
        return f"did you mean {close[0]!r}?"
    return "did you mean one of " + ", ".join(repr(c) for c in close) + "?"


@dataclass(frozen=True)
class Problem:
    """One problem in the user's input.

    Attributes
    ----------
    message
        What is wrong, in a few words (``"negative value"``).
    file
        The file (or table) where it is.
    line
        The 1-based line number in that file (the header is line 1).
    field
        The column or key.
    value
        The bad value as given.
    expected
        What would have been valid.
    hint
        A suggestion to fix it (``"did you mean 'GBR'?"``).
    """

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None
    value: object = None
    expected: str | None = None
    hint: str | None = None

    def describe(self) -> str:
        """Render the problem as one line: ``where: message: got X; expected Y; hint``."""
        where = []
        if self.file:
            where.append(str(self.file) + (f", line {self.line}" if self.line is not None else ""))
        elif self.line is not None:
            where.append(f"line {self.line}")
        if self.field:
            where.append(f"field {self.field!r}")
        text = (": ".join(where) + ": " if where else "") + self.message
        if self.value is not None:
            text += f": got {self.value!r}"
        if self.expected:
            text += f"; expected {self.expected}"
        if self.hint:
            text += f"; {self.hint}"
        return text


class SpigotError(Exception):
    """Base class of every spigot error. Exit code 1 (an internal failure) unless overridden."""

    exit_code: int = 1


class InputError(SpigotError, ValueError):
    """The user's input is invalid. Carries one or more :class:`Problem` objects. Exit code 2."""

    exit_code = 2

    def __init__(self, problems: Problem | str | Sequence[Problem], *, title: str | None = None):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        self.title = title
        super().__init__(self._render())

    def _render(self) -> str:
        lines = [p.describe() for p in self.problems[:MAX_LISTED_PROBLEMS]]
        hidden = len(self.problems) - len(lines)
        if hidden > 0:
            lines.append(f"... and {hidden} more problem(s)")
        if self.title:
            return self.title + ("\n  " + "\n  ".join(lines) if lines else "")
        return "\n".join(lines)


class DataError(InputError):
    """A data file or table is malformed (bad column, value, unit or reference)."""


class ConsistencyError(InputError):
    """A supply network's tables are individually valid but do not fit together."""


class ScenarioError(InputError):
    """A scenario file is invalid."""


class UnknownNameError(InputError, KeyError):
    """A name (dataset, scenario, commodity, region, ...) is not known."""

    def __init__(self, kind: str, name: object, choices: Iterable[str], *, field: str | None = None,
                 aliases: dict[str, str] | None = None, hint: str | None = None):
        pool = sorted(choices)
        hint = hint or did_you_mean(name, pool, aliases) or None
        shown = ", ".join(pool[:20]) + (", ..." if len(pool) > 20 else "")  # all 17 regions
        super().__init__(Problem(f"unknown {kind}", field=field, value=name,
                                 expected=f"one of {shown}", hint=hint))

    def __str__(self) -> str:  # KeyError would quote the message otherwise
        return self.args[0] if self.args else ""


class ConservationError(SpigotError):
    """A simulation did not conserve mass within tolerance: a bug, never a user mistake."""
