r"""EU supply risk (SR) by the EU methodology as applied in the 2023 criticality assessment.

The method: European Commission (2017), *Methodology for establishing the EU list of critical raw
materials: Guidelines*, doi:10.2873/769526 (Blengini et al. 2017, JRC106997,
doi:10.2760/73303), used unchanged for the 2017, 2020 and 2023 lists; the 2023 results and inputs:
European Commission (2023), *Study on the Critical Raw Materials for the EU 2023 - Final Report*
(Grohol & Veeh), doi:10.2873/725585.

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
from typing import Any

import numpy as np
import pandas as pd

from spigot.errors import InputError, Problem, UnknownNameError
from spigot.network import SupplyNetwork
from spigot.risk._common import (
    commodity_groups,
    reference_table,
    resolve_commodity,
    shared_table,
    tidy,
)
from spigot.risk._eu_sourcing import eu_sourcing
from spigot.risk.concentration import stage_shares
from spigot.risk.exposure import in_force_rows
from spigot.risk.governance import wgi_scaled

__all__ = [
    "BASES",
    "EU_STAGE",
    "REPRODUCTION_RELATIVE",
    "REPRODUCTION_TOLERANCE",
    "eu_2023_results",
    "eu_supply_risk",
    "eu_wgi",
    "exporter_trade_parameters",
    "hhi_wgi_t",
    "implied_hhi",
    "reproduce_eu_2023",
    "stage_supply_risk",
    "supply_risk",
    "trade_parameter",
]

REFERENCE = ("EU criticality methodology as applied in the 2023 assessment: European Commission "
             "(2017) Guidelines, doi:10.2873/769526; European Commission (2023) Study on the "
             "Critical Raw Materials for the EU 2023, doi:10.2873/725585")

#: spigot stage -> EU assessment stage.
EU_STAGE: dict[str, str] = {"mining": "extraction", "separation": "processing",
                            "refining": "processing", "metal": "processing"}

#: Half a unit of the published decimal: a difference this small is rounding.
REPRODUCTION_TOLERANCE = 0.05
#: Relative tolerance of the reproduction of the EU's published SR (issue #18: +/-10 %).
REPRODUCTION_RELATIVE = 0.10

#: Supply bases of the EU method.
BASES: tuple[str, ...] = ("GS+EU", "GSonly", "EUonly")

#: EU member states (2020-).
EU27_MEMBERS: tuple[str, ...] = (
    "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN", "IRL",
    "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "SWE")

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
    r"""Supply risk of one stage, the EU method's equation (EC 2017 guidelines, used in 2023).

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
    ban). This is spigot's reading of the EC 2017 guidelines (export restrictions raise ``t``
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


def eu_wgi(regions: Iterable[str]) -> pd.Series:
    """Scaled WGI (0-10) per region as the EU method uses it, with ``EU27`` (EU production as one
    entry) scored with the mean of the member states in the bundled table; a region without data
    gets 5.0 and is listed in ``attrs["missing"]``."""
    wanted = [str(r) for r in regions]
    base = wgi_scaled([r for r in wanted if r != "EU27"])
    missing = list(base.attrs.get("missing", []))
    out = base.to_dict()
    if "EU27" in wanted:
        members = wgi_scaled(EU27_MEMBERS)
        known = [r for r in EU27_MEMBERS if r not in members.attrs.get("missing", [])]
        out["EU27"] = float(members[known].mean())
    series = pd.Series(out, dtype=float).reindex(wanted)
    series.attrs = {"missing": missing}
    return series


