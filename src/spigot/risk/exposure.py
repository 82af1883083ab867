r"""Exposure to export controls: the share of an importer's supply that passes a measure in force.

For importer :math:`m`, commodity :math:`c` and date :math:`d`, with base-year route volumes
:math:`f_{o \to m}` from origin regions :math:`o` (domestic routes included in the supply):

.. math::

    X_{m,c}(d) = \frac{\sum_{o \ne m} f_{o \to m} \cdot \mathbb{1}[\exists k \in K(d):
                 o = \text{exporter}_k,\ c \in \text{scope}_k,\ m \in \text{dest}_k]}
                {\sum_{o} f_{o \to m}},

where :math:`K(d)` are the measures in force on :math:`d`: ``start <= d < end`` (``end`` blank =
open). Suspended or ended measures carry the date of the suspension as ``end`` and so stop
counting from that day. Rows of kind ``suspension`` document a suspension and restrict nothing;
measures limited to military end use are left out by default (they do not bind civil supply).
Destinations: ``all``, a list ``JPN;USA``, or ``all-except:JPN;USA``.
"""

from __future__ import annotations

import datetime as dt
import weakref

import numpy as np
import pandas as pd

from spigot.errors import InputError, Problem
from spigot.network import SupplyNetwork
from spigot.risk._common import (
    Importer,
    commodity_groups,
    parse_date,
    resolve_commodity,
    resolve_importer,
    shared_table,
    tidy,
    with_unit,
)
from spigot.risk._flows import as_importer, route_flows

__all__ = ["covers_destination", "exposure", "measures_in_force"]

REFERENCE = ("spigot: share of the importer's base-year supply (route volumes) shipped from an "
             "exporter with an export-control measure in force on the date that covers the "
             "commodity and the destination; measures from the dataset's controls table")

RESTRICTIVE = ("licence", "quota", "ban", "tax")


def covers_destination(destinations: str, region: str) -> bool:
    """Whether a measure's ``destinations`` field covers ``region``.

    Examples
    --------
    >>> covers_destination("all", "USA"), covers_destination("JPN;USA", "DEU")
    (True, False)
    >>> covers_destination("all-except:JPN;USA", "USA")
    False
    """
    text = str(destinations or "all").strip()
    if text in ("", "all"):
        return True
    if text.startswith("all-except:"):
        return region not in {p.strip() for p in text.split(":", 1)[1].split(";")}
    return region in {p.strip() for p in text.split(";")}


def _date(value: object) -> pd.Timestamp | None:
    text = str(value or "").strip()
    if not text or text.lower() == "nan":
        return None
    return pd.Timestamp(dt.date.fromisoformat(text))


_PARSED: dict[int, tuple[weakref.ref[pd.DataFrame],
                         list[tuple[dict[str, object], pd.Timestamp | None,
                                    pd.Timestamp | None]]]] = {}


def _parsed(controls: pd.DataFrame) -> list[tuple[dict[str, object], pd.Timestamp | None,
                                                  pd.Timestamp | None]]:
    """The rows of ``controls`` with their start and end dates parsed, once per table object
    (the table is not modified: callers get copies of the rows they keep)."""
    hit = _PARSED.get(id(controls))
    if hit is not None and hit[0]() is controls:
        return hit[1]
    out = []
    for i, row in enumerate(controls.to_dict(orient="records")):
        try:
            start, end = _date(row.get("start")), _date(row.get("end"))
        except ValueError as exc:
            raise InputError(Problem("invalid date", file="controls", line=i + 2,
                                     field="start/end", value=f"{row.get('start')}/{row.get('end')}",
                                     expected="YYYY-MM-DD")) from exc
        out.append(({str(k): v for k, v in row.items()}, start, end))
    for stale in [k for k, (ref, _) in _PARSED.items() if ref() is None]:
        del _PARSED[stale]
    _PARSED[id(controls)] = (weakref.ref(controls), out)
    return out


