"""A manufacturer's line on a one-supplier toy: stop probability, first stop week, weeks stopped
and lost output checked against a hand calculation (issue 18, item 5, "done when").

The product: 10 units a week in USA, 1 kg of NdFeB magnet per unit from China's magnet maker
(the toy's ``magnet_chn``, one route, transit ``T`` = 5 weeks, copied from ``mag_chn_usa``), a
cover of ``C`` weeks, USD 100 a unit. A measure stops the route's departures from step ``X``
(2025-03-03 = week 8 of a run starting 2025-01-06) for ``D`` steps (a ban of duration D, or a
licence whose processing takes D weeks with approval 1).

Hand calculation. Arrivals stop at step ``X + T``; the plant then lives on its cover: before the
``j``-th step without arrivals (j = 0, 1, ...) it holds ``C - j`` weeks, so it makes
``u = min(1, max(0, C - j))`` of its output and is *stopped* once ``u < 0.9`` (the scenario's
``stop_below``), that is from ``j* = floor(C - 0.9) + 1``. Departures resume at ``X + D`` and
arrive at ``X + D + T``: the line stops iff ``D >= j* + 1``, first at week ``X + T + j*``, for
``D - j*`` weeks (to the horizon if the ban never ends), losing
``sum_j (1 - max(0, C - j)) x 10`` units over the stopped steps.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import spigot as sp
from spigot.exposure import Product, exposure, load_product_text, map_product, summarise
from spigot.scenarios import load_text
from spigot.testing import run

X, T, H = 8, 5, 40  # ban start (week), transit of the tier-1 route, horizon
OUTPUT, VALUE = 10.0, 100.0


def product(cover: float) -> Product:
    return load_product_text(f"""
name: widget
plant: {{region: USA, output_per_week: {OUTPUT}, value_per_unit: {VALUE}, cover_weeks: {cover}}}
components:
  - {{name: magnet, commodity: ndfeb_magnet, kg_per_unit: 1.0, supplier: {{region: CHN}}}}
""")


def scenario(measure: str, draws: int = 4) -> sp.Scenario:
    return load_text(f"""
name: toy-measure
dataset: toy
start: 2025-01-06
horizon_weeks: {H}
draws: {draws}
markets: false
policies:
{measure}
""")


def ban(duration: float | None = None, probability: float = 1.0,
        spread: tuple[float, float] | None = None) -> str:
    text = """  - type: ExportBan
    id: ban
    exporter: CHN
    commodities: [ndfeb_magnet]
    destinations: [USA]
    start: 2025-03-03
"""
    if probability < 1:
        text += f"    probability: {probability}\n"
    if spread is not None:
        text += f"    duration_weeks: {{dist: uniform, low: {spread[0]}, high: {spread[1]}}}\n"
    elif duration is not None:
        text += f"    duration_weeks: {duration}\n"
    return text


def licence(weeks: float, commodity: str = "ndfeb_magnet", destination: str = "USA") -> str:
    return f"""  - type: ExportLicence
    id: lic
    exporter: CHN
    commodities: [{commodity}]
    destinations: [{destination}]
    start: 2025-03-03
    processing_time: {{distribution: {weeks}, unit: weeks}}
    approval: {{default: 1.0}}
