"""Parameter table and loader: provenance on every row, alignment, errors naming the parameter."""

# ruff: noqa: N806 - sizes are named as in the docs (C commodities, N nodes, ...)

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import spigot as sp
from spigot.errors import InputError
from spigot.market.parameters import PARAMETERS, default_table, load_market_params

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def net() -> sp.network.CompiledNetwork:
    return sp.datasets.load("base").compile(step_weeks=1.0)


def test_every_row_has_unit_meaning_source_and_confidence() -> None:
    table = default_table()
    for column in ("unit", "meaning", "source"):
        assert (table[column].str.strip() != "").all(), column
    assert set(table["confidence"]) <= {"H", "M", "L"}
    assert set(table["parameter"]) == set(PARAMETERS)


def test_docs_list_every_parameter() -> None:
    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    missing = [name for name in PARAMETERS if f"`{name}`" not in text]
    assert not missing


def test_loads_aligned_to_base_and_toy(net: sp.network.CompiledNetwork) -> None:
    p = load_market_params(net)
    C, S, N = len(net.commodities), len(net.sectors), len(net.nodes)
    assert p.p0.shape == (2, C)
    assert np.all(p.p0 > 0)
    assert np.array_equal(p.p0.T[np.isfinite(net.price)], net.price[np.isfinite(net.price)])
    assert p.inv_flex.shape == (C,)
    assert p.sector_elasticity.shape == (S,)
    assert p.node_kind.shape == (N,)
    assert p.route_weight.shape == (len(net.routes),)
    np.testing.assert_allclose(p.zone_share.sum(axis=0), 1.0)
    dy = net.commodities.index("dy_oxide")
    assert p.inv_flex[dy] == 10.0  # calibrated to 2010-2012
    magnets = [u for u in range(p.n_uses) if p.use_kind[u] == 1 and p.use_c[u] == dy]
    assert magnets
    assert all(p.use_cap[u] == 0.6 for u in magnets)
    assert p.qual_steps[net.nodes.index("vulcan_elements")] == 24
    assert p.speed == pytest.approx(0.025)  # calibrated to 2010-2012
    toy = load_market_params(sp.datasets.load("toy").compile(step_weeks=1.0))
    assert toy.p0.shape[1] == len(sp.datasets.load("toy").compile().commodities)


def test_pairs_match_the_engine(net: sp.network.CompiledNetwork) -> None:
    from spigot.policy.plan import PolicyPlan
    from spigot.scenarios.models import Scenario
    from spigot.sim.build.model import build_model

    scen = Scenario.model_validate({"name": "t", "dataset": "base", "policies": []})
    plan = PolicyPlan(scen, net, {}, {}, ["civil"] * len(net.sectors))
    m = build_model(net, plan, 0.9)
    p = load_market_params(net)
    assert np.array_equal(p.pair_sector, m.sc_sector)
    assert np.array_equal(p.pair_c, m.sc_c)
    assert np.array_equal(p.sec_ptr, m.sec_ptr)
    assert np.array_equal(p.sec_pair, m.sec_sc)


def test_two_week_steps_convert_rates(net: sp.network.CompiledNetwork) -> None:
    two = sp.datasets.load("base").compile(step_weeks=2.0)
    p1, p2 = load_market_params(net), load_market_params(two)
    assert (1 - p2.speed) == pytest.approx((1 - p1.speed) ** 2)
    assert (1 - p2.adopt_rate) == pytest.approx((1 - p1.adopt_rate) ** 2)
    assert p2.restart_lag == 13
    assert p2.qual_steps.max() == 12


def test_overrides(net: sp.network.CompiledNetwork) -> None:
    p = load_market_params(net, overrides={"price_adjust_speed": 0.5,
                                           "price_inv_flexibility:ndpr_oxide": 4.0,
                                           "substitution_cap:wind:ndfeb_magnet": 0.9})
    assert p.speed == 0.5
    assert p.inv_flex[net.commodities.index("ndpr_oxide")] == 4.0
    assert 0.9 in set(p.use_cap)


def write(tmp_path: Path, edit: tuple[str, str]) -> Path:
    text = (ROOT / "src" / "spigot" / "market" / "parameters.csv").read_text(encoding="utf-8")
    assert edit[0] in text
    path = tmp_path / "params.csv"
    path.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("edit", "message"), [
    (("price_adjust_speed,global,*,0.025", "price_adjust_sped,global,*,0.15"),
     r"line \d+: field 'parameter': unknown parameter: got 'price_adjust_sped'.*"
     r"did you mean 'price_adjust_speed'\?"),
    (("price_adjust_speed,global,*,0.025", "price_adjust_speed,global,*,1.5"),
     r"price_adjust_speed out of range: got '1.5'; expected a number in \[0, 1\]"),
    (("price_cap_multiple,commodity,dy_oxide", "price_cap_multiple,commodity,dy_oxid"),
     r"line 13: field 'key': unknown commodity for price_cap_multiple: got 'dy_oxid'.*'dy_oxide'"),
    (("automotive:ndfeb_magnet", "automotiv:ndfeb_magnet"),
     r"unknown sector for substitution_cap: got 'automotiv:ndfeb_magnet'"),
    (("price_adjust_speed,global,*,0.025", "price_adjust_speed,global,*,fast"),
     r"price_adjust_speed out of range: got 'fast'"),
    (("recycling_price_on,global,*,1.5", "recycling_price_on,global,*,9"),
     r"recycling_price_on must be below recycling_price_full"),
    (("qualification_weeks,stage,*,0.0", "qualification_weeks,stage,mining,0.0"),
     r"missing default row for qualification_weeks"),
])
def test_errors_name_the_parameter(net: sp.network.CompiledNetwork, tmp_path: Path,
                                   edit: tuple[str, str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_market_params(net, write(tmp_path, edit))


def test_unknown_override_is_an_input_error(net: sp.network.CompiledNetwork) -> None:
    with pytest.raises(InputError, match=re.escape("got 'restart_lag_week'") + ".*'restart_lag_weeks'"):
        load_market_params(net, overrides={"restart_lag_week": 4})