def measures_in_force(controls: pd.DataFrame, at: str | dt.date | pd.Timestamp | None,
                      groups: dict[str, str] | None = None, *, commodity: str | None = None,
                      exporter: str | None = None, destination: str | None = None,
                      end_uses: tuple[str, ...] = ("all", "civil", "dual-use")) -> pd.DataFrame:
    """The restrictive measures in force on a date.

    Parameters
    ----------
    controls
        A table in the ``controls`` schema (``spigot/network/schema/tables/controls.csv``).
    at
        The date (``YYYY-MM-DD``); today if ``None``.
    groups
        Commodity id -> group, so that a measure on a group covers its members.
    commodity, exporter, destination
        Optional filters. A commodity is covered if it or its group is listed; a group (as in
        group-level production statistics) is covered if any of its members is listed.
    end_uses
        End-use classes that count (``military``-only measures are left out by default).

    Returns
    -------
    pandas.DataFrame
        The rows of ``controls`` in force, in the input order.

    Raises
    ------
    InputError
        If ``at`` or a date in the table is not ``YYYY-MM-DD``.
    """
    keep = [i for i, _ in in_force_rows(controls, at, groups, commodity=commodity,
                                     exporter=exporter, destination=destination,
                                     end_uses=end_uses)]
    return controls.iloc[keep].copy()


def in_force_rows(controls: pd.DataFrame, at: str | dt.date | pd.Timestamp | None,
              groups: dict[str, str] | None = None, *, commodity: str | None = None,
              exporter: str | None = None, destination: str | None = None,
              end_uses: tuple[str, ...] = ("all", "civil", "dual-use"),
              ) -> list[tuple[int, dict[str, object]]]:
    """:func:`measures_in_force` as (position, row) pairs, without building a frame (the rows
    are shared: do not modify them)."""
    day = parse_date(at)
    groups = groups or {}
    keep = []
    for i, (row, start, end) in enumerate(_parsed(controls)):
        if str(row.get("measure")) not in RESTRICTIVE or start is None or day < start:
            continue
        if end is not None and day >= end:
            continue
        if str(row.get("end_use") or "all") not in end_uses:
            continue
        if exporter is not None and str(row.get("exporter")) != exporter:
            continue
        if destination is not None and not covers_destination(str(row.get("destinations")),
                                                                destination):
            continue
        if commodity is not None:
            scope = {p.strip() for p in str(row.get("commodities")).split(";")}
            member_groups = {groups.get(p, p) for p in scope}
            is_group = commodity in set(groups.values()) and commodity not in groups
            if commodity not in scope and groups.get(commodity, commodity) not in scope \
                    and not (is_group and commodity in member_groups):
                continue
        keep.append((i, row))
    return keep


def _upstream_route_exposure(net: SupplyNetwork, flows: pd.DataFrame, controls: pd.DataFrame,
                             day: pd.Timestamp, groups: dict[str, str]) -> dict[str, float]:
    r"""Share of each route's volume that passed a measure on this route or upstream of it.

    A route is directly exposed (1) if it crosses a border under a measure in force. A node's
    output is exposed by the share :math:`e_n = \max_c \sum_{r \to n, c} f_r x_r /
    \sum_{r \to n, c} f_r` over its input commodities :math:`c` (a magnet needs both its NdPr and
    its Dy: the most exposed input binds, as in a Leontief recipe). A route's exposure is
    :math:`x_r = \max(\text{direct}_r, e_{origin})`. Iterated to a fixed point over the stages.
    """
    nodes = set(shared_table(net, "nodes")["id"].astype(str))
    routes = shared_table(net, "routes")
    dest_node = dict(zip(routes["id"].astype(str), routes["destination"].astype(str),
                         strict=True))
    direct: dict[str, float] = {}
    cache: dict[tuple[str, str, str], bool] = {}
    for route, comm, origin, dest in zip(flows["route"], flows["commodity"], flows["origin"],
                                         flows["destination"], strict=True):
        key = (str(origin), str(comm), str(dest))
        if key not in cache:
            cache[key] = origin != dest and bool(in_force_rows(
                controls, day, groups, commodity=key[1], exporter=key[0], destination=key[2]))
        direct[str(route)] = 1.0 if cache[key] else 0.0
    node_exp = dict.fromkeys(nodes, 0.0)
    route_exp = dict(direct)
    origin_of = dict(zip(flows["route"].astype(str), flows["origin_node"].astype(str),
                         strict=True))
    volume = dict(zip(flows["route"].astype(str), flows["volume"].astype(float), strict=True))
    comm_of = dict(zip(flows["route"].astype(str), flows["commodity"].astype(str), strict=True))
    inbound: dict[str, list[str]] = {}
    for route, dest in dest_node.items():
        if dest in nodes:
            inbound.setdefault(dest, []).append(route)
    for _ in range(len(nodes) + 1):
        route_exp = {r: max(direct[r], node_exp.get(origin_of[r], 0.0)) for r in direct}
        new = {}
        for node in nodes:
            per: dict[str, list[float]] = {}
            for r in inbound.get(node, []):
                acc = per.setdefault(comm_of[r], [0.0, 0.0])
                acc[0] += volume[r] * route_exp[r]
                acc[1] += volume[r]
            new[node] = max((a / b for a, b in per.values() if b > 0), default=0.0)
        if all(abs(new[n] - node_exp[n]) < 1e-12 for n in nodes):
            break
        node_exp = new
    return route_exp


