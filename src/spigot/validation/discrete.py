"""A discrete-event model of the licence process, written in SimPy, to check the fluid engine.

spigot's engine is a *fluid*: a licensed route's weekly flow is a continuous number of tonnes,
the review office decides a share of every route's queue when its capacity binds (pro rata over
fractional applications), and an approval share of ``p`` approves ``p`` of the flow. This module
models the same world the way a modeller of a licensing office would:

* the importer's order on a licensed route is filed as **whole applications** of ``shipment_t``
  tonnes (``lots="split"``: the week's order is cut into applications of ``shipment_t`` and one
  smaller remainder; ``lots="whole"``: only whole shipments are filed and the remainder waits for
  next week's order);
* the review office takes at most ``applications_per_week`` applications a week, **first come,
  first served** over all the routes the licence covers;
* each application has **its own processing time**, drawn from the draw's delay kernel (the
  scenario's distribution times the draw's scale, in whole steps: the kernel the engine spreads
  the flow over), and gets a **yes or no** at the draw's approval odds;
* approved shipments travel the route's transit time; denied ones go back to the exporter.

The importing region (one region buffer: one commodity and the single sector that uses it) keeps
spigot's rules exactly: arrivals go to the sector up to its cover target plus the week's need, the
sector makes ``min(1, stock / need)`` of its plan and is *stopped* below ``stop_below``, and every
route into the buffer orders ``base x clip(1 + (target - position) / (inflow x adjust), 0, 2)``,
the licensed route counting its pending applications at the approval odds and planning for the
mean licence delay (docs/design.md, Engine). Suppliers ship what is ordered (the comparison
checks that the engine's suppliers did too: with ``lots="split"``, deterministic decisions and a
capacity that does not bind, the two models agree to rounding).

Each week runs in ten ticks so that SimPy's clock orders the engine's phases: tick 0 policies,
1 arrivals, 2 orders shipped or filed, 3 review, 4 decisions due, 5 allocation, consumption and
reorder. An application reviewed in week ``t`` with a delay of ``l`` steps is decided at tick
``10 (t + l) + 4`` and, if approved, arrives at tick ``10 (t + l + transit) + 1``.

What is not modelled (a :class:`ValueError` names it): bans, quotas, re-filing, validity
(general licences), warm starts, markets, stockpiles on the buffer, and a region buffer shared by
several sectors or a sector using several commodities.
"""

# ruff: noqa: N806 - sizes are named as in the docs
from __future__ import annotations

import dataclasses
import math
from collections.abc import Generator, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import simpy

from spigot.policy.plan import LICENCE, BlockParams
from spigot.scenarios import Scenario
from spigot.sim.build.model import MAX_ORDER_FACTOR, SimModel
from spigot.sim.engine import BLOCK_SIZE, prepare

__all__ = ["TICKS", "DiscreteRun", "run_discrete"]

#: SimPy ticks per step (the phases of a step are ticks 0-5).
TICKS = 10
_POLICY, _ARRIVE, _FILE, _REVIEW, _DUE, _SECTOR = 0, 1, 2, 3, 4, 5

FloatArray = npt.NDArray[np.float64]
Lots = Literal["split", "whole"]


@dataclasses.dataclass(frozen=True)
class DiscreteRun:
    """What the discrete model records, per draw (``D`` draws, ``T`` steps, ``R`` routes into
    the buffer, in the network's route order).

    Attributes
    ----------
    sector, routes
        The sector id and the ids of the routes into its buffer.
    exports
        (D, T, R) t shipped on each route in each step (free orders, and approvals when due).
    applied
        (D, T) t filed as licence applications in each step (all licensed routes).
    n_applications
        (D, T) applications filed in each step.
    stopped
        (D, T) 1 where the sector made less than ``stop_below`` of its plan.
    lost_units, lost_usd
        (D,) output lost over the horizon (sector units, USD).
    stopped_weeks
        (D,) stopped steps times the step length.
    first_stop_week
        (D,) first stopped step times the step length; NaN if the sector never stops.
    """

    sector: str
    routes: tuple[str, ...]
    exports: FloatArray
    applied: FloatArray
    n_applications: FloatArray
    stopped: FloatArray
    lost_units: FloatArray
    lost_usd: FloatArray
    stopped_weeks: FloatArray
    first_stop_week: FloatArray


@dataclasses.dataclass
class _App:
    """One licence application: its route (index into the buffer's routes), tonnes, measure and
    pair at filing, and the step it was filed."""

    route: int
    tonnes: float
    filed: int


@dataclasses.dataclass(frozen=True)
class _Buffer:
    """The importing region buffer: its routes, its one sector pair and their parameters."""

    b: int
    routes: list[int]
    pair: int
    sector: int


