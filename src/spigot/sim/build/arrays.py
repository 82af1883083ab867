"""The model, the policy parameters and the market phase as the numba kernel's named arrays.

:func:`model_arrays` flattens a :class:`~spigot.sim.build.model.SimModel` into
:class:`~spigot.sim.state.ModelArrays` (with the route sets the phases skip by and the
offsets of the step record); :func:`policy_arrays` does the same for a chunk's
:class:`~spigot.policy.plan.BlockParams`; :func:`market_pack` packs the market phase's arrays
in the order :data:`~spigot.sim.state.MARKET_ITEMS` declares them.
"""

# ruff: noqa: N803, N806 - sizes are named as in the docs (N nodes, C commodities, ...)
from __future__ import annotations

import math
from typing import Any

import numpy as np

from spigot.market.parameters import KIND_FIXED
from spigot.policy.plan import BlockParams
from spigot.sim.build.model import MAX_ORDER_FACTOR, NODE_COVER_WEEKS, SimModel, export_route_commodity
from spigot.sim.state import MARKET_ITEMS, MarketPack, ModelArrays, PolicyArrays

__all__ = ["market_pack", "model_arrays", "neutral_items", "policy_arrays", "route_sets"]


def route_sets(m: SimModel) -> tuple[np.ndarray, np.ndarray]:
    """Routes under a policy, and routes that can ever carry material (the phases skip others).

    A route with no base flow and no policy keeps zero orders, shipments and transit for ever,
    so its record stays 0. With the market phase a route's order weight can grow (routes out of
    projects and idle nodes), and a split buffer without base inflow may split its order equally
    over all its routes; other routes of split buffers keep weight 0.
    """
    plan = m.plan
    controlled = (np.diff(plan.rm_ptr) > 0) | (plan.route_slot >= 0)
    live = (m.route_base != 0.0) | controlled
    mk = m.market
    if mk is not None:
        b = m.route_buf
        live[mk.params.route_responsive] = True
        live |= (mk.buf_weighted[b] | (mk.buf_new_node[b] >= 0)) & (m.buf_inflow[b] <= 0)
    return controlled, live


def _sum_ranges(F: int, o_exp: int, o_held: int, o_lost: int, live: np.ndarray,
                controlled: np.ndarray) -> np.ndarray:
    """Runs ``[start, stop)`` of the record that can be non-zero (the block sums skip the rest):
    exports of routes that carry material, held of controlled routes, and all other groups."""
    can = np.zeros(F, dtype=bool)
    can[o_exp:o_held] = live
    can[o_held:o_lost] = controlled
    can[o_lost:] = True
    edges = np.flatnonzero(np.diff(np.concatenate(([0], can.astype(np.int8), [0]))))
    return np.ascontiguousarray(edges.reshape(-1, 2), dtype=np.int64)


