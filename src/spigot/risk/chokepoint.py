r"""The chokepoint of a supply chain: the stage with the highest concentration.

For a chain (a commodity group and the groups linked to it by recipes, e.g. rare earths ->
NdFeB magnets), every stage's HHI is computed (:mod:`spigot.risk.concentration`) and

.. math::

    \text{chokepoint} = \arg\max_{stage} HHI_{stage}, \qquad
    \rho_{stage} = HHI_{stage} / HHI_{mining}, \qquad \Delta_{stage} = HHI_{stage} - HHI_{mining}.

Ties go to the most downstream stage (fewer alternative suppliers exist downstream and
qualification takes longest there). Reference: the stage-wise concentration comparison of the
EU CRM assessment (extraction vs processing bottleneck; Blengini et al. 2017, §3.1) and the IEA
Global Critical Minerals Outlook 2024 (mining vs refining shares).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spigot.network import SupplyNetwork
from spigot.risk._common import STAGE_ORDER, commodity_groups, memo, resolve_commodity, tidy
from spigot.risk.concentration import CONCENTRATION_UNITS, concentration, statistics_years

__all__ = ["chain_members", "chains", "chokepoints"]

REFERENCE = ("stage with the highest HHI (Herfindahl-Hirschman); stage comparison as in the EU "
             "CRM methodology (Blengini et al. 2017, extraction vs processing bottleneck) and IEA "
             "Global Critical Minerals Outlook 2024")


def _links(net: SupplyNetwork) -> dict[str, set[str]]:
    """Group -> groups linked to it by a recipe (input group <-> output group)."""
    groups = commodity_groups(net)
    links: dict[str, set[str]] = {g: set() for g in set(groups.values())}
    for _, block in net.recipes.groupby("recipe"):  # once per network (memo in chain_members)
        ins = {groups.get(str(c), str(c)) for c in block.loc[block["role"] == "input", "commodity"]}
        outs = {groups.get(str(c), str(c))
                for c in block.loc[block["role"] == "output", "commodity"]}
        for a in ins:
            for b in outs:
                if a != b:
                    links.setdefault(a, set()).add(b)
                    links.setdefault(b, set()).add(a)
    return links


def chain_members(net: SupplyNetwork, commodity: str) -> list[str]:
    """Groups in the supply chain of ``commodity`` (its group and every group linked by recipes).

    Raises
    ------
    UnknownNameError
        If ``commodity`` is not an id or group of ``net``.
    """
    resolve_commodity(net, commodity)
    groups = commodity_groups(net)
    start = groups.get(commodity, commodity)
    links = memo(net, "chain_links", lambda: _links(net))
    seen, todo = {start}, [start]
    while todo:
        for other in links.get(todo.pop(), set()):
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return sorted(seen)


def chains(net: SupplyNetwork) -> list[str]:
    """One name per chain: the group in it that has a mining stage (else the first by name)."""
    stats = statistics_years(net)
    known = commodity_groups(net)
    groups = sorted(set(known.values()) | {c for c, _ in stats if c not in known})
    mined = {c for c, stage in stats if stage == "mining"}
    names: list[str] = []
    seen: set[str] = set()
    for group in groups:
        if group in seen:
            continue
        members = chain_members(net, group)
        seen.update(members)
        names.append(next((m for m in members if m in mined), members[0]))
    return names


def chokepoints(net: SupplyNetwork, commodity: str | None = None,
                year: int | None = None) -> pd.DataFrame:
    """Concentration of every stage of a supply chain, with the chokepoint flagged.

    Parameters
    ----------
    net
        The world.
    commodity
        A commodity id or group; its chain is analysed. All chains if ``None``.
    year
        Year of the statistics (latest per stage if ``None``).

    Returns
    -------
    pandas.DataFrame
        One row per (chain, commodity, stage), upstream first: ``chain, commodity, stage, year``,
        the indices of :func:`~spigot.risk.concentration.concentration`, ``chokepoint`` (bool),
        ``hhi_ratio_to_mining`` and ``hhi_difference_to_mining`` (NaN without a mining stage).

    Raises
    ------
    UnknownNameError
        If the commodity is unknown.
    """
    names = chains(net) if commodity is None else [commodity]
    frames = []
    with_statistics = {c for c, _ in statistics_years(net)}
    for name in names:
        members = chain_members(net, name)
        groups = commodity_groups(net)
        blocks = []
        for member in members:
            try:
                blocks.append(concentration(net, member, year=year))
            except LookupError:
                continue
        # commodity ids of the chain with published statistics of their own (e.g. dy_oxide)
        for member in sorted(with_statistics - set(members)):
            if groups.get(member) in members:
                try:
                    block = concentration(net, member, year=year)
                except LookupError:  # no statistics of the year (listed by the caller)
                    continue
                blocks.append(block[~block["source"].str.contains("network nodes")])
        if not blocks:
            continue
        frame = pd.concat(blocks, ignore_index=True)
        frame.insert(0, "chain", name)
        frame["stage_rank"] = frame["stage"].map({s: i for i, s in enumerate(STAGE_ORDER)})
        frame = frame.sort_values(["stage_rank", "commodity"]).reset_index(drop=True)
        best = frame["hhi"].to_numpy(dtype=float)
        top = np.nanmax(best)
        candidates = frame.index[np.isclose(best, top, rtol=0, atol=1e-12)]
        frame["chokepoint"] = False
        frame.loc[candidates[-1], "chokepoint"] = True
        mining = frame.loc[frame["stage"] == "mining", "hhi"]
        base = float(mining.iloc[0]) if len(mining) else float("nan")
        frame["hhi_ratio_to_mining"] = frame["hhi"] / base if base > 0 else float("nan")
        frame["hhi_difference_to_mining"] = frame["hhi"] - base
        frames.append(frame.drop(columns="stage_rank"))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    units = {**CONCENTRATION_UNITS, "hhi_ratio_to_mining": "1 (HHI_stage / HHI_mining)",
             "hhi_difference_to_mining": "1 (HHI_stage - HHI_mining, 0-1 scale)"}
    return tidy(out, units, REFERENCE)
