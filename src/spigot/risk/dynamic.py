r"""Dynamic criticality: the static indices as time series of a simulation run.

Per period :math:`p` (each step, month or year) of a run, from what the run shipped
(:mod:`spigot.risk._runflows`: activity index :math:`a_r(p)` of each region = its shipments over
their base level):

- **HHI of actual supply** per commodity and stage: the static shares :math:`s_i` (published
  statistics, else base node output; :func:`~spigot.risk.stage_shares`) moved by the activity of
  the network region holding each country,
  :math:`s_i(p) = s_i\,a_{r(i)}(p) / \big(\sum_j s_j\,a_{r(j)}(p) + u\,a_{ROW}(p)\big)` with
  :math:`u = 1 - \sum_j s_j` the unlisted remainder; then :math:`HHI(p) = \sum_i s_i(p)^2` over
  countries (aggregates left out, as in the static index).
- **Net import reliance** per importer (a region or a group such as ``EU27``) and commodity:
  :math:`NIR = (I - E + \Delta S^-)/(P + I - E + \Delta S^-)` with :math:`I, E` the t shipped
  across the importer's border in the period, :math:`P` base production times the activity of
  the importer's own shipments of the commodity, and :math:`\Delta S^-` the draw-down of its
  sectors' stocks.
- **EU supply risk with the regime's effect**: the EU method (:func:`stage_supply_risk`) with
  the global-supply shares of the period, EU sourcing and IR from the period's flows into
  ``EU27`` and :math:`t_i` from the measures in force in the period: the dataset's standing
  measures (as ``spigot risk``) plus the run's scenario policies.

At base (a run with no measure, activity 1) every index equals the static one. Equations,
units and tolerances: ``docs/metrics.md`` section 7.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import yaml

from spigot.errors import InputError, Problem
from spigot.network import SupplyNetwork
from spigot.risk._common import commodity_groups, reference_table, resolve_region, tidy
from spigot.risk._flows import regional_production
from spigot.risk._runflows import RunFlows, catch_all, groups_of, region_of
from spigot.risk.concentration import stage_shares
from spigot.risk.eu_supply_risk import (
    EU_STAGE,
    _material_blocks,
    _stage_members,
    eu_2023_results,
    eu_wgi,
    exporter_trade_parameters,
    stage_supply_risk,
)

__all__ = ["POLICY_MEASURES", "criticality", "dynamic_concentration", "dynamic_reliance",
           "dynamic_supply_risk", "policies_as_controls"]

logger = logging.getLogger(__name__)

#: Scenario policy type -> the ``measure`` of a controls row (for the trade parameter).
POLICY_MEASURES: dict[str, str] = {"ExportLicence": "licence", "ExportQuota": "quota",
                                   "ExportBan": "ban", "ExportTax": "tax"}

REFERENCE = ("spigot dynamic criticality: static indices (docs/metrics.md sections 1, 3, 4) on "
             "the flows a run shipped in each period (docs/metrics.md section 7)")


def _frame_units(unit: str) -> dict[str, str]:
    return {"hhi": "1 (0-1)", "hhi_points": "points (0-10,000)", "cr1": "fraction of world",
            "top_share": "fraction of world", "hhi_base": "1 (0-1)",
            "coverage": "fraction of world", "time": f"start of the {unit}"}


# --------------------------------------------------------------------- concentration
def _moved_shares(block: pd.DataFrame, flows: RunFlows, net: SupplyNetwork, members: list[str],
                  stage: str) -> tuple[pd.DataFrame, list[str]]:
    """(period x region) shares of world supply of one (commodity, stage) block, each static
    share moved by its network region's activity; and the regions kept at base."""
    holder = region_of(net)
    rest = catch_all(net)
    shares = block.groupby("region")["share"].sum().astype(float)
    shares = shares[np.isfinite(shares.to_numpy())]
    activity: dict[str, np.ndarray] = {}
    at_base: list[str] = []
    places = {r: holder.get(r, rest or r) for r in shares.index}
    for place in {*places.values(), *([rest] if rest else [])}:
        a, defined = flows.activity(flows.mask(commodities=members, stage=stage,
                                               origins=[place]))
        activity[str(place)] = a
        if not defined and place in places.values():
            at_base.append(str(place))
    weights = pd.DataFrame({r: s * activity[str(places[r])] for r, s in shares.items()})
    remainder = max(0.0, 1.0 - float(shares.sum()))
    world = weights.sum(axis=1).to_numpy()
    if remainder > 0:
        world = world + remainder * (activity[rest] if rest else 1.0)
    out = weights.div(np.where(world > 0, world, np.nan), axis=0)
    return out, sorted(at_base)


