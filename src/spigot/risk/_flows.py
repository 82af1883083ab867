"""Base-year flows of a network by region: route volumes and node production per commodity.

Both are computed once per network (networks are immutable) and shared: callers filter or
aggregate them and never modify them in place.
"""

from __future__ import annotations

import pandas as pd

from spigot.network import SupplyNetwork
from spigot.risk._common import Importer, memo, shared_table

__all__ = ["as_importer", "regional_production", "route_flows"]


def route_flows(net: SupplyNetwork) -> pd.DataFrame:
    """Every route as ``route, commodity, origin_node, origin, destination, volume`` (t/yr).

    ``origin`` and ``destination`` are region ids: the region of the origin node, and the region of
    the destination node (or the destination itself when a route ends at a region). Shared: do not
    modify the frame.
    """
    return memo(net, "route_flows", lambda: _route_flows(net))


def _route_flows(net: SupplyNetwork) -> pd.DataFrame:
    routes = shared_table(net, "routes")
    nodes = shared_table(net, "nodes").set_index("id")
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
    """Base-year production per ``region, commodity`` (t/yr): node output x recipe coefficient.

    Shared: do not modify the frame."""
    return memo(net, "regional_production", lambda: _regional_production(net))


def _regional_production(net: SupplyNetwork) -> pd.DataFrame:
    nodes = shared_table(net, "nodes")
    recipes = shared_table(net, "recipes")
    outputs = recipes[recipes["role"] == "output"]
    merged = nodes[["id", "region", "recipe", "output"]].merge(
        outputs[["recipe", "commodity", "coefficient"]], on="recipe", how="inner")
    merged["production"] = merged["output"].astype(float) * merged["coefficient"].astype(float)
    out = pd.DataFrame(merged.groupby(["region", "commodity"], as_index=False)["production"]
                       .sum())
    return out.astype({"region": str, "commodity": str})


def as_importer(frame: pd.DataFrame, importer: Importer,
                columns: tuple[str, ...] = ("origin", "destination")) -> pd.DataFrame:
    """``frame`` with the members of a group ``importer`` renamed to its label in ``columns``
    (the original destination kept as ``member``), so that flows between members become
    internal (origin = destination) and the members' production the importer's own."""
    if not importer.is_group:
        return frame.assign(member=frame[columns[-1]]) if "destination" in columns else frame
    rename = dict.fromkeys(importer.members, importer.label)
    out = frame.assign(member=frame[columns[-1]]) if "destination" in columns else frame.copy()
    for column in columns:
        out[column] = out[column].map(lambda r: rename.get(r, r))
    return out
