"""The fluid engine against the discrete (SimPy) licence model (issue 17, item 7).

Exact agreement where the two must agree (deterministic decisions, a review capacity that does
not bind, orders filed to the tonne), with both engines; and the measured differences where they
must not (docs/model.md, "Queue discipline and lumpiness").
"""

from __future__ import annotations

import numpy as np
import pytest

from spigot.scenarios import load_text
from spigot.validation.compare import (
    CASES,
    USA,
    Case,
    compare,
    discrete_arrays,
    fluid_arrays,
    summary,
    toy_licence,
)
from spigot.validation.discrete import run_discrete

EXACT = [name for name, case in CASES.items() if case.exact]


@pytest.mark.parametrize("engine", ["reference", "numba"])
@pytest.mark.parametrize("name", EXACT)
def test_discrete_model_agrees_exactly_where_it_must(name: str, engine: str) -> None:
    res, disc = compare(CASES[name], draws=3, seed=5, engine=engine)  # type: ignore[arg-type]
    ds = res.data
    fluid = ds["traj_exports"].sel(route=list(disc.routes)).values
    np.testing.assert_allclose(disc.exports, fluid, rtol=0, atol=1e-9 * fluid.max())
    applied = ds["traj_licence_applications"]
    for r, route in enumerate(disc.routes):
        if route in ds["licence_route"].values:
            np.testing.assert_allclose(disc.applied[:, :, r], applied.sel(licence_route=route),
                                       rtol=0, atol=1e-9 * fluid.max())
    for sector in disc.sectors:
        f_first, f_weeks, f_usd = fluid_arrays(res, sector)
        d_first, d_weeks, d_usd = discrete_arrays(disc, sector)
        np.testing.assert_array_equal(d_first, f_first)
        np.testing.assert_array_equal(d_weeks, f_weeks)
        np.testing.assert_allclose(d_usd, f_usd, rtol=1e-9, atol=1e-6)
        i = [str(s) for s in ds["sector"].values].index(sector)
        np.testing.assert_array_equal(disc.stopped[:, :, disc.sector(sector)],
                                      ds["traj_stopped"].values[:, :, i])


def test_exact_cases_bite() -> None:
    # the agreement is not that of two idle models: a stoppage, a queue, a second importer
    _res, disc = compare(CASES["exact-deny"], draws=1)
    assert disc.stopped_weeks[0, 0] == 34
    assert disc.first_stop_week[0, 0] == 18
    assert disc.lost_usd[0, 0] > 7e7
    _, slack = compare(CASES["exact-two"], draws=1)
    assert slack.sectors == ("USA.automotive", "JPN.automotive")
    assert slack.n_applications.sum(axis=1).max() > 0


def test_a_binding_office_on_one_route_is_the_same_in_both_disciplines() -> None:
    # one route: FCFS and pro rata decide the same tonnes a week (min(queue, capacity))
    res, disc = compare(CASES["capacity-6"], draws=2)
    licensed = disc.exports[:, :, 0]
    assert licensed.max() == pytest.approx(6 * 0.05)  # the office binds...
    f, d = summary(*fluid_arrays(res, "USA.automotive")), summary(*discrete_arrays(
        disc, "USA.automotive"))
    assert d["lost_usd_m_mean"] == pytest.approx(f["lost_usd_m_mean"], rel=1e-6)  # ...and agrees


def test_whole_applications_arrive_in_whole_shipments() -> None:
    disc = run_discrete(CASES["odds-low-0.05t"].scenario(), [USA], draws=2, seed=1, lots="whole")
    lots = disc.exports[:, 8:, 0] / 0.05  # after the pipes' base flows
    np.testing.assert_allclose(lots, np.round(lots), atol=1e-9)
    # what is ordered but not yet a whole shipment waits: less than one shipment at any time
    backlog = np.cumsum(disc.applied[:, :, 0] - 0.05 * disc.n_applications[:, :, 0], axis=1)
    assert backlog.min() > -1e-12
    assert backlog.max() < 0.05


def _both(name: str, draws: int) -> tuple[dict[str, float], dict[str, float]]:
    res, disc = compare(CASES[name], draws=draws)
    return (summary(*fluid_arrays(res, "USA.automotive")),
            summary(*discrete_arrays(disc, "USA.automotive")))


def test_a_yes_or_no_on_few_large_applications_stops_more_than_a_share_of_the_flow() -> None:
    # one 1 t application every five weeks at odds U(0.1, 0.5): the fluid stops in about 60 % of
    # the draws (those with odds well below 0.5), the discrete model in every one
    f, d = _both("odds-low-1t", 48)
    assert 0.3 < f["share_stopping"] < 0.8
    assert d["share_stopping"] > f["share_stopping"] + 0.25
    assert d["stopped_weeks_mean"] > 1.5 * f["stopped_weeks_mean"]
    assert d["lost_usd_m_mean"] > 2 * f["lost_usd_m_mean"]


def test_many_small_applications_converge_to_the_fluid() -> None:
    # 19 applications a week at the same odds: lost output and stopped weeks within about 10 %
    # (the share of draws that stop converges more slowly: docs/model.md)
    f, d = _both("odds-low-0.01t", 48)
    assert d["lost_usd_m_mean"] == pytest.approx(f["lost_usd_m_mean"], rel=0.1)
    assert d["stopped_weeks_mean"] == pytest.approx(f["stopped_weeks_mean"], rel=0.2)


def test_a_chronic_partial_shortfall_is_lumpy_in_the_discrete_model() -> None:
    # odds 0.2: the fluid loses output every week without ever falling below 90 % of plan; whole
    # shipments arrive or do not, so the discrete model stops in almost every draw
    f, d = _both("odds-0.2-0.01t", 16)
    assert f["share_stopping"] == 0.0
    assert f["lost_usd_m_mean"] > 5
    assert d["share_stopping"] > 0.8
    assert d["lost_usd_m_mean"] == pytest.approx(f["lost_usd_m_mean"], rel=0.2)


def test_same_seed_same_draws() -> None:
    scen = CASES["odds-low-1t"].scenario()
    a = run_discrete(scen, [USA], draws=3, seed=2)
    b = run_discrete(scen, [USA], draws=3, seed=2)
    np.testing.assert_array_equal(a.exports, b.exports)
    c = run_discrete(scen, [USA], draws=3, seed=2, entropy=9)
    assert not np.array_equal(a.exports, c.exports)


def test_what_the_model_does_not_cover_is_named() -> None:
    ban = load_text(toy_licence().replace(
        "policies:\n", "policies:\n  - {type: ExportBan, id: cut, exporter: CHN, "
        "commodities: [ndfeb_magnet], destinations: [USA]}\n"))
    with pytest.raises(ValueError, match="measure cut on route mag_chn_usa is not a licence"):
        run_discrete(ban, [USA], draws=1)
    with pytest.raises(ValueError, match="no region buffer of dy_oxide in USA"):
        run_discrete(load_text(toy_licence()), [("USA", "dy_oxide")], draws=1)
    with pytest.raises(ValueError, match="lots must be 'split' or 'whole'"):
        run_discrete(load_text(toy_licence()), [USA], draws=1, lots="half")  # type: ignore[arg-type]
    shared = Case(toy_licence(capacity=6), "two importers, one modelled", two_importers=True)
    with pytest.raises(ValueError, match="shares its review capacity with route mag_chn_jpn"):
        run_discrete(shared.scenario(), [USA], draws=1, network=shared.network())
