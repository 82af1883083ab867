"""Turn a scenario's policies into arrays the engine reads: all randomness is drawn here.

:class:`PolicyPlan` is built once per run from a scenario and a compiled network: which routes each
measure covers, in which order measures take precedence, and how stochastic parameters are sampled.
:meth:`PolicyPlan.sample_block` then draws the per-draw parameters of one fixed-size block of draws
from that block's own random stream, so a draw's parameters do not depend on how draws are chunked
nor on which engine runs them.

Each policy kind (:mod:`spigot.scenarios.kinds`) says which measures it makes and how it samples
them; the plan handles what all share: the timing windows, suspensions, announcements and the
route index. Engine kinds (``KIND_IDS``): ``LICENCE`` (a licence regime or one of its fast
tracks), ``BAN``, ``QUOTA``, ``TAX`` (a price wedge kept for the market phase; it does not move
flows by itself) and ``RELEASE`` (a strategic stockpile's release window).
"""

# ruff: noqa: N803, N806 - sizes are named as in the docs (N nodes, C commodities, ...)
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from spigot.errors import Problem, ScenarioError, did_you_mean
from spigot.market.parameters import MarketParams
from spigot.market.supply import committed_starts, sample_project_starts
from spigot.network.compiled import CompiledNetwork
from spigot.scenarios.dists import sample_param
from spigot.scenarios.kinds import (
    END_USES,
    KIND_IDS,
    AllExcept,
    ExportLicence,
    Measure,
    SampleArrays,
    Suspension,
    by_name,
    date_to_step,
)
from spigot.scenarios.kinds._base import Sampler, Timed, Trade
from spigot.scenarios.kinds.export_licence import (
    announced_lead,
    fast_track_measure,
    kernel_length,
    processing_kernel,
)
from spigot.scenarios.models import Scenario
from spigot.scenarios.reactions import ACTIONS, TRIGGERS, Action, Reaction, action_name, trigger_name
from spigot.units import WEEKS_PER_YEAR

__all__ = ["BAN", "LICENCE", "QUOTA", "RELEASE", "TAX", "BlockParams", "PolicyPlan",
           "block_seed", "decimal_year"]

#: Trigger and action ids the engines branch on (:mod:`spigot.scenarios.reactions`).
(TR_DATE, TR_STARTS, TR_ENDS, TR_CHANCE, TR_PRICE_ABOVE, TR_PRICE_BELOW, TR_COVER, TR_PILE,
 TR_REVENUE) = (TRIGGERS[k][0] for k in (
    "date", "policy_starts", "policy_ends", "probability_per_week", "price_above",
    "price_below", "cover_below", "stockpile_below", "revenue_lost_above"))
DO_SUSPEND, DO_RESUME, DO_APPROVAL, DO_APPROVAL_SCALE, DO_PROCESSING = (
    ACTIONS[k][0] for k in ("suspend", "resume", "approval", "approval_scale",
                            "processing_time"))
#: A probability trigger that never fires within the horizon fires at this step.
NEVER_FIRES = 2**62

LICENCE, BAN, QUOTA, TAX, RELEASE = (KIND_IDS[k] for k in ("licence", "ban", "quota", "tax",
                                                           "release"))

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def block_seed(seed: int, block: int) -> np.random.SeedSequence:
    """The seed sequence of draw block ``block``: the ``block``-th child of ``SeedSequence(seed)``."""
    return np.random.SeedSequence(seed, spawn_key=(block,))