def _buffer(m: SimModel, region: str, commodity: str) -> _Buffer:
    net = m.net
    r, c = net.regions.index(region), net.commodities.index(commodity)
    found = [b for b in range(m.rbuf0, m.n_buffers)
             if m.buf_place[b] == r and m.buf_c[b] == c]
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
    if any(int(pb) == b for pb in m.pile_buf):
        raise ValueError(f"{region} holds a stockpile of {commodity}; not in the discrete model")
    routes = [int(k) for k in m.buf_rt[m.buf_rt_ptr[b]:m.buf_rt_ptr[b + 1]]]
    return _Buffer(b, routes, pairs[0], s)


def _check_supported(m: SimModel, buf: _Buffer, params: BlockParams) -> None:
    plan = m.plan
    for k in buf.routes:
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
                      if int(x) not in buf.routes and _governs(plan, int(x), mi)]
            if others and np.isfinite(params.capacity[:, mi]).any():
                raise ValueError(f"licence {name} shares its review capacity with routes outside "
                                 f"the buffer ({m.net.routes[others[0]]}); not in the discrete "
                                 "model")


def _governs(plan: Any, k: int, mi: int) -> bool:
    return any(int(plan.rm_measure[p]) == mi for p in range(plan.rm_ptr[k], plan.rm_ptr[k + 1]))


def _block_params(m: SimModel, seed: int, draws: int) -> BlockParams:
    """The engine's per-draw regime (approval odds, kernels, capacity, dates) for ``draws``."""
    blocks = [m.plan.sample_block(seed, b, BLOCK_SIZE)
              for b in range(math.ceil(draws / BLOCK_SIZE))]
    return BlockParams.concat(blocks).take(draws)


