"""The engine's static arrays: a compiled network and a policy plan flattened for the time loop.

Both engines (numba and reference) read a :class:`SimModel`; it holds no state that changes during
a run. Besides the network's own arrays it defines *buffers*, the places routes deliver to:

- a **node buffer** is a node's input inventory of one commodity;
- a **region buffer** is a region's stock of one commodity for its sectors: an unallocated pool
  plus each sector's inventory.

Each buffer orders from the routes that feed it, to bring its inventory position (on hand, in
transit, in licensing) back to its target (see docs/design.md, section Engine). It also fixes the
layout of the per-step record (:class:`Layout`), shared by both engines and the results.
"""

# ruff: noqa: N806 - sizes are named as in the docs (N nodes, C commodities, ...)
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from spigot.market.parameters import EXPORTER_ZONE, KIND_FIXED, MarketParams
from spigot.network.compiled import STATUSES, ZONES, CompiledNetwork
from spigot.policy.plan import RELEASE, TAX, TR_COVER, TR_REVENUE, PolicyPlan

__all__ = ["MAX_ORDER_FACTOR", "NODE_COVER_WEEKS", "PRICE_BINS", "Layout", "MarketLayout",
           "MarketModel", "SimModel", "build_market", "build_model"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Weeks of input a processing node keeps in stock (its target input inventory).
NODE_COVER_WEEKS = 2.0
#: A buffer orders at most this multiple of its routes' base flows in a step.
MAX_ORDER_FACTOR = 2.0


class _Groups:
    """Consecutive groups of a record vector: ``groups[name] = (start, stop)`` from ``_sizes()``."""

    groups: dict[str, tuple[int, int]]

    def _sizes(self) -> list[tuple[str, int]]:
        raise NotImplementedError

    def __post_init__(self) -> None:
        start = 0
        for name, n in self._sizes():
            self.groups[name] = (start, start + n)
            start += n

    @property
    def size(self) -> int:
        """Length of the record vector."""
        return max(stop for _, stop in self.groups.values())

    def start(self, name: str) -> int:
        """Offset of group ``name``."""
        return self.groups[name][0]


@dataclass(frozen=True)
class Layout(_Groups):
    """Offsets of the groups in one step's record vector (length ``size``)."""

    n_routes: int
    n_sectors: int
    n_rbuf: int
    n_npairs: int
    n_piles: int
    n_slots: int
    groups: dict[str, tuple[int, int]] = field(default_factory=dict)

    def _sizes(self) -> list[tuple[str, int]]:
        return [("exports", self.n_routes), ("held", self.n_routes),
                 ("lost_units", self.n_sectors), ("stopped", self.n_sectors),
                 ("shortfall", self.n_rbuf), ("sector_stock", self.n_rbuf),
                 ("producer_stock", self.n_npairs), ("stockpile", self.n_piles),
                 ("licence_applications", self.n_slots), ("licence_approved", self.n_slots),
                 ("licence_denied", self.n_slots), ("licence_queue", self.n_slots),
                 ("licence_pipeline", self.n_slots)]


def export_route_commodity(m: SimModel) -> npt.NDArray[np.int64]:
    """Per route: its commodity's index if it crosses a border (exporter region != destination
    region), else -1; the engines add each draw's exports on these routes by commodity
    (output ``export_draw``), for quantiles of exports over all draws."""
    net = m.net
    cross = np.asarray(net.route_origin_region) != np.asarray(net.route_dest_region)
    return np.where(cross, np.asarray(net.route_commodity), -1).astype(np.int64)


#: Bins of the per-draw price histograms (quantiles over draws without keeping every path).
PRICE_BINS = 256


@dataclass(frozen=True)
class MarketLayout(_Groups):
    """Offsets of the groups in one step's market record vector (length ``size``).

    Groups (per-step values of one draw; the engines sum them over draws):

    - ``price`` (2 x C, zone-major): ``exp(lrel[z, c])``, price / base price;
    - ``demand_reduction`` (U): substitution share ``r`` of each use;
    - ``demand_destruction`` (S): ``(1 - plan_s) x output_s``, unit/step;
    - ``capacity_added`` (N): ``cap_avail - base`` of projects and idle nodes (0 for others);
    - ``recycled`` (RP): extra recycling output, t/step;
    - ``stockpile_release`` (P): t released;
    - ``safety_multiplier`` (region buffers, as ``Layout.n_rbuf``): cover multiplier ``m``
      (1 for region buffers without sector use).
    """

    n_c: int
    n_uses: int
    n_sectors: int
    n_nodes: int
    n_recycling: int
    n_piles: int
    n_rbuf: int
    groups: dict[str, tuple[int, int]] = field(default_factory=dict)

    def _sizes(self) -> list[tuple[str, int]]:
        return [("price", 2 * self.n_c), ("demand_reduction", self.n_uses),
                 ("demand_destruction", self.n_sectors), ("capacity_added", self.n_nodes),
                 ("recycled", self.n_recycling), ("stockpile_release", self.n_piles),
                 ("safety_multiplier", self.n_rbuf)]


@dataclass(frozen=True, eq=False)
class MarketModel:
    """Static arrays of the market phase: the parameters and the engine's index maps.

    Shapes: ``Z = 2`` zones, ``C`` commodities, ``N`` nodes, ``K`` routes, ``B`` buffers (node
    buffers then region buffers, as :class:`SimModel`), ``Q`` sector-commodity pairs, ``U``
    substitution uses, ``RP`` recycling pairs, ``SB`` safety-stock buffers
    (``MarketParams.buf_*``), ``P`` stockpiles.
    """

    params: MarketParams
    layout: MarketLayout
    cover_target: FloatArray  # (Z, C) initial zone stock / initial zone use, steps
    pair_use: IntArray  # (Q,) substitution use of each sector-commodity pair, -1 if none
    node_use: IntArray  # (N, C) substitution use of each node input, -1 if none
    rbuf_zone: IntArray  # (B - rbuf0,) zone of each region buffer
    rbuf_sb: IntArray  # (B - rbuf0,) safety-stock buffer of each region buffer, -1 if none
    sb_buf: IntArray  # (SB,) engine buffer index of each safety-stock buffer
    rp_buf: IntArray  # (RP,) region buffer that receives the recycled t, -1: a node input
    rp_node: IntArray  # (RP,) node that receives it when rp_buf is -1 (else -1)
    route_export: npt.NDArray[np.bool_]  # (K,) from the exporting zone to the other zone
    tax_measure: IntArray  # (X,) TAX measure of each (measure, commodity) pair
    tax_c: IntArray  # (X,) its commodity (a China -> ex-China route of it is covered)
    buf_weighted: npt.NDArray[np.bool_]  # (B,) buffer with a route out of a project/idle node
    buf_new_node: IntArray  # (B,) node of a node buffer of a project/idle node with no base
    # inflow (it orders for its current capacity), -1 otherwise
    bin_lo: FloatArray  # (3, C) lower edge of the price histograms: zone 0, zone 1, spread
    bin_scale: FloatArray  # (3, C) bins per unit of log price (PRICE_BINS / range)
    bin_hi: FloatArray  # (3, C) upper edge


@dataclass(frozen=True, eq=False)
class SimModel:
    """Flat arrays for the engines. Rates per step, masses in t, money in USD."""

    net: CompiledNetwork
    plan: PolicyPlan
    steps: int
    stop_below: float
    layout: Layout
    # nodes
    node_cap: FloatArray  # (N,) usable capacity, t activity per step
    recipe_in: FloatArray  # (N, C)
    recipe_out: FloatArray  # (N, C)
    in_ptr: IntArray  # CSR of input commodities per node (recipe inputs and route deliveries)
    in_c: IntArray
    out_ptr: IntArray  # CSR of output commodities per node (recipe outputs and route origins)
    out_c: IntArray
    node_in0: FloatArray  # (N, C) initial (target) input stock
    node_npair: IntArray  # (N, C) producer-stock feature index, -1 if none
    # routes
    route_origin: IntArray
    route_c: IntArray
    route_dest_node: IntArray
    route_dest_region: IntArray
    route_base: FloatArray
    route_transit: IntArray
    pipe_off: IntArray  # (K+1,) offsets into the flat transit ring buffers
    route_buf: IntArray  # (K,) buffer the route delivers to
    # buffers (node buffers first, then region buffers)
    buf_is_region: npt.NDArray[np.bool_]
    buf_place: IntArray  # node or region index
    buf_c: IntArray
    buf_target_onhand: FloatArray
    buf_target_pos: FloatArray
    buf_inflow: FloatArray  # base inflow, t per step
    buf_adjust: FloatArray  # steps to close an inventory gap
    buf_use: FloatArray  # base use, t per step (region buffers)
    buf_rt_ptr: IntArray  # CSR: routes into each buffer
    buf_rt: IntArray
    buf_sc_ptr: IntArray  # CSR: sector-commodity pairs of each region buffer, by priority
    buf_sc: IntArray
    rbuf0: int  # index of the first region buffer
    # sector-commodity pairs
    sc_sector: IntArray
    sc_c: IntArray
    sc_need: FloatArray  # t per step at planned output
    sc_target: FloatArray  # target inventory, t
    sc_priority: IntArray
    sc_rbuf: IntArray  # region buffer of each pair, counted from rbuf0
    sec_ptr: IntArray  # CSR: pairs of each sector
    sec_sc: IntArray
    sector_output: FloatArray
    sector_value: FloatArray
    # stockpiles
    pile_buf: IntArray  # region buffer index, -1 if the holder has no use for it
    pile_qty: FloatArray
    pile_cover: FloatArray
    pile_max: FloatArray
    pile_use: FloatArray  # (P,) base use of the holder's buffer, t/step (0 if none)
    pile_release: FloatArray  # (P,) largest release, t/step (0 if the holder has no buffer)
    pile_measure: IntArray  # (P,) owning measure (releases only while it is in force), -1: none
    # producer stock pairs
    npair_region: IntArray
    npair_c: IntArray
    dataset_hash: str = ""
    #: The market phase's arrays (``None``: flows only, ``markets: false``).
    market: MarketModel | None = None
    #: (R,) each reaction's trigger reference as the engines read it: the plan's
    #: ``rx_ref``, except a cover trigger's region buffer (-1: the region does not use the
    #: commodity, the trigger never holds).
    rx_ref: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: (R,) the trigger's level: the plan's ``rx_level``, except a cover trigger's, in t
    #: (its weeks of the buffer's base use).
    rx_level: FloatArray = field(default_factory=lambda: np.zeros(0))
    #: (R + 1,) CSR of the routes each revenue trigger counts (none for other triggers):
    #: the exporter's cross-border routes of its commodities (:func:`_reaction_revenue`).
    rx_rt_ptr: IntArray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    #: (rx_rt_ptr[R],) route.
    rx_rt: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: (rx_rt_ptr[R],) base price of the route's commodity in its destination's zone, USD/t.
    rx_rt_price: FloatArray = field(default_factory=lambda: np.zeros(0))
    #: (rx_rt_ptr[R],) the destination's zone (the draw's relative price there).
    rx_rt_zone: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: (R,) a revenue trigger's base revenue, ``sum_k route_base_k x price_k``, USD/step.
    rx_base_usd: FloatArray = field(default_factory=lambda: np.zeros(0))

    @property
    def n_buffers(self) -> int:
        """Number of buffers (node and region)."""
        return len(self.buf_c)


def _reaction_levels(m: SimModel) -> dict[str, Any]:
    """``rx_ref`` and ``rx_level`` of the model: a cover trigger's (region, commodity) as its
    region buffer, and its weeks (in steps, from the plan) as t of the buffer's base use."""
    plan = m.plan
    ref = plan.rx_ref.copy()
    level = plan.rx_level.copy()
    region_buffer = {(int(m.buf_place[b]), int(m.buf_c[b])): b
                     for b in range(m.rbuf0, len(m.buf_c))}
    for r in np.flatnonzero(plan.rx_when == TR_COVER):
        b = region_buffer.get((int(plan.rx_ref[r]), int(plan.rx_ref2[r])), -1)
        ref[r] = b
        level[r] = plan.rx_level[r] * m.buf_use[b] if b >= 0 else 0.0
    return {"rx_ref": ref, "rx_level": level}


def _csr(groups: list[list[int]]) -> tuple[IntArray, IntArray]:
    ptr = np.zeros(len(groups) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(g) for g in groups])
    flat = np.array([i for g in groups for i in g], dtype=np.int64)
    return ptr, flat


