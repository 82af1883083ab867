"""The compiled form of a supply network: plain integer-indexed numpy arrays for the engine.

The engine sees nothing but a :class:`CompiledNetwork`. Rates are per *step* (``step_weeks`` weeks),
masses in tonnes of each commodity's own basis, money in USD.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = ["STAGES", "STATUSES", "ZONES", "CompiledNetwork"]

#: Stage codes (index into this tuple).
STAGES: tuple[str, ...] = ("mining", "separation", "refining", "metal", "magnet", "recycling")
#: Node status codes (index into this tuple).
STATUSES: tuple[str, ...] = ("operating", "ramping", "idle", "planned", "committed")
#: Market zones (index into this tuple).
ZONES: tuple[str, ...] = ("china", "ex_china")

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class CompiledNetwork:
    """Integer-indexed arrays of a supply network, rates per step.

    Dimensions: ``C`` commodities, ``R`` regions, ``N`` nodes, ``K`` routes, ``S`` sectors,
    ``P`` stockpiles, ``Z`` zones.

    Attributes
    ----------
    step_weeks
        Length of one step in weeks.
    commodities, regions, nodes, routes, sectors, stockpiles
        Ids, in index order.
    commodity_basis
        Basis of each commodity (``REO``, ``metal``, ``product``), shape (C,).
    region_zone
        Zone index of each region, shape (R,).
    node_region, node_stage, node_status
        Region index, stage code and status code of each node, shape (N,).
    node_capacity
        Capacity, t of activity per step, shape (N,).
    node_base_activity
        Base-year activity, t of activity per step, shape (N,).
    node_start_year, node_ramp_steps
        Decimal year a planned or ramping node starts (NaN if none) and steps to full capacity.
    recipe_in, recipe_out
        t of commodity consumed / produced per t of activity, shape (N, C).
    route_commodity, route_origin, route_dest_node, route_dest_region, route_origin_region
        Per route: commodity index, origin node index, destination node index (-1 when the
        destination is a region's demand), destination region index, origin region index; shape (K,).
    route_base_flow
        Base-year flow, t per step, shape (K,).
    route_share
        Share of the origin's production of the commodity that the route carries, shape (K,).
    route_transit_steps
        Transit time in whole steps (rounded up, at least 1), shape (K,).
    sector_region, sector_priority
        Region index and allocation priority (1 first) of each sector, shape (S,).
    sector_output
        Base output, units per step, shape (S,).
    sector_value
        USD per unit of output, shape (S,).
    sector_cover_steps
        Target inventory in steps of use, shape (S,).
    sector_elasticity
        Short-run price elasticity of demand, shape (S,).
    bom
        t of commodity per unit of output, shape (S, C).
    price
        Base price, USD per t of the commodity's basis, shape (C, Z); NaN where unknown.
    stock_holder, stock_commodity
        Region index and commodity index of each stockpile, shape (P,).
    stock_quantity
        t held, shape (P,).
    stock_release_cover_steps, stock_max_release
        Release rule: release when the holder's cover falls below this many steps (0: never), at
        most this many t per step; shape (P,).
    base_year
        Year the base flows describe.
    """

    step_weeks: float
    base_year: int
    commodities: tuple[str, ...]
    regions: tuple[str, ...]
    nodes: tuple[str, ...]
    routes: tuple[str, ...]
    sectors: tuple[str, ...]
    stockpiles: tuple[str, ...]
    commodity_basis: tuple[str, ...]
    region_zone: IntArray
    node_region: IntArray
    node_stage: IntArray
    node_status: IntArray
    node_capacity: FloatArray
    node_base_activity: FloatArray
    node_start_year: FloatArray
    node_ramp_steps: FloatArray
    recipe_in: FloatArray
    recipe_out: FloatArray
    route_commodity: IntArray
    route_origin: IntArray
    route_dest_node: IntArray
    route_dest_region: IntArray
    route_origin_region: IntArray
    route_base_flow: FloatArray
    route_share: FloatArray
    route_transit_steps: IntArray
    sector_region: IntArray
    sector_priority: IntArray
    sector_output: FloatArray
    sector_value: FloatArray
    sector_cover_steps: FloatArray
    sector_elasticity: FloatArray
    bom: FloatArray
    price: FloatArray
    stock_holder: IntArray
    stock_commodity: IntArray
    stock_quantity: FloatArray
    stock_release_cover_steps: FloatArray
    stock_max_release: FloatArray
    stock_release_above_price: FloatArray
    sector_names: tuple[str, ...] = field(default=())

    @property
    def sizes(self) -> dict[str, int]:
        """Number of items along each dimension."""
        return {
            "commodity": len(self.commodities),
            "region": len(self.regions),
            "node": len(self.nodes),
            "route": len(self.routes),
            "sector": len(self.sectors),
            "stockpile": len(self.stockpiles),
            "zone": len(ZONES),
        }

    def index(self, dim: str, name: str) -> int:
        """Index of ``name`` along ``dim`` (``"commodity"``, ``"region"``, ``"node"``, ...).

        Raises
        ------
        UnknownNameError
            If there is no such item.
        """
        from spigot.errors import UnknownNameError

        items: tuple[str, ...] = {
            "commodity": self.commodities,
            "region": self.regions,
            "node": self.nodes,
            "route": self.routes,
            "sector": self.sectors,
            "stockpile": self.stockpiles,
            "zone": ZONES,
        }[dim]
        try:
            return items.index(name)
        except ValueError:
            raise UnknownNameError(dim, name, items) from None

    def region_demand(self) -> FloatArray:
        """Base demand of each region's sectors, t per step, shape (R, C)."""
        demand = np.zeros((len(self.regions), len(self.commodities)))
        np.add.at(demand, self.sector_region, self.sector_output[:, None] * self.bom)
        return demand
