"""The fluid engine beside the discrete licence model, on the same toy world and draws.

:data:`CASES` are the comparisons of docs/model.md ("Queue discipline and lumpiness"): a magnet
licence on China's exports in the bundled ``toy`` world. In ``toy`` itself one licensed route
feeds a region (``mag_chn_usa``; the USA also buys from Japan, ``mag_jpn_usa``); in
:func:`toy_two_importers` Japan also buys 5 t/yr of magnets from China, so two importers share the
review office. :func:`compare` runs a case in both models and summarises each with
:func:`summary`; ``benchmarks/discrete_licence.py`` prints the table.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from spigot import datasets
from spigot.network import SupplyNetwork
from spigot.results import Results
from spigot.scenarios import Scenario, load_text
from spigot.sim.engine import simulate
from spigot.validation.discrete import DiscreteRun, Filing, Lots, run_discrete

__all__ = ["CASES", "Case", "Granularity", "compare", "engine_run", "fluid_arrays", "summary", "toy_licence",
           "toy_two_importers"]

FloatArray = npt.NDArray[np.float64]
#: ``ExportLicence.granularity``.
Granularity = Literal["fluid", "applications", "auto"]

COMMODITY = "ndfeb_magnet"
USA, JPN = ("USA", COMMODITY), ("JPN", COMMODITY)


def toy_two_importers() -> SupplyNetwork:
    """The toy world with a second licensed importer: Japan buys 5 t/yr of magnets from China.

    Still balanced: China's magnet plant makes 65 t/yr (capacity 70) for China 50, the USA 10 and
    Japan 5; Japan's makes 15 (Japan 10, the USA 5); NdPr and Dy oxide follow the plants (0.3 and
    0.015 t per t of magnet). Capacities are raised (China's mine, separation and magnet plants to
    twice their output, Japan's magnet plant to 30 t/yr) so that suppliers can meet front-loaded
    orders, as the discrete model assumes. Japan's magnet stockpile is emptied (not in the
    discrete model).
    """
    toy = datasets.load("toy")
    tables = {name: frame.copy() for name, frame in toy.tables.items()}
    for name, frame in tables.items():
        frame.attrs = dict(toy.tables[name].attrs)
    nodes = tables["nodes"].set_index("id")
    nodes.loc["magnet_chn", "output"] = 65.0
    nodes.loc["magnet_jpn", "output"] = 15.0
    for node, capacity in (("mine_chn", 200.0), ("sep_chn", 240.0), ("magnet_chn", 130.0),
                           ("magnet_jpn", 60.0)):
        nodes.loc[node, "capacity"] = capacity
    tables["nodes"] = _with_attrs(nodes.reset_index(), tables["nodes"])
    routes = tables["routes"].set_index("id")
    for rid, volume in (("ndpr_chn", 19.5), ("ndpr_jpn", 4.5), ("dy_chn", 0.975),
                        ("dy_jpn", 0.225), ("mag_jpn_jpn", 10.0)):
        routes.loc[rid, "volume"] = volume
    extra = routes.loc[["mag_chn_usa"]].copy()
    extra.index = pd.Index(["mag_chn_jpn"], name="id")
    extra["destination"], extra["volume"], extra["transit_weeks"] = "JPN", 5.0, 2
    tables["routes"] = _with_attrs(pd.concat([routes, extra]).reset_index(), tables["routes"])
    tables["stockpiles"]["quantity"] = 0.0
    return SupplyNetwork(tables, name="toy-two-importers")


def _with_attrs(frame: pd.DataFrame, like: pd.DataFrame) -> pd.DataFrame:
    frame.attrs = dict(like.attrs)
    return frame


def toy_licence(processing: str = "30", approval: str = "1.0", capacity: float | None = None,
                shipment_t: float = 0.05, horizon_weeks: int = 52) -> str:
    """YAML of a magnet licence on China's exports in the toy world (flows only).

    ``processing`` and ``approval`` are YAML values (a number or a distribution) of the
    processing time in days and of the approval odds; ``capacity`` the review office's
    applications per week (``None``: unlimited, written as 1e9), each of ``shipment_t`` tonnes of
    magnet (the USA's 10 t/yr from China are 3.83 applications a week of 0.05 t).
    """
    per_week = 1e9 if capacity is None else capacity
    return (f"name: toy-discrete\ndataset: toy\nstart: 2025-01-06\nhorizon_weeks: {horizon_weeks}\n"
            "markets: false\nkeep_trajectories: 4\npolicies:\n"
            "  - type: ExportLicence\n    id: lic\n    exporter: CHN\n"
            "    commodities: [ndfeb_magnet]\n    start: 2025-02-03\n"
            f"    processing_time: {{distribution: {processing}, unit: days}}\n"
            f"    approval: {{default: {approval}}}\n"
            "    refile_weeks: null\n"
            f"    review_capacity: {{applications_per_week: {per_week:g}, "
            f"shipment_t: {{ndfeb_magnet: {shipment_t}}}}}\n")


@dataclasses.dataclass(frozen=True)
class Case:
    """A comparison: the scenario text, its world, how the discrete model files orders.

    ``exact``: the two models must agree to rounding (deterministic decisions, a review capacity
    that never binds, ``lots="split"``).
    """

    text: str
    note: str
    lots: Lots = "whole"
    filing: Filing = "random"
    two_importers: bool = False
    exact: bool = False

    def scenario(self, granularity: Granularity = "fluid") -> Scenario:
        """The case's scenario, its licence deciding with ``granularity`` (the discrete model
        ignores it: it always decides whole applications)."""
        text = self.text
        if granularity != "fluid":
            anchor = "    review_capacity:"  # every case's licence has one (toy_licence)
            if anchor not in text:
                raise ValueError(f"case {self.note!r}: no licence review_capacity line to put "
                                 f"granularity {granularity!r} beside")
            text = text.replace(anchor, f"    granularity: {granularity}\n{anchor}")
        return load_text(text)

    def network(self) -> SupplyNetwork | None:
        return toy_two_importers() if self.two_importers else None

    @property
    def buffers(self) -> list[tuple[str, str]]:
        return [USA, JPN] if self.two_importers else [USA]


_LOW_ODDS = "{dist: uniform, low: 0.1, high: 0.5}"
_LOGNORMAL = "{dist: lognormal, median: 30, sigma: 0.4, min: 5, max: 60}"


def _odds_case(shipment_t: float) -> Case:
    per_week = 10.0 / 52.1775 / shipment_t
    return Case(toy_licence("60", _LOW_ODDS, shipment_t=shipment_t),
                f"odds U(0.1, 0.5) per draw, 60 days, {shipment_t:g} t applications "
                f"(USA files {per_week:.2g} a week)")


#: The comparisons of docs/model.md, by name (the USA's 10 t/yr of magnets from China are 0.19
#: t a week: 3.8 applications of 0.05 t).
CASES: dict[str, Case] = {
    "exact-approve": Case(toy_licence("60", "1.0"), "odds 1, 60 days, no review limit",
                          lots="split", exact=True),
    "exact-deny": Case(toy_licence("30", "0.0"), "odds 0, 30 days, no review limit",
                       lots="split", exact=True),
    "exact-slack": Case(toy_licence("60", "1.0", capacity=60),
                        "odds 1, 60 days, 60 applications/week (never binds)", lots="split",
                        exact=True),
    "exact-two": Case(toy_licence("30", "1.0", capacity=60),
                      "two importers, odds 1, 30 days, 60 applications/week", lots="split",
                      two_importers=True, exact=True),
    "capacity-6": Case(toy_licence("60", "1.0", capacity=6),
                       "odds 1, 60 days, 6 applications/week of 0.05 t (front-loading binds)"),
    "capacity-6-split": Case(toy_licence("60", "1.0", capacity=6),
                             "as capacity-6, remainders filed as small applications",
                             lots="split"),
    "two-capacity-4": Case(toy_licence("30", "1.0", capacity=4, horizon_weeks=104),
                           "two importers (5.8 applications/week), capacity 4, 104 weeks",
                           two_importers=True),
    "two-capacity-4-route": Case(toy_licence("30", "1.0", capacity=4, horizon_weeks=104),
                                 "as two-capacity-4, a week's filings queued route by route",
                                 filing="route", two_importers=True),
    "two-capacity-3": Case(toy_licence("30", "1.0", capacity=3, horizon_weeks=104),
                           "two importers, capacity 3, 104 weeks", two_importers=True),
    "two-capacity-3-route": Case(toy_licence("30", "1.0", capacity=3, horizon_weeks=104),
                                 "as two-capacity-3, filings queued route by route",
                                 filing="route", two_importers=True),
    "odds-low-1t": _odds_case(1.0),
    "odds-low-0.25t": _odds_case(0.25),
    "odds-low-0.05t": _odds_case(0.05),
    "odds-low-0.01t": _odds_case(0.01),
    "odds-0.2-0.05t": Case(toy_licence("30", "0.2"), "odds 0.2, 30 days, 0.05 t applications"),
    "odds-0.2-0.01t": Case(toy_licence("30", "0.2", shipment_t=0.01),
                           "odds 0.2, 30 days, 0.01 t applications (19 a week)"),
    "lognormal-1t": Case(toy_licence(_LOGNORMAL, "1.0", shipment_t=1.0),
                         "odds 1, processing lognormal (median 30 days) per application, 1 t"),
    "lognormal-0.05t": Case(toy_licence(_LOGNORMAL, "1.0"),
                            "as lognormal-1t, 0.05 t applications"),
}


def summary(first_stop: FloatArray, stopped_weeks: FloatArray, lost_usd: FloatArray
            ) -> dict[str, float]:
    """Share of draws that stop, mean stopped weeks, first stop week (P50 and mean over the draws
    that stop; NaN if none does), mean lost output (USD m), for one sector over draws (D,)."""
    stops = ~np.isnan(first_stop)
    return {
        "share_stopping": float(stops.mean()),
        "stopped_weeks_mean": float(stopped_weeks.mean()),
        "first_stop_p50": float(np.median(first_stop[stops])) if stops.any() else float("nan"),
        "first_stop_mean": float(first_stop[stops].mean()) if stops.any() else float("nan"),
        "lost_usd_m_mean": float(lost_usd.mean() / 1e6),
    }


def fluid_arrays(res: Results, sector: str) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``first_stop_week``, ``stopped_weeks`` and ``lost_output_usd`` of one sector (D,)."""
    ds = res.data
    i = [str(s) for s in ds["sector"].values].index(sector)
    return (np.asarray(ds["first_stop_week"].values[:, i], dtype=float),
            np.asarray(ds["stopped_weeks"].values[:, i], dtype=float),
            np.asarray(ds["lost_output_usd"].values[:, i], dtype=float))