"""


def by_hand(cover: float, gap: float) -> tuple[bool, float | None, float, float]:
    """(stops, first stop week, weeks stopped, lost USD) for a gap of ``gap`` departures."""
    j_star = math.floor(cover - 0.9) + 1
    gap_steps = min(gap, H - X - T)  # steps without arrivals within the horizon
    stopped = [j for j in range(int(gap_steps)) if j >= j_star]
    lost_units = sum((1 - max(0.0, cover - j)) * OUTPUT for j in range(int(gap_steps))
                     if cover - j < 1)
    if not stopped:
        return False, None, 0.0, lost_units * VALUE
    return True, float(X + T + j_star), float(len(stopped)), lost_units * VALUE


def check(row: dict[str, object], cover: float, gap: float) -> None:
    stops, first, weeks, usd = by_hand(cover, gap)
    assert row["stop_probability"] == (1.0 if stops else 0.0)
    assert row["first_stop_week_p50"] == first
    assert row["first_stop_week_p5"] == first
    assert row["first_stop_week_p95"] == first
    assert row["stopped_weeks_mean"] == weeks
    assert row["lost_usd_p95"] == pytest.approx(usd, rel=1e-9, abs=1e-6)


@pytest.mark.parametrize("cover", [0.0, 4.0, 4.5, 4.95, 6.0])
def test_a_ban_that_never_ends_stops_the_line_when_the_cover_runs_out(cover: float) -> None:
    row = exposure(product(cover), [scenario(ban())], network=sp.datasets.load("toy")).scenarios[0]
    check(row, cover, gap=math.inf)
    cause = row["cause"]
    assert cause["commodity"] == "ndfeb_magnet"
    assert (cause["node"], cause["region"], cause["tier"], cause["week"]) == ("magnet_chn", "CHN",
                                                                              1, float(X))


@pytest.mark.parametrize(("cover", "duration"), [(4.0, 3), (4.0, 4), (4.0, 5), (4.0, 9),
                                                 (4.5, 4), (4.5, 5)])
def test_a_ban_stops_the_line_only_if_it_outlasts_the_cover(cover: float, duration: int) -> None:
    row = exposure(product(cover), [scenario(ban(duration))],
                   network=sp.datasets.load("toy")).scenarios[0]
    check(row, cover, gap=duration)


@pytest.mark.parametrize("weeks", [3, 4, 5, 6, 8])
def test_a_licence_delay_acts_as_a_gap_of_its_processing_time(weeks: int) -> None:
    row = exposure(product(4.0), [scenario(licence(weeks))],
                   network=sp.datasets.load("toy")).scenarios[0]
    check(row, 4.0, gap=weeks)


@pytest.mark.parametrize("engine", ["numba", "reference"])
def test_stop_probability_of_a_random_ban_is_the_share_of_draws_the_hand_rule_stops(
        engine: str) -> None:
    """A ban imposed with probability 0.6 for U(2, 9) weeks: per draw, the gap is read off the
    tier-1 route's departures, the hand rule says whether and when the line stops, and the
    share of draws it stops must equal ``stop_probability`` exactly."""
    cover, draws = 4.0, 64
    toy = sp.datasets.load("toy")
    mapped = map_product(toy, product(cover))
    scen = scenario(ban(probability=0.6, spread=(2, 9)), draws=draws)
    res = run(scen, network=mapped.world, keep_trajectories=draws, engine=engine)
    row = summarise(res, mapped, scen)
    route = "ndfeb_magnet__magnet_chn__usa_widget"
    k = list(res.data["route"].values).index(route)
    departures = res.data["traj_exports"].values[:, :, k]  # (draw, step)
    gaps = (departures[:, X:] <= 0).sum(axis=1)
    predicted = [by_hand(cover, g) for g in gaps]
    assert 0 < sum(p[0] for p in predicted) < draws  # some draws stop, some do not
    assert row["stop_probability"] == np.mean([p[0] for p in predicted])
    firsts = [p[1] for p in predicted if p[0]]
    assert row["first_stop_week_p50"] == np.quantile(firsts, 0.5)
    assert row["stopped_weeks_mean"] == pytest.approx(np.mean([p[2] for p in predicted]))
    fs = res.data["first_stop_week"].sel(sector=mapped.sector).values
    for d, p in enumerate(predicted):
        assert (not np.isnan(fs[d])) == p[0]
        if p[0]:
            assert fs[d] == p[1]


# ---------------------------------------------------------------------- the EV motor on the toy
EV_MOTOR = """
name: ev-motor
plant: {{region: USA, output_per_week: 10, value_per_unit: 100, cover_weeks: {cover}}}
components:
  - name: rotor magnets
    commodity: ndfeb_magnet
    kg_per_unit: 1.6
    supplier: {{region: JPN}}
    inputs_from: {{dy_oxide: CHN, ndpr_oxide: CHN}}
    content: {{dy_oxide: 4.0}}
"""
T1, T2, NODE_COVER = 4, 3, 2  # magnet_jpn -> USA; sep_chn -> magnet_jpn; node input cover


def dy_licence(weeks: float | None) -> str:
    """China licenses Dy oxide to Japan from week 8 (processing ``weeks``, approval 1), or
    bans it for good (``None``)."""
    if weeks is None:
        return ("  - type: ExportBan\n    id: ban\n    exporter: CHN\n    commodities: [dy_oxide]\n"
                "    destinations: [JPN]\n    start: 2025-03-03\n")
    return licence(weeks, "dy_oxide", "JPN")


@pytest.mark.parametrize(("cover", "weeks"), [(0.0, None), (4.0, None), (4.5, None), (0.0, 2),
                                              (0.0, 3), (2.0, 4), (2.0, 6), (4.0, 6), (4.0, 7),
                                              (4.5, 8)])
def test_the_ev_motor_with_japanese_magnets_and_chinese_dy(cover: float,
                                                            weeks: int | None) -> None:
    """The bundled EV motor's supply chain on the toy: magnets from Japan's own line, its Dy
    oxide from China (4 % Dy). A gap of ``D`` weeks in China's Dy departures reaches the line
    after ``T2`` weeks, is bridged by the line's 2 weeks of input stock, and reaches the plant
    ``T1`` weeks later: the plant sees a gap of ``D - 2`` weeks from week ``X + T2 + 2 + T1``,
    then the one-supplier rule applies."""
    row = exposure(load_product_text(EV_MOTOR.format(cover=cover)), [scenario(dy_licence(weeks))],
                   network=sp.datasets.load("toy")).scenarios[0]
    j_star = math.floor(cover - 0.9) + 1
    start = X + T2 + NODE_COVER + T1
    gap = math.inf if weeks is None else weeks - NODE_COVER
    stops = gap >= j_star + 1
    assert row["stop_probability"] == (1.0 if stops else 0.0)
    assert row["first_stop_week_p50"] == (start + j_star if stops else None)
    stopped = min(gap, H - start) - j_star if stops else 0.0
    assert row["stopped_weeks_mean"] == stopped
    if stops:
        assert row["cause"]["node"] == "sep_chn"
        assert row["cause"]["route"] == "dy_oxide__sep_chn__magnet_jpn~ev_motor"
        assert (row["cause"]["tier"], row["cause"]["week"]) == (2, float(X))