class _World:
    """One draw of the discrete model: SimPy processes over the importing buffer."""

    def __init__(self, m: SimModel, buf: _Buffer, p: BlockParams, d: int, lots: Lots,
                 rng: np.random.Generator) -> None:
        self.m, self.buf, self.p, self.d, self.lots, self.rng = m, buf, p, d, lots, rng
        self.env = simpy.Environment()
        R, T = len(buf.routes), m.steps
        self.orders = [float(m.route_base[k]) for k in buf.routes]
        self.transit = [0.0] * R  # t in transit on each route
        self.queue: list[_App] = []  # filed, waiting for review (first come, first served)
        self.review = [0.0] * R  # t under review on each route
        self.backlog = [0.0] * R  # t ordered but not yet a whole application (lots="whole")
        self.pool = 0.0
        self.stock = float(m.sc_target[buf.pair])
        self.gov = [-1] * R  # measure governing each route this step (-1: none)
        self.pair = [-1] * R
        self.planned = [-1] * R  # an announced licence not yet in force
        self.planned_pair = [-1] * R
        self.exports = np.zeros((T, R))
        self.applied = np.zeros(T)
        self.n_apps = np.zeros(T)
        self.stopped = np.zeros(T)
        self.lost_units = 0.0
        self.first_stop = -1
        for r, k in enumerate(buf.routes):  # pipes start full with base flows
            for w in range(int(m.route_transit[k])):
                self.env.process(self._travel(r, float(m.route_base[k]), w * TICKS + _ARRIVE))
        for offset, phase in ((_POLICY, self._policies), (_FILE, self._file),
                              (_REVIEW, self._office), (_SECTOR, self._sector)):
            self.env.process(self._weekly(offset, phase))

    def run(self) -> None:
        self.env.run(until=self.m.steps * TICKS)

    # ------------------------------------------------------------------ processes
    def _weekly(self, offset: int, phase: Any) -> Generator[simpy.Event, None, None]:
        yield self.env.timeout(offset)
        for t in range(self.m.steps):
            phase(t)
            yield self.env.timeout(TICKS)

    def _travel(self, r: int, tonnes: float, delay: int) -> Generator[simpy.Event, None, None]:
        """A shipment in transit; it joins the region's pool when it arrives."""
        self.transit[r] += tonnes
        yield self.env.timeout(delay)
        self.transit[r] -= tonnes
        self.pool += tonnes

    def _decide(self, app: _App, lag: int, ok: bool) -> Generator[simpy.Event, None, None]:
        """An application under review: decided ``lag`` steps after its review began."""
        self.review[app.route] += app.tonnes
        yield self.env.timeout(lag * TICKS + (_DUE - _REVIEW))
        self.review[app.route] -= app.tonnes
        if ok:
            self._ship(app.route, app.tonnes, int(self.env.now) // TICKS, _DUE)

    def _ship(self, r: int, tonnes: float, t: int, tick: int) -> None:
        k = self.buf.routes[r]
        self.exports[t, r] += tonnes
        delay = int(self.m.route_transit[k]) * TICKS + _ARRIVE - tick
        self.env.process(self._travel(r, tonnes, delay))

    # ------------------------------------------------------------------ phases
    def _policies(self, t: int) -> None:
        plan, p, d = self.m.plan, self.p, self.d
        for r, k in enumerate(self.buf.routes):
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
        for r in range(len(self.buf.routes)):
            x = self.orders[r]
            if self.gov[r] >= 0:
                ship_t = float(plan.pair_ship_t[self.pair[r]])
                licensed = x * float(plan.pair_share[self.pair[r]])
                x -= licensed
                self.applied[t] += licensed
                for size in self._lots(r, licensed, ship_t):
                    self.queue.append(_App(r, size, t))
                    self.n_apps[t] += 1
            else:  # no licence in force: queued applications and any backlog ship
                waiting = [a for a in self.queue if a.route == r]
                if waiting or self.backlog[r] > 0:
                    self.queue = [a for a in self.queue if a.route != r]
                    x += sum(a.tonnes for a in waiting) + self.backlog[r]
                    self.backlog[r] = 0.0
            if x > 0:
                self._ship(r, x, t, _FILE)

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

    def _sector(self, t: int) -> None:
        """Allocation, consumption and reorder (the engine's phases 5-7 for one buffer)."""
        m, buf, p, d = self.m, self.buf, self.p, self.d
        need, want = float(m.sc_need[buf.pair]), float(m.sc_target[buf.pair] + m.sc_need[buf.pair])
        given = min(self.pool, max(0.0, want - self.stock))
        self.pool -= given
        self.stock += given
        u = min(1.0, self.stock / need)
        self.stock -= u * need
        self.lost_units += (1.0 - u) * float(m.sector_output[buf.sector])
        if u < m.stop_below:
            self.stopped[t] = 1.0
            if self.first_stop < 0:
                self.first_stop = t
        on_hand = self.pool + self.stock
        in_transit = sum(self.transit)
        inflow, adjust = float(m.buf_inflow[buf.b]), float(m.buf_adjust[buf.b])
        for r, k in enumerate(buf.routes):
            position = on_hand + in_transit
            target = float(m.buf_target_pos[buf.b])
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
                        target += base * float(m.plan.pair_share[self.planned_pair[r]]) * float(
                            p.lead[d, self.planned[r]])
            factor = min(MAX_ORDER_FACTOR, max(0.0, 1.0 + (target - position) / (inflow * adjust)))
            self.orders[r] = base * factor


def run_discrete(scenario: Scenario, *, region: str, commodity: str, draws: int | None = None,
                 seed: int | None = None, lots: Lots = "split",
                 draw_seed: Sequence[int] = (1,)) -> DiscreteRun:
    """Run the discrete licence model of one importing region buffer.

    Parameters
    ----------
    scenario
        The scenario (flows only: the market phase is not modelled).
    region, commodity
        The importing region and the commodity of its buffer (e.g. ``"USA"``, ``"ndfeb_magnet"``).
    draws, seed
        As :func:`spigot.simulate` (default: the scenario's). Draw ``d`` has the engine's regime of
        draw ``d`` (approval odds, processing-time kernel, review capacity, dates), so the two
        models can be compared draw by draw.
    lots
        ``"split"``: a week's order is filed as applications of ``shipment_t`` and one smaller
        remainder (tonnes as the engine's); ``"whole"``: whole shipments only, the remainder
        waits for the next week's order.
    draw_seed
        Extra entropy for the per-application random numbers (delays, decisions): draw ``d`` uses
        ``SeedSequence([seed, d, *draw_seed])``.

    Raises
    ------
    ValueError
        If the buffer or a measure on its routes is outside what the model covers (module
        docstring), or ``lots`` is unknown.
    """
    if lots not in ("split", "whole"):
        raise ValueError(f"lots must be 'split' or 'whole', not {lots!r}")
    n = scenario.draws if draws is None else draws
    s = scenario.seed if seed is None else seed
    m = prepare(scenario, markets=False)
    buf = _buffer(m, region, commodity)
    params = _block_params(m, s, n)
    _check_supported(m, buf, params)
    T, R = m.steps, len(buf.routes)
    out = {name: np.zeros(shape) for name, shape in (
        ("exports", (n, T, R)), ("applied", (n, T)), ("n_applications", (n, T)),
        ("stopped", (n, T)), ("lost_units", (n,)))}
    first = np.full(n, np.nan)
    for d in range(n):
        rng = np.random.default_rng(np.random.SeedSequence([s, d, *draw_seed]))
        world = _World(m, buf, params, d, lots, rng)
        world.run()
        out["exports"][d], out["applied"][d] = world.exports, world.applied
        out["n_applications"][d], out["stopped"][d] = world.n_apps, world.stopped
        out["lost_units"][d] = world.lost_units
        if world.first_stop >= 0:
            first[d] = world.first_stop * m.net.step_weeks
    value = float(m.sector_value[buf.sector])
    return DiscreteRun(
        sector=m.net.sectors[buf.sector], routes=tuple(m.net.routes[k] for k in buf.routes),
        exports=out["exports"], applied=out["applied"], n_applications=out["n_applications"],
        stopped=out["stopped"], lost_units=out["lost_units"], lost_usd=out["lost_units"] * value,
        stopped_weeks=out["stopped"].sum(axis=1) * m.net.step_weeks, first_stop_week=first)