def _pile_measure(net: CompiledNetwork, plan: PolicyPlan) -> IntArray:
    """Per stockpile, the release measure that owns it (a world row whose id is a measure's id;
    it releases only while that measure is in force), -1 for the dataset's own piles."""
    owner = {i: m for m, i in enumerate(plan.ids) if plan.kind[m] == RELEASE}
    return np.array([owner.get(i, -1) for i in net.stockpiles], dtype=np.int64)


def build_model(net: CompiledNetwork, plan: PolicyPlan, stop_below: float,
                market: MarketParams | None = None) -> SimModel:
    """Flatten a compiled network and a policy plan (and the market parameters) for the engines."""
    N, C = net.recipe_in.shape
    K, S = len(net.routes), len(net.sectors)
    usable = np.isin(net.node_status, [STATUSES.index("operating"), STATUSES.index("ramping")])
    node_cap = np.where(usable, np.maximum(net.node_capacity, net.node_base_activity), 0.0)
    node_cover = NODE_COVER_WEEKS / net.step_weeks
    node_in0 = node_cover * net.node_base_activity[:, None] * net.recipe_in

    # sector-commodity pairs and region buffers
    sc = [(s, c) for s in range(S) for c in range(C)
          if net.bom[s, c] > 0 and net.sector_output[s] > 0]
    sc_sector = np.array([s for s, _ in sc], dtype=np.int64)
    sc_c = np.array([c for _, c in sc], dtype=np.int64)
    sc_need = np.array([net.sector_output[s] * net.bom[s, c] for s, c in sc], dtype=float)
    sc_target = sc_need * np.array([net.sector_cover_steps[s] for s, _ in sc], dtype=float)
    sc_priority = np.array([net.sector_priority[s] for s, _ in sc], dtype=np.int64)

    node_keys = sorted({(n, c) for n in range(N) for c in range(C) if net.recipe_in[n, c] > 0}
                       | {(int(net.route_dest_node[k]), int(net.route_commodity[k]))
                          for k in range(K) if net.route_dest_node[k] >= 0})
    region_keys = sorted({(int(net.sector_region[s]), c) for s, c in sc}
                         | {(int(net.route_dest_region[k]), int(net.route_commodity[k]))
                            for k in range(K) if net.route_dest_node[k] < 0})
    keys = [(False, n, c) for n, c in node_keys] + [(True, r, c) for r, c in region_keys]
    index = {key: i for i, key in enumerate(keys)}
    route_buf = np.array([
        index[(False, int(net.route_dest_node[k]), int(net.route_commodity[k]))]
        if net.route_dest_node[k] >= 0 else
        index[(True, int(net.route_dest_region[k]), int(net.route_commodity[k]))]
        for k in range(K)], dtype=np.int64)
    B = len(keys)
    rt_groups: list[list[int]] = [[] for _ in range(B)]
    for k in range(K):
        rt_groups[int(route_buf[k])].append(k)
    sc_groups: list[list[int]] = [[] for _ in range(B)]
    for i, (s, c) in enumerate(sc):
        sc_groups[index[(True, int(net.sector_region[s]), c)]].append(i)
    sc_groups = [sorted(g, key=lambda i: (int(sc_priority[i]), i)) for g in sc_groups]

    target_onhand = np.zeros(B)
    use = np.zeros(B)
    adjust = np.ones(B)
    for b, (is_region, place, c) in enumerate(keys):
        if is_region:
            target_onhand[b] = sum(sc_target[i] for i in sc_groups[b])
            use[b] = sum(sc_need[i] for i in sc_groups[b])
            adjust[b] = max(1.0, target_onhand[b] / use[b]) if use[b] > 0 else 1.0
        else:
            target_onhand[b] = node_in0[place, c]
            use[b] = net.node_base_activity[place] * net.recipe_in[place, c]
            adjust[b] = max(1.0, node_cover)
    inflow = np.array([sum(net.route_base_flow[k] for k in g) for g in rt_groups], dtype=float)
    target_pos = target_onhand + np.array(
        [sum(net.route_base_flow[k] * net.route_transit_steps[k] for k in g) for g in rt_groups],
        dtype=float)

    # producer stock pairs: (region, commodity) with a node that holds it
    out_keys = sorted({(n, c) for n in range(N) for c in range(C) if net.recipe_out[n, c] > 0}
                      | {(int(net.route_origin[k]), int(net.route_commodity[k]))
                         for k in range(K)})
    npairs = sorted({(int(net.node_region[n]), c) for n, c in [*node_keys, *out_keys]})
    np_index = {p: i for i, p in enumerate(npairs)}
    node_npair = np.full((N, C), -1, dtype=np.int64)
    for n in range(N):
        for c in range(C):
            node_npair[n, c] = np_index.get((int(net.node_region[n]), c), -1)

    pile_buf = np.array([index.get((True, int(net.stock_holder[p]), int(net.stock_commodity[p])),
                                   -1) for p in range(len(net.stockpiles))], dtype=np.int64)
    pile_buf = np.where(pile_buf >= 0, pile_buf, -1)
    for p, b in enumerate(pile_buf):
        if b >= 0 and use[b] <= 0:
            pile_buf[p] = -1

    in_ptr, in_c = _csr([[c for n2, c in node_keys if n2 == n] for n in range(N)])
    out_ptr, out_c = _csr([[c for n2, c in out_keys if n2 == n] for n in range(N)])
    buf_rt_ptr, buf_rt = _csr(rt_groups)
    buf_sc_ptr, buf_sc = _csr(sc_groups)
    sec_ptr, sec_sc = _csr([[i for i, (s2, _) in enumerate(sc) if s2 == s] for s in range(S)])
    pipe_off = np.zeros(K + 1, dtype=np.int64)
    pipe_off[1:] = np.cumsum(net.route_transit_steps)
    n_region = len(region_keys)
    layout = Layout(K, S, n_region, len(npairs), len(net.stockpiles), plan.n_slots)
    model = SimModel(
        net=net, plan=plan, steps=plan.steps, stop_below=float(stop_below), layout=layout,
        node_cap=node_cap, recipe_in=net.recipe_in, recipe_out=net.recipe_out,
        in_ptr=in_ptr, in_c=in_c, out_ptr=out_ptr, out_c=out_c, node_in0=node_in0,
        node_npair=node_npair,
        route_origin=net.route_origin, route_c=net.route_commodity,
        route_dest_node=net.route_dest_node, route_dest_region=net.route_dest_region,
        route_base=net.route_base_flow, route_transit=net.route_transit_steps,
        pipe_off=pipe_off, route_buf=route_buf,
        buf_is_region=np.array([k[0] for k in keys], dtype=bool),
        buf_place=np.array([k[1] for k in keys], dtype=np.int64),
        buf_c=np.array([k[2] for k in keys], dtype=np.int64),
        buf_target_onhand=target_onhand, buf_target_pos=target_pos, buf_inflow=inflow,
        buf_adjust=adjust, buf_use=use, buf_rt_ptr=buf_rt_ptr, buf_rt=buf_rt,
        buf_sc_ptr=buf_sc_ptr, buf_sc=buf_sc, rbuf0=len(node_keys),
        sc_sector=sc_sector, sc_c=sc_c, sc_need=sc_need, sc_target=sc_target,
        sc_priority=sc_priority,
        sc_rbuf=np.array([index[(True, int(net.sector_region[s]), c)] - len(node_keys)
                          for s, c in sc], dtype=np.int64),
        sec_ptr=sec_ptr, sec_sc=sec_sc,
        sector_output=net.sector_output, sector_value=net.sector_value,
        pile_buf=pile_buf, pile_qty=net.stock_quantity, pile_cover=net.stock_release_cover_steps,
        pile_max=net.stock_max_release,
        pile_use=np.where(pile_buf >= 0, use[np.maximum(pile_buf, 0)], 0.0),
        pile_release=np.where(pile_buf >= 0, net.stock_max_release, 0.0),
        pile_measure=_pile_measure(net, plan),
        npair_region=np.array([p[0] for p in npairs], dtype=np.int64),
        npair_c=np.array([p[1] for p in npairs], dtype=np.int64),
    )
    model = replace(model, **_reaction_levels(model))
    if market is not None:
        model = replace(model, market=build_market(model, market))
    return replace(model, **_reaction_revenue(model))


