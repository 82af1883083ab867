"""Turn a scenario's policies into arrays the engine reads: all randomness is drawn here.

:class:`PolicyPlan` is built once per run from a scenario and a compiled network: which routes each
measure covers, in which order measures take precedence, and how stochastic parameters are sampled.
:meth:`PolicyPlan.sample_block` then draws the per-draw parameters of one fixed-size block of draws
from that block's own random stream, so a draw's parameters do not depend on how draws are chunked
nor on which engine runs them.

Measure kinds: ``LICENCE`` (a licence regime or one of its fast tracks), ``BAN``, ``QUOTA`` and
``TAX`` (a price wedge kept for the market phase; it does not move flows by itself).
"""

# ruff: noqa: N803, N806 - sizes are named as in the docs (N nodes, C commodities, ...)
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from spigot.market.parameters import MarketParams
from spigot.market.supply import NEVER, sample_project_starts
from spigot.network.compiled import CompiledNetwork
from spigot.scenarios.dists import LogNormal, Normal, Param, param_cdf, sample_param
from spigot.scenarios.loader import date_to_step
from spigot.scenarios.models import (
    DAYS_PER_WEEK,
    END_USES,
    AllExcept,
    ExportBan,
    ExportLicence,
    ExportQuota,
    ExportTax,
    FastTrack,
    ProcessingTime,
    Scenario,
    Suspension,
)
from spigot.units import WEEKS_PER_YEAR

__all__ = ["BAN", "LICENCE", "QUOTA", "TAX", "BlockParams", "PolicyPlan", "block_seed",
           "decimal_year"]

LICENCE, BAN, QUOTA, TAX = 0, 1, 2, 3
KIND_NAMES = ("licence", "ban", "quota", "tax")
#: Longest licence delay kernel, in steps.
MAX_KERNEL_STEPS = 520

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
    lead: FloatArray  # (D, M) mean licence delay in steps (what importers plan for)
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

    #: Field names in order (what :meth:`concat` and :meth:`take` stack and slice).
    FIELDS = ("active", "approve", "kernel", "capacity", "quota", "tax", "lead", "start",
              "announced", "refile", "warm")

    @staticmethod
    def concat(blocks: Sequence[BlockParams]) -> BlockParams:
        """Stack blocks along the draw axis."""
        return BlockParams(*(np.concatenate([getattr(b, f) for b in blocks], axis=0)
                             for f in BlockParams.FIELDS))

    def take(self, size: int) -> BlockParams:
        """The first ``size`` draws."""
        return BlockParams(*(getattr(self, f)[:size] for f in BlockParams.FIELDS))