def _members(net: SupplyNetwork, commodity: str) -> list[str]:
    groups = commodity_groups(net)
    return sorted({c for c, g in groups.items() if c == commodity or g == commodity}) or [
        commodity]


def dynamic_concentration(run: Any, net: SupplyNetwork, commodity: str | None = None,
                          stage: str | None = None, *, period: str = "step",
                          year: int | None = None) -> pd.DataFrame:
    """HHI of actual supply per commodity, stage and period of a run.

    Parameters
    ----------
    run
        A :class:`~spigot.results.Results`, a stored run, or its ``xarray.Dataset``.
    net
        The network the run ran on.
    commodity, stage, year
        As in :func:`~spigot.risk.concentration`.
    period
        ``step`` (each step of the run), ``month`` or ``year`` (flows summed first).

    Returns
    -------
    pandas.DataFrame
        ``time, commodity, stage, hhi, hhi_points, cr1, top_supplier, top_share, coverage,
        hhi_base, at_base, source``; ``hhi_base`` is the static index, ``at_base`` the regions
        without base shipments at the stage (kept at their base share). Units in
        ``attrs["units"]``.
    """
    flows = RunFlows.of(run, net, period)
    shares = stage_shares(net, commodity, stage, year)
    rows = []
    for (comm, stg), block in shares.groupby(["commodity", "stage"], sort=False):
        moved, at_base = _moved_shares(block, flows, net, _members(net, str(comm)), str(stg))
        aggregate = set(block.loc[block["aggregate"], "region"].astype(str))
        countries = [c for c in moved.columns if c not in aggregate]
        base = block[~block["aggregate"]]["share"].astype(float)
        values = moved[countries].to_numpy(dtype=float)
        values = np.where(values > 0, values, 0.0)
        for i, when in enumerate(flows.times):
            row = values[i]
            top = int(np.argmax(row)) if row.size else -1
            rows.append({"time": when, "commodity": comm, "stage": stg,
                         "hhi": float(np.sum(row**2)), "cr1": float(row[top]) if top >= 0
                         else np.nan, "top_supplier": countries[top] if top >= 0 else "",
                         "top_share": float(row[top]) if top >= 0 else np.nan,
                         "coverage": float(moved.iloc[i].sum()),
                         "hhi_base": float(np.sum(base.to_numpy() ** 2)),
                         "at_base": ";".join(at_base),
                         "source": "; ".join(sorted({str(s) for s in block["source"]}))})
    frame = pd.DataFrame(rows, columns=["time", "commodity", "stage", "hhi", "cr1",
                                        "top_supplier", "top_share", "coverage", "hhi_base",
                                        "at_base", "source"])
    frame.insert(4, "hhi_points", frame["hhi"] * 10_000)
    return tidy(frame, _frame_units(flows.unit), REFERENCE, period=period)


# --------------------------------------------------------------------- reliance
def _importers(net: SupplyNetwork, importer: str | None) -> dict[str, list[str]]:
    groups = groups_of(net)
    if importer is not None:
        if importer in groups:
            return {importer: groups[importer]}
        resolve_region(net, importer, extra=groups)
        return {importer: [importer]}
    regions = {str(r): [str(r)] for r in net.regions["id"]}
    return {**regions, **groups}


