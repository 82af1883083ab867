"""Historical replays (back-tests). For now: the observed series they are compared with.

The replay runner (``spigot replay NAME``) comes later; this package holds the observed data and
its provenance (:mod:`spigot.replays.observed`) and imports nothing from the engine.

>>> from spigot import replays
>>> replays.names()[:2]
('calibration_targets_2010', 'china_exports_annual')
"""

from __future__ import annotations

from spigot.replays.observed import describe, load_observed, names, path

__all__ = ["describe", "load_observed", "names", "path"]
