"""The numba engine's state and static arrays, by name: every field, its shape and its unit.

This module is the one place that lists what the kernel (:mod:`spigot.sim.kernel` and its
phases) reads and writes. Sizes are named as in the docs: ``N`` nodes, ``C`` commodities, ``K``
routes, ``B`` buffers (node buffers, then the ``NR`` region buffers from ``rbuf0``), ``Q``
sector-commodity pairs, ``S`` sectors, ``P`` stockpiles, ``M`` measures, ``E`` measure-route
pairs, ``J`` licence slots, ``L`` delay-kernel steps, ``T`` steps, ``D`` draws, ``W`` lanes (the
draws of a block side by side, last axis), ``F`` and ``MF`` the lengths of the step record and
the market record, ``Z = 2`` zones; market sizes ``U`` substitution uses, ``G`` plan groups,
``RP`` recycling pairs, ``SB`` safety-stock buffers, ``X`` (tax measure, commodity) pairs;
``KP`` plant classes per region x sector.
Masses are in t, rates in t per step (t/step), times in steps, prices as log relative prices.

Four groups are ``typing.NamedTuple`` classes (numba compiles ``g.route_base`` to the same
static item access as ``g[12]``; docs/design.md, "Named state", has the measurements):

- :class:`ModelArrays` (``g``): the model's static arrays (:class:`~spigot.sim.build.model.SimModel`
  flattened for the kernel, plus the route sets and offsets it derives);
- :class:`PolicyArrays` (``pa``): the chunk's per-draw policy parameters
  (:class:`~spigot.policy.plan.BlockParams`);
- :class:`FlowState` (``fs``) and :class:`MarketState` (``ms``): the state of a block's lanes,
  allocated once per block outside the weekly loop.

The market phase's static arrays travel packed in a few flat arrays (:class:`MarketPack`): a
tuple of ~80 arrays through the parallel loop made LLVM's SROA pass take minutes. Each packed
item is declared once below with :func:`_item`, which returns its index in its pack: the names
(``NODE_KIND``, ``SPEED``, ...) are those indices, generated from the declaration order, so
adding an item shifts nothing by hand. The kernel takes a view with ``fa(mg, NODE_BASE)`` /
``ia(mg, NODE_KIND)`` and a scalar with ``mg.fsc[SPEED]`` / ``mg.isc[RESTART_LAG]``.
Without a market phase the items the flow phases read hold neutral values
(:func:`spigot.sim.build.arrays.neutral_items`), so the same phase code runs both modes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = ["MARKET_ITEMS", "FlowState", "MarketItem", "MarketPack", "MarketState",
           "ModelArrays", "PolicyArrays"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class ModelArrays(NamedTuple):
    """The model's static arrays for the kernel (``g``; :func:`spigot.sim.build.arrays.model_arrays`)."""

    # nodes
    node_cap: FloatArray  # (N,) usable capacity, t activity/step (0: not operating)
    recipe_in: FloatArray  # (N, C) t of input per t of activity
    recipe_out: FloatArray  # (N, C) t of output per t of activity
    in_ptr: IntArray  # (N + 1,) CSR of each node's input commodities
    in_c: IntArray  # (in_ptr[N],) input commodity
    out_ptr: IntArray  # (N + 1,) CSR of each node's output commodities
    out_c: IntArray  # (out_ptr[N],) output commodity
    node_in0: FloatArray  # (N, C) initial input stock, t
    node_npair: IntArray  # (N, C) producer-stock record index, -1 if none
    # routes
    route_origin: IntArray  # (K,) origin node
    route_c: IntArray  # (K,) commodity
    route_dest_node: IntArray  # (K,) destination node, -1: a region buffer
    route_base: FloatArray  # (K,) base flow, t/step
    route_transit: IntArray  # (K,) transit time, steps (>= 1)
    pipe_off: IntArray  # (K + 1,) offsets of the routes' transit rings in the flat pipe
    route_buf: IntArray  # (K,) buffer the route delivers to
    # buffers (node buffers, then region buffers)
    buf_is_region: BoolArray  # (B,) a region buffer
    buf_place: IntArray  # (B,) node or region
    buf_c: IntArray  # (B,) commodity
    buf_target_pos: FloatArray  # (B,) target inventory position, t
    buf_inflow: FloatArray  # (B,) base inflow, t/step
    buf_adjust: FloatArray  # (B,) steps to close an inventory gap
    buf_use: FloatArray  # (B,) base use, t/step
    buf_rt_ptr: IntArray  # (B + 1,) CSR of the routes into each buffer
    buf_rt: IntArray  # (buf_rt_ptr[B],) route
    buf_sc_ptr: IntArray  # (B + 1,) CSR of each region buffer's pairs, by priority
    buf_sc: IntArray  # (buf_sc_ptr[B],) pair
    rbuf0: int  # index of the first region buffer
    # sector-commodity pairs and sectors
    sc_c: IntArray  # (Q,) commodity
    sc_need: FloatArray  # (Q,) need at planned output, t/step
    sc_target: FloatArray  # (Q,) target inventory, t
    sc_priority: IntArray  # (Q,) priority class (lower first)
    sc_rbuf: IntArray  # (Q,) region buffer, counted from rbuf0
    sec_ptr: IntArray  # (S + 1,) CSR of each sector's pairs
    sec_sc: IntArray  # (sec_ptr[S],) pair
    sector_output: FloatArray  # (S,) planned output, unit/step
    sector_value: FloatArray  # (S,) USD per unit of output
    cls_share: FloatArray  # (KP,) plant classes: share of a sector's output, 1
    cls_mult: FloatArray  # (KP,) plant classes: cover target's multiple of the sector's, 1
    # stockpiles
    pile_buf: IntArray  # (P,) holder's region buffer, -1 if none uses it
    pile_qty: FloatArray  # (P,) initial quantity, t
    pile_cover: FloatArray  # (P,) release below this cover, steps
    pile_c: IntArray  # (P,) commodity
    pile_zone: IntArray  # (P,) the holder's zone (0 without markets)
    pile_use: FloatArray  # (P,) the holder's base use, t/step (0: no holder buffer)
    pile_release: FloatArray  # (P,) largest release, t/step (0: no holder buffer)
    pile_measure: IntArray  # (P,) measure that owns the pile (it releases only while the
    # measure is in force; a StockpileRelease), -1: a dataset pile, always on
    # policies (spigot.policy.plan.PolicyPlan)
    quota_reset: np.ndarray  # (T,) bool: quota allowances reset at this step
    kind: IntArray  # (M,) measure kind (spigot.scenarios.kinds.KIND_IDS)
    rm_ptr: IntArray  # (K + 1,) CSR of the measures on each route
    rm_measure: IntArray  # (rm_ptr[K],) measure
    rm_pair: IntArray  # (rm_ptr[K],) its measure-route pair (E)
    pair_share: FloatArray  # (E,) share of the route's flow the measure covers
    pair_ship_t: FloatArray  # (E,) t per licence application
    pair_lots: IntArray  # (E,) 1: the office decides the pair's queue as whole applications
    lot_slot: IntArray  # (J,) whole-application slot of a licence slot (A), -1 if none
    route_slot: IntArray  # (K,) licence slot of a licensed route, -1 if none
    slot_route: IntArray  # (J,) route of each licence slot
    validity_steps: IntArray  # (M,) steps a licence stays valid after an approval (0: one)
    refile_steps: IntArray  # (M,) steps after which denied flow is re-filed (0: never)
    n_refile: int  # length of the re-filing ring (largest lag + 1)
    n_lags: int  # L: delay-kernel steps (licence ring length)
    steps: int  # T
    stop_below: float  # a sector stops below this share of its planned output
    max_factor: float  # largest order, multiple of the base flow
    # the step record's groups (spigot.sim.build.model.Layout): offsets
    o_exports: int  # (K,) t shipped
    o_held: int  # (K,) t held back in the exporter's stock
    o_lost_units: int  # (S,) unit of output lost
    o_stopped: int  # (S,) 1 if stopped
    o_shortfall: int  # (NR,) t short
    o_sector_stock: int  # (NR,) t held for the sectors
    o_producer_stock: int  # (producer pairs,) t held by nodes
    o_stockpile: int  # (P,) t left
    o_licence_applications: int  # (J,) t applied for
    o_licence_approved: int  # (J,) t approved
    o_licence_denied: int  # (J,) t denied
    o_licence_queue: int  # (J,) t waiting for review
    o_licence_pipeline: int  # (J,) t under review
    # route sets (spigot.sim.build.arrays: routes that never carry material are skipped)
    live: BoolArray  # (K,) a route that can carry material
    live_k: IntArray  # routes that can carry material
    ctrl_k: IntArray  # routes under a policy
    free_k: IntArray  # live routes under no policy
    first_k: BoolArray  # (K,) first live route of its (origin, commodity)
    sum_ranges: IntArray  # (runs, 2) [start, stop) of the record's parts that can be non-zero
    export_c: IntArray  # (K,) commodity of a cross-border route, -1 for a domestic one
    # reactions (spigot.scenarios.reactions; R reactions, ids in spigot.policy.plan)
    rx_on: bool  # run the reaction phase (reactions or dormant measures)
    parent: IntArray  # (M,) a fast track's licence measure, -1 for others
    pair_ptr: IntArray  # (M + 1,) each measure's measure-route pairs (E)
    rx_when: IntArray  # (R,) trigger kind (TR_*)
    rx_ref: IntArray  # (R,) date step, measure, commodity, region buffer, stockpile, exporter
    rx_ref2: IntArray  # (R,) zone of a price trigger, window of a revenue trigger (steps)
    rx_level: FloatArray  # (R,) log price multiple, t of cover, t in a stockpile, USD lost
    rx_lag: IntArray  # (R,) steps from the trigger to the action
    rx_target: IntArray  # (R,) measure acted on
    rx_do: IntArray  # (R,) action (DO_*)
    rx_rt_ptr: IntArray  # (R + 1,) CSR of the routes a revenue trigger counts
    rx_rt: IntArray  # (rx_rt_ptr[R],) route
    rx_rt_price: FloatArray  # (rx_rt_ptr[R],) base price in the destination's zone, USD/t
    rx_rt_zone: IntArray  # (rx_rt_ptr[R],) destination's zone
    rx_base_usd: FloatArray  # (R,) base revenue of a revenue trigger's routes, USD/step


