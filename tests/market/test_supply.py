"""Supply: restarts after exactly the lag, project ramps, qualification, sampled starts."""

# ruff: noqa: N806 - sizes are named as in the docs (C commodities, N nodes, ...)

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spigot as sp
from spigot.market.parameters import KIND_FIXED, KIND_IDLE, KIND_PROJECT, MarketParams, load_market_params
from spigot.market.supply import (
    NEVER,
    capacity_step,
    capacity_step_ref,
    fill_step,
    fill_step_ref,
    margin_step,
    margin_step_ref,
    route_weights_step,
    route_weights_step_ref,
    sample_project_starts,
)


@pytest.fixture(scope="module")
def base() -> MarketParams:
    return load_market_params(sp.datasets.load("base").compile(step_weeks=1.0))


def small(base: MarketParams) -> MarketParams:
    """Four nodes: fixed, project (ramp 4, qualification 3), idle ex-China, idle in China."""
    return dataclasses.replace(
        base,
        node_kind=np.array([KIND_FIXED, KIND_PROJECT, KIND_IDLE, KIND_IDLE], dtype=np.int64),
        node_zone=np.array([0, 1, 1, 0], dtype=np.int64),
        node_ref_c=np.array([0, 0, 0, 0], dtype=np.int64),
        node_capacity=np.array([10.0, 8.0, 6.0, 6.0]),
        node_base=np.array([10.0, 0.0, 0.0, 0.0]),
        node_usable=np.array([10.0, 0.0, 0.0, 0.0]),
        node_ramp_steps=np.array([0.0, 4.0, 0.0, 0.0]),
        qual_steps=np.array([0, 3, 2, 2], dtype=np.int64),
        restart_ok=np.array([False, False, True, False]),
        log_restart=math.log(1.5), restart_lag=5, restart_ramp=2.0)


def run(p: MarketParams, prices: list[float], start: int) -> tuple[np.ndarray, np.ndarray]:
    N = len(p.node_kind)
    st_ = np.full((N, 1), start, dtype=np.int64)
    above = np.zeros((N, 1), dtype=np.int64)
    at = np.full((N, 1), NEVER, dtype=np.int64)
    avail, qual = p.node_usable[:, None].copy(), p.node_usable[:, None].copy()
    out_a, out_q = [], []
    for t, x in enumerate(prices):
        rel = np.full((2, 1, 1), math.log(x))
        capacity_step(t, rel, p.node_kind, p.node_zone, p.node_ref_c, p.node_capacity,
                      p.node_base, p.node_usable, p.node_ramp_steps, p.qual_steps, p.restart_ok,
                      p.log_restart, p.restart_lag, p.restart_ramp, st_, above, at, avail,
                      qual)
        out_a.append(avail[:, 0].copy())
        out_q.append(qual[:, 0].copy())
    return np.array(out_a), np.array(out_q)


def test_restart_happens_exactly_after_the_lag(base: MarketParams) -> None:
    p = small(base)
    avail, qual = run(p, [2.0] * 12, start=NEVER)
    # price above the threshold from step 0; lag 5 -> restart at step 5, ramp 2 steps
    assert np.array_equal(avail[:5, 2], np.zeros(5))
    assert avail[5, 2] == pytest.approx(3.0)
    assert avail[6, 2] == 6.0
    assert avail[11, 2] == 6.0
    assert np.array_equal(qual[:7, 2], np.zeros(7))
    assert qual[7, 2] == 6.0
    assert np.array_equal(avail[:, 3], np.zeros(12))  # idle in China: never restarts
    assert np.array_equal(avail[:, 0], np.full(12, 10.0))


def test_a_dip_resets_the_restart_clock(base: MarketParams) -> None:
    p = small(base)
    avail, _ = run(p, [2.0] * 4 + [1.0] + [2.0] * 6, start=NEVER)
    assert np.array_equal(avail[:10, 2], np.zeros(10))
    assert avail[10, 2] > 0


def test_project_ramps_linearly_and_qualifies(base: MarketParams) -> None:
    p = small(base)
    avail, qual = run(p, [1.0] * 10, start=2)
    np.testing.assert_allclose(avail[:, 1], [0, 0, 2, 4, 6, 8, 8, 8, 8, 8])
    np.testing.assert_allclose(qual[:, 1], [0, 0, 0, 0, 0, 8, 8, 8, 8, 8])