@dataclass
class _Measure:
    id: str
    kind: int
    policy: ExportLicence | ExportQuota | ExportBan | ExportTax
    routes: list[int]
    shares: list[float]
    weights: list[FloatArray]  # end-use weights per route (licences)
    parent: int = -1  # fast tracks: index of the parent licence
    fast: FastTrack | None = None


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
        self.measures: list[_Measure] = []
        self._suspensions: list[Suspension] = []
        self._build()
        self._index_routes()
        self.kernel_steps = self._kernel_length()
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

    def _covered(self, p: ExportLicence | ExportQuota | ExportBan | ExportTax,
                 destinations: object = None) -> list[int]:
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

    def _build(self) -> None:
        for p in self.scenario.policies:
            if isinstance(p, Suspension):
                self._suspensions.append(p)
                continue
            routes = self._covered(p)
            if isinstance(p, ExportLicence):
                covered = [END_USES.index(e) for e in p.end_uses]
                ks, shares, weights = [], [], []
                for k in routes:
                    w = self._end_use_w[k]
                    share = float(w[covered].sum())
                    if share > 0:
                        ks.append(k)
                        shares.append(share)
                        weights.append(w)
                parent = len(self.measures)
                self.measures.append(_Measure(p.id, LICENCE, p, ks, shares, weights))
                for i, ft in enumerate(p.fast_track):
                    ft_routes = set(self._covered(p, ft.destinations))
                    sel = [j for j, k in enumerate(ks) if k in ft_routes]
                    self.measures.append(_Measure(
                        f"{p.id}.fast_track[{i}]", LICENCE, p, [ks[j] for j in sel],
                        [shares[j] for j in sel], [weights[j] for j in sel], parent, ft))
            else:
                kind = BAN if isinstance(p, ExportBan) else QUOTA if isinstance(
                    p, ExportQuota) else TAX
                self.measures.append(_Measure(p.id, kind, p, routes, [1.0] * len(routes), []))

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
        self.ids = tuple(m.id for m in self.measures)
        self.pair_share = np.array([s for m in self.measures for s in m.shares], dtype=np.float64)
        ship = []
        for meas in self.measures:
            cap = meas.policy.review_capacity if isinstance(meas.policy, ExportLicence) else None
            for k in meas.routes:
                size = 1.0 if cap is None else cap.shipment_t
                if isinstance(size, dict):
                    size = size.get(self.net.commodities[int(self.net.route_commodity[k])], 1.0)
                ship.append(float(size))
        self.pair_ship_t = np.array(ship, dtype=np.float64)
        licensed = sorted({k for m in self.measures if m.kind == LICENCE for k in m.routes})
        self.route_slot = np.full(n_routes, -1, dtype=np.int64)
        for j, k in enumerate(licensed):
            self.route_slot[k] = j
        self.slot_route = np.array(licensed, dtype=np.int64)
        self.validity_steps = np.array([
            round(m.policy.validity_weeks / self.scenario.step_weeks)
            if isinstance(m.policy, ExportLicence) and m.fast is None else 0
            for m in self.measures], dtype=np.int64)
        # re-filing lag of each licence measure in steps (0: never; a fast track re-files as
        # its parent does), and the length of the re-filing ring
        self.refile_steps = np.array([
            max(1, round(m.policy.refile_weeks / self.scenario.step_weeks))
            if isinstance(m.policy, ExportLicence) and m.policy.refile_weeks is not None else 0
            for m in self.measures], dtype=np.int64)
        self.refile_ring = int(self.refile_steps.max(initial=0)) + 1

    def _processing(self, m: _Measure) -> ProcessingTime:
        if m.fast is not None:
            return m.fast.processing_time
        assert isinstance(m.policy, ExportLicence)
        return m.policy.processing_time

    def _kernel_length(self) -> int:
        longest = 1
        for m in self.measures:
            if m.kind != LICENCE:
                continue
            pt = self._processing(m)
            hi = _upper(pt.distribution) * _upper(pt.scale)
            steps = hi / DAYS_PER_WEEK[pt.unit] / self.scenario.step_weeks
            longest = max(longest, min(MAX_KERNEL_STEPS, math.ceil(steps - 1e-9) + 1))
        return int(longest)

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
        windows: dict[str, tuple[IntArray, IntArray]] = {}
        e0 = 0
        for m, meas in enumerate(self.measures):
            p = meas.policy
            if meas.parent < 0:
                start, end = self._window(p, rng, size, T)
                windows[p.id] = (start, end)
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
            n_e = len(meas.routes)
            if meas.kind == LICENCE:
                kernel[:, m, :] = self._kernel(meas, rng, size)
                approve[:, e0:e0 + n_e], refile[:, e0:e0 + n_e] = \
                    self._approval(meas, rng, size)
                cap = p.review_capacity if isinstance(p, ExportLicence) else None
                if cap is not None and meas.fast is None:
                    capacity[:, m] = sample_param(cap.applications_per_week, rng, size) \
                        * scen.step_weeks
            elif meas.kind == QUOTA:
                assert isinstance(p, ExportQuota)
                quota[:, m] = sample_param(p.annual_t, rng, size) * scen.step_weeks \
                    / WEEKS_PER_YEAR
            elif meas.kind == TAX:
                assert isinstance(p, ExportTax)
                tax[:, m] = sample_param(p.rate, rng, size)
            e0 += n_e
        for s in self._suspensions:
            start, end = self._window(s, rng, size, T)
            for m, meas in enumerate(self.measures):
                if meas.policy.id != s.measure:
                    continue
                for d in range(size):
                    active[d, m, max(0, start[d]):max(0, min(T, end[d]))] = 0
        lead = (kernel * np.arange(self.kernel_steps, dtype=float)).sum(axis=2)
        # project starts come last, so that adding the market phase moves no policy draw
        if self.market is not None and scen.growth.projects == "scheduled":
            start_steps = sample_project_starts(self.market, rng, size,
                                                decimal_year(scen.start))
        elif self.market is not None:  # no growth: every project keeps its base output
            start_steps = np.full((size, len(self.market.node_kind)), NEVER, dtype=np.int64)
        else:
            start_steps = np.zeros((size, 0), dtype=np.int64)
        return BlockParams(active, approve, kernel, capacity, quota, tax, lead, start_steps,
                           announced, refile, warm)

    def _window(self, p: ExportLicence | ExportQuota | ExportBan | ExportTax | Suspension,
                rng: np.random.Generator, size: int, T: int) -> tuple[IntArray, IntArray]:
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

    def _kernel(self, meas: _Measure, rng: np.random.Generator, size: int) -> FloatArray:
        pt = self._processing(meas)
        scale = np.maximum(sample_param(pt.scale, rng, size), 1e-12)
        L = self.kernel_steps
        grid = np.arange(L, dtype=float) * self.scenario.step_weeks * DAYS_PER_WEEK[pt.unit]
        x = grid[None, :] / scale[:, None]
        cdf = param_cdf(pt.distribution, x.ravel()).reshape(size, L)
        cdf[:, -1] = 1.0
        kernel = np.diff(cdf, axis=1, prepend=0.0)
        return np.asarray(np.maximum(kernel, 0.0), dtype=float)

    def _approval(self, meas: _Measure, rng: np.random.Generator, size: int
                  ) -> tuple[FloatArray, FloatArray]:
        """Approval share of each covered route's flow and the share of its denied flow that is
        re-filed (the part denied at non-zero odds), per draw: two (size, routes) arrays."""
        p = meas.policy
        assert isinstance(p, ExportLicence)
        n_e = len(meas.routes)
        out = np.zeros((size, n_e))
        again = np.zeros((size, n_e))
        covered = [END_USES.index(e) for e in p.end_uses]
        mult = np.ones((size, len(END_USES)))
        if meas.fast is not None:
            base = {None: sample_param(meas.fast.approval, rng, size)}
        else:
            base = {None: sample_param(p.approval.default, rng, size)}
            for name, prm in p.approval.by_destination.items():
                base[name] = sample_param(prm, rng, size)  # type: ignore[index]
            for e_name, prm in p.approval.by_end_use.items():
                mult[:, END_USES.index(e_name)] = sample_param(prm, rng, size)
        if p.deny_military:
            mult[:, END_USES.index("military")] = 0.0
        for j, k in enumerate(meas.routes):
            region = self.net.regions[int(self.net.route_dest_region[k])]
            p_dest = base[None]
            if meas.fast is None:
                for name in p.approval.by_destination:
                    if name == region or region in self._rgroups.get(name, []):
                        p_dest = base[name]  # type: ignore[index]
                        break
            w = meas.weights[j]
            acc = np.zeros(size)
            denied = np.zeros(size)
            refiled = np.zeros(size)
            for e in covered:
                odds = np.clip(p_dest * mult[:, e], 0.0, 1.0)
                acc += w[e] * odds
                denied += w[e] * (1.0 - odds)
                refiled += np.where(odds > 0.0, w[e] * (1.0 - odds), 0.0)
            out[:, j] = acc / meas.shares[j]
            if p.refile_weeks is not None:
                again[:, j] = np.divide(refiled, denied, out=np.zeros(size), where=denied > 0)
        return np.clip(out, 0.0, 1.0), np.clip(again, 0.0, 1.0)


def decimal_year(day: dt.date) -> float:
    """``day`` as a decimal year, as the network reads node start dates (``2025-01-01`` -> 2025.0)."""
    return day.year + (day.timetuple().tm_yday - 1) / 365.25


def _upper(param: Param) -> float:
    """A value the parameter (or distribution) does not exceed, for sizing kernels."""
    if isinstance(param, int | float):
        return float(param)
    if param.max is not None:
        return float(param.max)
    for attr in ("value", "high"):
        if hasattr(param, attr):
            return float(getattr(param, attr))
    if isinstance(param, LogNormal):
        return float(param.median * math.exp(6.0 * param.sigma))
    if isinstance(param, Normal):
        return float(param.mean + 6.0 * param.sd)
    return 1.0


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
