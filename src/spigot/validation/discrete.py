"""A discrete-event model of the licence process, written in SimPy, to check the fluid engine.

spigot's engine is a *fluid*: a licensed route's weekly flow is a continuous number of tonnes,
the review office decides a share of every route's queue when its capacity binds (pro rata over
fractional applications), and an approval share of ``p`` approves ``p`` of the flow. This module
models the same world the way a modeller of a licensing office would:

* the importer's order on a licensed route is filed as **whole applications** of ``shipment_t``
  tonnes (``lots="split"``: the week's order is cut into applications of ``shipment_t`` and one
  smaller remainder; ``lots="whole"``: only whole shipments are filed and the remainder waits for
  next week's order, counted as on order);
* the review office takes at most ``applications_per_week`` applications a week, **first come,
  first served** over all the routes the licence covers; the applications of one week are filed
  at random moments of the week (``filing="random"``) or route after route (``"route"``);
* each application has **its own processing time**, drawn from the draw's delay kernel (the
  scenario's distribution times the draw's scale, in whole steps: the kernel the engine spreads
  the flow over), and gets a **yes or no** at the draw's approval odds;
* approved shipments travel the route's transit time; denied ones go back to the exporter.

The importing regions (each a region buffer: one commodity and the single sector that uses it)
keep spigot's rules exactly: arrivals go to the sector up to its cover target plus the week's
need, the sector makes ``min(1, stock / need)`` of its plan and is *stopped* below
``stop_below``, and every route into a buffer orders ``base x clip(1 + (target - position) /
(inflow x adjust), 0, 2)``, a licensed route counting its pending applications at the approval
odds and planning for the mean licence delay (docs/design.md, Engine). Suppliers ship what is
ordered: the comparison checks that the engine's suppliers did too (with ``lots="split"``,
deterministic decisions and a review capacity that does not bind, the two models agree to
rounding).

Each week runs in ten SimPy ticks so that the clock orders the engine's phases: tick 0 policies,
1 arrivals, 2 orders shipped or filed, 3 review, 4 decisions due, 5 allocation, consumption and
reorder. An application reviewed in week ``t`` with a delay of ``l`` steps is decided at tick
``10 (t + l) + 4`` and, if approved, arrives at tick ``10 (t + l + transit) + 1``.

Not modelled (a :class:`ValueError` names it): bans, quotas, re-filing, validity (general
licences), warm starts, markets, stockpiles on a modelled buffer, a licence whose finite review
capacity is shared with routes outside the modelled buffers, and a region buffer shared by several
sectors or a sector using several commodities.
"""

# ruff: noqa: N806 - sizes are named as in the docs
from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Generator, Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

try:
    import simpy
except ModuleNotFoundError as exc:  # pragma: no cover - the extra is part of the dev install
    raise ModuleNotFoundError("spigot.validation needs SimPy: pip install 'spigot[validation]'"
                              ) from exc

from spigot.network import SupplyNetwork
from spigot.policy.plan import LICENCE, BlockParams, PolicyPlan
from spigot.scenarios import Scenario
from spigot.sim.build.model import MAX_ORDER_FACTOR, SimModel
from spigot.sim.engine import BLOCK_SIZE, prepare

__all__ = ["TICKS", "DiscreteRun", "Filing", "Lots", "block_params", "run_discrete"]

#: SimPy ticks per step (the phases of a step are ticks 0-5).
TICKS = 10
_POLICY, _ARRIVE, _FILE, _REVIEW, _DUE, _SECTOR = 0, 1, 2, 3, 4, 5

FloatArray = npt.NDArray[np.float64]
Lots = Literal["split", "whole"]
Filing = Literal["random", "route"]


