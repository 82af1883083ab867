"""The toy squeeze and toy families the strategy tests share."""

from __future__ import annotations

from spigot.scenarios import Scenario, load_text
from spigot.strategy import Family, load_family_text

#: A licence of China on magnets and Dy oxide on the toy world (markets on: prices move).
TOY_SQUEEZE = """\
name: toy-squeeze
dataset: toy
horizon_weeks: 40
policies:
  - type: ExportLicence
    id: lic
    exporter: CHN
    commodities: [ndfeb_magnet, dy_oxide]
    start: 2025-02-03
    processing_time:
      distribution: {dist: lognormal, median: 30, sigma: 0.4, min: 5, max: 60}
      scale: {dist: uniform, low: 0.7, high: 1.5}
    approval:
      default: 0.7
      by_destination: {USA: {dist: uniform, low: 0.3, high: 0.6}}
"""

#: 12 licences and no restriction; ``enumerate_up_to: 4`` forces successive halving.
TOY_FAMILY = """\
name: toy
commodities: [[ndfeb_magnet], [dy_oxide], [ndfeb_magnet, dy_oxide]]
approval_target: [0.1, 0.9]
duration_weeks: [8, null]
search: {enumerate_up_to: 4, first_rung_draws: 16, eta: 3, finalists: 4}
"""


def toy_squeeze() -> Scenario:
    return load_text(TOY_SQUEEZE, "toy-squeeze.yaml")


def toy_family(text: str = TOY_FAMILY) -> Family:
    return load_family_text(text, "family.yaml")


def saved_search(store: object, draws: int = 16, rounds: int = 2) -> str:
    """Run a small search of the toy family on the toy squeeze and keep it in ``store`` (a
    folder) as a ``strategy`` entry; returns its run id."""
    import spigot as sp
    from spigot.cli.strategy import save_strategy, strategy_document

    found = sp.strategy(toy_squeeze(), exporter="CHN", target="USA", family=toy_family(),
                        draws=draws, rounds=rounds, seed=3)
    run_id, _ = save_strategy(strategy_document(found), TOY_SQUEEZE, "toy", store)
    return run_id