def dynamic_reliance(run: Any, net: SupplyNetwork, importer: str | None = None,
                     commodity: str | None = None, *, period: str = "step") -> pd.DataFrame:
    """Net import reliance per importer, commodity and period of a run (USGS definition).

    Parameters
    ----------
    run, net, period
        As in :func:`dynamic_concentration`.
    importer
        A region id or a group of the regions table (``EU27``); every region and group if
        ``None``.
    commodity
        A commodity id or group (its members); all if ``None``.

    Returns
    -------
    pandas.DataFrame
        ``time, weeks, importer, commodity, unit, production, imports, exports,
        stock_release, apparent_consumption, nir, net_exporter, nir_base``: volumes in t per
        period (``weeks`` of the run in it) in the commodity's basis (``unit``); ``nir`` NaN
        for a net exporter (the USGS prints "E") or without apparent consumption, negative
        where the importer's stocks grow by more than its net imports; ``nir_base`` the static
        value at base.
    """
    flows = RunFlows.of(run, net, period)
    wanted = _importers(net, importer)
    comms = sorted(set(flows.routes["commodity"]))
    if commodity is not None:
        comms = [c for c in comms if c in set(_members(net, commodity))]
    prod = regional_production(net).set_index(["region", "commodity"])["production"]
    basis = net.commodities.astype(str).set_index("id")["basis"].to_dict()
    rows = []
    for name, members in wanted.items():
        for comm in comms:
            mine = flows.mask(commodities=[comm], origins=members)
            imp = flows.shipped(flows.mask(commodities=[comm], destinations=members,
                                           not_origins=members))
            exp = flows.shipped(flows.mask(commodities=[comm], origins=members,
                                           not_destinations=members))
            base_p = sum(float(prod.get((m, comm), 0.0)) for m in members)
            if not base_p and not imp.any() and not exp.any() and not flows.base(mine).any():
                continue
            a, _ = flows.activity(mine)
            per_period = base_p * flows.step_weeks / (365.25 / 7) * flows.steps
            p = per_period * a
            s = flows.stock_release(members, comm)
            ac = p + imp - exp + s
            with np.errstate(divide="ignore", invalid="ignore"):
                nir = np.where(ac > 0, (imp - exp + s) / ac, np.nan)
            b_imp = flows.base(flows.mask(commodities=[comm], destinations=members,
                                          not_origins=members))
            b_exp = flows.base(flows.mask(commodities=[comm], origins=members,
                                          not_destinations=members))
            b_ac = per_period + b_imp - b_exp
            with np.errstate(divide="ignore", invalid="ignore"):
                nir_base = np.where((b_ac > 0) & (b_exp <= b_imp), (b_imp - b_exp) / b_ac,
                                    np.nan)
            unit = f"t {basis.get(comm, '')}/{flows.unit}".replace("t /", "t/")
            for i, when in enumerate(flows.times):
                exporter = bool(exp[i] > imp[i])
                rows.append({"time": when, "weeks": float(flows.steps[i] * flows.step_weeks),
                             "importer": name, "commodity": comm, "unit": unit,
                             "production": p[i], "imports": imp[i], "exports": exp[i],
                             "stock_release": s[i], "apparent_consumption": ac[i],
                             "nir": np.nan if exporter else float(nir[i]),
                             "net_exporter": exporter, "nir_base": float(nir_base[i])})
    per_row = "per row (column unit)"
    return tidy(pd.DataFrame(rows, columns=[
        "time", "weeks", "importer", "commodity", "unit", "production", "imports", "exports",
        "stock_release", "apparent_consumption", "nir", "net_exporter", "nir_base"]),
        {"production": per_row, "imports": per_row, "exports": per_row,
         "stock_release": per_row, "apparent_consumption": per_row, "weeks": "week",
         "nir": "fraction of apparent consumption", "nir_base": "fraction of apparent "
         "consumption", "time": f"start of the {flows.unit}"}, REFERENCE, period=period)


# --------------------------------------------------------------------- measures
def _destinations(value: Any) -> str:
    if isinstance(value, Mapping):
        listed = value.get("all_except") or []
        return "all-except:" + ";".join(str(v) for v in listed)
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value or "all")