def stage_supply_risk(gs_shares: Mapping[str, float] | pd.Series,
                      eu_shares: Mapping[str, float] | pd.Series | None, *, ir: float,
                      eol_rir: float, si_sr: float, basis: str = "GS+EU",
                      t_gs: Mapping[str, float] | pd.Series | None = None,
                      t_eu: Mapping[str, float] | pd.Series | None = None,
                      wgi: Mapping[str, float] | pd.Series | None = None) -> dict[str, Any]:
    r"""SR of one stage by the EU method, from the shares themselves.

    :math:`SR = [H_{GS}\,IR/2 + H_{EU}\,(1 - IR/2)]\,(1 - EoL_{RIR})\,SI_{SR}` with
    :math:`H = \sum_i S_i^2\,WGI_i\,t_i` over the global-supply and the EU-sourcing shares
    (basis ``GS+EU``); ``GSonly`` uses :math:`H_{GS}`, ``EUonly`` :math:`H_{EU}`.

    Parameters
    ----------
    gs_shares, eu_shares
        Country shares (fractions) of global supply and of EU sourcing (EU production plus
        imports; an entry ``EU27`` stands for EU production as a whole).
    ir, eol_rir, si_sr
        Import reliance, end-of-life recycling input rate, substitution index (0-1).
    basis
        ``GS+EU``, ``GSonly`` or ``EUonly``.
    t_gs, t_eu
        Trade parameters per country (1 where not given).
    wgi
        Scaled WGI (0-10) per country; the bundled WGI (:func:`eu_wgi`) if ``None``.

    Returns
    -------
    dict
        ``hhi_wgi_t_gs``, ``hhi_wgi_t_eu``, ``sr`` and ``wgi_default`` (countries of the terms
        used that have no WGI and are scored 5.0).

    Raises
    ------
    InputError
        For an unknown basis, a fraction out of range, or a basis whose shares are missing.

    Examples
    --------
    >>> out = stage_supply_risk({"CHN": 1.0}, {"CHN": 0.5, "EU27": 0.5}, ir=0.5, eol_rir=0.0,
    ...                         si_sr=1.0)
    >>> round(out["sr"], 3) == round(0.25 * out["hhi_wgi_t_gs"] + 0.75 * out["hhi_wgi_t_eu"], 3)
    True
    """
    if basis not in BASES:
        raise InputError(Problem("unknown supply basis", field="basis", value=basis,
                                 expected=" or ".join(BASES)))
    if basis != "GSonly" and eu_shares is None:
        raise InputError(Problem("EU-sourcing shares missing", field="eu_shares", value=None,
                                 expected=f"EU-sourcing shares for basis {basis}"))
    missing: set[str] = set()

    def term(shares: Mapping[str, float] | pd.Series | None,
             t: Mapping[str, float] | pd.Series | None, used: bool) -> float:
        if shares is None:
            return float("nan")
        s = pd.Series(shares, dtype=float)
        w = eu_wgi(s.index) if wgi is None else pd.Series(wgi, dtype=float)
        w.attrs.setdefault("missing", [])
        if used:
            missing.update(w.attrs["missing"])
        return hhi_wgi_t(s, w, t)

    h_gs = term(gs_shares, t_gs, basis != "EUonly")
    h_eu = term(eu_shares, t_eu, basis != "GSonly")
    if basis == "GSonly":
        sr = supply_risk(h_gs, ir, eol_rir, si_sr)
    elif basis == "EUonly":
        sr = supply_risk(h_eu, ir, eol_rir, si_sr)
    else:
        sr = supply_risk(h_gs, ir, eol_rir, si_sr, hhi_eu=h_eu)
    return {"hhi_wgi_t_gs": h_gs, "hhi_wgi_t_eu": h_eu, "sr": sr,
            "wgi_default": sorted(missing)}


def implied_hhi(published_sr: float, *, basis: str, ir: float, eol_rir: float, si_sr: float,
                hhi_gs: float | None = None) -> float:
    r"""The :math:`HHI_{WGI,t}` a published stage SR requires, the other inputs held (back-calculation).

    The SR equation solved for the term that is not given: for basis ``GSonly`` :math:`H_{GS}`,
    for ``EUonly`` :math:`H_{EU}`, and for ``GS+EU`` :math:`H_{EU}` given ``hhi_gs``:
    :math:`H_{EU} = (SR / ((1 - EoL_{RIR})\,SI_{SR}) - H_{GS}\,IR/2) / (1 - IR/2)`.

    Parameters
    ----------
    published_sr
        The published SR of the stage (EU SR scale).
    basis
        ``GS+EU``, ``GSonly`` or ``EUonly``.
    ir, eol_rir, si_sr
        Import reliance, end-of-life recycling input rate, substitution index (fractions 0-1).
    hhi_gs
        :math:`H_{GS}` (0-10), needed for ``GS+EU``.

    Returns
    -------
    float
        The implied :math:`HHI_{WGI,t}` (0-10 scale; above 10, or above the largest
        :math:`WGI_i\,t_i` of any supplier, no shares can give it); NaN where an input is missing.

    Examples
    --------
    >>> round(implied_hhi(2.835, basis="GS+EU", ir=0.5, eol_rir=0.1, si_sr=0.9, hhi_gs=5.0), 6)
    3.0
    """
    if basis not in BASES:
        raise InputError(Problem("unknown supply basis", field="basis", value=basis,
                                 expected=" or ".join(BASES)))
    scale = (1 - eol_rir) * si_sr
    if not (np.isfinite(published_sr) and np.isfinite(scale)) or scale <= 0:
        return float("nan")
    bracket = published_sr / scale
    if basis != "GS+EU":
        return float(bracket)
    if hhi_gs is None or not np.isfinite(hhi_gs) or not np.isfinite(ir):
        return float("nan")
    return float((bracket - hhi_gs * ir / 2) / (1 - ir / 2))


