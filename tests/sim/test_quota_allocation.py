"""An export quota is shared by the routes it covers in proportion to what they send."""

from __future__ import annotations

import numpy as np
import pytest

from spigot.testing import run, toy_scenario

QUOTA = """
name: tight-quota
dataset: toy
horizon_weeks: 20
draws: 2
keep_trajectories: 1
markets: false
policies:
  - {type: ExportQuota, id: q, exporter: CHN, commodities: [dy_oxide, ndfeb_magnet, ndpr_oxide],
     annual_t: 0.5}
"""


@pytest.mark.parametrize("engine", ["numba", "reference"])
def test_every_covered_route_ships_the_same_share(engine: str) -> None:
    res = run(toy_scenario(QUOTA), engine=engine)
    exports = res.data["traj_exports"].isel(sample=0).values  # (time, route), t/step
    held = res.data["traj_held"].isel(sample=0).values
    sent = exports + held
    covered = held.sum(axis=0) > 0
    assert covered.sum() >= 2, "the quota should bind on several routes"
    share = np.divide(exports[:, covered], sent[:, covered], out=np.full_like(sent[:, covered], np.nan),
                      where=sent[:, covered] > 0)
    binding = (held[:, covered] > 0).any(axis=1)
    assert binding.any()
    for row in share[binding]:
        row = row[~np.isnan(row)]
        np.testing.assert_allclose(row, row[0], rtol=1e-9)
        assert 0.0 <= row[0] < 1.0
