"""`run_replay`: run a built-in replay and compare it with what was observed.

The run keeps every draw's trajectories (``keep_trajectories`` = draws in the replay files), from
which monthly exports per draw are summed (:mod:`spigot.replays.monthly`); P5/P50/P95 are taken
across draws. Replays run a few hundred draws: the kept trajectories take draws x steps x record
size x 8 bytes (about 0.4 GB for replay-2010 at 200 draws) while the run lasts; the stored run
keeps the first :data:`STORED_TRAJECTORIES` of them. Markets (prices) are switched on where the
scenario model has the option.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Literal

import pandas as pd

from spigot import datasets
from spigot.replays.catalog import load_replay, replay_path
from spigot.replays.compare import (
    JPN_ALL_ORIGINS,
    JPN_IMPORTS_FROM_CHINA,
    Context,
    compare_exports,
    compare_japan,
    compare_prices,
    compare_quotas,
    evaluate_targets,
)
from spigot.replays.monthly import ALL, Flow, month_weights, monthly_flows, monthly_prices, quantile_frame
from spigot.replays.skill import skill as replay_skill
from spigot.results import Results
from spigot.scenarios.models import ExportBan, ExportLicence, ExportQuota, Scenario
from spigot.sim import simulate

__all__ = ["EXPORTER_ZONE", "JSON_SCHEMA_ID", "STORED_TRAJECTORIES", "ReplayResult", "run_replay"]

#: Identifies the layout of ``spigot replay --format json``; bumped only on breaking changes.
JSON_SCHEMA_ID = "spigot.replay/1"
#: The exporting zone whose exports the replay reports.
EXPORTER_ZONE = "china"
#: Kept trajectories saved with a replay in the run store.
STORED_TRAJECTORIES = 10
#: HS codes of the observed rare-earth trade group (metals, compounds, magnets).
RE_HS_GROUP = frozenset({"280530", "284690", "850511"})


@dataclasses.dataclass
class ReplayResult:
    """A replay run and its comparisons with the observed series.

    Attributes
    ----------
    name
        The replay's name.
    scenario
        The scenario as run (draws and seed applied).
    results
        The simulation results (all kept trajectories).
    exports
        Monthly exports from the exporting zone, t/month: ``month, commodity, destination, p5,
        p50, p95, mean`` (destination ``ALL`` = every destination outside the zone; commodity
        also ``rare_earths`` and ``rare_earths_hs``, see docs/validation.md).
    prices
        Monthly prices, USD/t: ``month, zone, commodity, p5, p50, p95``; None if the run has no
        prices.
    stoppages
        First stoppage per region x sector (``Results.metrics.first_stoppage()``).
    targets, japan, price_points, quotas, trade, trade_errors
        Comparisons (:mod:`spigot.replays.compare`); empty frames where nothing observed overlaps.
    seconds
        Wall time of the replay (simulation and comparisons), s.
    """

    name: str
    scenario: Scenario
    results: Results
    exports: pd.DataFrame
    prices: pd.DataFrame | None
    stoppages: pd.DataFrame
    targets: pd.DataFrame
    japan: pd.DataFrame
    price_points: pd.DataFrame
    quotas: pd.DataFrame
    trade: pd.DataFrame
    trade_errors: pd.DataFrame
    seconds: float
    skill: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def months(self) -> list[str]:
        """Reported months, ``YYYY-MM``."""
        return sorted(set(self.exports["month"])) if len(self.exports) else []

    def summary(self) -> dict[str, Any]:
        """Counts of targets passed and failed, and whether prices were available."""
        t = self.targets
        evaluated = t[t["status"] == "ok"] if len(t) else t
        return {
            "draws": self.results.draws,
            "months": len(self.months),
            "prices_available": self.prices is not None,
            "targets_evaluated": len(evaluated),
            "targets_passed": int(evaluated["passed"].sum()) if len(evaluated) else 0,
            "targets_failed": int((~evaluated["passed"].astype(bool)).sum()) if len(evaluated) else 0,
            "seconds": round(self.seconds, 3),
        }

    def document(self) -> dict[str, Any]:
        """The JSON document of ``spigot replay --format json`` (keys documented in docs/cli.md)."""
        return {
            "schema": JSON_SCHEMA_ID,
            "replay": self.name,
            "description": self.scenario.description,
            "manifest": self.results.manifest,
            "summary": self.summary(),
            "months": self.months,
            "units": {"exports": "t/month", "prices": "USD/t", "observed_prices": "USD/kg",
                      "first_stop_week": "week"},
            "exports": self.exports,
            "prices": self.prices,
            "stoppages": self.stoppages,
            "targets": self.targets,
            "skill": self.skill,
            "observed": {"japan_imports": self.japan, "prices": self.price_points,
                         "quotas": self.quotas, "trade_monthly": self.trade,
                         "trade_errors": self.trade_errors},
        }

    def stored_results(self) -> Results:
        """The results to keep in the run store: the first kept trajectories and the replay's
        name and target errors in the manifest."""
        data = self.results.data
        if "sample" in data.dims:
            data = data.isel(sample=slice(0, STORED_TRAJECTORIES))
        manifest = dict(self.results.manifest)
        stops = self.skill.get("stoppages", {})
        manifest["replay"] = {"name": self.name, "schema": JSON_SCHEMA_ID,
                              "summary": self.summary(),
                              "skill": {k: stops.get(k) for k in (
                                  "threshold_share", "pairs_scored", "hits", "misses",
                                  "false_alarms", "correct_quiet", "alarms_over_horizon")},
                              "targets": self.targets[["id", "observed", "simulated", "error",
                                                       "tolerance", "tolerance_kind", "passed",
                                                       "status"]].to_dict(orient="records")
                              if len(self.targets) else []}
        return Results(data, manifest)


def _flows(res: Results, dataset: str) -> tuple[list[Flow], dict[tuple[str, str], Flow]]:
    """Reported export flows and the extra flows the comparisons need."""
    world = datasets.load(dataset)
    zone = dict(zip(world.regions["id"], world.regions["zone"], strict=True))
    group = dict(zip(world.commodities["id"], world.commodities["group"], strict=True))
    hs = {c: set(str(v).split(";")) for c, v in zip(world.commodities["id"],
                                                   world.commodities["hs_codes"], strict=True)}
    ds = res.data
    exporter = [str(v) for v in ds["route_exporter"].values]
    dest = [str(v) for v in ds["route_destination"].values]
    comm = [str(v) for v in ds["route_commodity"].values]
    out = [k for k in range(len(comm))
           if zone.get(exporter[k]) == EXPORTER_ZONE and zone.get(dest[k]) != EXPORTER_ZONE]
    commodities = [c for c in world.commodities["id"] if any(comm[k] == c for k in out)]
    sets: list[tuple[str, set[str]]] = [(c, {c}) for c in commodities]
    re_group = {c for c in commodities if group.get(c) == "rare_earths"}
    if re_group:
        sets.append(("rare_earths", re_group))
    re_hs = {c for c in commodities if hs.get(c, set()) & RE_HS_GROUP}
    if re_hs:
        sets.append(("rare_earths_hs", re_hs))
    flows: list[Flow] = []
    for label, members in sets:
        routes = [k for k in out if comm[k] in members]
        flows.append(Flow(label, ALL, tuple(routes)))
        for d in sorted({dest[k] for k in routes}):
            flows.append(Flow(label, d, tuple(k for k in routes if dest[k] == d)))
    extra: dict[tuple[str, str], Flow] = {}
    all_re = {c for c in world.commodities["id"] if group.get(c) == "rare_earths"}
    into_jpn = [k for k in range(len(comm)) if dest[k] == "JPN" and exporter[k] != "JPN"
                and comm[k] in all_re]
    if into_jpn:
        # Japan's customs count imports on arrival: both Japan flows are shifted by transit.
        extra[("rare_earths", JPN_IMPORTS_FROM_CHINA)] = Flow(
            "rare_earths", JPN_IMPORTS_FROM_CHINA,
            tuple(k for k in into_jpn if zone.get(exporter[k]) == EXPORTER_ZONE), arrivals=True)
        extra[("rare_earths", JPN_ALL_ORIGINS)] = Flow("rare_earths", JPN_ALL_ORIGINS,
                                                       tuple(into_jpn), arrivals=True)
    return flows, extra


def _measure_starts(scen: Scenario) -> dict[str, list[pd.Timestamp]]:
    starts: dict[str, list[pd.Timestamp]] = {}
    for p in scen.policies:
        if isinstance(p, ExportLicence | ExportBan | ExportQuota):
            for c in p.commodities:
                starts.setdefault(c, []).append(pd.Timestamp(p.start or scen.start))
    return {c: sorted(v) for c, v in starts.items()}


def run_replay(name: str, draws: int | None = None, seed: int | None = None,
               engine: Literal["numba", "reference"] = "numba") -> ReplayResult:
    """Run built-in replay ``name`` and compare it with the bundled observed series.

    Parameters
    ----------
    name
        ``replay-2010``, ``replay-2023-gallium`` or ``replay-2025`` (:func:`replay_names`).
    draws, seed
        Override the replay's draws (default in its file) and seed; every draw's trajectory is
        kept.
    engine
        ``"numba"`` or ``"reference"``.

    Returns
    -------
    ReplayResult
        Monthly tables (exports t/month, prices USD/t), stoppages, comparisons and errors.

    Raises
    ------
    UnknownNameError
        If there is no such replay.
    """
    t0 = time.perf_counter()
    replay_path(name)
    scen = load_replay(name)
    options: dict[str, Any] = {"draws": draws, "seed": seed}
    if "markets" in Scenario.model_fields:
        options["markets"] = True
    scen = scen.with_options(**options)
    scen = scen.with_options(keep_trajectories=scen.draws)
    res = simulate(scen, engine=engine)
    res.check_conservation()
    months, weights = month_weights(scen.start, scen.steps, scen.step_weeks)
    flows, extra = _flows(res, scen.dataset)
    all_flows = [*flows, *extra.values()]
    transit = datasets.load(scen.dataset).compile(step_weeks=scen.step_weeks).route_transit_steps
    values = monthly_flows(res, all_flows, weights, [int(v) for v in transit])
    exports = quantile_frame(values[:, :, :len(flows)], months,
                             [{"commodity": f.commodity, "destination": f.destination}
                              for f in flows])
    exports.attrs["units"] = {"p5": "t/month", "p50": "t/month", "p95": "t/month",
                              "mean": "t/month"}
    prices = monthly_prices(res, months, weights)
    ctx = Context(months=months,
                  flows={(f.commodity, f.destination): values[:, :, j]
                         for j, f in enumerate(all_flows)},
                  prices=prices, measure_starts=_measure_starts(scen))
    stops = res.metrics.first_stoppage()
    stops = stops[["region", "sector", "share_stopped", "first_stop_date", "first_stop_week_p5",
                   "first_stop_week_p50", "first_stop_week_p95", "stopped_weeks_mean"]]
    trade, trade_errors = compare_exports(ctx)
    price_points = compare_prices(ctx)
    return ReplayResult(
        name=name, scenario=scen, results=res, exports=exports, prices=prices, stoppages=stops,
        targets=evaluate_targets(ctx), japan=compare_japan(ctx), price_points=price_points,
        quotas=compare_quotas(ctx), trade=trade, trade_errors=trade_errors,
        seconds=time.perf_counter() - t0,
        skill=replay_skill(name, res, trade_errors, price_points))