class PolicyArrays(NamedTuple):
    """The chunk's per-draw policy parameters (``pa``; :class:`~spigot.policy.plan.BlockParams`)."""

    active: npt.NDArray[np.uint8]  # (D, M, T) 1 where the measure is in force
    approve: FloatArray  # (D, E) approval share of the covered flow
    kernel: FloatArray  # (D, M, L) delay kernel, share of decisions per lag
    capacity: FloatArray  # (D, M) applications reviewed per step (inf: unlimited)
    quota: FloatArray  # (D, M) allowance, t/step
    lead: FloatArray  # (D, M) mean licence delay, steps
    tax: FloatArray  # (D, M) export tax rate, share of the price
    start: IntArray  # (D, N) start step of each project (NEVER: none); (D, 0) without markets
    announced: npt.NDArray[np.uint8]  # (D, M, T) 1 from a licence's announcement to its start
    refile: FloatArray  # (D, E) share of a pair's denied flow that is re-filed
    warm: IntArray  # (D, M) steps a measure has been in force before step 0
    rx_step: IntArray  # (D, R) firing step of a probability trigger
    rx_value: FloatArray  # (D, R) an approval action's value (share or multiplier)
    rx_kernel: FloatArray  # (D, R, L) a processing-time action's delay kernel
    rx_lead: FloatArray  # (D, R) its mean delay, steps
    lot_seed: npt.NDArray[np.uint64]  # (D, A, T) seed of a whole-application slot's decisions