def discrete_arrays(run: DiscreteRun, sector: str) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The same three arrays from the discrete model."""
    i = run.sector(sector)
    return run.first_stop_week[:, i], run.stopped_weeks[:, i], run.lost_usd[:, i]


def compare(case: Case, draws: int, seed: int = 0,
            engine: Literal["numba", "reference"] = "numba",
            granularity: Granularity = "fluid") -> tuple[Results, DiscreteRun]:
    """Run ``case`` in the engine (its licence deciding with ``granularity``) and in the
    discrete model on the same draws."""
    scen, net = case.scenario(granularity), case.network()
    res = _engine(scen, net, draws, seed, engine)
    disc = run_discrete(scen, case.buffers, draws=draws, seed=seed, lots=case.lots,
                        filing=case.filing, network=net)
    return res, disc


def engine_run(case: Case, draws: int, seed: int = 0,
               engine: Literal["numba", "reference"] = "numba",
               granularity: Granularity = "fluid") -> Results:
    """Run ``case`` in the engine alone, its licence deciding with ``granularity``."""
    return _engine(case.scenario(granularity), case.network(), draws, seed, engine)


def _engine(scen: Scenario, net: SupplyNetwork | None, draws: int, seed: int,
            engine: Literal["numba", "reference"]) -> Results:
    """The engine's run of a case's scenario, conservation checked."""
    res = simulate(scen, draws=draws, seed=seed, engine=engine, network=net)
    res.check_conservation()
    return res