def exposure(net: SupplyNetwork, importer: str | Importer | None = None, commodity: str | None = None,
             at: str | dt.date | pd.Timestamp | None = None,
             controls: pd.DataFrame | None = None) -> pd.DataFrame:
    """Share of each importer's supply of each commodity passing a measure in force on ``at``.

    Parameters
    ----------
    net
        The world (routes give the base-year supply; its ``controls`` table the measures).
    importer
        A region id, a group (``EU27``) or a list ``DEU,FRA,ITA``; every region that receives
        routes if ``None``. For a group, shipments between members are internal (in the supply,
        not in the imports) and a measure counts where it covers the member shipped to.
    commodity
        A commodity id or group; all if ``None``.
    at
        The date, ``YYYY-MM-DD`` (today if ``None``).
    controls
        A dated list of measures in the ``controls`` schema replacing the network's own.

    Returns
    -------
    pandas.DataFrame
        ``importer, commodity, at, supply, imports, exposed, exposure_share,
        import_exposure_share, exposed_upstream, upstream_exposure_share, measures`` (ids of the
        measures binding directly, ``;``-separated). ``exposed_upstream`` adds supply whose
        upstream inputs passed a measure (see :func:`_upstream_route_exposure`), e.g. magnets
        from a Japanese plant that uses Chinese dysprosium oxide.

    Raises
    ------
    UnknownNameError
        For an unknown importer or commodity.
    InputError
        For a bad date.
    """
    day = parse_date(at)
    who = None if importer is None else resolve_importer(net, importer)
    groups = commodity_groups(net)
    if commodity is not None:
        resolve_commodity(net, commodity)
    table = shared_table(net, "controls") if controls is None else controls
    flows = route_flows(net)
    upstream = _upstream_route_exposure(net, flows, table, day, groups)
    flows = flows.assign(upstream=flows["route"].map(upstream).fillna(0.0))
    regions = set(shared_table(net, "regions")["id"].astype(str))
    if who is not None:
        flows = as_importer(flows, who)
        flows = flows[flows["destination"] == who.label]
        regions.add(who.label)
    else:
        flows = flows.assign(member=flows["destination"])
    if commodity is not None:
        flows = flows[(flows["commodity"] == commodity)
                      | (flows["commodity"].map(groups) == commodity)]
    rows = []
    for (dest, comm), block in flows.groupby(["destination", "commodity"], sort=True):
        if dest not in regions:
            continue
        supply = float(block["volume"].sum())
        foreign = block[block["origin"] != dest]
        exposed, ids = 0.0, set[str]()
        # a measure binds on the member a shipment goes to (a group's members may differ)
        for (origin, member), sub in foreign.groupby(["origin", "member"]):
            found = in_force_rows(table, day, groups, commodity=str(comm), exporter=str(origin),
                              destination=str(member))
            if found:
                exposed += float(sub["volume"].sum())
                ids.update(str(row["id"]) for _, row in found)
        imports = float(foreign["volume"].sum())
        chained = float((block["volume"] * block["upstream"]).sum())
        rows.append({
            "importer": dest, "commodity": comm, "at": day.date().isoformat(),
            "supply": supply, "imports": imports, "exposed": exposed,
            "exposure_share": exposed / supply if supply > 0 else np.nan,
            "import_exposure_share": exposed / imports if imports > 0 else np.nan,
            "exposed_upstream": chained,
            "upstream_exposure_share": chained / supply if supply > 0 else np.nan,
            "measures": ";".join(sorted(ids)),
        })
    frame = pd.DataFrame(rows, columns=["importer", "commodity", "at", "supply", "imports",
                                        "exposed", "exposure_share", "import_exposure_share",
                                        "exposed_upstream", "upstream_exposure_share",
                                        "measures"])
    frame = with_unit(frame, net)
    per_row = "per row (column unit)"
    units = {"supply": per_row, "imports": per_row, "exposed": per_row, "exposed_upstream": per_row,
             "exposure_share": "fraction of supply", "import_exposure_share": "fraction of imports",
             "upstream_exposure_share": "fraction of supply"}
    return tidy(frame, units, REFERENCE, at=day.date().isoformat())