def _default_share(shares: pd.Series, defaults: Iterable[str]) -> float:
    """Total share (fraction) of ``shares`` held by regions scored with the default WGI."""
    return float(shares[shares.index.isin(list(defaults))].sum())


def _group_si(table: pd.DataFrame, group: str) -> float:
    """SI_SR of a group row (not published): the mean of its members' SI_SR."""
    members = table[(table["group"] == group) & (table["material"] != group)]
    return float(members["si_sr"].astype(float).mean())


def reproduce_eu_2023(materials: Iterable[str] | None = None) -> pd.DataFrame:
    """Recompute the EU's 2023 stage SR by its method from the bundled 2023 inputs.

    Inputs: the EU's published IR, EoL-RIR, SI_SR and trade parameters (GS and EU scope), the
    bundled WGI (2022, six estimates) and the global-supply and EU-sourcing shares of
    ``eu_crm_2023_sourcing.csv`` (published where spigot's sources have them, else rebuilt from
    World Mining Data and BACI for the nearest years; ``tools/build_eu_2023_inputs.py`` and
    ``docs/metrics.md`` say how; EU production enters EU sourcing by member state where a source
    names them, else as one entry ``EU27``). A member of LREE or HREE without shares of its own
    uses its group's (flagged in ``note``); a group row, whose SI_SR the EU does not publish, uses
    the mean of its members'. An empty stage cell of the bottleneck stage is compared with the
    headline SR, which is the bottleneck stage's (flagged).

    Parameters
    ----------
    materials
        EU material names; every material with bundled shares (its own or its group's) if
        ``None``.

    Returns
    -------
    pandas.DataFrame
        One row per (material, assessed stage): ``material, stage, bottleneck, basis,
        published_sr, sr, ratio, difference, within_10pct, within_rounding, hhi_wgi_t_gs,
        hhi_wgi_t_eu, implied_hhi_gs, implied_hhi_eu, ir, eol_rir, si_sr, shares_from,
        wgi_default, wgi_default_share_gs, wgi_default_share_eu, note``. ``bottleneck`` marks
        the stage of the EU's headline SR; ``ratio`` is ``sr / published_sr``;
        ``implied_hhi_*`` is the term the published SR requires with the other inputs held
        (:func:`implied_hhi`: :math:`H_{GS}` for ``GSonly`` rows, else :math:`H_{EU}` given
        spigot's :math:`H_{GS}`); ``wgi_default_share_*`` the share of each term used that is
        scored with the default WGI 5.0.

    Raises
    ------
    UnknownNameError
        For a material not in the EU's 2023 results.
    """
    table = reference_table("eu_crm_2023_results")
    records = {str(r["material"]): r for r in table.to_dict(orient="records")}
    sourcing = reference_table("eu_crm_2023_sourcing")
    covered = set(sourcing["material"])
    if materials is None:
        wanted = [m for m, r in records.items()
                  if m in covered or (isinstance(r["group"], str) and r["group"] in covered)]
    else:
        wanted = list(materials)
    rows = []
    for material in wanted:
        if material not in records:
            raise UnknownNameError("EU 2023 material", material, records, field="material")
        row = records[material]
        group = str(row["group"]) if isinstance(row["group"], str) else ""
        si = float(row["si_sr"])
        note = ""
        if not np.isfinite(si) and group == material:
            si = _group_si(table, material)
            note = "group SI_SR not published: mean of the members' SI_SR"
        for stage in ("extraction", "processing"):
            basis = str(row[f"basis_{stage}"]) if isinstance(row[f"basis_{stage}"], str) else ""
            published = float(row[f"sr_{stage}"])
            if not basis:
                continue
            stage_note = note
            if not np.isfinite(published) and str(row["bottleneck_stage"]) == stage:
                # the headline SR is the SR of the bottleneck stage (84 of the 87 rows with stage
                # values agree): an empty bottleneck cell is the headline (praseodymium)
                published = float(row["sr"])
                stage_note = "; ".join(n for n in (note, "published stage SR empty in the "
                                                   "transcription: the headline SR of this "
                                                   "bottleneck stage") if n)
            source = material if material in covered else group
            block = sourcing[(sourcing["material"] == source) & (sourcing["stage"] == stage)]
            out: dict[str, Any] = {
                "material": material, "stage": stage,
                "bottleneck": str(row["bottleneck_stage"]) == stage, "basis": basis,
                "published_sr": published, "ir": float(row[f"ir_{stage}"]),
                "eol_rir": float(row["eol_rir"]), "si_sr": si, "shares_from": source}
            if not len(block):
                out.update({"sr": float("nan"), "note": "no shares bundled for this stage"})
                rows.append(out)
                continue
            gs = block[block["scope"] == "GS"].set_index("region")["share"]
            eu = block[block["scope"] == "EU"].set_index("region")["share"]
            ir = out["ir"] if np.isfinite(out["ir"]) else 1.0
            res = stage_supply_risk(gs, eu if len(eu) else None, ir=ir,
                                    eol_rir=out["eol_rir"], si_sr=si, basis=basis,
                                    t_gs=_published_t(material, stage, "GS"),
                                    t_eu=_published_t(material, stage, "EU"))
            flags = sorted({str(n) for n in block["note"].dropna() if str(n)})
            if source != material:
                flags.insert(0, f"no element-specific shares in spigot's sources: {source}'s "
                                "stand in")
            implied = implied_hhi(published, basis=basis, ir=ir, eol_rir=out["eol_rir"],
                                  si_sr=si, hhi_gs=res["hhi_wgi_t_gs"])
            defaults = res["wgi_default"]
            out.update({"hhi_wgi_t_gs": res["hhi_wgi_t_gs"], "hhi_wgi_t_eu": res["hhi_wgi_t_eu"],
                        "sr": res["sr"],
                        "implied_hhi_gs": implied if basis == "GSonly" else float("nan"),
                        "implied_hhi_eu": float("nan") if basis == "GSonly" else implied,
                        "wgi_default": ";".join(defaults),
                        "wgi_default_share_gs": (_default_share(gs, defaults)
                                                 if basis != "EUonly" else float("nan")),
                        "wgi_default_share_eu": (_default_share(eu, defaults)
                                                 if basis != "GSonly" else float("nan")),
                        "note": "; ".join([n for n in (stage_note, *flags) if n])})
            rows.append(out)
    frame = pd.DataFrame(rows, columns=[
        "material", "stage", "bottleneck", "basis", "published_sr", "sr", "ratio", "difference",
        "within_10pct", "within_rounding", "hhi_wgi_t_gs", "hhi_wgi_t_eu", "implied_hhi_gs",
        "implied_hhi_eu", "ir", "eol_rir", "si_sr", "shares_from", "wgi_default",
        "wgi_default_share_gs", "wgi_default_share_eu", "note"])
    frame["ratio"] = frame["sr"] / frame["published_sr"]
    frame["difference"] = frame["sr"] - frame["published_sr"]
    frame["within_10pct"] = (frame["ratio"] - 1).abs() <= REPRODUCTION_RELATIVE + 1e-12
    frame["within_rounding"] = frame["difference"].abs() <= REPRODUCTION_TOLERANCE + 1e-9
    return tidy(frame, {"published_sr": "1 (EU SR scale)", "sr": "1 (EU SR scale)",
                        "ratio": "1", "hhi_wgi_t_gs": "0-10", "hhi_wgi_t_eu": "0-10",
                        "implied_hhi_gs": "0-10", "implied_hhi_eu": "0-10",
                        "wgi_default_share_gs": "fraction", "wgi_default_share_eu": "fraction",
                        "ir": "fraction", "eol_rir": "fraction", "si_sr": "1 (0-1)"},
                REFERENCE, tolerance=REPRODUCTION_RELATIVE)


