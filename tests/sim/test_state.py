"""The kernel's named arrays (``spigot.sim.state``, ``spigot.sim.build.arrays``) hold what they name.

The kernel reads every static array by name: a model field by its ``ModelArrays`` name, a market
item through the index ``spigot.sim.state`` declares for it. These tests check the names against
the model they come from, so that a field packed under the wrong name cannot go unnoticed. They
need no compiled kernel.
"""

from __future__ import annotations

import numpy as np
import pytest

from spigot.market.parameters import KIND_FIXED
from spigot.sim import state
from spigot.sim.build.arrays import market_pack, model_arrays, neutral_items, policy_arrays
from spigot.sim.build.model import SimModel
from spigot.sim.engine import prepare
from spigot.testing import toy_scenario


def _model(markets: bool) -> SimModel:
    return prepare(toy_scenario(), markets=markets)


@pytest.mark.parametrize("markets", [False, True])
def test_model_arrays_are_the_model_fields_of_the_same_name(markets: bool) -> None:
    m = _model(markets)
    g = model_arrays(m)
    shared = [f for f in state.ModelArrays._fields if hasattr(m, f)]
    assert len(shared) > 40
    for name in shared:
        assert np.array_equal(getattr(g, name), getattr(m, name)), name
    for name, (start, _) in m.layout.groups.items():
        assert getattr(g, f"o_{name}") == start, name
    assert (g.kind, g.n_lags, g.steps) == (m.plan.kind, m.plan.kernel_steps, m.steps)
    assert np.array_equal(g.pile_c, m.net.stock_commodity)


def test_policy_arrays_are_the_block_params_of_the_same_name() -> None:
    m = _model(True)
    p = m.plan.sample_block(1, 0, 4)
    pa = policy_arrays(p)
    for name in state.PolicyArrays._fields:
        assert np.array_equal(getattr(pa, name), getattr(p, name)), name


def _view(pack: state.MarketPack, kind: str, index: int) -> np.ndarray:
    if kind == "f":
        return pack.floats[pack.f_off[index]:pack.f_off[index + 1]]
    return pack.ints[pack.i_off[index]:pack.i_off[index + 1]]


def test_every_market_item_is_packed_under_its_index() -> None:
    m = _model(True)
    mk = m.market
    assert mk is not None
    pack = market_pack(m)
    owners = {"m": m, "mk": mk, "mp": mk.params}
    seen: dict[str, int] = {}
    for item in state.MARKET_ITEMS:
        index = seen.get(item.kind, 0)
        seen[item.kind] = index + 1
        if item.source == "derived":
            continue
        owner, attr = item.source.split(".")
        want = np.ravel(np.asarray(getattr(owners[owner], attr)))
        if item.kind in ("f", "i"):
            assert np.array_equal(_view(pack, item.kind, index), want), item.name
        else:
            got = pack.fsc[index] if item.kind == "fs" else pack.isc[index]
            assert got == want[0], item.name
    # the names the kernel uses are those indices
    assert np.array_equal(_view(pack, "i", state.NODE_KIND), mk.params.node_kind)
    assert np.array_equal(_view(pack, "f", state.NODE_BASE), mk.params.node_base)
    assert np.array_equal(_view(pack, "f", state.PILE_LOG_TRIGGER), mk.params.pile_log_trigger)
    assert pack.isc[state.N_C] == len(m.net.commodities)
    assert pack.isc[state.O_RELEASE] == mk.layout.start("stockpile_release")
    assert seen == {"f": len(pack.f_off) - 1, "i": len(pack.i_off) - 1,
                    "fs": len(pack.fsc), "is": len(pack.isc)}


def test_without_markets_the_pack_holds_neutral_values() -> None:
    m = _model(False)
    pack = market_pack(m)
    assert not pack.on
    neutral = neutral_items(m)
    n_nodes, n_c = m.recipe_in.shape
    seen: dict[str, int] = {}
    for item in state.MARKET_ITEMS:
        index = seen.get(item.kind, 0)
        seen[item.kind] = index + 1
        if item.kind in ("f", "i"):
            want = np.ravel(np.asarray(neutral.get(item.name, ())))
            assert np.array_equal(_view(pack, item.kind, index), want), item.name
    assert np.all(_view(pack, "i", state.NODE_KIND) == KIND_FIXED)
    assert np.all(_view(pack, "i", state.NODE_USE) == -1)
    assert _view(pack, "i", state.NODE_USE).size == n_nodes * n_c
    assert np.all(_view(pack, "i", state.RBUF_SB) == -1)
    triggers = _view(pack, "f", state.PILE_LOG_TRIGGER)
    assert triggers.size == len(m.pile_qty)
    assert np.all(triggers == np.inf)
    assert _view(pack, "f", state.NODE_BASE).size == 0
