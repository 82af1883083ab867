"""A stored mitigate entry for the report and dashboard tests: ``spigot mitigate`` on the toy
world (a magnet ban on the USA of 2-24 weeks), 16 draws, 4 points, saved to a store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from spigot.cli.app import app

BAN = """
name: mit-report
dataset: toy
horizon_weeks: 30
draws: 16
policies:
  - {type: ExportBan, id: ban, exporter: CHN, commodities: [ndfeb_magnet], destinations: [USA],
     start: 2025-01-06, duration_weeks: {dist: uniform, low: 2, high: 24}}
"""


def saved_mitigate_entry(folder: Path) -> tuple[Path, str, dict[str, Any]]:
    """The store folder, the entry's id and its JSON document."""
    scen = folder / "mit-report.yaml"
    scen.write_text(BAN)
    result = CliRunner().invoke(app, ["mitigate", str(scen), "--for", "USA", "--draws", "16",
                                      "--points", "4", "--seed", "2", "--refits", "1",
                                      "--format", "json", "--quiet", "--store",
                                      str(folder / "store")])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    return folder / "store", str(doc["run_id"]), doc