@dataclasses.dataclass(frozen=True)
class DiscreteRun:
    """What the discrete model records, per draw (``D`` draws, ``T`` steps, ``R`` routes into
    the modelled buffers in buffer then network order, ``S`` sectors, one per buffer).

    Attributes
    ----------
    sectors, routes
        The sector ids and route ids.
    exports
        (D, T, R) t shipped on each route in each step (free orders, and approvals when due).
    applied
        (D, T, R) t filed as licence applications in each step.
    n_applications
        (D, T, R) applications filed in each step.
    stopped
        (D, T, S) 1 where the sector made less than ``stop_below`` of its plan.
    lost_units, lost_usd
        (D, S) output lost over the horizon (sector units, USD).
    stopped_weeks
        (D, S) stopped steps times the step length.
    first_stop_week
        (D, S) first stopped step times the step length; NaN if the sector never stops.
    """

    sectors: tuple[str, ...]
    routes: tuple[str, ...]
    exports: FloatArray
    applied: FloatArray
    n_applications: FloatArray
    stopped: FloatArray
    lost_units: FloatArray
    lost_usd: FloatArray
    stopped_weeks: FloatArray
    first_stop_week: FloatArray

    def sector(self, name: str) -> int:
        """Index of sector ``name``."""
        return self.sectors.index(name)


@dataclasses.dataclass
class _App:
    """One licence application: its route (index into the modelled routes) and tonnes."""

    route: int
    tonnes: float


@dataclasses.dataclass(frozen=True)
class _Buffer:
    """An importing region buffer: its routes, its one sector pair and that pair's sector."""

    b: int
    routes: list[int]
    pair: int
    sector: int


def _buffer(m: SimModel, region: str, commodity: str) -> _Buffer:
    net = m.net
    if region not in net.regions or commodity not in net.commodities:
        raise ValueError(f"unknown region or commodity: {region!r}, {commodity!r}")
    r, c = net.regions.index(region), net.commodities.index(commodity)
    found = [b for b in range(m.rbuf0, m.n_buffers) if m.buf_place[b] == r and m.buf_c[b] == c]
    if not found:
        raise ValueError(f"no region buffer of {commodity} in {region}: the discrete model needs "
                         "a region whose sectors use the commodity")
    b = found[0]
    pairs = [int(q) for q in m.buf_sc[m.buf_sc_ptr[b]:m.buf_sc_ptr[b + 1]]]
    if len(pairs) != 1:
        raise ValueError(f"{region} has {len(pairs)} sectors using {commodity}; the discrete "
                         "model handles one (pick a region with a single user)")
    s = int(m.sc_sector[pairs[0]])
    if m.sec_ptr[s + 1] - m.sec_ptr[s] != 1:
        raise ValueError(f"sector {net.sectors[s]} uses several commodities; the discrete model "
                         "handles a sector with one input")
    if any(int(pb) == b and q > 0 for pb, q in zip(m.pile_buf, m.pile_qty, strict=True)):
        raise ValueError(f"{region} holds a stockpile of {commodity}; not in the discrete model")
    routes = [int(k) for k in m.buf_rt[m.buf_rt_ptr[b]:m.buf_rt_ptr[b + 1]]]
    return _Buffer(b, routes, pairs[0], s)


def _governs(plan: PolicyPlan, k: int, mi: int) -> bool:
    return any(int(plan.rm_measure[p]) == mi for p in range(plan.rm_ptr[k], plan.rm_ptr[k + 1]))


def _check_supported(m: SimModel, routes: list[int], params: BlockParams) -> None:
    plan = m.plan
    for k in routes:
        for pos in range(plan.rm_ptr[k], plan.rm_ptr[k + 1]):
            mi = int(plan.rm_measure[pos])
            name = plan.ids[mi]
            if plan.kind[mi] != LICENCE:
                raise ValueError(f"measure {name} on route {m.net.routes[k]} is not a licence; "
                                 "the discrete model has licences only")
            if plan.validity_steps[mi] > 0 or plan.refile_steps[mi] > 0:
                raise ValueError(f"licence {name} has validity_weeks or refile_weeks; not in "
                                 "the discrete model")
            if (params.warm[:, mi] > 0).any():
                raise ValueError(f"licence {name} starts before the run (a warm start); not in "
                                 "the discrete model")
            others = [int(x) for x in plan.slot_route
                      if int(x) not in routes and _governs(plan, int(x), mi)]
            if others and np.isfinite(params.capacity[:, mi]).any():
                raise ValueError(f"licence {name} shares its review capacity with route "
                                 f"{m.net.routes[others[0]]} outside the modelled buffers")