def model_arrays(m: SimModel) -> ModelArrays:
    """The model's arrays for the kernel, by name."""
    plan = m.plan
    lay = m.layout
    controlled, live = route_sets(m)
    live_k = np.flatnonzero(live).astype(np.int64)
    # the first live route of each (origin, commodity): it assigns the node's demand
    first = np.zeros(len(live), dtype=np.bool_)
    seen: set[tuple[int, int]] = set()
    for k in live_k:
        key = (int(m.route_origin[k]), int(m.route_c[k]))
        if key not in seen:
            seen.add(key)
            first[k] = True
    offsets = {f"o_{name}": int(lay.start(name)) for name in lay.groups}
    # the stockpile holder's zone (0 without markets: the price trigger is off)
    mk = m.market
    pile_zone = (mk.params.pile_zone if mk is not None else np.zeros(len(m.pile_qty)))
    names = ("node_cap", "recipe_in", "recipe_out", "in_ptr", "in_c", "out_ptr", "out_c",
             "node_in0", "node_npair", "route_origin", "route_c", "route_dest_node",
             "route_base", "route_transit", "pipe_off", "route_buf", "buf_is_region",
             "buf_place", "buf_c", "buf_target_pos", "buf_inflow", "buf_adjust", "buf_use",
             "buf_rt_ptr", "buf_rt", "buf_sc_ptr", "buf_sc", "sc_c", "sc_need", "sc_target",
             "sc_priority", "sc_rbuf", "sec_ptr", "sec_sc", "sector_output", "sector_value",
             "pile_buf", "pile_qty", "pile_cover", "pile_use", "pile_release", "pile_measure")
    arrays: dict[str, Any] = {name: getattr(m, name) for name in names}
    arrays.update(offsets)
    return ModelArrays(
        **arrays,
        rbuf0=int(m.rbuf0),
        pile_c=np.ascontiguousarray(m.net.stock_commodity, dtype=np.int64),
        pile_zone=np.ascontiguousarray(pile_zone, dtype=np.int64),
        quota_reset=plan.quota_reset, kind=plan.kind, rm_ptr=plan.rm_ptr,
        rm_measure=plan.rm_measure, rm_pair=plan.rm_pair, pair_share=plan.pair_share,
        pair_ship_t=plan.pair_ship_t, pair_lots=plan.pair_lots, lot_slot=plan.lot_slot,
        route_slot=plan.route_slot, slot_route=plan.slot_route,
        validity_steps=plan.validity_steps, refile_steps=plan.refile_steps,
        n_refile=int(plan.refile_ring), n_lags=int(plan.kernel_steps), steps=int(m.steps),
        stop_below=float(m.stop_below), max_factor=MAX_ORDER_FACTOR,
        live=live, live_k=live_k, ctrl_k=np.flatnonzero(controlled).astype(np.int64),
        free_k=np.flatnonzero(live & ~controlled).astype(np.int64), first_k=first,
        sum_ranges=_sum_ranges(lay.size, offsets["o_exports"], offsets["o_held"],
                               offsets["o_lost_units"], live, controlled),
        export_c=export_route_commodity(m),
        rx_on=bool(plan.rx_on), parent=plan.parent, pair_ptr=plan.pair_ptr,
        rx_when=plan.rx_when, rx_ref=m.rx_ref, rx_ref2=plan.rx_ref2, rx_level=m.rx_level,
        rx_lag=plan.rx_lag, rx_target=plan.rx_target, rx_do=plan.rx_do,
        rx_rt_ptr=m.rx_rt_ptr, rx_rt=m.rx_rt, rx_rt_price=m.rx_rt_price,
        rx_rt_zone=m.rx_rt_zone, rx_base_usd=m.rx_base_usd)


def policy_arrays(p: BlockParams) -> PolicyArrays:
    """A chunk's per-draw policy parameters for the kernel, by name."""
    return PolicyArrays(
        active=p.active, approve=p.approve, kernel=p.kernel, capacity=p.capacity,
        quota=p.quota, lead=p.lead, tax=np.ascontiguousarray(p.tax, dtype=np.float64),
        start=np.ascontiguousarray(p.start, dtype=np.int64),
        announced=p.announced if p.announced.size else np.zeros_like(p.active),
        refile=p.refile if p.refile.size else np.zeros_like(p.approve),
        warm=p.warm if p.warm.size else np.zeros(p.capacity.shape, dtype=np.int64),
        rx_step=p.rx_step, rx_value=p.rx_value, rx_kernel=p.rx_kernel, rx_lead=p.rx_lead,
        lot_seed=p.lot_seed)


