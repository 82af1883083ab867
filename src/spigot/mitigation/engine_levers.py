"""How the full engine runs capacity, recycling, substitution and offtake: transforms of the
world (the dataset tables) before it is compiled, using the engine's own mechanisms
(docs/design.md, "Mitigation levers in the engine").

- **new capacity**: a dataset project gets the status ``committed`` and a start date at the
  measure's lead time; a generic plant is a new ``committed`` node copying a template's recipe,
  unit and feed routes (zero base volume), with a route of its output into the region. A
  committed node starts on its date with no sampled delay, with or without scenario growth, and
  ramps, qualifies, takes orders and answers its margin as every project does (docs/model.md,
  Supply).
- **recycling**: a ``committed`` node of stage ``recycling`` in the region whose recipe
  ``recycle_<commodity>`` makes the commodity from untracked scrap (a source, as the by-product
  refiners are), with a route into the region.
- **substitution**: not a change of the world but of the scenario's market parameters
  (:func:`lever_overrides`): a dated thrift ``substitution_floor`` and
  ``substitution_floor_week`` of the sector and commodity, so the engine multiplies the sector's
  intensity by ``1 - share`` from the lead time on, on top of its price-driven substitution
  (docs/model.md, Substitution and thrifting).
- **offtake**: a swap of base flows that keeps every node's and region's base balance: the
  region takes ``share`` of its base imports from China from the non-China suppliers that ship
  the commodity, and those suppliers' other customers take the same tonnes from China instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from spigot.errors import InputError, Problem
from spigot.mitigation.levers import (
    EXPORTER_REGION,
    DiversifiedOfftake,
    Lever,
    NewCapacity,
    Recycling,
    Substitution,
    lead_and_ramp,
    plant_template,
    recipe_outputs,
)

if TYPE_CHECKING:
    from spigot.network import SupplyNetwork
    from spigot.scenarios import Scenario

__all__ = ["apply_levers", "lever_overrides", "offtake_base", "project_delivery"]

#: Transit of a route a measure adds from a plant or recycler into its own region, weeks.
LOCAL_TRANSIT_WEEKS = 2
#: Smallest amount that counts as bought.
BOUGHT = 1e-9


def _node_region(nodes: pd.DataFrame) -> dict[str, str]:
    return dict(zip(nodes["id"].astype(str), nodes["region"].astype(str), strict=True))


def _destination_region(dest: str, node_region: Mapping[str, str]) -> str:
    return node_region.get(dest, dest)


def project_delivery(world: SupplyNetwork, m: NewCapacity) -> tuple[str, str]:
    """``(region, commodity)`` a project's measure supplies: ``m.region`` (default: the
    project's region) and the project's main output (largest base value of its recipe outputs)."""
    nodes = world.nodes.set_index("id")
    node = nodes.loc[m.project]
    region = m.region or str(node["region"])
    outs = recipe_outputs(world, str(node["recipe"]))
    prices = world.prices
    zone = str(world.regions.set_index("id").loc[str(node["region"]), "zone"])

    def value(c: str) -> float:
        row = prices[(prices["commodity"] == c) & (prices["zone"] == zone)]
        return outs[c] * (float(row["price"].iloc[0]) if not row.empty else 0.0)

    return region, max(outs, key=value)


def offtake_base(world: SupplyNetwork, region: str, commodity: str) -> tuple[float, float]:
    """Base imports of ``commodity`` into ``region`` from China, and the base shipments of the
    non-China suppliers of ``commodity`` to other destinations (what a swap can move), t/yr."""
    routes = world.routes
    node_region = _node_region(world.nodes)
    rows = routes[routes["commodity"] == commodity]
    china = others = 0.0
    for r in rows.to_dict(orient="records"):
        origin = node_region.get(str(r["origin"]), "")
        dest = _destination_region(str(r["destination"]), node_region)
        if origin == EXPORTER_REGION and dest == region:
            china += float(r["volume"])
        elif origin != EXPORTER_REGION and dest not in (region, EXPORTER_REGION):
            others += float(r["volume"])
    return china, others


def _date(start: dt.date, weeks: float) -> str:
    return (start + dt.timedelta(days=round(weeks * 7.0))).isoformat()


def _route(commodity: str, origin: str, dest: str, unit: str, transit: float, note: str,
           taken: set[str]) -> dict[str, Any]:
    rid = f"{commodity}__{origin}__{dest.lower()}"
    while rid in taken:
        rid += "_m"
    taken.add(rid)
    return {"id": rid, "commodity": commodity, "origin": origin, "destination": dest,
            "volume": 0.0, "unit": unit, "transit_weeks": transit, "year": 2024,
            "source": "spigot mitigation measure (see note)", "confidence": "L", "note": note}


def _unit_of(routes: pd.DataFrame, commodity: str, fallback: str) -> str:
    units = routes.loc[routes["commodity"] == commodity, "unit"]
    return str(units.iloc[0]) if len(units) else fallback


def apply_levers(world: SupplyNetwork, measures: Sequence[Lever], amounts: Mapping[str, float],
                 start: dt.date) -> SupplyNetwork:
    """``world`` with the levers of a portfolio in it (``amounts`` by measure id; a measure with
    no positive amount changes nothing, and a portfolio of none returns ``world`` itself).

    Parameters
    ----------
    world
        The world the scenario runs on.
    measures
        The lever measures of the menu.
    amounts
        Amount of each (project: 1 = build; plant, recycling: t/yr; substitution, offtake: share).
    start
        The scenario's first week (lead times count from it).

    Raises
    ------
    InputError
        If an offtake asks to move more than other regions' non-China supply can give up.
    """
    from spigot.network import SupplyNetwork

    bought = [(m, float(amounts.get(m.id, 0.0))) for m in measures
              if float(amounts.get(m.id, 0.0)) > BOUGHT and not isinstance(m, Substitution)]
    if not bought:
        return world
    tables = world.tables
    nodes, routes, recipes, bom = (tables["nodes"], tables["routes"], tables["recipes"],
                                   tables["bom"])
    new_nodes: list[dict[str, Any]] = []
    new_routes: list[dict[str, Any]] = []
    new_recipes: list[dict[str, Any]] = []
    taken = set(routes["id"].astype(str))
    start_year = start.year + (start.timetuple().tm_yday - 1) / 365.25
    for m, amount in bought:
        lead, ramp = lead_and_ramp(m, world, start_year)
        note = f"added by mitigation measure {m.id}"
        if isinstance(m, NewCapacity) and m.project is not None:
            i = nodes.index[nodes["id"] == m.project][0]
            nodes.loc[i, "status"] = "committed"
            nodes.loc[i, "start"] = _date(start, lead)
            nodes.loc[i, "ramp_weeks"] = ramp
            region, commodity = project_delivery(world, m)
            new_routes += _outlet(world, routes, m.project, commodity, region, taken, note)
            new_routes += _feed(world, routes, m.project, str(nodes.loc[i, "recipe"]), taken, note)
        elif isinstance(m, NewCapacity):
            tmpl = plant_template(world, m)
            assert m.region is not None
            assert m.commodity is not None
            new_nodes.append({**{k: tmpl[k] for k in ("stage", "recipe", "unit", "year")},
                              "id": m.id, "name": f"{m.id} (mitigation plant)", "region": m.region,
                              "kind": "facility", "capacity": amount, "output": 0.0,
                              "status": "committed", "start": _date(start, lead),
                              "ramp_weeks": ramp, "source": "spigot mitigation measure (see note)",
                              "confidence": "L", "note": f"{note}; copies {tmpl['id']}"})
            for c in recipe_outputs(world, str(tmpl["recipe"])):
                for r in routes[(routes["origin"] == tmpl["id"]) & (routes["commodity"] == c)
                                 ].to_dict(orient="records"):
                    new_routes.append(_route(c, m.id, str(r["destination"]), str(r["unit"]),
                                             float(r["transit_weeks"]), note, taken))
            new_routes += _outlet(world, pd.concat([routes, pd.DataFrame(new_routes)]), m.id,
                                  m.commodity, m.region, taken, note)
            new_routes += _feed(world, routes, m.id, str(tmpl["recipe"]), taken, note,
                                template=str(tmpl["id"]))
        elif isinstance(m, Recycling):
            recipe = f"recycle_{m.commodity}"
            if not (recipes["recipe"] == recipe).any() and not any(
                    r["recipe"] == recipe for r in new_recipes):
                new_recipes.append({"recipe": recipe, "commodity": m.commodity, "role": "output",
                                    "coefficient": 1.0, "source": "definition",
                                    "note": "activity = t recovered from untracked scrap"})
            unit = _unit_of(routes, m.commodity, "t/yr")
            new_nodes.append({"id": m.id, "name": f"{m.id} (mitigation recycling)",
                              "region": m.region, "stage": "recycling", "kind": "facility",
                              "recipe": recipe, "capacity": amount, "output": 0.0, "unit": unit,
                              "status": "committed", "start": _date(start, lead),
                              "ramp_weeks": ramp, "year": 2024,
                              "source": "spigot mitigation measure (see note)", "confidence": "L",
                              "note": note})
            new_routes.append(_route(m.commodity, m.id, m.region, unit, LOCAL_TRANSIT_WEEKS,
                                     note, taken))
        elif isinstance(m, DiversifiedOfftake):
            routes = _swap(world, routes, m, amount, taken, note)
    if new_nodes:
        nodes = pd.concat([nodes, pd.DataFrame(new_nodes)], ignore_index=True)
    if new_routes:
        routes = pd.concat([routes, pd.DataFrame(new_routes)], ignore_index=True)
    if new_recipes:
        recipes = pd.concat([recipes, pd.DataFrame(new_recipes)], ignore_index=True)
    for name, frame in (("nodes", nodes), ("routes", routes), ("recipes", recipes), ("bom", bom)):
        frame = frame.reset_index(drop=True)
        frame.attrs = {}  # re-read by the schema (rows added)
        tables[name] = frame
    given: dict[str, Any] = {k: (v if k not in ("nodes", "routes", "recipes", "bom") else
                                 v.to_dict(orient="records")) for k, v in tables.items()}
    return SupplyNetwork(given, name=world.name)


def lever_overrides(measures: Sequence[Lever], amounts: Mapping[str, float]) -> dict[str, float]:
    """The market-parameter overrides of a portfolio's substitution measures:
    ``substitution_floor:<region.sector>:<commodity>`` (the share bought) and
    ``substitution_floor_week:...`` (the lead time, weeks from the run's start). Empty when none
    is bought."""
    out: dict[str, float] = {}
    for m in measures:
        share = float(amounts.get(m.id, 0.0))
        if isinstance(m, Substitution) and share > BOUGHT:
            key = f"{m.region}.{m.sector}:{m.commodity}"
            lead, _ = lead_and_ramp(m, None, 0.0)
            out[f"substitution_floor:{key}"] = min(share, 0.99)
            out[f"substitution_floor_week:{key}"] = lead
    return out


def with_lever_overrides(scenario: Scenario, overrides: Mapping[str, float]) -> Scenario:
    """``scenario`` with ``overrides`` added to its market parameter overrides (itself if none)."""
    if not overrides:
        return scenario
    market = scenario.market.model_dump(mode="json")
    market["overrides"] = {**market.get("overrides", {}), **overrides}
    return scenario.with_options(market=market)


def _outlet(world: SupplyNetwork, routes: pd.DataFrame, node: str, commodity: str, region: str,
            taken: set[str], note: str) -> list[dict[str, Any]]:
    """A route of ``node``'s ``commodity`` into ``region`` unless one exists (to the region or
    a node in it)."""
    node_region = _node_region(world.nodes)
    mine = routes[(routes["origin"] == node) & (routes["commodity"] == commodity)]
    if any(_destination_region(str(d), node_region) == region for d in mine["destination"]):
        return []
    unit = _unit_of(routes, commodity, "t/yr")
    return [_route(commodity, node, region, unit, LOCAL_TRANSIT_WEEKS, note, taken)]


def _feed(world: SupplyNetwork, routes: pd.DataFrame, node: str, recipe: str, taken: set[str],
          note: str, template: str | None = None) -> list[dict[str, Any]]:
    """Zero-volume feed routes into ``node`` for every input of its recipe it has no route for,
    copied from the routes into ``template`` (default: the largest operating node outside China
    running the recipe)."""
    r = world.recipes
    inputs = [str(c) for c in r.loc[(r["recipe"] == recipe) & (r["role"] == "input"),
                                    "commodity"]]
    have = set(routes.loc[routes["destination"] == node, "commodity"].astype(str))
    missing = [c for c in inputs if c not in have]
    if not missing:
        return []
    if template is None:
        nodes = world.nodes
        same = nodes[(nodes["recipe"] == recipe) & (nodes["id"] != node)
                     & (nodes["status"] == "operating")]
        if same.empty:
            return []
        same = same.assign(_ex=same["region"] != EXPORTER_REGION).sort_values(
            ["_ex", "output"], ascending=False)
        template = str(same["id"].iloc[0])
    out = []
    for c in missing:
        for row in routes[(routes["destination"] == template) & (routes["commodity"] == c)
                          ].to_dict(orient="records"):
            out.append(_route(c, str(row["origin"]), node, str(row["unit"]),
                              float(row["transit_weeks"]), note, taken))
    return out


def _swap(world: SupplyNetwork, routes: pd.DataFrame, m: DiversifiedOfftake, share: float,
          taken: set[str], note: str) -> pd.DataFrame:
    """Move ``share`` of the region's base imports from China to the non-China suppliers,
    whose other customers (outside China) take the same tonnes from China: every node ships and
    every region receives what it did (base balance kept; mass conserved)."""
    routes = routes.copy()
    node_region = _node_region(world.nodes)
    c = m.commodity
    is_c = routes["commodity"] == c
    origin_region = routes["origin"].map(lambda o: node_region.get(str(o), ""))
    dest_region = routes["destination"].map(lambda d: _destination_region(str(d), node_region))
    from_china = is_c & (origin_region == EXPORTER_REGION) & (dest_region == m.region)
    others = is_c & (origin_region != EXPORTER_REGION) & ~dest_region.isin(
        [m.region, EXPORTER_REGION]) & (routes["volume"] > 0)
    china_total = float(routes.loc[from_china, "volume"].sum())
    other_total = float(routes.loc[others, "volume"].sum())
    moved = share * china_total
    if moved > other_total * (1 + 1e-9):
        raise InputError(Problem(
            "the offtake asks for more than other regions' non-China supply", field="share",
            value=share, expected=f"at most {other_total / china_total:.3g} (other regions take "
            f"{other_total:g} t/yr of non-China {c}; {m.region} imports {china_total:g} t/yr from "
            "China)"))
    scale = moved / other_total
    china_origin = routes.loc[from_china].sort_values("volume", ascending=False).iloc[0]
    volumes = routes["volume"].astype(float).copy()
    volumes[from_china] *= 1.0 - share
    added: dict[tuple[str, str], float] = {}
    for i in routes.index[others]:
        take = float(routes.loc[i, "volume"]) * scale
        volumes[i] -= take
        origin, dest = str(routes.loc[i, "origin"]), str(routes.loc[i, "destination"])
        added[(origin, m.region)] = added.get((origin, m.region), 0.0) + take
        added[(str(china_origin["origin"]), dest)] = added.get(
            (str(china_origin["origin"]), dest), 0.0) + take
    routes["volume"] = volumes
    extra = []
    for (origin, dest), take in added.items():
        hit = is_c & (routes["origin"] == origin) & (routes["destination"] == dest)
        if hit.any():
            j = routes.index[hit][0]
            routes.loc[j, "volume"] = float(routes.loc[j, "volume"]) + take
        else:
            row = _route(c, origin, dest, str(china_origin["unit"]),
                         float(china_origin["transit_weeks"]), note, taken)
            row["volume"] = take
            extra.append(row)
    if extra:
        routes = pd.concat([routes, pd.DataFrame(extra)], ignore_index=True)
    return routes
