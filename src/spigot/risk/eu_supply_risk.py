r"""EU supply risk (SR) per the JRC 2017 methodology used for the 2017-2023 EU CRM lists.

European Commission (2017), *Methodology for establishing the EU list of critical raw materials:
Guidelines*, doi:10.2873/769526; Blengini et al. (2017), *Assessment of the methodology for
establishing the EU list of critical raw materials*, JRC106997, doi:10.2760/73303.

.. math::

    SR = \Big[(HHI_{WGI,t})_{GS}\,\frac{IR}{2} + (HHI_{WGI,t})_{EU}\,\Big(1 - \frac{IR}{2}\Big)\Big]
         \cdot (1 - EoL_{RIR}) \cdot SI_{SR},

    HHI_{WGI,t} = \sum_i S_i^2 \cdot WGI_i \cdot t_i ,

with :math:`S_i` the share (fraction) of country :math:`i` in global supply (GS) or in EU
sourcing (domestic production plus imports), :math:`WGI_i` the mean of the six WGI estimates
rescaled to 0-10 (10 = poorest governance; :func:`~spigot.risk.governance.wgi_scaled`),
:math:`t_i` the trade-related parameter (1 = no export restriction, > 1 with restrictions,
< 1 with an EU trade agreement), :math:`IR` import reliance (0-1), :math:`EoL_{RIR}` the
end-of-life recycling input rate (0-1) and :math:`SI_{SR}` the substitution index (0-1). SR is
computed per stage (extraction, processing) and the material's SR is the SR of the bottleneck
stage (the higher). Where only global supply is used (basis ``GSonly``) the bracket is
:math:`(HHI_{WGI,t})_{GS}`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from spigot.errors import InputError, Problem, UnknownNameError
from spigot.network import SupplyNetwork
from spigot.risk._common import commodity_groups, reference_table, resolve_commodity, tidy
from spigot.risk.concentration import stage_shares
from spigot.risk.exposure import measures_in_force
from spigot.risk.governance import wgi_scaled

__all__ = [
    "EU_STAGE",
    "REPRODUCTION_TOLERANCE",
    "eu_2023_results",
    "eu_supply_risk",
    "hhi_wgi_t",
    "reproduce_eu_2023",
    "supply_risk",
    "trade_parameter",
]

REFERENCE = ("European Commission (2017) Methodology for establishing the EU list of critical "
             "raw materials - Guidelines, doi:10.2873/769526; Blengini et al. (2017) JRC106997, "
             "doi:10.2760/73303")

#: spigot stage -> EU assessment stage.
EU_STAGE: dict[str, str] = {"mining": "extraction", "separation": "processing",
                            "refining": "processing", "metal": "processing"}

#: Tolerance of the reproduction of the EU's published SR: half a unit of the published decimal.
REPRODUCTION_TOLERANCE = 0.05

#: Increment of t per kind of export restriction in force (see :func:`trade_parameter`).
TRADE_INCREMENT = 0.1
#: Factor on t where the EU has a trade agreement with the exporter that disciplines export
#: restrictions.
AGREEMENT_FACTOR = 0.8


def hhi_wgi_t(shares: Mapping[str, float] | pd.Series, wgi: Mapping[str, float] | pd.Series | None
              = None, t: Mapping[str, float] | pd.Series | None = None) -> float:
    r"""Governance- and trade-weighted HHI :math:`\sum_i S_i^2 \cdot WGI_i \cdot t_i` (0-10 scale).

    Parameters
    ----------
    shares
        Share (fraction) per country.
    wgi
        Scaled WGI (0-10) per country; the bundled WGI (:func:`wgi_scaled`) if ``None``.
    t
        Trade parameter per country; 1 for countries not given.

    Returns
    -------
    float

    Raises
    ------
    InputError
        If a share is outside 0-1 or a WGI is missing for a country with a share.

    Examples
    --------
    >>> round(hhi_wgi_t({"A": 0.5, "B": 0.5}, {"A": 8.0, "B": 2.0}, {"A": 1.1}), 6)
    2.7
    """
    s = pd.Series(shares, dtype=float)
    if ((s < 0) | (s > 1)).any():
        raise InputError(Problem("invalid share", field="shares", value=s.to_dict(),
                                 expected="fractions between 0 and 1"))
    w = wgi_scaled(s.index) if wgi is None else pd.Series(wgi, dtype=float)
    missing = [c for c in s.index if c not in w.index]
    if missing:
        raise InputError(Problem("no governance score", field="wgi", value=missing,
                                 expected="a scaled WGI for every supplier"))
    tt = pd.Series(t if t is not None else {}, dtype=float).reindex(s.index).fillna(1.0)
    return float((s**2 * w.reindex(s.index) * tt).sum())


def supply_risk(hhi_gs: float, ir: float, eol_rir: float, si_sr: float,
                hhi_eu: float | None = None) -> float:
    r"""Supply risk of one stage, JRC 2017 equation.

    :math:`SR = [H_{GS} \cdot IR/2 + H_{EU} \cdot (1 - IR/2)] \cdot (1 - EoL_{RIR}) \cdot SI_{SR}`.

    Parameters
    ----------
    hhi_gs
        :math:`(HHI_{WGI,t})_{GS}`, 0-10.
    ir
        Import reliance, 0-1 (unused when ``hhi_eu`` is ``None``).
    eol_rir
        End-of-life recycling input rate, 0-1.
    si_sr
        Substitution index for supply risk, 0-1.
    hhi_eu
        :math:`(HHI_{WGI,t})_{EU}`; ``None`` when only global supply is used (basis ``GSonly``),
        in which case the bracket is ``hhi_gs``.

    Returns
    -------
    float

    Raises
    ------
    InputError
        If a fraction is outside 0-1.

    Examples
    --------
    >>> round(supply_risk(5.0, ir=0.5, eol_rir=0.1, si_sr=0.9, hhi_eu=3.0), 4)
    2.835
    """
    for name, value in (("ir", ir), ("eol_rir", eol_rir), ("si_sr", si_sr)):
        if not 0 <= value <= 1 and not (name == "ir" and hhi_eu is None):
            raise InputError(Problem("out of range", field=name, value=value,
                                     expected="a fraction between 0 and 1"))
    bracket = hhi_gs if hhi_eu is None else hhi_gs * ir / 2 + hhi_eu * (1 - ir / 2)
    return bracket * (1 - eol_rir) * si_sr


def trade_parameter(restrictions: Iterable[str] = (), agreement: bool = False) -> float:
    r"""Trade-related parameter :math:`t_i` of one exporting country for one material.

    :math:`t_i = (1 + 0.1\,n_i) \cdot (0.8 \text{ if an EU agreement applies, else } 1)`, with
    :math:`n_i` the number of distinct kinds of export restriction in force (tax, quota, licence,
    ban). This is spigot's reading of the JRC 2017 guidelines (export restrictions raise ``t``
    above 1, an EU trade agreement lowers it), calibrated on the published 2023 values (1.1 for
    one restriction, up to 1.5; 0.8 with an agreement); the guidelines' scoring table was not
    available in spigot's sources, so the EU reproduction uses the EU's own published ``t``.

    Examples
    --------
    >>> trade_parameter(["licence"]), trade_parameter([]), trade_parameter(["tax", "quota"])
    (1.1, 1.0, 1.2)
    """
    kinds = {str(r) for r in restrictions}
    value = (1 + TRADE_INCREMENT * len(kinds)) * (AGREEMENT_FACTOR if agreement else 1.0)
    return round(value, 12)


def eu_2023_results(material: str | None = None) -> pd.DataFrame:
    """The EU's published 2023 assessment results and inputs (bundled copy).

    Returns
    -------
    pandas.DataFrame
        ``material, group, sr, ei, bottleneck_stage, stages, basis_extraction, sr_extraction,
        basis_processing, sr_processing, si_ei, si_sr, ir_extraction, ir_processing, eol_rir,
        source, note``; fractions 0-1.

    Raises
    ------
    UnknownNameError
        For an unknown material.
    """
    table = reference_table("eu_crm_2023_results")
    if material is not None:
        if material not in set(table["material"]):
            raise UnknownNameError("EU 2023 material", material, table["material"],
                                   field="material")
        table = table[table["material"] == material]
    return tidy(table, {"sr": "1 (0-~6)", "ir_extraction": "fraction", "ir_processing": "fraction",
                        "eol_rir": "fraction", "si_sr": "1 (0-1)"}, REFERENCE)


def _published_t(material: str, stage: str, scope: str) -> pd.Series:
    table = reference_table("eu_crm_2023_trade_parameters")
    rows = table[(table["material"] == material) & (table["stage"] == stage)
                 & (table["scope"] == scope)]
    return rows.set_index("region")["t"].astype(float)


def reproduce_eu_2023(materials: Iterable[str] | None = None) -> pd.DataFrame:
    """Recompute the EU's 2023 stage SR from its published inputs, where they are available.

    Inputs used: the published global-supply shares at the stage (the material's own, else its
    group's, e.g. HREE for Dy), the bundled WGI (2022 data), the published trade parameters,
    EoL-RIR and SI_SR. Stages assessed on an EU-sourcing basis (``GS+EU``, ``EUonly``) cannot be
    recomputed: the EU-sourcing shares are not published in spigot's sources. For those the
    EU-sourcing HHI implied by the published SR is reported instead.

    Returns
    -------
    pandas.DataFrame
        ``material, stage, basis, shares_from, hhi_wgi_t_gs, published_sr, spigot_sr,
        difference, within_tolerance, reproducible, implied_hhi_eu, reason``.
    """
    table = reference_table("eu_crm_2023_results")
    records = {str(r["material"]): r for r in table.to_dict(orient="records")}
    shares = reference_table("eu_crm_2023_shares")
    wanted = list(materials) if materials is not None else list(records)
    rows = []
    for material in wanted:
        if material not in records:
            raise UnknownNameError("EU 2023 material", material, records, field="material")
        row = records[material]
        for stage in ("extraction", "processing"):
            published = float(row[f"sr_{stage}"])
            basis = str(row[f"basis_{stage}"]) if isinstance(row[f"basis_{stage}"], str) else ""
            if not basis and not np.isfinite(published):
                continue
            own = shares[(shares["material"] == material) & (shares["stage"] == stage)]
            group = str(row["group"]) if isinstance(row["group"], str) else ""
            from_group = shares[(shares["material"] == group) & (shares["stage"] == stage)]
            chosen, source = (own, material) if len(own) else (from_group, group)
            out: dict[str, object] = {"material": material, "stage": stage, "basis": basis,
                                      "shares_from": source if len(chosen) else "",
                                      "published_sr": published}
            h_gs = float("nan")
            if len(chosen):
                s = chosen.set_index("region")["share"]
                h_gs = hhi_wgi_t(s, None, _published_t(material, stage, "GS"))
            ir = float(row[f"ir_{stage}"])
            eol, si = float(row["eol_rir"]), float(row["si_sr"])
            spigot = float("nan")
            reason = ""
            if not len(chosen):
                reason = "global-supply shares at this stage not published in spigot's sources"
            elif not np.isfinite(si):
                reason = "SI_SR not published for this (group) row"
            elif not np.isfinite(published):
                reason = "published stage SR missing in the transcription"
            elif basis == "GSonly":
                spigot = supply_risk(h_gs, ir, eol, si)
            else:
                reason = f"basis {basis}: EU-sourcing shares not published in spigot's sources"
            implied = float("nan")
            if basis == "GS+EU" and np.isfinite(h_gs) and np.isfinite(si) and np.isfinite(ir) \
                    and np.isfinite(published):
                implied = (published / ((1 - eol) * si) - h_gs * ir / 2) / (1 - ir / 2)
            diff = spigot - published
            out.update({"hhi_wgi_t_gs": h_gs, "spigot_sr": spigot, "difference": diff,
                        "within_tolerance": bool(abs(diff) <= REPRODUCTION_TOLERANCE + 1e-9),
                        "reproducible": bool(np.isfinite(spigot)),
                        "implied_hhi_eu": implied, "reason": reason})
            rows.append(out)
    frame = pd.DataFrame(rows)
    return tidy(frame, {"published_sr": "1", "spigot_sr": "1", "hhi_wgi_t_gs": "0-10",
                        "implied_hhi_eu": "0-10"}, REFERENCE,
                tolerance=REPRODUCTION_TOLERANCE)


def _material_map(net: SupplyNetwork, commodity: str) -> list[str]:
    table = reference_table("eu_material_map")
    groups = commodity_groups(net)
    own = table.loc[table["commodity"] == commodity, "eu_material"].tolist()
    if own:
        return [str(m) for m in own]
    group = groups.get(commodity, commodity)
    return [str(m) for m in table.loc[table["commodity"] == group, "eu_material"]]


def _stage_members(net: SupplyNetwork, commodity: str, stage: str) -> list[str]:
    """The commodity ids a statistic of ``commodity`` at ``stage`` stands for.

    A group-level statistic (``rare_earths`` at ``separation``) stands for the group's members
    made at that stage (the separated oxides), so a measure on any of them restricts that stage
    and a measure on separated oxides does not restrict mining. Without such members, the
    commodity itself.
    """
    table = net.commodities
    members = [str(c) for c, g, s in zip(table["id"], table["group"], table["stage"], strict=True)
               if (g == commodity or c == commodity) and s == stage]
    return members or [commodity]


def _material_blocks(net: SupplyNetwork, commodity: str, material: str,
                     year: int | None) -> list[tuple[str, str, pd.DataFrame]]:
    """Shares per stage for ``material``: the element's own statistics where the dataset has
    them (``dy_oxide`` for Dysprosium), else those of the commodity's group."""
    groups = commodity_groups(net)
    group = groups.get(commodity, commodity)
    shares = stage_shares(net, group, year=year)
    blocks = {str(stage): (str(comm), block)
              for (comm, stage), block in shares.groupby(["commodity", "stage"], sort=False)}
    mapping = reference_table("eu_material_map")
    stats = {str(c) for c in net.production["commodity"]}
    own = [str(c) for c, m in zip(mapping["commodity"], mapping["eu_material"], strict=True)
           if m == material and c != group and c in stats and groups.get(str(c)) == group]
    for ident in own:
        specific = stage_shares(net, ident, year=year)
        specific = specific[~specific["source"].str.contains("network nodes")]
        for stage, block in specific.groupby("stage", sort=False):
            blocks[str(stage)] = (ident, block)
    return [(comm, stage, block) for stage, (comm, block) in blocks.items()]


def eu_supply_risk(net: SupplyNetwork, commodity: str,
                   at: str | dt.date | pd.Timestamp | None = None, year: int | None = None,
                   controls: pd.DataFrame | None = None) -> pd.DataFrame:
    """EU-method SR per stage from the dataset's shares and the measures in force on ``at``.

    The dataset's production shares (global supply) at each stage feed
    :math:`(HHI_{WGI,t})_{GS}`; ``t`` per exporter comes from the measures in force on ``at``
    with destination ``all`` (:func:`trade_parameter`); IR, EoL-RIR and SI_SR are the EU's 2023
    inputs for the mapped material. EU-sourcing shares are not in the dataset, so the bracket is
    :math:`(HHI_{WGI,t})_{GS}` (basis ``GS only``): the result is the global-supply SR. The EU's
    published stage SR is shown beside it.

    Parameters
    ----------
    net
        The world.
    commodity
        A commodity id or group mapped to EU materials (``metrics/data/eu_material_map.csv``).
    at
        Date for the measures in force (``YYYY-MM-DD``; today if ``None``).
    year
        Year of the production statistics.
    controls
        Measures replacing the network's ``controls`` table.

    Returns
    -------
    pandas.DataFrame
        ``commodity, material, stage, eu_stage, year, hhi_wgi, hhi_wgi_t, eol_rir, si_sr, sr,
        published_sr, basis, restricted_exporters`` (exporters with t > 1), ``wgi_missing``
        (suppliers without WGI data, scored 5.0) and ``bottleneck`` (the stage with the highest
        SR per material). Rows of aggregate regions (``ROW``) are left out of the HHI.

    Raises
    ------
    UnknownNameError
        For an unknown commodity, or one with no EU material.
    """
    resolve_commodity(net, commodity)
    materials = _material_map(net, commodity)
    if not materials:
        mapped = reference_table("eu_material_map")["commodity"]
        raise UnknownNameError("commodity with an EU assessment", commodity, mapped,
                               field="commodity")
    table = net.table("controls") if controls is None else controls
    groups = commodity_groups(net)
    rows = []
    for material in materials:
        inputs = eu_2023_results(material).iloc[0]
        for comm, stage, block in _material_blocks(net, commodity, material, year):
            eu_stage = EU_STAGE.get(str(stage))
            if eu_stage is None:
                continue
            s = block[~block["aggregate"]].set_index("region")["share"].astype(float)
            s = s[np.isfinite(s.to_numpy())]
            covered = _stage_members(net, str(comm), str(stage))
            t = {}
            for region in s.index:
                kinds: set[str] = set()
                for member in covered:
                    found = measures_in_force(table, at, groups, commodity=member,
                                              exporter=str(region), destination="EU_ANY")
                    found = found[found["destinations"].astype(str).str.startswith("all")]
                    kinds.update(found["measure"].astype(str))
                t[region] = trade_parameter(kinds)
            wgi = wgi_scaled(s.index)
            si, eol = float(inputs["si_sr"]), float(inputs["eol_rir"])
            h_t = hhi_wgi_t(s, wgi, t)
            sr = supply_risk(h_t, float("nan"), eol, si) if np.isfinite(si) else float("nan")
            rows.append({
                "commodity": comm, "material": material, "stage": stage, "eu_stage": eu_stage,
                "year": int(block["year"].max()), "hhi_wgi": hhi_wgi_t(s, wgi),
                "hhi_wgi_t": h_t, "eol_rir": eol, "si_sr": si, "sr": sr,
                "published_sr": float(inputs[f"sr_{eu_stage}"]),
                "basis": "GS only (dataset shares)",
                "restricted_exporters": ";".join(sorted(r for r, v in t.items() if v > 1)),
                "wgi_missing": ";".join(wgi.attrs.get("missing", [])),
            })
    frame = pd.DataFrame(rows)
    if len(frame):
        frame["bottleneck"] = False
        for _, idx in frame.groupby("material").groups.items():
            best = frame.loc[idx, "sr"].astype(float)
            if best.notna().any():
                frame.loc[best.idxmax(), "bottleneck"] = True
    return tidy(frame, {"hhi_wgi": "0-10", "hhi_wgi_t": "0-10", "sr": "1 (EU SR scale)",
                        "published_sr": "1 (EU SR scale)", "eol_rir": "fraction",
                        "si_sr": "1 (0-1)"}, REFERENCE)
