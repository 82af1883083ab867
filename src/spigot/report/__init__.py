"""HTML reports of stored runs: one self-contained file with the run's charts and tables.

>>> from spigot.store import RunStore
>>> from spigot.report import write_report
>>> write_report(RunStore(), "latest", "report.html")  # doctest: +SKIP
"""

from spigot.report.compare import build_comparison, find_reference
from spigot.report.content import Chart, ReportContent, Section, build_content, network_for
from spigot.report.deltas import Deltas, deltas
from spigot.report.html import render_html, write_comparison, write_report

__all__ = ["Chart", "Deltas", "ReportContent", "Section", "build_comparison", "build_content",
           "deltas", "find_reference", "network_for", "render_html", "write_comparison",
           "write_report"]
