"""Put a product into a world: its plant as a small region-sector, its suppliers as routes.

The rules (docs/exposure.md):

1. **Plant.** The plant is a region of its own, ``<REGION>_<PRODUCT>`` (``DEU_EV_MOTOR``), in the
   zone of its region, with one sector (``DEU_EV_MOTOR.ev_motor``) whose bill of materials is the
   product's. The plant region joins its region's groups, and its region is made a group of
   itself and the plant, so every policy that names the region (``destinations: [DEU]``,
   ``by_destination: {DEU: ...}``) or its groups (``EU27``) covers the plant. A region of its
   own gives the plant its own stock: it is not served from the region's common pool, so its
   suppliers are its own.
2. **Tier 1.** A component comes from the nodes of its supplier region that make its
   commodity, in proportion to their base output (or from the named node); ``market`` means the
   plant region's own import mix (its routes of the commodity, by volume).
3. **Tier 2.** A component with ``inputs_from`` or ``content`` gets a line of its own at the
   maker: a copy of the maker's node (``mag_jpn~ev_motor``) with the maker's recipe, the
   content replacing the recipe's coefficients, whose inputs come from the nodes of the named
   regions (else the maker's own input mix).
4. **Upstream.** Every node asked for more raises its output by what it ships and orders its
   inputs through its existing input routes, in proportion to their volumes, up to the mines:
   the world stays in balance.
5. **Small.** Everything the product adds is scaled by ``s`` so that no node's output or
   route's volume grows by more than ``max_share`` (default 0.1 %); the results in units and
   USD are scaled back by ``1 / s``. A small plant's stop dates do not depend on its size
   (allocation along routes is pro rata), so the scaling changes nothing but the rounding.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from spigot.errors import InputError, Problem, UnknownNameError
from spigot.exposure.product import Component, Product
from spigot.network import SupplyNetwork
from spigot.units import WEEKS_PER_YEAR

__all__ = ["ELEMENT_SHARE", "MAX_SHARE", "Mapped", "map_product"]

#: Largest relative growth of any node output or route volume the product may cause.
MAX_SHARE = 1e-3

#: Mass share of the element in the commodity's basis (oxides: element / oxide), for ``content``
#: given as % of element: Dy2O3 2 x 162.50 / 372.998, Tb4O7 4 x 158.93 / 747.70, Nd2O3
#: 2 x 144.24 / 336.48 (used for NdPr), Sm2O3, Gd2O3, La2O3, CeO2, Y2O3 likewise (IUPAC atomic
#: weights). Metal and product bases: 1.
ELEMENT_SHARE = {"dy_oxide": 0.871, "tb_oxide": 0.850, "ndpr_oxide": 0.857, "sm_oxide": 0.862,
                 "gd_oxide": 0.868, "la_oxide": 0.853, "ce_oxide": 0.814, "y_oxide": 0.787}

#: Transit (weeks) of a new route whose endpoints have no route to copy it from.
DEFAULT_TRANSIT = 4.0

_NOTE = "added by spigot exposure for product {name!r} (docs/exposure.md)"


@dataclass
class Mapped:
    """A world with a product in it, and what was added.

    Attributes
    ----------
    world
        The world with the plant region, sector, routes and lines added.
    product
        The product.
    region, sector
        The plant's region id and sector id.
    scale
        ``s``: the plant runs at ``s`` times the product's output (results are scaled back).
    materials
        One row per component: commodity, stage, kg per unit, t/yr at full output, suppliers.
    chain
        Route id -> (tier, commodity, branch) of every route the product's supply passes (added
        or raised), tier 1 into the plant; ``branch`` is the share of its component's supply
        that depends on the route (the share of the tier-1 route it feeds).
    added_nodes
        Ids of the product's own lines (tier 2).
    """

    world: SupplyNetwork
    product: Product
    region: str
    sector: str
    scale: float
    materials: list[dict[str, Any]]
    chain: dict[str, tuple[int, str, float]]
    added_nodes: list[str] = field(default_factory=list)


class _Builder:
    """Collects the rows and increments of one product, at full output."""

    def __init__(self, world: SupplyNetwork, product: Product, file: str | None) -> None:
        self.product = product
        self.file = file
        self.nodes = world.nodes
        self.routes = world.routes
        self.recipes = world.recipes
        self.regions = world.regions
        self.commodities = world.commodities
        self.node_extra: dict[str, float] = {}  # node -> added activity, t/yr
        self.route_extra: dict[str, float] = {}  # route -> added volume, t/yr
        self.new_routes: list[dict[str, Any]] = []
        self.new_nodes: list[dict[str, Any]] = []
        self.new_recipes: list[dict[str, Any]] = []
        self.chain: dict[str, tuple[int, str, float]] = {}
        self.branch = 1.0  # share of the current component's supply on the current tier-1 route

    # ------------------------------------------------------------------ lookups
    def fail(self, message: str, field: str, value: object, expected: str,
             hint: str | None = None) -> InputError:
        return InputError(Problem(message, file=self.file, field=field, value=value,
                                  expected=expected, hint=hint))

    def recipe(self, node: str) -> pd.DataFrame:
        name = self.nodes.loc[self.nodes["id"] == node, "recipe"].iloc[0]
        return self.recipes[self.recipes["recipe"] == name]

    def makes(self, node: str, commodity: str) -> float:
        rows = self.recipe(node)
        out = rows[(rows["role"] == "output") & (rows["commodity"] == commodity)]
        return float(out["coefficient"].sum())

    def makers(self, region: str, commodity: str) -> pd.DataFrame:
        """Operating nodes of ``region`` with base output of ``commodity`` (column ``share``)."""
        rows = []
        for n in self.nodes[self.nodes["region"] == region].to_dict(orient="records"):
            coef = self.makes(str(n["id"]), commodity)
            if coef > 0 and float(n["output"]) > 0:
                rows.append({"id": n["id"], "made": coef * float(n["output"])})
        frame = pd.DataFrame(rows, columns=["id", "made"])
        frame["share"] = frame["made"] / frame["made"].sum() if len(frame) else []
        return frame

    def transit(self, origin: str, commodity: str, destination: str) -> float:
        r = self.routes
        same = r[(r["origin"] == origin) & (r["destination"] == destination)
                 & (r["commodity"] == commodity)]
        if len(same):
            return float(same["transit_weeks"].iloc[0])
        out = r[(r["origin"] == origin) & (r["commodity"] == commodity) & (r["volume"] > 0)]
        region = self._region_of(destination) if destination in set(self.nodes["id"]) \
            else destination
        node_ids = set(self.nodes["id"])
        there = pd.Series([self._region_of(str(d)) == region if d in node_ids else d == region
                           for d in r["destination"]], index=r.index)
        near = r[there & (r["origin"] == origin) & (r["volume"] > 0)]
        if len(near):  # the origin's other shipments into the same region
            return float(near["transit_weeks"].median())
        return float(out["transit_weeks"].median()) if len(out) else DEFAULT_TRANSIT

    # ------------------------------------------------------------------ flows
    def add_route(self, commodity: str, origin: str, destination: str, volume: float,
                  tier: int, transit: float | None = None) -> None:
        rid = f"{commodity}__{origin}__{destination}".lower()
        taken = {r["id"] for r in self.new_routes}
        n = 2
        while rid in taken:
            rid = f"{commodity}__{origin}__{destination}__{n}".lower()
            n += 1
        basis = self.commodities.loc[self.commodities["id"] == commodity, "basis"].iloc[0]
        unit = f"t {basis}/yr"
        self.new_routes.append({
            "id": rid, "commodity": commodity, "origin": origin, "destination": destination,
            "volume": volume, "unit": unit, "year": 2024, "source": "spigot exposure",
            "transit_weeks": transit if transit is not None else
            self.transit(origin, commodity, destination),
            "confidence": "L", "note": _NOTE.format(name=self.product.name)})
        self.link(rid, tier, commodity)
        self.supply(origin, commodity, volume, tier + 1)

    def link(self, route: str, tier: int, commodity: str) -> None:
        """Record ``route`` in the chain (its nearest tier, its largest branch share)."""
        old = self.chain.get(route)
        self.chain[route] = (min(tier, old[0]) if old else tier, commodity,
                             max(self.branch, old[2]) if old else self.branch)

    def supply(self, node: str, commodity: str, volume: float, tier: int, depth: int = 0) -> None:
        """``node`` ships ``volume`` t/yr more of ``commodity``: raise its activity and order
        its inputs through its input routes, in proportion to their volumes, recursively."""
        if volume <= 0 or node in {n["id"] for n in self.new_nodes}:
            return
        coef = self.makes(node, commodity)
        if coef <= 0 or depth > 20:
            return
        activity = volume / coef
        self.node_extra[node] = self.node_extra.get(node, 0.0) + activity
        rows = self.recipe(node)
        for inp in rows[rows["role"] == "input"].to_dict(orient="records"):
            need = activity * float(inp["coefficient"])
            r = self.routes
            into = r[(r["destination"] == node) & (r["commodity"] == inp["commodity"])
                     & (r["volume"] > 0)]
            total = float(into["volume"].sum())
            for route in into.to_dict(orient="records"):
                part = need * float(route["volume"]) / total
                self.route_extra[str(route["id"])] = self.route_extra.get(str(route["id"]), 0.0) + part
                self.link(str(route["id"]), tier, str(inp["commodity"]))
                self.supply(str(route["origin"]), str(inp["commodity"]), part, tier + 1, depth + 1)

    # ------------------------------------------------------------------ components
    def component(self, i: int, comp: Component, plant: str, need: float) -> dict[str, Any]:
        where = f"components[{i}]"
        if comp.commodity not in set(self.commodities["id"]):
            raise UnknownNameError("commodity", comp.commodity, self.commodities["id"],
                                   field=f"{where}.commodity")
        row = self.commodities[self.commodities["id"] == comp.commodity].iloc[0]
        sup = comp.supplier
        parent = self.product.plant.region
        if sup.node is not None:
            if sup.node not in set(self.nodes["id"]):
                raise UnknownNameError("node", sup.node, self.nodes["id"],
                                       field=f"{where}.supplier.node")
            if self.makes(sup.node, comp.commodity) <= 0:
                raise self.fail("the node does not make the commodity", f"{where}.supplier.node",
                                sup.node, f"a node whose recipe outputs {comp.commodity!r}")
            makers = pd.DataFrame({"id": [sup.node], "share": [1.0]})
        elif sup.region == "market":
            r = self.routes
            into = r[(r["destination"] == parent) & (r["commodity"] == comp.commodity)
                     & (r["volume"] > 0)]
            if not len(into):
                raise self.fail(f"{parent} imports no {comp.commodity} in this world",
                                f"{where}.supplier.region", "market",
                                "a supplier region (a country whose nodes make it)",
                                self._maker_hint(comp.commodity))
            makers = pd.DataFrame({"id": into["origin"],
                                   "share": into["volume"] / into["volume"].sum()})
        else:
            if sup.region not in set(self.regions["id"]):
                raise UnknownNameError("region", sup.region, [*self.regions["id"], "market"],
                                       field=f"{where}.supplier.region")
            makers = self.makers(sup.region, comp.commodity)
            if not len(makers):
                raise self.fail(f"no node in {sup.region} makes {comp.commodity}",
                                f"{where}.supplier.region", sup.region,
                                "a region with an operating node that makes it",
                                self._maker_hint(comp.commodity))
        own = bool(comp.inputs_from or comp.content)
        if own and len(makers) > 1:
            makers = makers.sort_values("share", ascending=False).head(1).assign(share=1.0)
        lines = []
        for m in makers.to_dict(orient="records"):
            volume = need * float(m["share"])
            self.branch = float(m["share"])
            node = str(m["id"])
            transit = self.transit(node, comp.commodity, parent)
            if own:
                node = self.own_line(i, comp, node, volume)
            self.add_route(comp.commodity, node, plant, volume, 1, transit)
            lines.append({"node": node, "region": self._region_of(node), "share": float(m["share"])})
        return {"component": comp.name, "commodity": comp.commodity, "stage": str(row["stage"]),
                "basis": str(row["basis"]), "kg_per_unit": comp.kg_per_unit,
                "t_per_year": need, "supplier_region": sup.region, "suppliers": lines,
                "inputs_from": dict(comp.inputs_from), "content_pct": dict(comp.content)}

    def _region_of(self, node: str) -> str:
        for n in self.new_nodes:
            if n["id"] == node:
                return str(n["region"])
        return str(self.nodes.loc[self.nodes["id"] == node, "region"].iloc[0])

    def _maker_hint(self, commodity: str) -> str:
        regions = sorted({str(n["region"]) for n in self.nodes.to_dict(orient="records")
                          if float(n["output"]) > 0 and self.makes(str(n["id"]), commodity) > 0})
        return "regions whose nodes make it: " + ", ".join(regions) if regions else ""

    def own_line(self, i: int, comp: Component, maker: str, volume: float) -> str:
        """A copy of ``maker`` for this product, fed from the tier-2 regions."""
        where = f"components[{i}]"
        base = self.nodes[self.nodes["id"] == maker].iloc[0].to_dict()
        rows = self.recipe(maker)
        inputs = {str(r["commodity"]): float(r["coefficient"])
                  for r in rows[rows["role"] == "input"].to_dict(orient="records")}
        for key in [*comp.content, *comp.inputs_from]:
            if key not in inputs:
                raise self.fail("not an input of the maker's recipe", f"{where}.content"
                                if key in comp.content else f"{where}.inputs_from", key,
                                f"one of {', '.join(inputs) or '(no inputs)'} ({maker})")
        for key, pct in comp.content.items():
            inputs[key] = pct / 100.0 / ELEMENT_SHARE.get(key, 1.0)
        slug = self.product.slug
        node, recipe = f"{maker}~{slug}", f"{base['recipe']}~{slug}"
        coef = self.makes(maker, comp.commodity)
        activity = volume / coef
        self.new_recipes.append({"recipe": recipe, "commodity": comp.commodity, "role": "output",
                                 "coefficient": coef, "source": "spigot exposure", "note": ""})
        for key, value in inputs.items():
            self.new_recipes.append({"recipe": recipe, "commodity": key, "role": "input",
                                     "coefficient": value, "source": "spigot exposure",
                                     "note": "product content" if key in comp.content else ""})
        ratio = float(base["capacity"]) / float(base["output"]) if float(base["output"]) else 1.0
        self.new_nodes.append({
            "id": node, "name": f"{base['name']}: line for {self.product.name}",
            "region": base["region"], "stage": base["stage"], "kind": "facility",
            "recipe": recipe, "capacity": activity * max(ratio, 1.0), "output": activity,
            "unit": base["unit"],
            "status": "operating", "ramp_weeks": 0, "year": base.get("year", 2024),
            "source": "spigot exposure", "confidence": "L",
            "note": _NOTE.format(name=self.product.name)})
        for key, coef_in in inputs.items():
            need = activity * coef_in
            region = comp.inputs_from.get(key)
            if region is not None:
                if region not in set(self.regions["id"]):
                    raise UnknownNameError("region", region, self.regions["id"],
                                           field=f"{where}.inputs_from.{key}")
                r = self.routes
                into = r[(r["destination"] == maker) & (r["commodity"] == key) & (r["volume"] > 0)]
                into = into[[self._region_of(str(o)) == region for o in into["origin"]]]
                origins = (pd.DataFrame({"id": into["origin"],
                                         "share": into["volume"] / into["volume"].sum()})
                           if len(into) else self.makers(region, key))
                if not len(origins):
                    raise self.fail(f"no node in {region} makes {key}", f"{where}.inputs_from.{key}",
                                    region, "a region with an operating node that makes it",
                                    self._maker_hint(key))
            else:
                r = self.routes
                into = r[(r["destination"] == maker) & (r["commodity"] == key) & (r["volume"] > 0)]
                origins = pd.DataFrame({"id": into["origin"],
                                        "share": into["volume"] / into["volume"].sum()})
            for o in origins.to_dict(orient="records"):
                self.add_route(key, str(o["id"]), node, need * float(o["share"]), 2,
                               self.transit(str(o["id"]), key, maker))
        return node


def _plant_region_id(product: Product) -> str:
    return re.sub(r"[^A-Z0-9]", "_", f"{product.plant.region}_{product.name}".upper())


def map_product(world: SupplyNetwork, product: Product, *, file: str | None = None,
                max_share: float = MAX_SHARE) -> Mapped:
    """The world with ``product`` in it (rules in the module docstring).

    Raises
    ------
    InputError
        If the product names a region, commodity or node the world lacks, a supplier region
        without a maker of the component, or an input the maker does not use.
    """
    plant = product.plant
    regions = world.regions
    if plant.region not in set(regions["id"]):
        raise UnknownNameError("region", plant.region, regions["id"], field="plant.region")
    rid = _plant_region_id(product)
    if rid in set(regions["id"]):
        raise InputError(Problem("the world already has the plant's region", file=file,
                                 field="name", value=rid, expected="a product name not yet used"))
    b = _Builder(world, product, file)
    per_year = plant.output_per_week * WEEKS_PER_YEAR
    materials = [b.component(i, comp, rid, comp.kg_per_unit * per_year / 1000.0)
                 for i, comp in enumerate(product.components)]
    # the scale: no existing node or route grows by more than max_share
    ratios = [1e-300]
    nodes = world.nodes.set_index("id")
    for node, extra in b.node_extra.items():
        if node in nodes.index:
            ratios.append(extra / max(float(nodes.at[node, "output"]), 1e-12))
    vols = world.routes.set_index("id")["volume"]
    for route, extra in b.route_extra.items():
        ratios.append(extra / max(float(vols[route]), 1e-12))
    scale = min(1.0, max_share / max(ratios))
    out = _apply(world, b, rid, scale)
    return Mapped(out, product, rid, f"{rid}.{product.slug}", scale, materials, b.chain,
                  [n["id"] for n in b.new_nodes])


def _apply(world: SupplyNetwork, b: _Builder, rid: str, scale: float) -> SupplyNetwork:
    product, plant = b.product, b.product.plant
    tables = world.tables
    regions = tables["regions"]
    parent = regions[regions["id"] == plant.region].iloc[0]
    groups = [g for g in str(parent["groups"] or "").split(";") if g and g != "nan"]
    regions.loc[regions["id"] == plant.region, "groups"] = ";".join([*groups, plant.region])
    tables["regions"] = regions
    nodes = tables["nodes"]
    for node, extra in b.node_extra.items():
        mask = nodes["id"] == node
        if mask.any():
            nodes.loc[mask, "output"] += extra * scale
            nodes.loc[mask, "capacity"] += extra * scale
    tables["nodes"] = nodes
    routes = tables["routes"]
    for route, extra in b.route_extra.items():
        routes.loc[routes["id"] == route, "volume"] += extra * scale
    tables["routes"] = routes
    out = SupplyNetwork(tables, name=world.name)
    out = out.add("regions", [{
        "id": rid, "name": f"{product.name} plant in {plant.region}", "zone": parent["zone"],
        "kind": "aggregate", "members": "", "groups": ";".join([*groups, plant.region]),
        "source": "spigot exposure", "note": _NOTE.format(name=product.name)}])
    if b.new_recipes:
        out = out.add("recipes", b.new_recipes)
    if b.new_nodes:
        out = out.add("nodes", [{**n, "capacity": n["capacity"] * scale,
                                 "output": n["output"] * scale} for n in b.new_nodes])
    out = out.add("routes", [{**r, "volume": r["volume"] * scale} for r in b.new_routes])
    out = out.add("sectors", [{
        "id": f"{rid}.{product.slug}", "region": rid, "sector": product.slug,
        "output": plant.output_per_week * WEEKS_PER_YEAR * scale, "output_unit": plant.unit,
        "value_per_unit": plant.value_per_unit, "cover_weeks": plant.cover_weeks, "priority": 2,
        "price_elasticity": 0.0, "year": 2024, "source": "spigot exposure", "confidence": "L",
        "note": _NOTE.format(name=product.name)}])
    bom: dict[str, list[Any]] = {}
    for c in product.components:
        bom.setdefault(c.commodity, []).append(c)
    out = out.add("bom", [{"sector": f"{rid}.{product.slug}", "commodity": key,
                           "intensity": sum(c.kg_per_unit for c in comps),
                           "source": "product file", "confidence": "L",
                           "note": "; ".join(c.name for c in comps)} for key, comps in bom.items()])
    if math.isnan(scale):  # pragma: no cover - defensive
        raise InputError("the product's scale is not a number")
    return out
