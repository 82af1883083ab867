"""Historical replays (back-tests): built-in replay scenarios, the runner, the observed series.

* :func:`run_replay` (``spigot replay NAME``) runs a built-in replay (:func:`replay_names`) and
  compares it with the observed series; :mod:`spigot.replays.validation` writes
  ``docs/validation.md`` from the three replays.
* :func:`load_observed` (:mod:`spigot.replays.observed`) loads the bundled observed data.

>>> from spigot import replays
>>> replays.names()[:2]
('calibration_targets_2010', 'china_exports_annual')
>>> replays.replay_names()
('replay-2010', 'replay-2023-gallium', 'replay-2025')
"""

from __future__ import annotations

from spigot.replays.catalog import load_replay, replay_names, replay_path
from spigot.replays.observed import describe, load_observed, names, path
from spigot.replays.runner import JSON_SCHEMA_ID, ReplayResult, run_replay

__all__ = ["JSON_SCHEMA_ID", "ReplayResult", "describe", "load_observed", "load_replay", "names",
           "path", "replay_names", "replay_path", "run_replay"]