@settings(max_examples=60, deadline=None)
@given(prices=st.lists(st.floats(0.3, 3.0), min_size=1, max_size=15), start=st.integers(-5, 10))
def test_kernel_matches_reference(base: MarketParams, prices: list[float], start: int) -> None:
    p = small(base)
    avail, qual = run(p, prices, start)
    N = len(p.node_kind)
    above = np.zeros(N, dtype=np.int64)
    at = np.full(N, NEVER, dtype=np.int64)
    for t, x in enumerate(prices):
        a, q, above, at = capacity_step_ref(t, np.full((2, 1), math.log(x)), p, np.full(N, start),
                                            above, at)
        np.testing.assert_allclose(a, avail[t], rtol=1e-15)
        np.testing.assert_allclose(q, qual[t], rtol=1e-15)
        assert np.all(q <= a)
        assert np.all(a >= p.node_base)


def test_sampled_starts_are_reproducible_and_bounded(base: MarketParams) -> None:
    a = sample_project_starts(base, np.random.default_rng(7), 500, 2025.0)
    b = sample_project_starts(base, np.random.default_rng(7), 500, 2025.0)
    assert np.array_equal(a, b)
    projects = np.flatnonzero(base.node_kind == KIND_PROJECT)
    others = np.flatnonzero(base.node_kind != KIND_PROJECT)
    assert np.all(a[:, others] == NEVER)
    per_year = 365.25 / 7.0
    for n in projects:
        y = base.node_start_year[n]
        if y > 2025.0:
            lo = (y + base.delay_min - 2025.0) * per_year - 1
            hi = (y + base.delay_max - 2025.0) * per_year + 1
            assert np.all((a[:, n] >= lo) & (a[:, n] <= hi))
            assert len(np.unique(a[:, n])) > 10
        else:  # already started: no delay
            assert len(np.unique(a[:, n])) == 1


def test_route_weights_give_new_capacity_a_share(base: MarketParams) -> None:
    net = sp.datasets.load("base").compile(step_weeks=1.0)
    N = len(net.nodes)
    avail = np.repeat(base.node_capacity[:, None], 2, axis=1)
    qual = np.repeat(base.node_base[:, None], 2, axis=1)
    qual[:, 1] = avail[:, 1]
    w = np.repeat(net.route_base_flow[:, None], 2, axis=1)
    margin = np.ones((N, 2))
    fill = np.ones((N, len(net.commodities), 2))
    route_weights_step(avail, qual, base.node_base, net.recipe_out, net.route_origin,
                       net.route_commodity, base.route_to_region, net.route_base_flow,
                       base.route_weight, base.route_responsive, margin, fill, w)
    assert np.all(w >= net.route_base_flow[:, None])
    vulcan = net.nodes.index("vulcan_elements")
    ks = np.flatnonzero(net.route_origin == vulcan)
    assert np.all(w[ks, 0] == 0.0)
    assert w[ks, 1].sum() == pytest.approx(
        base.node_capacity[vulcan] * net.recipe_out[vulcan].max())
    for lane in range(2):
        ref = route_weights_step_ref(avail[:, lane], qual[:, lane], base.node_base,
                                     net.recipe_out, net.route_origin, net.route_commodity,
                                     base.route_to_region, net.route_base_flow,
                                     base.route_weight, base.route_responsive,
                                     margin[:, lane], fill[:, :, lane])
        np.testing.assert_allclose(w[:, lane], ref, rtol=1e-15)
    assert len(base.node_kind) == N
    # a plant that ships half its orders and has lost half its margin gets a quarter of its
    # new-capacity weight; existing routes keep their base flow
    margin[vulcan] = 0.5
    fill[vulcan] = 0.5
    w2 = np.repeat(net.route_base_flow[:, None], 2, axis=1)
    route_weights_step(avail, qual, base.node_base, net.recipe_out, net.route_origin,
                       net.route_commodity, base.route_to_region, net.route_base_flow,
                       base.route_weight, base.route_responsive, margin, fill, w2)
    np.testing.assert_allclose(w2[ks, 1], 0.25 * w[ks, 1], rtol=1e-14)
    fixed = np.flatnonzero(base.node_kind[net.route_origin] == KIND_FIXED)
    assert np.array_equal(w2[fixed], w[fixed])