def _derived(m: SimModel) -> dict[str, Any]:
    """The packed items computed here (``source="derived"`` in :data:`MARKET_ITEMS`)."""
    mk = m.market
    assert mk is not None
    N = len(m.node_cap)
    # node stocks that can be non-zero: inputs and outputs of each node, in commodity order
    zs = [sorted(set(m.in_c[m.in_ptr[n]:m.in_ptr[n + 1]].tolist())
                 | set(m.out_c[m.out_ptr[n]:m.out_ptr[n + 1]].tolist())) for n in range(N)]
    zs_ptr = np.zeros(N + 1, dtype=np.int64)
    zs_ptr[1:] = np.cumsum([len(x) for x in zs])
    out: dict[str, Any] = {
        "n_c": len(m.net.commodities), "n_n": N,
        "node_cover": NODE_COVER_WEEKS / m.net.step_weeks,
        "node_base_activity": m.net.node_base_activity,
        "export_k": np.flatnonzero(mk.route_export & route_sets(m)[1]),
        "zs_ptr": zs_ptr, "zs_c": np.array([c for x in zs for c in x], dtype=np.int64),
        "node_joint": np.diff(m.out_ptr) > 1}
    for name, (start, _) in mk.layout.groups.items():
        out[f"o_{name}"] = start
    return out


def neutral_items(m: SimModel) -> dict[str, Any]:
    """The market items the flow phases read, at their values without a market phase.

    Every node fixed (its capacity, its recipe's intensities, no joint pricing, zone 0), no
    substitution use, one plan group (the kernel's single plan of 1.0), no safety stock, no
    split buffer, the stockpiles' price trigger off. The other items are empty.
    """
    N, C = m.recipe_in.shape
    B, S = m.n_buffers, len(m.sector_output)
    return {"n_c": C, "n_n": N, "pile_log_trigger": np.full(len(m.pile_qty), math.inf),
            "node_kind": np.full(N, KIND_FIXED), "node_zone": np.zeros(N, dtype=np.int64),
            "node_joint": np.zeros(N, dtype=np.int64), "node_use": np.full((N, C), -1),
            "margin_out_share": np.zeros((N, C)), "plan_group": np.zeros(S, dtype=np.int64),
            "rbuf_sb": np.full(B - m.rbuf0, -1), "buf_new_node": np.full(B, -1),
            "buf_weighted": np.zeros(B, dtype=np.int64)}


def market_pack(m: SimModel) -> MarketPack:
    """The market phase's arrays, packed for the kernel (:class:`~spigot.sim.state.MarketPack`).

    The items of each kind concatenated in the order of :data:`MARKET_ITEMS` (booleans as 0/1,
    2-D arrays flattened): a few flat arrays instead of a tuple of ~80 keep the compile time of
    the parallel loop in check (LLVM's SROA on a large aggregate). Without a market phase the
    items the flow phases read hold their neutral values (:func:`neutral_items`), the others
    are empty: the same phase code runs both.
    """
    mk = m.market
    if mk is None:
        neutral = neutral_items(m)
        items = [(it.kind, neutral.get(it.name, 0 if it.kind in ("fs", "is") else ()))
                 for it in MARKET_ITEMS]
    else:
        sub = mk.rbuf_sb[m.sc_rbuf]
        if len(sub) and sub.min() < 0:  # the kernel indexes multipliers by pair
            raise AssertionError("a sector-commodity pair's region buffer has no safety stock")
        derived = _derived(m)
        owners = {"m": m, "mk": mk, "mp": mk.params}

        def value(source: str, name: str) -> Any:
            if source == "derived":
                return derived[name]
            owner, attr = source.split(".")
            return getattr(owners[owner], attr)

        items = [(it.kind, value(it.source, it.name)) for it in MARKET_ITEMS]
    fsc = np.array([float(v) for k, v in items if k == "fs"])
    isc = np.array([int(v) for k, v in items if k == "is"], dtype=np.int64)
    fl = [np.ravel(np.asarray(v, dtype=np.float64)) for k, v in items if k == "f"]
    il = [np.ravel(np.asarray(v).astype(np.int64)) for k, v in items if k == "i"]
    f_off = np.zeros(len(fl) + 1, dtype=np.int64)
    f_off[1:] = np.cumsum([len(x) for x in fl])
    i_off = np.zeros(len(il) + 1, dtype=np.int64)
    i_off[1:] = np.cumsum([len(x) for x in il])
    return MarketPack(mk is not None, fsc, isc, np.concatenate(fl), f_off, np.concatenate(il),
                      i_off)
