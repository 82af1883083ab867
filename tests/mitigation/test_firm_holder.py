"""A firm as holder (issue 19): ``--for USA.automotive`` counts only that sector's lost output,
offers only its own extra cover, and its zero-cost point is that sector's loss in a plain run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spigot.errors import UnknownNameError
from spigot.mitigation import mitigate
from spigot.mitigation.sample import holder_loss_by_draw
from spigot.testing import run, toy_scenario
from tests.clikit import cli

BAN = """
name: mit-firm
dataset: toy
horizon_weeks: 30
draws: 16
policies:
  - {type: ExportBan, id: ban, exporter: CHN, commodities: [ndfeb_magnet], destinations: [USA],
     start: 2025-01-06, duration_weeks: {dist: uniform, low: 2, high: 24}}
"""
DRAWS, SEED = 16, 9


def test_a_sector_is_a_holder_with_its_own_cover_and_loss() -> None:
    scen = toy_scenario(BAN)
    res = mitigate(scen, "USA.automotive", draws=DRAWS, points=3, seed=SEED, refits=0,
                   marginal=False)
    assert res.holder == "USA.automotive"
    assert res.members == ("USA",)
    assert res.manifest["sectors"] == ("USA.automotive",)
    assert [(o.id, o.kind) for o in res.options] == [("USA_automotive_cover", "extra_cover")]
    plain = run(scen, draws=DRAWS, seed=SEED)
    own = holder_loss_by_draw(plain, ["USA"], ["USA.automotive"])
    np.testing.assert_array_equal(res.points[0].lost_usd, own)
    # the firm's loss is the sector's, a part of the region's (toy USA has one sector: equal)
    region = holder_loss_by_draw(plain, ["USA"])
    assert np.all(own <= region)
    assert own.sum() > 0
    # the frontier buys cover and the engine confirms it lowers the firm's loss
    assert res.portfolio(2)["id"].tolist() == ["USA_automotive_cover"]
    assert res.verification[2].simulated_lost_usd_mean < res.verification[0].simulated_lost_usd_mean


def test_an_unknown_sector_of_a_known_region_says_which_sectors_exist(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match="unknown sector") as err:
        mitigate(toy_scenario(BAN), "USA.wind", draws=4, points=2)
    assert "USA.automotive" in str(err.value)
    assert err.value.exit_code == 2
    scen = tmp_path / "mit-firm.yaml"
    scen.write_text(BAN)
    code, _, text = cli(capsys, "mitigate", str(scen), "--for", "USA.bogus", "--draws", "4",
                        "--points", "2", "--no-save")
    assert code == 2
    assert "unknown sector" in text
    assert "USA.automotive" in text
    # neither a sector nor a region: an unknown holder, as before
    code, _, text = cli(capsys, "mitigate", str(scen), "--for", "ATLANTIS.auto", "--draws", "4",
                        "--points", "2", "--no-save")
    assert code == 2
    assert "ATLANTIS.auto" in text