def margins(base: MarketParams, lrel: np.ndarray) -> np.ndarray:
    """margin_step on one lane, checked against its reference twin."""
    out = np.zeros((len(base.node_kind), 1))
    margin_step(lrel[:, :, None], np.exp(lrel)[:, :, None], base.node_kind, base.node_zone,
                base.margin_out_share, base.margin_in_share, base.margin_out_ptr,
                base.margin_out_c, base.margin_in_ptr, base.margin_in_c,
                base.margin_elasticity, base.fixed_margin_elasticity, out)
    np.testing.assert_allclose(out[:, 0], margin_step_ref(lrel, base), rtol=1e-15)
    return out[:, 0]


def test_margin_is_one_at_base_prices_and_falls_with_the_feed_price(base: MarketParams) -> None:
    net = sp.datasets.load("base").compile(step_weeks=1.0)
    C = len(net.commodities)
    assert np.array_equal(margins(base, np.zeros((2, C))), np.ones(len(base.node_kind)))
    conc = net.commodities.index("re_concentrate")
    white_mesa = net.nodes.index("energy_fuels_white_mesa")
    mine = net.nodes.index("re_mine_chn")  # fixed, no input: 1 while its price is not down
    separator = net.nodes.index("re_sep_chn_light")  # fixed, one input
    assert base.node_kind[separator] == KIND_FIXED
    eta_f = base.fixed_margin_elasticity
    assert 0 < eta_f < base.margin_elasticity
    phis = []
    for x in (1.0, 1.2, 1.5, 2.0, 3.0):
        lrel = np.zeros((2, C))
        lrel[:, conc] = math.log(x)
        phi = margins(base, lrel)
        assert phi[mine] == 1.0
        # an operating plant runs less as its feed dearens, by its own (smaller) elasticity
        assert phi[separator] == pytest.approx(max(0.0, 1.0 - eta_f * math.log(x)), rel=1e-12)
        phis.append(phi[white_mesa])
    lrel = np.zeros((2, C))
    lrel[:, conc] = math.log(0.5)  # the mine's own price halves: it cuts
    assert margins(base, lrel)[mine] == pytest.approx(1.0 + eta_f * math.log(0.5), rel=1e-12)
    assert phis[0] == 1.0
    assert phis[-1] == 0.0  # ln(1/3) < -1: nothing planned
    assert np.all(np.diff(phis) < 0)
    assert phis[2] == pytest.approx(1.0 - math.log(1.5), rel=1e-12)  # eta = 1, one input
    # the same rise of input and output prices leaves the margin where it was
    lrel = np.full((2, C), math.log(2.0))
    np.testing.assert_allclose(margins(base, lrel), 1.0, rtol=1e-12)


def test_fill_tracks_the_share_shipped_and_recovers_without_orders(base: MarketParams) -> None:
    net = sp.datasets.load("base").compile(step_weeks=1.0)
    N, C = len(net.nodes), len(net.commodities)
    vulcan = net.nodes.index("vulcan_elements")
    magnet = net.commodities.index("ndfeb_magnet")
    fill = np.ones((N, C, 1))
    ref = np.ones((N, C))
    dem = np.zeros((N, C, 1))
    ratio = np.zeros((N, C, 1))
    dem[:, :, 0] = 1.0  # every node is asked and ships nothing
    for _ in range(100):
        fill_step(base.node_kind, net.recipe_out, dem, ratio, base.fill_rate, fill)
        ref = fill_step_ref(base, net.recipe_out, dem[:, :, 0], ratio[:, :, 0], base.fill_rate,
                            ref)
    np.testing.assert_allclose(fill[:, :, 0], ref, rtol=1e-15)
    assert fill[vulcan, magnet, 0] < 1e-9  # (1 - rate)^100
    fixed = np.flatnonzero(base.node_kind == KIND_FIXED)
    assert np.all(fill[fixed] == 1.0)
    dem[:] = 0.0  # not asked any more: customers come back at the same rate
    for _ in range(100):
        fill_step(base.node_kind, net.recipe_out, dem, ratio, base.fill_rate, fill)
    assert fill[vulcan, magnet, 0] > 1 - 1e-9
