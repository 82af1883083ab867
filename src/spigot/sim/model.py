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

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from spigot.network.compiled import STATUSES, CompiledNetwork
from spigot.policy.plan import PolicyPlan

__all__ = ["MAX_ORDER_FACTOR", "NODE_COVER_WEEKS", "Layout", "SimModel", "build_model"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Weeks of input a processing node keeps in stock (its target input inventory).
NODE_COVER_WEEKS = 2.0
#: A buffer orders at most this multiple of its routes' base flows in a step.
MAX_ORDER_FACTOR = 2.0


@dataclass(frozen=True)
class Layout:
    """Offsets of the groups in one step's record vector (length ``size``)."""

    n_routes: int
    n_sectors: int
    n_rbuf: int
    n_npairs: int
    n_piles: int
    n_slots: int
    groups: dict[str, tuple[int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        sizes = [("exports", self.n_routes), ("held", self.n_routes),
                 ("lost_units", self.n_sectors), ("stopped", self.n_sectors),
                 ("shortfall", self.n_rbuf), ("sector_stock", self.n_rbuf),
                 ("producer_stock", self.n_npairs), ("stockpile", self.n_piles),
                 ("licence_applications", self.n_slots), ("licence_approved", self.n_slots),
                 ("licence_denied", self.n_slots), ("licence_queue", self.n_slots),
                 ("licence_pipeline", self.n_slots)]
        start = 0
        for name, n in sizes:
            self.groups[name] = (start, start + n)
            start += n

    @property
    def size(self) -> int:
        """Length of the record vector."""
        return max(stop for _, stop in self.groups.values())

    def start(self, name: str) -> int:
        """Offset of group ``name``."""
        return self.groups[name][0]


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
    # producer stock pairs
    npair_region: IntArray
    npair_c: IntArray
    dataset_hash: str = ""

    @property
    def n_buffers(self) -> int:
        """Number of buffers (node and region)."""
        return len(self.buf_c)


def _csr(groups: list[list[int]]) -> tuple[IntArray, IntArray]:
    ptr = np.zeros(len(groups) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(g) for g in groups])
    flat = np.array([i for g in groups for i in g], dtype=np.int64)
    return ptr, flat


def build_model(net: CompiledNetwork, plan: PolicyPlan, stop_below: float) -> SimModel:
    """Flatten a compiled network and a policy plan for the engines."""
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
    return SimModel(
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
        npair_region=np.array([p[0] for p in npairs], dtype=np.int64),
        npair_c=np.array([p[1] for p in npairs], dtype=np.int64),
    )