@dataclass(frozen=True)
class BlockParams:
    """Per-draw policy parameters of some draws (a block, or a chunk of whole blocks).

    Shapes: ``D`` draws, ``M`` measures, ``T`` steps, ``E`` measure-route pairs, ``L`` kernel steps.
    """

    active: npt.NDArray[np.uint8]  # (D, M, T) 1 where the measure is in force
    approve: FloatArray  # (D, E) approval share of the covered flow
    kernel: FloatArray  # (D, M, L) delay kernel (sums to 1 for licences)
    capacity: FloatArray  # (D, M) applications reviewed per step (inf: unlimited)
    quota: FloatArray  # (D, M) t of allowance per step
    tax: FloatArray  # (D, M) export tax rate
    lead: FloatArray  # (D, M) stated mean licence delay in steps, every draw (what importers plan for)
    #: (D, N) start step of each planned project (``spigot.market.supply.NEVER`` for other
    #: nodes); (D, 0) when the run has no market phase.
    start: IntArray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    #: (D, M, T) 1 from a licence's announcement to its start (importers plan for its lead
    #: time); all 0 for measures without an announcement.
    announced: npt.NDArray[np.uint8] = field(
        default_factory=lambda: np.zeros((0, 0, 0), dtype=np.uint8))
    #: (D, E) share of a pair's denied flow that is re-filed (denied at non-zero odds).
    refile: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    #: (D, M) steps a measure has been in force before step 0 (0: it starts cold in the run).
    warm: IntArray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    #: (D, R) step at which each reaction's probability trigger fires (``NEVER_FIRES``:
    #: not within the horizon; 0 for other triggers).
    rx_step: IntArray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    #: (D, R) value of each reaction's action: an approval share or its multiplier (0 else).
    rx_value: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    #: (D, R, L) the delay kernel a processing-time action installs (0 for other actions).
    rx_kernel: FloatArray = field(default_factory=lambda: np.zeros((0, 0, 0)))
    #: (D, R) the stated mean delay of the processing time a reaction sets, steps (every draw).
    rx_lead: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    #: (D, A, T) the random seed of each whole-application slot's decisions in each step
    #: (``PolicyPlan.lot_slot``; A = 0 when no licence decides whole applications):
    #: :mod:`spigot.sim.applications` turns it into approved counts and lags.
    lot_seed: npt.NDArray[np.uint64] = field(
        default_factory=lambda: np.zeros((0, 0, 0), dtype=np.uint64))

    #: Field names in order (what :meth:`concat` and :meth:`take` stack and slice).
    FIELDS = ("active", "approve", "kernel", "capacity", "quota", "tax", "lead", "start",
              "announced", "refile", "warm", "rx_step", "rx_value", "rx_kernel", "rx_lead",
              "lot_seed")

    @staticmethod
    def concat(blocks: Sequence[BlockParams]) -> BlockParams:
        """Stack blocks along the draw axis."""
        return BlockParams(*(np.concatenate([getattr(b, f) for b in blocks], axis=0)
                             for f in BlockParams.FIELDS))

    def take(self, size: int) -> BlockParams:
        """The first ``size`` draws."""
        return BlockParams(*(getattr(self, f)[:size] for f in BlockParams.FIELDS))


