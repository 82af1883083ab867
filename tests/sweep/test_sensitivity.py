"""Sobol indices against analytic ones: the Ishigami function, and a toy world whose lost output
depends on one swept parameter only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import spigot as sp
from spigot.sweep import parse_param, run_sweep
from spigot.sweep.design import design_points
from spigot.sweep.sensitivity import morris_indices, sobol_indices

TOY = str(Path(__file__).parent / "toy_licence.yaml")

#: Ishigami with a = 7, b = 0.1 on [-pi, pi]^3 (Sobol' & Levitan 1999; Saltelli et al. 2008).
A, B = 7.0, 0.1
_V = A**2 / 8 + B * np.pi**4 / 5 + B**2 * np.pi**8 / 18 + 0.5
_V1 = 0.5 * (1 + B * np.pi**4 / 5) ** 2
_V2 = A**2 / 8
_V13 = B**2 * np.pi**8 * (1 / 18 - 1 / 50)
ISHIGAMI_S1 = {"x1": _V1 / _V, "x2": _V2 / _V, "x3": 0.0}
ISHIGAMI_ST = {"x1": (_V1 + _V13) / _V, "x2": _V2 / _V, "x3": _V13 / _V}


def _ishigami(x: np.ndarray) -> np.ndarray:
    """The test-only evaluator: Ishigami as a sweep output."""
    return np.sin(x[:, 0]) + A * np.sin(x[:, 1]) ** 2 + B * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_ishigami_indices_match_the_analytic_ones() -> None:
    specs = [parse_param(f"{n}={-np.pi}:{np.pi}") for n in ("x1", "x2", "x3")]
    _, values = design_points(specs, "sobol", 2048, seed=7)
    assert values.shape == (2048 * 5, 3)
    indices = sobol_indices(specs, {"ishigami": _ishigami(values)}, seed=7)["ishigami"]
    assert indices is not None
    for name in ("x1", "x2", "x3"):
        got = indices[name]
        assert abs(got["S1"] - ISHIGAMI_S1[name]) <= got["S1_conf"], (name, got)
        assert abs(got["ST"] - ISHIGAMI_ST[name]) <= got["ST_conf"], (name, got)
        assert got["S1_conf"] < 0.1  # the intervals are tight enough to mean something


def test_morris_ranks_ishigami_inputs() -> None:
    specs = [parse_param(f"{n}={-np.pi}:{np.pi}") for n in ("x1", "x2", "x3")]
    unit, values = design_points(specs, "morris", 50, seed=1)
    idx = morris_indices(specs, unit, {"y": _ishigami(values)}, seed=1)["y"]
    assert idx is not None
    assert idx["x3"]["mu"] == pytest.approx(0.0, abs=idx["x3"]["mu_star"] + 1e-9)
    assert min(idx["x1"]["mu_star"], idx["x2"]["mu_star"]) > 0


def test_toy_world_lost_output_depends_on_one_parameter_only() -> None:
    """Without markets, the toy world's lost output is a function of the USA approval odds
    alone (the default odds only reach ROW, which has no sectors): S1 = ST = 1 for it, 0 for the
    other, within the bootstrap intervals."""
    scen = sp.scenarios.Scenario.from_yaml(TOY).with_options(markets=False)
    specs = [parse_param("policies[0].approval.by_destination.USA=0.3:0.7"),
             parse_param("policies[0].approval.default=0.3:0.9")]
    res = run_sweep(scen, specs, design="sobol", points=32, draws=64, weeks=12, workers=2)
    assert res.outputs[:2] == ["lost_output_usd_mean", "lost_output_usd_p95"]
    assert res.results.shape == (32 * 4, 4)  # and the peak prices: NaN without markets
    assert res.sobol is not None
    assert res.sobol["peak_price_ex_china:dy_oxide"] is None
    lost = res.sobol["lost_output_usd_mean"] if res.sobol else None
    assert lost is not None
    usa, default = lost[specs[0].path], lost[specs[1].path]
    for key in ("S1", "ST"):
        assert abs(usa[key] - 1.0) <= usa[f"{key}_conf"], usa
        assert abs(default[key]) <= max(default[f"{key}_conf"], 1e-12), default
    assert usa["S1_conf"] < 0.5