def _reaction_revenue(m: SimModel) -> dict[str, Any]:
    """The routes and base revenue of each revenue trigger (docs/design.md, "Reactions").

    A trigger counts its exporter's cross-border routes (origin region = the exporter,
    destination region another) of its commodities (all if none are named), each priced at
    the base price of its commodity in the destination's zone: the market phase's ``p0``
    (unknown prices filled) with markets, the dataset's price (0 where unknown) without, as
    :func:`spigot.strategy.objective.run_values` prices the exporter's revenue.
    """
    plan, net = m.plan, m.net
    p0 = (m.market.params.p0 if m.market is not None
          else np.nan_to_num(np.asarray(net.price, dtype=float).T, nan=0.0))  # (Z, C)
    origin = np.asarray(net.route_origin_region)
    dest = np.asarray(net.route_dest_region)
    zone = np.asarray(net.region_zone)[dest].astype(np.int64)
    c_of = np.asarray(net.route_commodity)
    groups: list[list[int]] = []
    base = np.zeros(len(plan.rx_when))
    for r, kind in enumerate(plan.rx_when):
        routes: list[int] = []
        if kind == TR_REVENUE:
            wanted = plan.rx_commodities[r]
            routes = [k for k in range(len(origin))
                      if origin[k] == plan.rx_ref[r] and dest[k] != origin[k]
                      and (wanted is None or int(c_of[k]) in wanted)]
            base[r] = sum(float(m.route_base[k]) * float(p0[zone[k], c_of[k]]) for k in routes)
        groups.append(routes)
    ptr, flat = _csr(groups)
    return {"rx_rt_ptr": ptr, "rx_rt": flat,
            "rx_rt_price": np.array([float(p0[zone[k], c_of[k]]) for k in flat], dtype=float),
            "rx_rt_zone": np.ascontiguousarray(zone[flat], dtype=np.int64),
            "rx_base_usd": base}