def policies_as_controls(scenario: Any) -> pd.DataFrame:
    """A scenario's trade policies as rows of the ``controls`` schema.

    ``scenario``: a :class:`~spigot.scenarios.Scenario`, its YAML text, or a mapping with
    ``policies`` (and ``start``). Licences, quotas, bans and taxes become ``licence``, ``quota``,
    ``ban`` and ``tax`` rows from their ``start`` (the scenario's start if none) to their
    ``end`` (open if none; a fixed ``duration_weeks`` sets it). Stochastic timing
    (``probability``, ``hazard_per_year``, a duration distribution) is read at its nominal
    dates: the row's ``note`` says so.
    """
    if scenario is None:
        doc: Mapping[str, Any] = {}
    elif isinstance(scenario, str):
        try:
            loaded = yaml.safe_load(scenario) or {}
        except yaml.YAMLError:
            loaded = {}
        doc = loaded if isinstance(loaded, Mapping) else {}
    elif isinstance(scenario, Mapping):
        doc = scenario
    else:
        doc = scenario.model_dump(mode="json")
    start = doc.get("start")
    rows = []
    for p in doc.get("policies") or []:
        if not isinstance(p, Mapping) or p.get("type") not in POLICY_MEASURES:
            continue
        begin = p.get("start") or start
        end = p.get("end")
        duration = p.get("duration_weeks")
        if isinstance(duration, int | float) and begin:
            end = dt.date.fromisoformat(str(begin)) + dt.timedelta(weeks=float(duration))
        stochastic = [k for k in ("probability", "hazard_per_year") if p.get(k) is not None]
        if isinstance(duration, Mapping):
            stochastic.append("duration_weeks")
        rows.append({"id": str(p.get("id", "")), "exporter": str(p.get("exporter", "")),
                     "commodities": ";".join(str(c) for c in p.get("commodities") or []),
                     "measure": POLICY_MEASURES[str(p["type"])],
                     "destinations": _destinations(p.get("destinations")),
                     "end_use": "all", "start": str(begin or ""), "end": str(end or ""),
                     "status": "scenario", "source": "run scenario",
                     "note": ("nominal dates; stochastic " + ", ".join(stochastic))
                     if stochastic else ""})
    return pd.DataFrame(rows, columns=["id", "exporter", "commodities", "measure",
                                       "destinations", "end_use", "start", "end", "status",
                                       "source", "note"])


def _controls(net: SupplyNetwork, scenario: Any) -> pd.DataFrame:
    standing = net.table("controls")
    extra = policies_as_controls(scenario)
    if not len(extra):
        return standing
    return pd.concat([standing, extra.reindex(columns=standing.columns)], ignore_index=True)


# --------------------------------------------------------------------- supply risk
def _eu_sourcing(flows: RunFlows, net: SupplyNetwork, covered: list[str], eu: list[str]
                 ) -> tuple[list[pd.Series], np.ndarray]:
    """Per period: EU-sourcing shares (EU production by EU region, ``EU_OTHER`` as ``EU27``,
    plus imports by non-aggregate origin) and the EU's IR clipped to 0-1."""
    prod = regional_production(net)
    prod = prod[prod["commodity"].isin(covered) & prod["region"].isin(eu)]
    produced = {}
    for region, block in prod.groupby("region"):
        a, _ = flows.activity(flows.mask(commodities=covered, origins=[str(region)]))
        per = float(block["production"].sum()) * flows.step_weeks / (365.25 / 7) * flows.steps
        produced[str(region)] = per * a
    imports = flows.by(flows.mask(commodities=covered, destinations=eu, not_origins=eu),
                       "origin")
    exports = flows.shipped(flows.mask(commodities=covered, origins=eu, not_destinations=eu))
    kinds = net.regions.astype(str).set_index("id")["kind"].to_dict()
    origins = [str(o) for o in imports.columns]
    imported = imports.to_numpy(dtype=float) if imports.shape[1] else np.zeros(
        (len(flows.times), 0))
    out, irs = [], np.full(len(flows.times), np.nan)
    for i in range(len(flows.times)):
        parts = {r: float(v[i]) for r, v in produced.items()}
        for j, origin in enumerate(origins):
            parts[origin] = parts.get(origin, 0.0) + float(imported[i, j])
        series = pd.Series(parts, dtype=float)
        series = series[series > 0]
        total = float(series.sum())
        p_eu = sum(float(v[i]) for v in produced.values())
        i_eu = float(imported[i].sum())
        consumption = p_eu + i_eu - float(exports[i])
        if consumption > 0:
            irs[i] = min(max((i_eu - float(exports[i])) / consumption, 0.0), 1.0)
        shares = series / total if total > 0 else series
        keep = [r for r in shares.index if r == "EU_OTHER" or kinds.get(r, "country")
                != "aggregate"]
        out.append(shares[keep].rename(index={"EU_OTHER": "EU27"}))
    return out, irs


