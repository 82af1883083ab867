"""The content model of reports: sections of figures with their text alternatives and tables.

:class:`ReportContent` is what :func:`~spigot.report.build_content` (one run) and
:func:`~spigot.report.build_comparison` (two runs) return, what the HTML report renders, and
what the dashboard receives as JSON (:meth:`ReportContent.to_json`; keys in docs/dashboard.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

__all__ = ["NOT_AVAILABLE", "Chart", "ReportContent", "Section"]

#: Note of a section whose variables the run does not have.
NOT_AVAILABLE = "not available in this run"


@dataclass
class Chart:
    """What a figure shows, in words and numbers: its text alternative and data-table fallback.

    Attributes
    ----------
    alt
        One or two sentences saying what the chart shows and its main numbers (the ARIA label).
    table
        The numbers behind the chart, small enough to read (shown in a ``<details>`` element).
    group
        The label the section's picker selects it by (a commodity), or ``None``: always shown.
    """

    alt: str
    table: pd.DataFrame | None = None
    group: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The chart's text as JSON values (``table``: ``{"columns", "rows"}`` or null)."""
        table = None if self.table is None else {
            "columns": [str(c) for c in self.table.columns], "rows": _records(self.table)}
        return {"alt": self.alt, "group": self.group, "table": table}


@dataclass
class Section:
    """One part of the report.

    ``figures`` and ``charts`` run in parallel: ``charts[i]`` is the text alternative, data
    table and picker group of ``figures[i]`` (add both with :meth:`add`). ``picker`` names what
    the section's figures are picked by (``"commodity"``) when only one group is shown at a time;
    ``featured`` lists the groups shown first (the commodities the run's policies control).
    ``lead`` is a paragraph in words that opens the section (the headline); ``text`` is shown
    preformatted (the scenario's YAML).
    """

    key: str
    title: str
    figures: list[go.Figure] = field(default_factory=list)
    table: pd.DataFrame | None = None
    note: str = ""
    text: str | None = None
    charts: list[Chart] = field(default_factory=list)
    picker: str | None = None
    featured: list[str] = field(default_factory=list)
    lead: str | None = None

    def add(self, figure: go.Figure, alt: str, table: pd.DataFrame | None = None,
            group: str | None = None) -> None:
        """Append a figure with its text alternative, data table and picker group."""
        self.figures.append(figure)
        self.charts.append(Chart(alt, table, group))

    def chart(self, i: int) -> Chart:
        """The text of figure ``i`` (its title when none was given)."""
        if i < len(self.charts):
            return self.charts[i]
        title = self.figures[i].layout.title.text or self.title
        return Chart(str(title))

    def to_json(self) -> dict[str, Any]:
        """The section as JSON values (figures as plotly JSON dicts, ``charts`` beside them)."""
        return {"key": self.key, "title": self.title, "note": self.note, "text": self.text,
                "figures": [f.to_plotly_json() for f in self.figures],
                "charts": [self.chart(i).to_json() for i in range(len(self.figures))],
                "picker": self.picker, "featured": list(self.featured), "lead": self.lead,
                "table": None if self.table is None else _records(self.table)}


@dataclass
class ReportContent:
    """Every section of one run's report, or of a comparison of two runs.

    Attributes
    ----------
    run_id
        The run's id; ``"<A>..<B>"`` for a comparison.
    title
        The report's title.
    sections
        In reading order.
    kind
        ``"run"`` or ``"compare"``.
    runs
        Catalog rows (:meth:`RunInfo.to_dict`) of the run(s) shown: one, or A then B.
    """

    run_id: str
    title: str
    sections: list[Section]
    kind: str = "run"
    runs: list[dict[str, Any]] = field(default_factory=list)

    def section(self, key: str) -> Section:
        """The section called ``key``."""
        return next(s for s in self.sections if s.key == key)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON values."""
        return {"run_id": self.run_id, "title": self.title, "kind": self.kind,
                "runs": self.runs, "sections": [s.to_json() for s in self.sections]}


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in frame.to_dict(orient="records"):
        out.append({str(k): (None if isinstance(v, float) and not np.isfinite(v)
                             else v.item() if isinstance(v, np.generic) else v)
                    for k, v in row.items()})
    return out