class FlowState(NamedTuple):
    """The flow model's state of a block's lanes and its outputs (``fs``; per lane on the last axis)."""

    inv_in: FloatArray  # (N, C, W) node input stocks, t
    inv_out: FloatArray  # (N, C, W) node output stocks, t
    dem: FloatArray  # (N, C, W) what the routes order from each node, t/step
    pool: FloatArray  # (B, W) region pools, t (node buffers unused)
    si: FloatArray  # (Q, W) sector inventories, t (the sum of the plant classes' sik)
    sik: FloatArray  # (Q, KP, W) each plant class's inventory, t
    req: FloatArray  # (Q, KP, W) scratch: a plant class's allocation request this round, t
    sp: FloatArray  # (P, W) stockpiles left, t
    rec: FloatArray  # (F, W) this step's record
    in_transit: FloatArray  # (K, W) t in transit
    orders: FloatArray  # (K, W) orders, t/step
    lic_tot: FloatArray  # (J, W) t applied for in licensing (queue, review, waiting to be re-filed)
    due: FloatArray  # (J, W) t approved and not yet shipped (the plant makes it when due)
    banned: BoolArray  # (K, W) under a ban this step
    gov_m: IntArray  # (K, W) governing licence measure, -1 if none
    gov_e: IntArray  # (K, W) its measure-route pair, -1 if none
    plan_m: IntArray  # (K, W) announced licence not yet in force that importers plan for, -1
    plan_e: IntArray  # (K, W) its measure-route pair, -1 if none
    valid: IntArray  # (J, W) steps left on the slot's licence, 0: none
    appr_l: FloatArray  # (E, W) approval shares, lane-major
    refl_l: FloatArray  # (E, W) re-filed shares of denied tonnes, lane-major
    lead_l: FloatArray  # (M, W) mean licence delays, steps, lane-major
    odds_l: FloatArray  # (E, W) eventual approval share of a pair's applications, 1
    elead_l: FloatArray  # (E, W) lead time to that approval, steps (approved.py)
    used: FloatArray  # (C, W) t used in recipes over the run
    produced: FloatArray  # (C, W) t produced over the run
    consumed: FloatArray  # (C, W) t consumed by sectors over the run
    scal: FloatArray  # (3, S, W) lost units, lost USD, stopped steps over the run
    first_stop: IntArray  # (S, W) first stopped step, -1: never
    made: FloatArray  # (S, W) scratch: each sector's share of its plan made this step
    vec: FloatArray  # (W,) scratch
    vec2: FloatArray  # (W,) scratch
    fac: FloatArray  # (W,) scratch: an order factor or a share
    mrec: FloatArray  # (MF, W) this step's market record
    msum_b: FloatArray  # (T, MF) out: the block's market record sums
    price_bin: npt.NDArray[np.uint8]  # (T, D_block, Z + 1, C) out: price histogram bins
    pmin_b: FloatArray  # (T, Z + 1, C) out: the block's smallest log price
    pmax_b: FloatArray  # (T, Z + 1, C) out: the block's largest log price
    ratio: FloatArray  # (N, C, W) share of a node's orders it ships this step