class PolicyPlan:
    """Static policy structure for one scenario on one compiled network.

    Parameters
    ----------
    scenario
        The scenario (its policies, dates and settings).
    net
        The compiled network, with ``step_weeks`` equal to the scenario's.
    region_groups
        Group name -> region ids (for destinations such as ``EU27``).
    commodity_groups
        Group name -> commodity ids.
    sector_end_use
        End-use class of each sector, shape (S,), values in ``END_USES``.
    market
        Market parameters when the run has a market phase: each block then also samples the
        start step of every planned project (after the policy draws).
    """

    def __init__(self, scenario: Scenario, net: CompiledNetwork,
                 region_groups: Mapping[str, Sequence[str]],
                 commodity_groups: Mapping[str, Sequence[str]],
                 sector_end_use: Sequence[str], market: MarketParams | None = None) -> None:
        self.scenario = scenario
        self.net = net
        self.market = market
        self.steps = scenario.steps
        self._rgroups = {k: list(v) for k, v in region_groups.items()}
        self._cgroups = {k: list(v) for k, v in commodity_groups.items()}
        self._end_use_w = _end_use_weights(net, sector_end_use)
        self.measures: list[Measure] = []
        self._suspensions: list[Suspension] = []
        self.step_weeks = scenario.step_weeks
        self._samplers: list[Sampler | None] = []  # each measure's kind's sampler
        self._build()
        self.n_policy_measures = len(self.measures)
        rx_steps = self._build_reactions()
        self.kernel_steps = max([m.kernel_steps for m in self.measures] + rx_steps, default=1)
        #: (M,) and (R,): the stated mean processing time of each licence measure and of each
        #: reaction that sets one, steps (0 otherwise): what importers plan for, every draw
        self.stated_lead = np.array([m.lead_steps for m in self.measures], dtype=np.float64)
        self.rx_stated_lead = np.array(
            [announced_lead(self, r.do.processing_time)
             if isinstance(r.do, Action) and r.do.processing_time is not None else 0.0
             for r in self.reactions], dtype=np.float64)
        self._index_routes()
        dates = [scenario.start + dt.timedelta(weeks=scenario.step_weeks * t)
                 for t in range(self.steps)]
        self.quota_reset = np.array([t > 0 and dates[t].year != dates[t - 1].year
                                     for t in range(self.steps)], dtype=np.uint8)

    # ------------------------------------------------------------------ structure
    def _regions(self, names: Sequence[str]) -> set[int]:
        out: set[int] = set()
        for name in names:
            for r in self._rgroups.get(name, [name]):
                if r in self.net.regions:
                    out.add(self.net.regions.index(r))
        return out

    def covered(self, p: Trade, destinations: object = None) -> list[int]:
        """Routes from ``p``'s exporter to its destinations (or ``destinations``) that carry a
        covered commodity."""
        net = self.net
        exporters = self._regions([p.exporter])
        comms = {net.commodities.index(c) for name in p.commodities
                 for c in self._cgroups.get(name, [name]) if c in net.commodities}
        dest = p.destinations if destinations is None else destinations
        if dest == "all":
            dests = set(range(len(net.regions)))
        elif isinstance(dest, AllExcept):
            dests = set(range(len(net.regions))) - self._regions(dest.all_except)
        else:
            assert isinstance(dest, list)
            dests = self._regions(dest)
        return [k for k in range(len(net.routes))
                if int(net.route_origin_region[k]) in exporters
                and int(net.route_dest_region[k]) not in exporters
                and int(net.route_dest_region[k]) in dests
                and int(net.route_commodity[k]) in comms]

    def end_use_weights(self, route: int) -> FloatArray:
        """Civil, dual-use and military shares of ``route``'s destination use."""
        return self._end_use_w[route]

    def region_in(self, region: str, name: str) -> bool:
        """Whether ``region`` is the region or in the group ``name``."""
        return name == region or region in self._rgroups.get(name, [])

    def _build(self) -> list[Measure]:
        """Each policy's measures, by its kind (suspensions are applied when sampling)."""
        for p in self.scenario.policies:
            kind = by_name(p.type)
            assert kind is not None  # the scenario model validated the type
            if kind.measures is None:
                self._suspensions.append(p)
                continue
            base = len(self.measures)
            for meas in kind.measures(self, p):
                if meas.parent >= 0:
                    meas.parent += base
                self.measures.append(meas)
                self._samplers.append(kind.sample)
        return self.measures

    def _build_reactions(self) -> list[int]:
        """Compile the scenario's reactions (docs/design.md, "Reactions") into the arrays the
        engines read; a fast track a reaction grants becomes a licence measure of its own
        (after every policy's measures), in force only once the reaction resumes it.
        Returns the kernel lengths that processing-time actions need."""
        scen = self.scenario
        main: dict[str, int] = {}
        for mi, meas in enumerate(self.measures):
            if meas.parent < 0:
                main.setdefault(meas.policy.id, mi)
        rows: list[tuple[int, int, int, float, int, int, int]] = []
        kernels: list[int] = []
        self.reactions: list[Reaction] = list(scen.reactions)
        #: (R,) per reaction, the commodity indices a revenue trigger counts (None: all, or
        #: not a revenue trigger); the model turns them into the exporter's routes.
        self.rx_commodities: list[tuple[int, ...] | None] = []
        for r in self.reactions:
            target = main.get(r.measure, -1)
            do = action_name(r)
            if do == "fast_track" and target >= 0:
                assert isinstance(r.do, Action)
                assert r.do.fast_track is not None
                meas = fast_track_measure(self, self.measures[target], r.do.fast_track,
                                          f"{r.measure}.{r.id}")
                meas.parent = target
                self.measures.append(meas)
                self._samplers.append(by_name("ExportLicence").sample)  # type: ignore[union-attr]
                target = len(self.measures) - 1
            if do == "processing_time":
                assert isinstance(r.do, Action)
                assert r.do.processing_time is not None
                kernels.append(kernel_length(self, r.do.processing_time))
            key = trigger_name(r.when)
            ref, ref2, level = self._trigger_terms(len(rows), r, main)
            lost = r.when.revenue_lost_above
            self.rx_commodities.append(
                tuple(self.net.commodities.index(c) for c in lost.commodities)
                if lost is not None and lost.commodities else None)
            rows.append((TRIGGERS[key][0], ref, ref2, level,
                         round(r.lag_weeks / scen.step_weeks), target, ACTIONS[do][0]))
        cols = list(zip(*rows, strict=True)) if rows else [()] * 7
        i8 = np.int64
        self.rx_when = np.array(cols[0], dtype=i8)
        self.rx_ref = np.array(cols[1], dtype=i8)  # cover: region (resolved by the model)
        self.rx_ref2 = np.array(cols[2], dtype=i8)
        self.rx_level = np.array(cols[3], dtype=float)
        self.rx_lag = np.array(cols[4], dtype=i8)
        self.rx_target = np.array(cols[5], dtype=i8)
        self.rx_do = np.array(cols[6], dtype=i8)
        self.rx_ids = tuple(r.id for r in self.reactions)
        #: Whether the engines run the reaction phase (reactions or dormant measures).
        self.rx_on = bool(self.reactions) or any(getattr(p, "dormant", False)
                                                 for p in scen.policies)
        return kernels

    def _trigger_terms(self, i: int, r: Reaction, main: Mapping[str, int]
                       ) -> tuple[int, int, float]:
        """``(ref, ref2, level)`` of reaction ``i``'s trigger as the engines read it: a date's
        step; a measure's index; a price's commodity, zone and log multiple; a cover's region,
        commodity and steps of base use (the model turns them into a region buffer and t); a
        stockpile's index and tonnes; a revenue trigger's exporter, window in steps (at least
        1) and USD.

        Raises
        ------
        ScenarioError
            For a price trigger without the market phase, or an unknown stockpile.
        """
        scen, w, net = self.scenario, r.when, self.net
        source = scen._source
        key = trigger_name(w)

        def error(msg: str, loc: tuple[str | int, ...], value: str, expected: str,
                  hint: str | None) -> ScenarioError:
            full = ("reactions", i, "when", key, *loc)
            line = source.line(full) if hasattr(source, "line") else None
            file = getattr(source, "file", None)
            return ScenarioError(Problem(msg, file=file, line=line, value=value, hint=hint,
                                         field=f"reactions[{i}].when." + ".".join(
                                             str(x) for x in full[3:]), expected=expected))

        if w.date is not None:
            return date_to_step(w.date, scen.start, scen.step_weeks, 0), 0, 0.0
        if w.policy_starts is not None or w.policy_ends is not None:
            return main.get(w.policy_starts or w.policy_ends or "", -1), 0, 0.0
        cond = w.price_above or w.price_below
        if cond is not None:
            if not scen.markets:
                raise error("a price trigger needs the market phase (prices stay at base "
                            "without it)", (), key, "markets: true",
                            "set 'markets: true' or use another trigger (cover_below)")
            return (net.commodities.index(cond.commodity),
                    ("china", "ex_china").index(cond.zone), float(np.log(cond.multiple)))
        if w.cover_below is not None:
            return (net.regions.index(w.cover_below.region),
                    net.commodities.index(w.cover_below.commodity),
                    w.cover_below.weeks / scen.step_weeks)
        if w.stockpile_below is not None:
            piles = list(net.stockpiles)
            name = w.stockpile_below.stockpile
            if name not in piles:
                raise error("unknown stockpile", ("stockpile",), name,
                            "a stockpile of the dataset or a StockpileRelease id: "
                            + (", ".join(piles) or "(none)"), did_you_mean(name, piles) or None)
            return piles.index(name), 0, w.stockpile_below.tonnes
        lost = w.revenue_lost_above
        if lost is not None:
            regions = list(net.regions)
            if lost.exporter not in regions:
                raise error("the exporter of a revenue trigger must be one region",
                            ("exporter",), lost.exporter,
                            "a region id of the dataset (not a group)",
                            did_you_mean(lost.exporter, regions) or None)
            window = max(1, round(lost.weeks / scen.step_weeks))
            return regions.index(lost.exporter), window, lost.usd
        return 0, 0, 0.0  # a probability trigger: its step is drawn per draw

    def _index_routes(self) -> None:
        n_routes = len(self.net.routes)
        per_route: list[list[tuple[int, int]]] = [[] for _ in range(n_routes)]
        e = 0
        self.pair_measure: list[int] = []
        self.pair_route: list[int] = []
        for m, meas in enumerate(self.measures):
            for k in meas.routes:
                per_route[k].append((m, e))
                self.pair_measure.append(m)
                self.pair_route.append(k)
                e += 1
        self.n_pairs = e
        ptr = [0]
        rm_measure: list[int] = []
        rm_pair: list[int] = []
        for k in range(n_routes):
            for m, pe in per_route[k]:
                rm_measure.append(m)
                rm_pair.append(pe)
            ptr.append(len(rm_measure))
        self.rm_ptr = np.array(ptr, dtype=np.int64)
        self.rm_measure = np.array(rm_measure, dtype=np.int64)
        self.rm_pair = np.array(rm_pair, dtype=np.int64)
        self.kind = np.array([m.kind for m in self.measures], dtype=np.int64)
        self.parent = np.array([m.parent for m in self.measures], dtype=np.int64)
        self.pair_ptr = np.cumsum([0] + [len(m.routes) for m in self.measures], dtype=np.int64)
        self.ids = tuple(m.id for m in self.measures)
        self.pair_share = np.array([s for m in self.measures for s in m.shares], dtype=np.float64)
        self.pair_ship_t = np.array([t for m in self.measures
                                     for t in (m.ship_t or [1.0] * len(m.routes))],
                                    dtype=np.float64)
        # pairs whose office decides whole applications (ExportLicence.granularity)
        self.pair_lots = np.array([int(x) for m in self.measures
                                   for x in (m.lots or [False] * len(m.routes))],
                                  dtype=np.int64)
        licensed = sorted({k for m in self.measures if m.kind == LICENCE for k in m.routes})
        self.route_slot = np.full(n_routes, -1, dtype=np.int64)
        for j, k in enumerate(licensed):
            self.route_slot[k] = j
        self.slot_route = np.array(licensed, dtype=np.int64)
        # licence slots some pair of which decides whole applications: each has a seed per
        # draw and step (BlockParams.lot_seed) and a rounding remainder in the engines
        lotted = {k for e, k in enumerate(self.pair_route) if self.pair_lots[e]}
        self.lot_slot = np.full(len(licensed), -1, dtype=np.int64)
        for a, j in enumerate(j for j, k in enumerate(licensed) if k in lotted):
            self.lot_slot[j] = a
        self.n_lot_slots = len(lotted)
        self.validity_steps = np.array([m.validity_steps for m in self.measures], dtype=np.int64)
        # re-filing lag of each licence measure in steps (0: never; a fast track re-files as
        # its parent does), and the length of the re-filing ring
        self.refile_steps = np.array([m.refile_steps for m in self.measures], dtype=np.int64)
        self.refile_ring = int(self.refile_steps.max(initial=0)) + 1

    @property
    def n_slots(self) -> int:
        """Number of routes that some licence covers (each has a licence pipeline)."""
        return len(self.slot_route)

    # ------------------------------------------------------------------ sampling
    def sample_block(self, seed: int, block: int, size: int) -> BlockParams:
        """Per-draw parameters for the ``size`` draws of block ``block``, from its own stream.

        The number of values drawn depends only on the scenario's structure, never on the
        values of other blocks, the chunk size or the engine.
        """
        rng = np.random.default_rng(block_seed(seed, block))
        scen = self.scenario
        T = self.steps
        M = len(self.measures)
        active = np.zeros((size, M, T), dtype=np.uint8)
        announced = np.zeros((size, M, T), dtype=np.uint8)
        approve = np.zeros((size, self.n_pairs))
        refile = np.zeros((size, self.n_pairs))
        warm = np.zeros((size, M), dtype=np.int64)
        kernel = np.zeros((size, M, self.kernel_steps))
        capacity = np.full((size, M), np.inf)
        quota = np.zeros((size, M))
        tax = np.zeros((size, M))
        arrays = SampleArrays(approve, refile, kernel, capacity, quota, tax)
        windows: dict[str, tuple[IntArray, IntArray]] = {}
        e0 = 0
        for m, meas in enumerate(self.measures[:self.n_policy_measures]):
            p = meas.policy
            if meas.parent < 0:
                start, end = self._window(p, rng, size, T)
                windows[p.id] = (start, end)
                if getattr(p, "dormant", False):  # only a reaction puts it in force
                    start = np.full(size, T, dtype=np.int64)
            else:
                start, end = windows[p.id]
                assert meas.fast is not None
                ft_step = date_to_step(meas.fast.start, scen.start, scen.step_weeks, 0)
                start = np.maximum(start, ft_step)
            for d in range(size):
                active[d, m, max(0, start[d]):max(0, min(T, end[d]))] = 1
            warm[:, m] = np.where((start < 0) & (end > 0), -start, 0)
            if meas.parent < 0 and isinstance(p, ExportLicence) and p.announced is not None:
                # the warning moves with the start (a delayed start was announced later)
                ahead = date_to_step(p.start, scen.start, scen.step_weeks, 0) \
                    - date_to_step(p.announced, scen.start, scen.step_weeks, 0)
                for d in range(size):
                    if start[d] < T:
                        announced[d, m, max(0, start[d] - ahead):max(0, min(T, start[d]))] = 1
            sample = self._samplers[m]
            if sample is not None:
                sample(self, meas, m, e0, rng, size, arrays)
            e0 += len(meas.routes)
        for s in self._suspensions:
            start, end = self._window(s, rng, size, T)
            for m, meas in enumerate(self.measures):
                if meas.policy.id != s.measure:
                    continue
                for d in range(size):
                    active[d, m, max(0, start[d]):max(0, min(T, end[d]))] = 0
        rx = self._sample_reactions(rng, size, e0, arrays)
        # what importers plan for: each licence's stated mean processing time, the same in every
        # draw (the drawn kernel is how the office turns out to work; docs/model.md)
        lead = np.repeat(self.stated_lead[None, :], size, axis=0)
        # project starts come last, so that adding the market phase moves no policy draw
        if self.market is not None and scen.growth.projects == "scheduled":
            start_steps = sample_project_starts(self.market, rng, size,
                                                decimal_year(scen.start))
        elif self.market is not None:  # no growth: every project keeps its base output, but
            # those a mitigation measure committed (status committed) start on their date
            start_steps = committed_starts(self.market, size, decimal_year(scen.start))
        else:
            start_steps = np.zeros((size, 0), dtype=np.int64)
        # the seeds of whole-application decisions come last of all, so that a scenario
        # without them draws exactly what it drew before the option existed
        lot_seed = (rng.integers(0, 2**64, size=(size, self.n_lot_slots, T), dtype=np.uint64,
                                 endpoint=False)
                    if self.n_lot_slots else np.zeros((size, 0, T), dtype=np.uint64))
        return BlockParams(active, approve, kernel, capacity, quota, tax, lead, start_steps,
                           announced, refile, warm, *rx, lot_seed)

    def _sample_reactions(self, rng: np.random.Generator, size: int, e0: int,
                          arrays: SampleArrays) -> tuple[IntArray, FloatArray, FloatArray,
                                                         FloatArray]:
        """The reactions' draws, after every policy's (so that adding a reaction moves no other
        draw): the parameters of fast tracks they grant (never in force by a schedule), then
        per reaction the firing step of a probability trigger, the action's value and the
        delay kernel of a processing-time action."""
        for m in range(self.n_policy_measures, len(self.measures)):
            sample = self._samplers[m]
            if sample is not None:
                sample(self, self.measures[m], m, e0, rng, size, arrays)
            e0 += len(self.measures[m].routes)
        R = len(self.reactions)
        L = self.kernel_steps
        step = np.zeros((size, R), dtype=np.int64)
        value = np.zeros((size, R))
        kern = np.zeros((size, R, L))
        for r, rx in enumerate(self.reactions):
            w = rx.when
            if w.probability_per_week is not None:
                p_step = 1.0 - (1.0 - w.probability_per_week) ** self.step_weeks
                first = rng.geometric(p_step, size) - 1  # first step with a success
                step[:, r] = np.minimum(first, NEVER_FIRES)
            if isinstance(rx.do, Action):
                if rx.do.approval is not None:
                    value[:, r] = np.clip(sample_param(rx.do.approval, rng, size), 0.0, 1.0)
                elif rx.do.approval_scale is not None:
                    value[:, r] = np.maximum(sample_param(rx.do.approval_scale, rng, size), 0.0)
                elif rx.do.processing_time is not None:
                    kern[:, r, :] = processing_kernel(self, rx.do.processing_time, rng, size)
        lead = np.repeat(self.rx_stated_lead[None, :], size, axis=0)
        return step, value, kern, lead

    def _window(self, p: Timed, rng: np.random.Generator, size: int, T: int) -> tuple[IntArray, IntArray]:
        scen = self.scenario
        start = np.full(size, date_to_step(p.start, scen.start, scen.step_weeks, 0),
                        dtype=np.int64)
        end = np.full(size, date_to_step(p.end, scen.start, scen.step_weeks, T), dtype=np.int64)
        occurs = rng.random(size) < p.probability
        if p.hazard_per_year is not None:
            wait_years = rng.exponential(1.0 / p.hazard_per_year, size)
            start = start + np.floor(wait_years * WEEKS_PER_YEAR / scen.step_weeks).astype(
                np.int64)
            if p.end is not None:
                end = np.maximum(end, start)
        if p.duration_weeks is not None:
            weeks = np.maximum(sample_param(p.duration_weeks, rng, size), 0.0)
            end = start + np.round(weeks / scen.step_weeks).astype(np.int64)
        start = np.where(occurs, start, T)
        return start, np.where(occurs, end, T)