def zone_stock_use(m: SimModel, mm: MarketModel, node_in: FloatArray, node_out: FloatArray,
                   pool: FloatArray, sector_stock: FloatArray, left: FloatArray,
                   reduction: FloatArray, plan: FloatArray, mult: FloatArray,
                   activity: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Stock and use per zone and commodity of one draw: the price rule's inputs.

    Parameters
    ----------
    node_in, node_out
        (N, C) node input and output stocks, t.
    pool
        (B,) region pools, t (node-buffer entries are not read).
    sector_stock
        (Q,) sector inventories, t.
    left
        (P,) t left in the stockpiles.
    reduction, plan, mult
        (U,) substitution shares, (G,) plan factors, (SB,) safety-stock multipliers.
    activity
        (N,) planned activity of each node, t/step (the base activity for fixed nodes).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``stock`` (2, C), t: node input and output stocks, region pools and sector inventories
        of the zone, plus strategic stock left
        minus its initial quantity; ``use`` (2, C),
        t/step: node inputs at the planned activity and the current intensity, sectors at
        ``need x (1 - r) x plan x m``. Sums run in the order written here (nodes, then region
        buffers, then pairs, then stockpiles); the kernel adds in the same order. Applications
        in licensing are paper (the exporter makes what is approved): no stock.
    """
    mp = mm.params
    N, C = node_in.shape
    stock = np.zeros((2, C))
    use = np.zeros((2, C))
    for n in range(N):
        z = mp.node_zone[n]
        for c in range(C):
            stock[z, c] += node_in[n, c]
            stock[z, c] += node_out[n, c]
            if m.recipe_in[n, c] > 0:
                u = mm.node_use[n, c]
                r = reduction[u] if u >= 0 else 0.0
                use[z, c] += activity[n] * (m.recipe_in[n, c] * (1.0 - r))
    for i, b in enumerate(range(m.rbuf0, m.n_buffers)):
        stock[mm.rbuf_zone[i], m.buf_c[b]] += pool[b]
    for q in range(len(m.sc_c)):
        s, c = m.sc_sector[q], m.sc_c[q]
        z = mp.sector_zone[s]
        stock[z, c] += sector_stock[q]
        u = mm.pair_use[q]
        r = reduction[u] if u >= 0 else 0.0
        sb = mm.rbuf_sb[m.sc_rbuf[q]]
        use[z, c] += m.sc_need[q] * (1.0 - r) * plan[mp.plan_group[s]] * mult[sb]
    for i in range(len(left)):
        stock[mp.pile_zone[i], mp.pile_c[i]] += left[i] - m.pile_qty[i]
    return stock, use


def build_market(m: SimModel, mp: MarketParams) -> MarketModel:
    """The market phase's index maps and static arrays for model ``m``."""
    net = m.net
    N, C = m.recipe_in.shape
    K, B, R0 = len(m.route_base), m.n_buffers, m.rbuf0
    region_buffer = {(int(m.buf_place[b]), int(m.buf_c[b])): b for b in range(R0, B)}
    # substitution uses of pairs and node inputs
    pair_use = np.full(len(m.sc_c), -1, dtype=np.int64)
    node_use = np.full((N, C), -1, dtype=np.int64)
    for u in range(mp.n_uses):
        if mp.use_kind[u] == 0:
            pair_use[mp.use_item[u]] = u
        else:
            node_use[mp.use_item[u], mp.use_c[u]] = u
    # region buffers: zone and safety-stock buffer
    rbuf_zone = net.region_zone[m.buf_place[R0:]].astype(np.int64)
    rbuf_sb = np.full(B - R0, -1, dtype=np.int64)
    sb_buf = np.array([region_buffer[(int(r), int(c))] for r, c in
                       zip(mp.buf_region, mp.buf_c, strict=True)], dtype=np.int64)
    rbuf_sb[sb_buf - R0] = np.arange(len(sb_buf))
    # recycling: into the region's buffer, else into the input of its largest user node
    rp_buf = np.full(len(mp.rp_c), -1, dtype=np.int64)
    rp_node = np.full(len(mp.rp_c), -1, dtype=np.int64)
    for i, (r, c) in enumerate(zip(mp.rp_region, mp.rp_c, strict=True)):
        b = region_buffer.get((int(r), int(c)), -1)
        if b >= 0:
            rp_buf[i] = b
            continue
        users = [n for n in range(N) if net.node_region[n] == r and m.recipe_in[n, c] > 0]
        rp_node[i] = max(users, key=lambda n: (net.node_base_activity[n] * m.recipe_in[n, c], -n))
    # export routes (exporting zone -> the other) and the export taxes on them
    zone_of = net.region_zone
    route_export = np.array([zone_of[net.route_origin_region[k]] == EXPORTER_ZONE
                             and zone_of[net.route_dest_region[k]] != EXPORTER_ZONE
                             for k in range(K)], dtype=bool)
    plan = m.plan
    pairs = sorted({(mi, int(m.route_c[k])) for mi, meas in enumerate(plan.measures)
                    if plan.kind[mi] == TAX for k in meas.routes if route_export[k]})
    # order weights and new plants' orders
    buf_weighted = np.zeros(B, dtype=bool)
    buf_weighted[m.route_buf[mp.route_responsive]] = True
    buf_new_node = np.full(B, -1, dtype=np.int64)
    for b in range(R0):
        n = int(m.buf_place[b])
        if mp.node_kind[n] != KIND_FIXED and m.buf_inflow[b] <= 0:
            buf_new_node[b] = n
    # histogram ranges: zone log prices within [floor, cap]; the spread within +-(cap - floor)
    width = mp.log_cap - mp.log_floor
    bin_lo = np.stack([mp.log_floor, mp.log_floor, -width])
    bin_hi = np.stack([mp.log_cap, mp.log_cap, width])
    S = len(net.sectors)
    layout = MarketLayout(C, mp.n_uses, S, N, len(mp.rp_c), len(m.pile_qty), B - R0)
    mm = MarketModel(
        params=mp, layout=layout, cover_target=np.zeros((len(ZONES), C)), pair_use=pair_use,
        node_use=node_use, rbuf_zone=rbuf_zone, rbuf_sb=rbuf_sb, sb_buf=sb_buf, rp_buf=rp_buf,
        rp_node=rp_node, route_export=route_export,
        tax_measure=np.array([p[0] for p in pairs], dtype=np.int64),
        tax_c=np.array([p[1] for p in pairs], dtype=np.int64),
        buf_weighted=buf_weighted, buf_new_node=buf_new_node,
        bin_lo=bin_lo, bin_scale=PRICE_BINS / (bin_hi - bin_lo), bin_hi=bin_hi)
    # cover targets from the engine's initial state (base activity, no response yet)
    stock0, use0 = zone_stock_use(
        m, mm, m.node_in0, np.zeros_like(m.node_in0), np.zeros(B), m.sc_target, m.pile_qty,
        np.zeros(mp.n_uses), np.ones(len(mp.group_zone)), np.ones(len(sb_buf)),
        np.asarray(net.node_base_activity, dtype=float))
    cover = mm.cover_target
    for z in range(cover.shape[0]):
        for c in range(C):
            if use0[z, c] > 0:
                cover[z, c] = _exact_cover(stock0[z, c], use0[z, c])
    return mm


def _exact_cover(stock: float, use: float) -> float:
    """``stock / use``, nudged by an ulp where that makes ``use x cover == stock`` exactly.

    The price rule's cover ratio ``stock / (use x cover)`` is then exactly 1 in the initial
    state, so a run without a shock keeps its prices at base to the bit.
    """
    cover = stock / use
    for candidate in (cover, np.nextafter(cover, np.inf), np.nextafter(cover, -np.inf)):
        if use * candidate == stock:
            return float(candidate)
    return float(cover)