class MarketState(NamedTuple):
    """The market phase's state of a block's lanes (``ms``).

    Without a market phase most arrays have a zero size; the ones the flow phases read keep
    their neutral values: log prices 0, one plan of 1.0 (``plan`` is (1, W)), the base need
    and want, no recycling, the stockpiles' on hand and releases.
    """

    lrel: FloatArray  # (Z, C, W) log relative prices
    zstock: FloatArray  # (Z, C, W) zone stock, t
    zuse: FloatArray  # (Z, C, W) zone use, t/step
    tax: FloatArray  # (C, W) export tax in force, share of the price
    openness: FloatArray  # (C, W) share of the exporting zone's exports let through
    exported: FloatArray  # (C, W) t exported this step
    blocked: FloatArray  # (C, W) t held or in licensing this step
    reduction: FloatArray  # (U, W) substitution share of each use
    plan: FloatArray  # (G, W) share of planned output wanted
    start: IntArray  # (N, W) project start step
    above: IntArray  # (N, W) steps the price has been above the restart trigger
    restart_at: IntArray  # (N, W) restart step of an idle node (NEVER: none)
    cap_av: FloatArray  # (N, W) capacity available this step, t activity/step
    cap_q: FloatArray  # (N, W) qualified capacity, t activity/step
    activity: FloatArray  # (N, W) planned activity, t/step
    weight: FloatArray  # (K, W) order weights of the routes
    share_k: FloatArray  # (K, W) each route's part of its buffer's inflow, t/step
    recycled: FloatArray  # (RP, W) extra recycling this step, t/step
    recyc_tot: FloatArray  # (C, W) t recycled over the run
    on_hand: FloatArray  # (P, W) the holder's stock for its sectors, t
    released: FloatArray  # (P, W) t released this step
    gap_sb: FloatArray  # (SB, W) need minus stock of the buffer's sectors this step, t (>0: short)
    mult: FloatArray  # (SB, W) cover-target multipliers
    need_l: FloatArray  # (Q, W) each pair's need this step, t/step
    want_l: FloatArray  # (Q, W) what it asks for: target + need, t
    tax_l: FloatArray  # (X, W) the draws' tax rates, lane-major
    tgt: FloatArray  # (W,) scratch: a buffer's target position, t
    infl: FloatArray  # (W,) scratch: a buffer's inflow, t/step
    vec3: FloatArray  # (W,) scratch
    margin: FloatArray  # (N, W) share of capacity the margin supports
    fill: FloatArray  # (N, C, W) share of orders shipped, smoothed
    rel: FloatArray  # (Z, C, W) exp(lrel), once per step
    run: FloatArray  # (N, W) a separator's averaged order rate, t activity/step (-1: unset)


