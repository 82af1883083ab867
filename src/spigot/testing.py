"""Toy worlds and checks for testing models built on spigot (and spigot's own tests).

>>> from spigot.testing import toy_scenario, run
>>> res = run(toy_scenario(), draws=8, seed=1)   # doctest: +SKIP - compiles the engine
>>> res.draws                                    # doctest: +SKIP
8

* :data:`TOY_LICENCE` and :func:`toy_scenario`: a licence, a ban, a quota and a suspension on the
  bundled ``toy`` world (a few nodes, three regions), in YAML you can edit;
* :func:`run`: simulate and check conservation of mass (every run in a test should go through it);
* :func:`assert_same`: two runs equal variable by variable (bit for bit or to a tolerance);
* :func:`total_shortfall`: mean t short over the horizon, a scalar to compare scenarios by;
* :func:`toy_with_stockpile`: the toy world with every stockpile set to a size and release rate.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import spigot as sp
from spigot.scenarios import load_text

__all__ = ["TOY_LICENCE", "assert_same", "run", "total_shortfall", "toy_scenario",
           "toy_with_stockpile"]

TOY_LICENCE = """
name: toy-licence
dataset: toy
horizon_weeks: 40
draws: 8
keep_trajectories: 3
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
    review_capacity: {applications_per_week: 3, shipment_t: {ndfeb_magnet: 0.05, dy_oxide: 0.002}}
    fast_track:
      - destinations: [JPN]
        start: 2025-06-02
        processing_time: {distribution: 5, unit: days}
        approval: 0.95
  - type: ExportBan
    id: ban
    exporter: CHN
    commodities: [ndpr_oxide]
    destinations: [JPN]
    start: 2025-03-03
    probability: 0.7
    duration_weeks: {dist: uniform, low: 4, high: 20}
  - type: ExportQuota
    id: quota
    exporter: CHN
    commodities: [dy_oxide]
    annual_t: 0.8
  - type: Suspension
    id: pause
    measure: lic
    start: 2025-05-05
    duration_weeks: {dist: triangular, low: 1, mode: 3, high: 6}
    probability: 0.5
"""


def toy_scenario(text: str = TOY_LICENCE, **changes: Any) -> sp.Scenario:
    """A toy scenario from YAML text, with top-level fields changed.

    The flow model alone (``markets: false``) unless the text or ``changes`` set ``markets``:
    these tests pin the engine's flows, which the market phase does not change when it is off.
    """
    scen = load_text(text)
    if "markets:" not in text:
        changes.setdefault("markets", False)
    return scen.with_options(**changes)


def run(scen: sp.Scenario, **kwargs: Any) -> sp.Results:
    """Simulate and check conservation (every run in the tests goes through here)."""
    res = sp.simulate(scen, **kwargs)
    res.check_conservation()
    return res


def assert_same(a: sp.Results, b: sp.Results, rtol: float = 0.0, atol: float = 1e-9) -> None:
    """Every data variable equal (bit for bit when ``rtol`` is 0).

    With ``rtol`` > 0 an entry may also differ by ``rtol`` times the variable's largest
    magnitude (at least ``atol``): the two engines add in different orders, so a value that
    should be 0 can come out as rounding noise of the variable's scale (0 against 1.6e-9 USD where
    other sectors lose 1.3e8 USD).
    """
    assert set(a.data.data_vars) == set(b.data.data_vars)
    for name in a.data.data_vars:
        x, y = a.data[name].values, b.data[name].values
        if rtol == 0.0:
            np.testing.assert_array_equal(x, y, err_msg=name)
        else:
            finite = np.abs(y[np.isfinite(y)]) if np.issubdtype(y.dtype, np.number) else []
            scale = float(np.max(finite)) if len(finite) else 0.0
            np.testing.assert_allclose(x, y, rtol=rtol, atol=max(atol, rtol * scale),
                                       err_msg=name)


def total_shortfall(res: sp.Results) -> float:
    """Mean over draws of the t short over the horizon, all regions and commodities."""
    return float(res.data["shortfall_t"].values.sum(axis=1).mean())


def toy_with_stockpile(quantity: float, max_release: float) -> sp.SupplyNetwork:
    """The toy world with every stockpile set to ``quantity`` t, released at most ``max_release``
    t/week."""
    toy = sp.datasets.load("toy")
    tables = dict(toy.tables)
    piles = tables["stockpiles"].copy()
    piles["quantity"] = float(quantity)
    piles["max_release_per_week"] = float(max_release)
    piles.attrs = dict(tables["stockpiles"].attrs)
    tables["stockpiles"] = piles
    return sp.SupplyNetwork(tables, name="toy-pile")