def exporter_trade_parameters(controls: pd.DataFrame, at: str | dt.date | pd.Timestamp | None,
                              exporters: Iterable[str], commodities: Iterable[str],
                              groups: Mapping[str, str]) -> dict[str, float]:
    """:func:`trade_parameter` per exporter from the measures of ``controls`` in force on ``at``
    on exports of any of ``commodities`` to all destinations (``all``, ``all-except:...``)."""
    covered = list(commodities)
    t = {}
    for region in exporters:
        kinds: set[str] = set()
        for member in covered:
            found = in_force_rows(controls, at, dict(groups), commodity=member,
                                  exporter=str(region), destination="EU_ANY")
            kinds.update(str(row["measure"]) for _, row in found
                         if str(row.get("destinations")).startswith("all"))
        t[str(region)] = trade_parameter(kinds)
    return t


def _network_eu_sourcing(net: SupplyNetwork, commodities: list[str]) -> tuple[pd.Series, float]:
    """EU-sourcing shares of ``commodities`` in ``net`` ready for the EU method: the rest of the
    EU (``EU_OTHER``) scored as ``EU27``; other aggregate regions (``ROW``) left out of the HHI,
    as in the global-supply term."""
    shares, ir = eu_sourcing(net, commodities)
    regions = shared_table(net, "regions").astype(str).set_index("id")
    kind = regions["kind"] if "kind" in regions.columns else pd.Series(dtype=str)
    keep = [r for r in shares.index if r == "EU_OTHER" or kind.get(r, "country") != "aggregate"]
    return shares[keep].rename(index={"EU_OTHER": "EU27"}), ir if len(shares) else float("nan")


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
    table = shared_table(net, "commodities")
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
    stats = {str(c) for c in shared_table(net, "production")["commodity"]}
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
    """EU-method SR per stage from the dataset's shares and flows and the measures in force on ``at``.

    The unrounded EU method on spigot's own data, for any year the dataset has: the dataset's
    production shares (global supply) at each stage feed :math:`(HHI_{WGI,t})_{GS}`; the EU's
    sourcing (the output of nodes in ``EU27`` regions plus route volumes into them from outside,
    by origin) feeds :math:`(HHI_{WGI,t})_{EU}`, and the same flows give the EU's import
    reliance :math:`IR = (I - E)/(P + I - E)`; ``t`` per exporter comes from the measures in force
    on ``at`` with destination ``all`` (:func:`trade_parameter`); EoL-RIR and SI_SR are the EU's
    2023 inputs for the mapped material, and the basis (GS+EU or GS only) is the EU's for the
    stage. A stage without EU flows in the dataset falls back to global supply only (``basis``
    says so). The EU's published stage SR is shown beside it.

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
        ``commodity, material, stage, eu_stage, year, hhi_wgi, hhi_wgi_t, hhi_wgi_t_eu, ir,
        eol_rir, si_sr, sr, published_sr, basis, restricted_exporters`` (exporters with t > 1),
        ``wgi_missing`` (suppliers without WGI data, scored 5.0) and ``bottleneck`` (the stage
        with the highest SR per material). Rows of aggregate regions (``ROW``) are left out of
        the HHI; the rest of the EU (``EU_OTHER``) is scored with the mean WGI of the member
        states.

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
    table = shared_table(net, "controls") if controls is None else controls
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
            t = exporter_trade_parameters(table, at, s.index, covered, groups)
            wgi = wgi_scaled(s.index)
            si, eol = float(inputs["si_sr"]), float(inputs["eol_rir"])
            h_t = hhi_wgi_t(s, wgi, t)
            published_basis = inputs[f"basis_{eu_stage}"]
            eu, ir = _network_eu_sourcing(net, covered)
            if isinstance(published_basis, str) and published_basis != "GSonly" and len(eu) \
                    and np.isfinite(ir):
                basis, label = published_basis, f"{published_basis} (dataset shares and IR)"
            else:
                basis, label = "GSonly", "GS only (dataset shares)"
                if isinstance(published_basis, str) and published_basis != "GSonly":
                    label += "; no EU flows of this stage in the dataset"
            res: dict[str, Any] = {"sr": float("nan"), "hhi_wgi_t_eu": float("nan"),
                                   "wgi_default": []}
            if np.isfinite(si):
                res = stage_supply_risk(s, eu if len(eu) else None,
                                        ir=ir if np.isfinite(ir) else 1.0, eol_rir=eol,
                                        si_sr=si, basis=basis, t_gs=t, t_eu=t)
            missing = sorted({*wgi.attrs.get("missing", []), *list(res["wgi_default"])})
            rows.append({
                "commodity": comm, "material": material, "stage": stage, "eu_stage": eu_stage,
                "year": int(block["year"].max()), "hhi_wgi": hhi_wgi_t(s, wgi),
                "hhi_wgi_t": h_t, "hhi_wgi_t_eu": res["hhi_wgi_t_eu"], "ir": ir,
                "eol_rir": eol, "si_sr": si, "sr": res["sr"],
                "published_sr": float(inputs[f"sr_{eu_stage}"]),
                "basis": label,
                "restricted_exporters": ";".join(sorted(r for r, v in t.items() if v > 1)),
                "wgi_missing": ";".join(missing),
            })
    frame = pd.DataFrame(rows)
    if len(frame):
        frame["bottleneck"] = False
        for _, idx in frame.groupby("material").groups.items():
            best = frame.loc[idx, "sr"].astype(float)
            if best.notna().any():
                frame.loc[best.idxmax(), "bottleneck"] = True
    return tidy(frame, {"hhi_wgi": "0-10", "hhi_wgi_t": "0-10", "hhi_wgi_t_eu": "0-10",
                        "ir": "fraction", "sr": "1 (EU SR scale)",
                        "published_sr": "1 (EU SR scale)", "eol_rir": "fraction",
                        "si_sr": "1 (0-1)"}, REFERENCE)
