"""Synthetic results for the store, report and web tests: no engine needed.

The Dataset looks like what the engine and the markets issue produce: summaries over quantiles
(no ``draw`` dimension) and sampled trajectories (with ``draw``), units in ``attrs``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

SCENARIO_TEXT = """\
name: fake-squeeze
description: A synthetic licence squeeze for tests.
dataset: toy
start: 2025-01-06
horizon_weeks: 12
draws: 8
seed: 3
policies: []
"""

REGIONS = ["CHN", "USA", "JPN"]
SECTORS = ["automotive", "wind"]
ZONES = ["china", "ex_china"]
COMMODITIES = ["dy_oxide", "ndfeb_magnet"]
QUANTILES = [0.05, 0.5, 0.95]


def fake_dataset(draws: int = 8, weeks: int = 12, seed: int = 0) -> xr.Dataset:
    """A small results Dataset with summaries and trajectories of every kind the report draws."""
    rng = np.random.default_rng(seed)
    time = pd.date_range("2025-01-06", periods=weeks, freq="7D").to_numpy()
    base = np.array([[55.0, 900.0], [57.0, 1000.0]])  # zone x commodity, USD/kg
    walk = np.cumsum(rng.normal(0.0, 0.03, size=(draws, weeks, 2, 2)), axis=1)
    price_draws = base[None, None] * np.exp(walk)
    exports = 10.0 * np.exp(-np.linspace(0, 1, weeks))[None, :, None] * rng.uniform(
        0.5, 1.5, size=(draws, weeks, 2))
    first_stop = rng.integers(2, weeks, size=(draws, 3, 2)).astype(float)
    first_stop[:, 0, :] = np.nan  # China never stops
    queue = np.cumsum(rng.poisson(30, size=(draws, weeks)), axis=1).astype(float)
    lost = rng.gamma(2.0, 1e6, size=(draws, 3, 2))
    q = np.array(QUANTILES)
    ds = xr.Dataset(
        {
            "price": (("draw", "time", "zone", "commodity"), price_draws,
                      {"units": "USD/kg", "long_name": "price by market zone"}),
            "price_quantiles": (("quantile", "time", "zone", "commodity"),
                                np.quantile(price_draws, q, axis=0), {"units": "USD/kg"}),
            "exports": (("draw", "time", "commodity"), exports, {"units": "t/week"}),
            "first_stoppage": (("draw", "region", "sector"), first_stop,
                               {"units": "week", "long_name": "week of first stoppage"}),
            "first_stoppage_quantiles": (("quantile", "region", "sector"),
                                         np.quantile(np.nan_to_num(first_stop, nan=weeks), q,
                                                     axis=0),
                                         {"units": "week"}),
            "stop_probability": (("region", "sector"), np.isfinite(first_stop).mean(axis=0),
                                 {"units": "1"}),
            "licence_queue": (("draw", "time"), queue, {"units": "applications"}),
            "lost_output_value": (("draw", "region", "sector"), lost, {"units": "USD"}),
            "expected_lost_value": ((), float(lost.sum(axis=(1, 2)).mean()), {"units": "USD"}),
            "stopped": (("quantile", "region"), np.array([[0, 1, 1], [0, 1, 1], [0, 1, 1]],
                                                         dtype=bool), {}),
            "weeks_stopped": (("region",), np.array([0, 3, 2], dtype=np.int64), {"units": "week"}),
        },
        coords={"draw": np.arange(draws), "time": time, "zone": ZONES, "commodity": COMMODITIES,
                "region": REGIONS, "sector": SECTORS, "quantile": q},
        attrs={"title": "fake results", "step_weeks": 1},
    )
    return ds


def fake_manifest(draws: int = 8, seed: int = 3, **extra: Any) -> dict[str, Any]:
    """A manifest as the engine writes one."""
    manifest: dict[str, Any] = {
        "spigot_version": "0.1.0",
        "dataset": "toy",
        "dataset_hash": "d" * 64,
        "scenario": "fake-squeeze",
        "scenario_hash": "s" * 64,
        "seed": seed,
        "draws": draws,
        "timings": {"compile": 0.1, "simulate": 1.2, "total": 1.4},
    }
    manifest.update(extra)
    return manifest
