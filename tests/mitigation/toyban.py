"""The toy world's magnet ban to the USA of random length (2-24 weeks) and its loss sample:
the fixture of the curve and point-fit tests."""

from __future__ import annotations

import functools

import spigot as sp
from spigot.mitigation.sample import LossSample, loss_sample
from spigot.testing import run, toy_scenario

BAN = """
name: mit-toy-ban
dataset: toy
horizon_weeks: 30
draws: 24
policies:
  - {type: ExportBan, id: ban, exporter: CHN, commodities: [ndfeb_magnet], destinations: [USA],
     start: 2025-01-06, duration_weeks: {dist: uniform, low: 2, high: 24}}
"""


@functools.cache
def toy_ban_sample(seed: int) -> LossSample:
    """The USA's loss sample of 24 draws of :data:`BAN` with trajectories (seed ``seed``)."""
    res = run(toy_scenario(BAN), draws=24, seed=seed, keep_trajectories=24)
    return loss_sample([res], sp.datasets.load("toy"), ["USA"])