class MarketPack(NamedTuple):
    """The market phase's static arrays packed by kind (``mg``; :data:`MARKET_ITEMS`).

    Without a market phase ``on`` is False and the items hold the neutral values the flow
    phases read (:func:`spigot.sim.build.arrays.neutral_items`); the others are empty.
    """

    on: bool  # the run has a market phase
    fsc: FloatArray  # the float scalars, by their index names (SPEED, ...)
    isc: IntArray  # the int scalars (N_C, N_N, RESTART_LAG, O_PRICE, ...)
    floats: FloatArray  # the float arrays concatenated (2-D ones flattened)
    f_off: IntArray  # (float arrays + 1,) their offsets
    ints: IntArray  # the int and bool arrays concatenated (bools as 0/1)
    i_off: IntArray  # (int arrays + 1,) their offsets


@dataclass(frozen=True)
class MarketItem:
    """One packed item of the market phase.

    ``kind``: ``f`` float array, ``i`` int array (booleans as 0/1), ``fs``/``is`` float/int
    scalar. ``source``: where the packer reads it, ``mp.<name>`` (``MarketParams``),
    ``mk.<name>`` (``MarketModel``), ``m.<name>`` (``SimModel``) or ``derived`` (computed by
    :func:`spigot.sim.build.arrays.market_pack`).
    """

    kind: str
    name: str
    shape: str
    unit: str
    source: str


#: Every packed item of the market phase, in pack order within each kind.
MARKET_ITEMS: list[MarketItem] = []


def _item(kind: str, name: str, shape: str, unit: str, source: str = "") -> np.int64:
    """Declare a packed item; returns its index among the items of its kind, as a numpy integer
    (numba types it as int64, not as a literal, so ``fa``/``ia`` compile once, not per index)."""
    index = sum(1 for it in MARKET_ITEMS if it.kind == kind)
    MARKET_ITEMS.append(MarketItem(kind, name, shape, unit, source or f"mp.{name}"))
    return np.int64(index)