def block_params(m: SimModel, seed: int, draws: int) -> BlockParams:
    """The engine's per-draw regime (approval odds, kernels, capacity, dates) for ``draws``."""
    blocks = [m.plan.sample_block(seed, b, BLOCK_SIZE)
              for b in range(math.ceil(draws / BLOCK_SIZE))]
    return BlockParams.concat(blocks).take(draws)


class _World:
    """One draw of the discrete model: SimPy processes over the importing buffers."""

    def __init__(self, m: SimModel, bufs: list[_Buffer], p: BlockParams, d: int, lots: Lots,
                 filing: Filing, rng: np.random.Generator) -> None:
        self.m, self.bufs, self.p, self.d = m, bufs, p, d
        self.lots, self.filing, self.rng = lots, filing, rng
        self.env = simpy.Environment()
        self.route = [k for buf in bufs for k in buf.routes]  # network index of each route
        self.owner = [i for i, buf in enumerate(bufs) for _ in buf.routes]
        R, T, S = len(self.route), m.steps, len(bufs)
        self.orders = [float(m.route_base[k]) for k in self.route]
        self.transit = [0.0] * R  # t in transit on each route
        self.queue: list[_App] = []  # filed, waiting for review (first come, first served)
        self.review = [0.0] * R  # t under review on each route
        self.backlog = [0.0] * R  # t ordered but not yet a whole application (lots="whole")
        self.pool = [0.0] * S
        self.stock = [float(m.sc_target[buf.pair]) for buf in bufs]
        self.gov = [-1] * R  # measure governing each route this step (-1: none)
        self.pair = [-1] * R
        self.planned = [-1] * R  # an announced licence not yet in force
        self.planned_pair = [-1] * R
        self.exports = np.zeros((T, R))
        self.applied = np.zeros((T, R))
        self.n_apps = np.zeros((T, R))
        self.stopped = np.zeros((T, S))
        self.lost_units = np.zeros(S)
        self.first_stop = [-1] * S
        for r, k in enumerate(self.route):  # pipes start full with base flows
            for w in range(int(m.route_transit[k])):
                self.env.process(self._travel(r, float(m.route_base[k]), w * TICKS + _ARRIVE))
        phases: list[tuple[int, Callable[[int], None]]] = [
            (_POLICY, self._policies), (_FILE, self._file), (_REVIEW, self._office),
            (_SECTOR, self._sectors)]
        for offset, phase in phases:
            self.env.process(self._weekly(offset, phase))

    def run(self) -> None:
        self.env.run(until=self.m.steps * TICKS)

    # ------------------------------------------------------------------ processes
    def _weekly(self, offset: int, phase: Callable[[int], None]
                ) -> Generator[simpy.Event, None, None]:
        yield self.env.timeout(offset)
        for t in range(self.m.steps):
            phase(t)
            yield self.env.timeout(TICKS)

    def _travel(self, r: int, tonnes: float, delay: int) -> Generator[simpy.Event, None, None]:
        """A shipment in transit; it joins its region's pool when it arrives."""
        self.transit[r] += tonnes
        yield self.env.timeout(delay)
        self.transit[r] -= tonnes
        self.pool[self.owner[r]] += tonnes

    def _decide(self, app: _App, lag: int, ok: bool) -> Generator[simpy.Event, None, None]:
        """An application under review, decided ``lag`` steps after its review began."""
        self.review[app.route] += app.tonnes
        yield self.env.timeout(lag * TICKS + (_DUE - _REVIEW))
        self.review[app.route] -= app.tonnes
        if ok:
            self._ship(app.route, app.tonnes, int(self.env.now) // TICKS, _DUE)

    def _ship(self, r: int, tonnes: float, t: int, tick: int) -> None:
        self.exports[t, r] += tonnes
        delay = int(self.m.route_transit[self.route[r]]) * TICKS + _ARRIVE - tick
        self.env.process(self._travel(r, tonnes, delay))

    # ------------------------------------------------------------------ phases
    def _policies(self, t: int) -> None:
        plan, p, d = self.m.plan, self.p, self.d
        for r, k in enumerate(self.route):
            self.gov[r] = self.pair[r] = self.planned[r] = self.planned_pair[r] = -1
            for pos in range(plan.rm_ptr[k], plan.rm_ptr[k + 1]):
                mi = int(plan.rm_measure[pos])
                if p.active[d, mi, t]:
                    self.gov[r], self.pair[r] = mi, int(plan.rm_pair[pos])
                elif p.announced[d, mi, t]:
                    self.planned[r], self.planned_pair[r] = mi, int(plan.rm_pair[pos])

    def _file(self, t: int) -> None:
        """The week's orders: free tonnes ship, licensed tonnes are filed as applications."""
        plan = self.m.plan
        new: list[_App] = []
        for r in range(len(self.route)):
            x = self.orders[r]
            if self.gov[r] >= 0:
                ship_t = float(plan.pair_ship_t[self.pair[r]])
                licensed = x * float(plan.pair_share[self.pair[r]])
                x -= licensed
                self.applied[t, r] += licensed
                lots = self._lots(r, licensed, ship_t)
                new += [_App(r, size) for size in lots]
                self.n_apps[t, r] += len(lots)
            else:  # no licence in force: queued applications and any backlog ship
                waiting = [a for a in self.queue if a.route == r]
                if waiting or self.backlog[r] > 0:
                    self.queue = [a for a in self.queue if a.route != r]
                    x += sum(a.tonnes for a in waiting) + self.backlog[r]
                    self.backlog[r] = 0.0
            if x > 0:
                self._ship(r, x, t, _FILE)
        if self.filing == "random" and len(new) > 1:  # filed at random moments of the week
            new = [new[i] for i in self.rng.permutation(len(new))]
        self.queue += new

    def _lots(self, r: int, tonnes: float, ship_t: float) -> list[float]:
        if self.lots == "split":
            n = math.floor(tonnes / ship_t + 1e-9)
            rest = tonnes - n * ship_t
            return [ship_t] * n + ([rest] if rest > 1e-12 * ship_t else [])
        self.backlog[r] += tonnes
        n = math.floor(self.backlog[r] / ship_t + 1e-9)
        self.backlog[r] = max(0.0, self.backlog[r] - n * ship_t)
        return [ship_t] * n

    def _office(self, t: int) -> None:
        """Review: each licence takes at most its capacity of applications, oldest first; each
        gets a delay from the draw's kernel and a yes or no at the draw's odds."""
        p, d = self.p, self.d
        taken: dict[int, int] = {}
        keep: list[_App] = []
        for app in self.queue:
            mi, e = self.gov[app.route], self.pair[app.route]
            cap = float(p.capacity[d, mi])
            allowed = (math.inf if not np.isfinite(cap) else
                       math.floor(cap * (t + 1) + 1e-9) - math.floor(cap * t + 1e-9))
            if taken.get(mi, 0) >= allowed:
                keep.append(app)
                continue
            taken[mi] = taken.get(mi, 0) + 1
            cdf = np.cumsum(p.kernel[d, mi])
            lag = min(int(np.searchsorted(cdf, self.rng.random(), side="right")), len(cdf) - 1)
            ok = bool(self.rng.random() < p.approve[d, e])
            self.env.process(self._decide(app, lag, ok))
        self.queue = keep

    def _pending(self, r: int) -> float:
        return (sum(a.tonnes for a in self.queue if a.route == r) + self.review[r]
                + self.backlog[r])

    def _sectors(self, t: int) -> None:
        """Allocation, consumption and reorder (the engine's phases 5-7) for each buffer."""
        m, p, d = self.m, self.p, self.d
        for i, buf in enumerate(self.bufs):
            need = float(m.sc_need[buf.pair])
            want = float(m.sc_target[buf.pair]) + need
            given = min(self.pool[i], max(0.0, want - self.stock[i]))
            self.pool[i] -= given
            self.stock[i] += given
            u = min(1.0, self.stock[i] / need)
            self.stock[i] -= u * need
            self.lost_units[i] += (1.0 - u) * float(m.sector_output[buf.sector])
            if u < m.stop_below:
                self.stopped[t, i] = 1.0
                if self.first_stop[i] < 0:
                    self.first_stop[i] = t
            position0 = self.pool[i] + self.stock[i] + sum(
                self.transit[r] for r in range(len(self.route)) if self.owner[r] == i)
            inflow, adjust = float(m.buf_inflow[buf.b]), float(m.buf_adjust[buf.b])
            for r in (r for r in range(len(self.route)) if self.owner[r] == i):
                k = self.route[r]
                position, target = position0, float(m.buf_target_pos[buf.b])
                base = float(m.route_base[k])
                if m.plan.route_slot[k] >= 0:
                    pending = self._pending(r)
                    if self.gov[r] >= 0:
                        position += float(p.approve[d, self.pair[r]]) * pending
                        target += base * float(m.plan.pair_share[self.pair[r]]) * float(
                            p.lead[d, self.gov[r]])
                    else:
                        position += pending
                        if self.planned[r] >= 0:
                            target += base * float(
                                m.plan.pair_share[self.planned_pair[r]]) * float(
                                p.lead[d, self.planned[r]])
                factor = 1.0 + (target - position) / (inflow * adjust)
                self.orders[r] = base * min(MAX_ORDER_FACTOR, max(0.0, factor))


def run_discrete(scenario: Scenario, buffers: Sequence[tuple[str, str]], *,
                 draws: int | None = None, seed: int | None = None, lots: Lots = "split",
                 filing: Filing = "random", network: SupplyNetwork | None = None,
                 entropy: int = 1) -> DiscreteRun:
    """Run the discrete licence model of some importing region buffers.

    Parameters
    ----------
    scenario
        The scenario (flows only: the market phase is not modelled).
    buffers
        ``(region, commodity)`` of each importing buffer, e.g. ``[("USA", "ndfeb_magnet")]``;
        the buffers whose licensed routes share a review office must all be listed.
    draws, seed, network
        As :func:`spigot.simulate` (default: the scenario's). Draw ``d`` has the engine's regime
        of draw ``d`` (approval odds, processing-time kernel, review capacity, dates), so the two
        models can be compared draw by draw.
    lots
        ``"split"``: a week's order is filed as applications of ``shipment_t`` and one smaller
        remainder (the engine's tonnes); ``"whole"``: whole shipments only, the remainder waits
        for the next week's order (counted as on order).
    filing
        Order of one week's new applications in the office's queue: ``"random"`` (filed at
        random moments of the week) or ``"route"`` (route after route, in network order).
    entropy
        Extra entropy for the per-application random numbers (filing order, delays,
        decisions): draw ``d`` uses ``SeedSequence([seed, d, entropy])``.

    Raises
    ------
    ValueError
        If a buffer or a measure on its routes is outside what the model covers (module
        docstring), or ``lots`` or ``filing`` is unknown.
    """
    if lots not in ("split", "whole"):
        raise ValueError(f"lots must be 'split' or 'whole', not {lots!r}")
    if filing not in ("random", "route"):
        raise ValueError(f"filing must be 'random' or 'route', not {filing!r}")
    n = scenario.draws if draws is None else draws
    s = scenario.seed if seed is None else seed
    m = prepare(scenario, network, markets=False)
    bufs = [_buffer(m, region, commodity) for region, commodity in buffers]
    params = block_params(m, s, n)
    routes = [k for buf in bufs for k in buf.routes]
    _check_supported(m, routes, params)
    T, R, S = m.steps, len(routes), len(bufs)
    exports, applied, n_apps = np.zeros((n, T, R)), np.zeros((n, T, R)), np.zeros((n, T, R))
    stopped, lost, first = np.zeros((n, T, S)), np.zeros((n, S)), np.full((n, S), np.nan)
    for d in range(n):
        rng = np.random.default_rng(np.random.SeedSequence([s, d, entropy]))
        world = _World(m, bufs, params, d, lots, filing, rng)
        world.run()
        exports[d], applied[d], n_apps[d] = world.exports, world.applied, world.n_apps
        stopped[d], lost[d] = world.stopped, world.lost_units
        for i, t in enumerate(world.first_stop):
            if t >= 0:
                first[d, i] = t * m.net.step_weeks
    value = np.array([m.sector_value[buf.sector] for buf in bufs], dtype=float)
    return DiscreteRun(
        sectors=tuple(m.net.sectors[buf.sector] for buf in bufs),
        routes=tuple(m.net.routes[k] for k in routes), exports=exports, applied=applied,
        n_applications=n_apps, stopped=stopped, lost_units=lost, lost_usd=lost * value,
        stopped_weeks=stopped.sum(axis=1) * m.net.step_weeks, first_stop_week=first)