def decimal_year(day: dt.date) -> float:
    """``day`` as a decimal year, as the network reads node start dates (``2025-01-01`` -> 2025.0)."""
    return day.year + (day.timetuple().tm_yday - 1) / 365.25


def _end_use_weights(net: CompiledNetwork, sector_end_use: Sequence[str]) -> list[FloatArray]:
    """Per route: shares of civil, dual-use and military use at its destination.

    The destination region's sector use of the route's commodity, by end-use class; where the
    region's sectors do not use the commodity directly (an intermediate good), its sectors' output
    value by class; civil where the region has no sectors.
    """
    R, E = len(net.regions), len(END_USES)
    classes = np.array([END_USES.index(e) for e in sector_end_use], dtype=np.int64)
    by_use = np.zeros((R, net.bom.shape[1], E))
    by_value = np.zeros((R, E))
    for s in range(len(net.sectors)):
        r = int(net.sector_region[s])
        by_use[r, :, classes[s]] += net.sector_output[s] * net.bom[s]
        by_value[r, classes[s]] += net.sector_output[s] * net.sector_value[s]
    out = []
    for k in range(len(net.routes)):
        r, c = int(net.route_dest_region[k]), int(net.route_commodity[k])
        w = by_use[r, c] if by_use[r, c].sum() > 0 else by_value[r]
        total = w.sum()
        out.append(w / total if total > 0 else np.array([1.0, 0.0, 0.0]))
    return out