def _in_force_keys(table: pd.DataFrame, times: pd.DatetimeIndex) -> list[tuple[int, ...]]:
    """Per period, the rows of ``table`` in force at its start (the regime's identity)."""
    def dates(column: str) -> np.ndarray:
        text = [str(v or "").strip() for v in table[column]]
        return np.array([np.datetime64(v) if v and v != "nan" else np.datetime64("NaT")
                         for v in text], dtype="datetime64[ns]")

    start, end = dates("start"), dates("end")
    out = []
    for when in times.to_numpy():
        live = (start <= when) & (np.isnat(end) | (when < end))
        out.append(tuple(int(i) for i in np.flatnonzero(live)))
    return out


def dynamic_supply_risk(run: Any, net: SupplyNetwork, commodity: str | None = None, *,
                        scenario: Any = None, period: str = "step",
                        year: int | None = None) -> pd.DataFrame:
    """EU-method supply risk per material, stage and period of a run, with the regime's effect.

    Parameters
    ----------
    run, net, period, year
        As in :func:`dynamic_concentration`.
    commodity
        A commodity id or group mapped to EU materials; every mapped commodity of ``net`` (its
        groups and the ids with their own statistics) if ``None``.
    scenario
        The run's scenario (model, YAML text or mapping): its trade policies count in
        :math:`t_i` from their dates on, beside the dataset's standing measures.

    Returns
    -------
    pandas.DataFrame
        ``time, commodity, material, stage, eu_stage, hhi_wgi_t, hhi_wgi_t_eu, ir, eol_rir,
        si_sr, sr, basis, restricted_exporters``; as :func:`~spigot.risk.eu_supply_risk` per
        period.
    """
    flows = RunFlows.of(run, net, period)
    table = _controls(net, scenario)
    groups = commodity_groups(net)
    eu = groups_of(net).get("EU27", [])
    mapping = reference_table("eu_material_map")
    present = set(groups) | set(groups.values())
    if commodity is None:
        wanted = [c for c in dict.fromkeys(mapping["commodity"].astype(str))
                  if c in present and c == groups.get(c, c)]
    else:
        wanted = [commodity]
    keys = _in_force_keys(table, flows.times)
    rows = []
    for comm_asked in wanted:
        for material in [str(m) for m in mapping.loc[mapping["commodity"] == comm_asked,
                                                     "eu_material"]]:
            inputs = eu_2023_results(material).iloc[0]
            si, eol = float(inputs["si_sr"]), float(inputs["eol_rir"])
            for comm, stage, block in _material_blocks(net, comm_asked, material, year):
                eu_stage = EU_STAGE.get(str(stage))
                if eu_stage is None:
                    continue
                covered = _stage_members(net, str(comm), str(stage))
                moved, _ = _moved_shares(block, flows, net, _members(net, str(comm)), str(stage))
                aggregate = set(block.loc[block["aggregate"], "region"].astype(str))
                countries = [c for c in moved.columns if c not in aggregate]
                sourcing, irs = _eu_sourcing(flows, net, covered, eu) if eu else (
                    [pd.Series(dtype=float)] * len(flows.times), np.full(len(flows.times),
                                                                        np.nan))
                published = inputs[f"basis_{eu_stage}"]
                wgi = eu_wgi(sorted({*countries, *(r for e in sourcing for r in e.index)}))
                missing = set(wgi.attrs.get("missing", []))
                cache: dict[tuple[int, ...], dict[str, float]] = {}
                for i, when in enumerate(flows.times):
                    if keys[i] not in cache:
                        cache[keys[i]] = exporter_trade_parameters(table, when, countries, covered,
                                                                   groups)
                    t = cache[keys[i]]
                    s = moved.iloc[i][countries].astype(float)
                    s = s[np.isfinite(s.to_numpy())]
                    eu_s, ir = sourcing[i], float(irs[i])
                    use_eu = isinstance(published, str) and published != "GSonly" and len(
                        eu_s) and np.isfinite(ir)
                    basis = str(published) if use_eu else "GSonly"
                    t_all = {**t, **{r: t.get(r, 1.0) for r in eu_s.index}}
                    used = {*s.index, *(eu_s.index if use_eu else [])}
                    res: dict[str, Any] = {"sr": np.nan, "hhi_wgi_t_gs": np.nan,
                                           "hhi_wgi_t_eu": np.nan}
                    if np.isfinite(si) and len(s):
                        res = stage_supply_risk(s, eu_s if use_eu else None,
                                                ir=ir if np.isfinite(ir) else 1.0,
                                                eol_rir=eol, si_sr=si, basis=basis, t_gs=t,
                                                t_eu=t_all, wgi=wgi)
                    rows.append({"time": when, "commodity": comm, "material": material,
                                 "stage": stage, "eu_stage": eu_stage,
                                 "hhi_wgi_t": res["hhi_wgi_t_gs"],
                                 "hhi_wgi_t_eu": res["hhi_wgi_t_eu"], "ir": ir,
                                 "eol_rir": eol, "si_sr": si, "sr": res["sr"], "basis": basis,
                                 "restricted_exporters": ";".join(
                                     sorted(r for r, v in t.items() if v > 1)),
                                 "wgi_missing": ";".join(sorted(missing & used))})
    return tidy(pd.DataFrame(rows, columns=[
        "time", "commodity", "material", "stage", "eu_stage", "hhi_wgi_t", "hhi_wgi_t_eu", "ir",
        "eol_rir", "si_sr", "sr", "basis", "restricted_exporters", "wgi_missing"]),
        {"hhi_wgi_t": "0-10", "hhi_wgi_t_eu": "0-10", "ir": "fraction",
         "eol_rir": "fraction", "si_sr": "1 (0-1)", "sr": "1 (EU SR scale)",
         "time": f"start of the {flows.unit}"}, REFERENCE, period=period)


def criticality(run: Any, net: SupplyNetwork, *, scenario: Any = None, period: str = "step",
                indices: Sequence[str] = ("hhi", "reliance", "supply_risk", "crma")
                ) -> dict[str, pd.DataFrame]:
    """Every dynamic index of a run: ``{"hhi", "reliance", "supply_risk", "crma"}`` frames
    (:func:`dynamic_concentration`, :func:`dynamic_reliance`, :func:`dynamic_supply_risk`,
    :func:`~spigot.risk.crma.crma_benchmarks`), each with units in ``attrs``."""
    from spigot.risk.crma import crma_benchmarks

    makers = {"hhi": lambda: dynamic_concentration(run, net, period=period),
              "reliance": lambda: dynamic_reliance(run, net, period=period),
              "supply_risk": lambda: dynamic_supply_risk(run, net, scenario=scenario,
                                                         period=period),
              "crma": lambda: crma_benchmarks(run, net, period=period)}
    unknown = [name for name in indices if name not in makers]
    if unknown:
        raise InputError(Problem("unknown index", field="indices", value=unknown[0],
                                 expected=" or ".join(makers)))
    return {name: makers[name]() for name in indices}
