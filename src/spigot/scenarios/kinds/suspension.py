"""``Suspension``: pause another measure of the scenario between two dates (its own timing may
be stochastic). The plan samples its window after every measure's own draws."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from spigot.scenarios.kinds._base import PolicyKind, Timed, no_references

__all__ = ["KIND", "Suspension"]


class Suspension(Timed):
    """Pause another measure between two dates."""

    type: Literal["Suspension"]
    measure: str = Field(description="Id of the measure suspended.")


KIND = PolicyKind("Suspension", Suspension, "pauses another measure between two dates",
                  measures=None, references=no_references)
