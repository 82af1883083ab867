"""HTML reports of stored runs: one self-contained file with the run's charts and tables.

>>> from spigot.store import RunStore
>>> from spigot.report import write_report
>>> write_report(RunStore(), "latest", "report.html")  # doctest: +SKIP
"""

from spigot.report.content import ReportContent, Section, build_content, network_for
from spigot.report.html import render_html, write_report

__all__ = ["ReportContent", "Section", "build_content", "network_for", "render_html",
           "write_report"]
