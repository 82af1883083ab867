"""Base-year flows of a network by region: route volumes and node production per commodity."""

from __future__ import annotations

import pandas as pd

from spigot.network import SupplyNetwork

__all__ = ["regional_production", "route_flows"]


def route_flows(net: SupplyNetwork) -> pd.DataFrame:
    """Every route as ``route, commodity, origin_node, origin, destination, volume`` (t/yr).

    ``origin`` and ``destination`` are region ids: the region of the origin node, and the region of
    the destination node (or the destination itself when a route ends at a region).
    """
    routes = net.routes
    nodes = net.nodes.set_index("id")
    region_of = nodes["region"].astype(str).to_dict()
    return pd.DataFrame({
        "route": routes["id"].astype(str),
        "commodity": routes["commodity"].astype(str),
        "origin_node": routes["origin"].astype(str),
        "origin": [region_of[str(o)] for o in routes["origin"]],
        "destination": [region_of.get(str(d), str(d)) for d in routes["destination"]],
        "volume": routes["volume"].astype(float),
    })


def regional_production(net: SupplyNetwork) -> pd.DataFrame:
    """Base-year production per ``region, commodity`` (t/yr): node output x recipe coefficient."""
    nodes = net.nodes
    recipes = net.recipes
    outputs = recipes[recipes["role"] == "output"]
    merged = nodes[["id", "region", "recipe", "output"]].merge(
        outputs[["recipe", "commodity", "coefficient"]], on="recipe", how="inner")
    merged["production"] = merged["output"].astype(float) * merged["coefficient"].astype(float)
    out = merged.groupby(["region", "commodity"], as_index=False)["production"].sum()
    return out.astype({"region": str, "commodity": str})