# ---- int scalars: sizes and the market record's offsets (spigot.sim.build.model.MarketLayout)
N_C = _item("is", "n_c", "", "count", "derived")  # C
N_N = _item("is", "n_n", "", "count", "derived")  # N
RESTART_LAG = _item("is", "restart_lag", "", "steps")
O_PRICE = _item("is", "o_price", "(Z x C,)", "relative price", "derived")
O_REDUCTION = _item("is", "o_demand_reduction", "(U,)", "share", "derived")
O_DESTRUCTION = _item("is", "o_demand_destruction", "(S,)", "unit/step", "derived")
O_CAPACITY_ADDED = _item("is", "o_capacity_added", "(N,)", "t activity/step", "derived")
O_RECYCLED = _item("is", "o_recycled", "(RP,)", "t/step", "derived")
O_RELEASE = _item("is", "o_stockpile_release", "(P,)", "t/step", "derived")
O_MULTIPLIER = _item("is", "o_safety_multiplier", "(NR,)", "factor", "derived")
# ---- float scalars
SPEED = _item("fs", "speed", "", "1/step")
BAND = _item("fs", "band", "", "log price")
ARB_STRENGTH = _item("fs", "arb_strength", "", "share/step")
SUBST_LOG_ON = _item("fs", "subst_log_on", "", "log price")
SUBST_LOG_FULL = _item("fs", "subst_log_full", "", "log price")
ADOPT_RATE = _item("fs", "adopt_rate", "", "1/step")
REVERT_RATE = _item("fs", "revert_rate", "", "1/step")
PLAN_FLOOR = _item("fs", "plan_floor", "", "share")
RECYCLE_LOG_ON = _item("fs", "recycle_log_on", "", "log price")
RECYCLE_LOG_FULL = _item("fs", "recycle_log_full", "", "log price")
RECYCLE_RATE = _item("fs", "recycle_rate", "", "1/step")
LOG_RESTART = _item("fs", "log_restart", "", "log price")
RESTART_RAMP = _item("fs", "restart_ramp", "", "steps")
SAFETY_EXTRA = _item("fs", "safety_extra", "", "share")
SAFETY_LOG_TRIGGER = _item("fs", "safety_log_trigger", "", "log price")
SAFETY_UP_RATE = _item("fs", "safety_up_rate", "", "1/step")
SAFETY_DOWN_RATE = _item("fs", "safety_down_rate", "", "1/step")
NODE_COVER = _item("fs", "node_cover", "", "steps", "derived")
MARGIN_ELASTICITY = _item("fs", "margin_elasticity", "", "1")
FIXED_MARGIN_ELASTICITY = _item("fs", "fixed_margin_elasticity", "", "1")
FILL_RATE = _item("fs", "fill_rate", "", "1/step")
JOINT_SMOOTH_RATE = _item("fs", "joint_smooth_rate", "", "1/step (1: no smoothing)")
JOINT_WORKOFF_RATE = _item("fs", "joint_workoff_rate", "", "1/step")
# ---- float arrays
COVER_TARGET = _item("f", "cover_target", "(Z, C)", "steps", "mk.cover_target")
INV_FLEX = _item("f", "inv_flex", "(C,)", "1")
LOG_FLOOR = _item("f", "log_floor", "(C,)", "log price")
LOG_CAP = _item("f", "log_cap", "(C,)", "log price")
ZONE_SHARE = _item("f", "zone_share", "(Z, C)", "share")
USE_CAP = _item("f", "use_cap", "(U,)", "share")
GROUP_ELASTICITY = _item("f", "group_elasticity", "(G,)", "1")
ENTRY_W = _item("f", "entry_w", "(group_ptr[G],)", "share")
RP_CAPACITY = _item("f", "rp_capacity", "(RP,)", "t/step")
NODE_CAPACITY = _item("f", "node_capacity", "(N,)", "t activity/step")
NODE_BASE = _item("f", "node_base", "(N,)", "t activity/step")
NODE_USABLE = _item("f", "node_usable", "(N,)", "t activity/step")
NODE_RAMP = _item("f", "node_ramp_steps", "(N,)", "steps")
MROUTE_BASE = _item("f", "route_base", "(K,)", "t/step")
ROUTE_WEIGHT = _item("f", "route_weight", "(K,)", "1")
PILE_LOG_TRIGGER = _item("f", "pile_log_trigger", "(P,)", "log price (inf: off)")
BIN_LO = _item("f", "bin_lo", "(Z + 1, C)", "log price", "mk.bin_lo")
BIN_SCALE = _item("f", "bin_scale", "(Z + 1, C)", "bins per log price", "mk.bin_scale")
BUF_TARGET_ONHAND = _item("f", "buf_target_onhand", "(B,)", "t", "m.buf_target_onhand")
NODE_ACT0 = _item("f", "node_base_activity", "(N,)", "t activity/step", "derived")
MARGIN_OUT_SHARE = _item("f", "margin_out_share", "(N, C)", "share")
MARGIN_IN_SHARE = _item("f", "margin_in_share", "(N, C)", "share")
# ---- int arrays
USE_ZONE = _item("i", "use_zone", "(U,)", "zone")
USE_C = _item("i", "use_c", "(U,)", "commodity")
GROUP_ZONE = _item("i", "group_zone", "(G,)", "zone")
GROUP_PTR = _item("i", "group_ptr", "(G + 1,)", "CSR")
ENTRY_C = _item("i", "entry_c", "(group_ptr[G],)", "commodity")
MARGIN_OUT_PTR = _item("i", "margin_out_ptr", "(N + 1,)", "CSR")
MARGIN_OUT_C = _item("i", "margin_out_c", "(margin_out_ptr[N],)", "commodity")
MARGIN_IN_PTR = _item("i", "margin_in_ptr", "(N + 1,)", "CSR")
MARGIN_IN_C = _item("i", "margin_in_c", "(margin_in_ptr[N],)", "commodity")
RP_ZONE = _item("i", "rp_zone", "(RP,)", "zone")
RP_C = _item("i", "rp_c", "(RP,)", "commodity")
RP_BUF = _item("i", "rp_buf", "(RP,)", "buffer, -1: a node input", "mk.rp_buf")
RP_NODE = _item("i", "rp_node", "(RP,)", "node, -1 if rp_buf", "mk.rp_node")
NODE_KIND = _item("i", "node_kind", "(N,)", "spigot.market.parameters.KIND_*")
NODE_ZONE = _item("i", "node_zone", "(N,)", "zone")
NODE_REF_C = _item("i", "node_ref_c", "(N,)", "commodity")
QUAL_STEPS = _item("i", "qual_steps", "(N,)", "steps")
RESTART_OK = _item("i", "restart_ok", "(N,)", "0/1")
ROUTE_TO_REGION = _item("i", "route_to_region", "(K,)", "0/1")
ROUTE_RESP = _item("i", "route_responsive", "(K,)", "0/1")
SB_ZONE = _item("i", "buf_zone", "(SB,)", "zone")
SB_C = _item("i", "buf_c", "(SB,)", "commodity")
PAIR_USE = _item("i", "pair_use", "(Q,)", "use, -1 if none", "mk.pair_use")
NODE_USE = _item("i", "node_use", "(N, C)", "use, -1 if none", "mk.node_use")
NODE_JOINT = _item("i", "node_joint", "(N,)", "0/1: runs for the value of its outputs", "derived")
RBUF_ZONE = _item("i", "rbuf_zone", "(NR,)", "zone", "mk.rbuf_zone")
RBUF_SB = _item("i", "rbuf_sb", "(NR,)", "safety-stock buffer, -1 if none", "mk.rbuf_sb")
EXPORT_K = _item("i", "export_k", "(routes,)", "live export routes", "derived")
TAX_MEASURE = _item("i", "tax_measure", "(X,)", "measure", "mk.tax_measure")
TAX_C = _item("i", "tax_c", "(X,)", "commodity", "mk.tax_c")
BUF_WEIGHTED = _item("i", "buf_weighted", "(B,)", "0/1", "mk.buf_weighted")
BUF_NEW_NODE = _item("i", "buf_new_node", "(B,)", "node, -1 if none", "mk.buf_new_node")
SC_SECTOR = _item("i", "sc_sector", "(Q,)", "sector", "m.sc_sector")
SECTOR_ZONE = _item("i", "sector_zone", "(S,)", "zone")
PLAN_GROUP = _item("i", "plan_group", "(S,)", "plan group")
ZS_PTR = _item("i", "zs_ptr", "(N + 1,)", "CSR", "derived")
ZS_C = _item("i", "zs_c", "(zs_ptr[N],)", "commodity a node holds", "derived")
# ---- dated thrift of a mitigation measure (last of their kinds: other indices unchanged)
USE_FLOOR = _item("f", "use_floor", "(U,)", "share")
USE_FLOOR_STEP = _item("i", "use_floor_step", "(U,)", "step")
