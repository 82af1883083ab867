"""Properties of the engine (hypothesis): conservation, agreement of the engines, chunk invariance,
monotonicity in licence processing time and approval odds, and zero policy = baseline."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import spigot as sp
from spigot.testing import assert_same, run, total_shortfall, toy_scenario

#: Examples per property: 12 in CI (derandomized, tests/conftest.py); an exploration sets
#: ``SPIGOT_PROPERTY_EXAMPLES=300`` with ``--hypothesis-profile explore --hypothesis-seed N``.
EXAMPLES = int(os.environ.get("SPIGOT_PROPERTY_EXAMPLES", "12"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

LICENCE = """
name: prop
dataset: toy
horizon_weeks: {weeks}
draws: {draws}
seed: {seed}
policies:
  - type: ExportLicence
    id: lic
    exporter: CHN
    commodities: {commodities}
    destinations: {destinations}
    start: 2025-0{month}-03
    processing_time:
      distribution: {{dist: lognormal, median: {median}, sigma: {sigma}, min: 1, max: 150}}
      scale: {scale}
    approval: {{default: {p}}}
    validity_weeks: {validity}
    refile_weeks: {refile}
    {capacity}
"""
COMMODITIES = ["[ndfeb_magnet]", "[dy_oxide, ndpr_oxide]", "[ndfeb_magnet, dy_oxide, ndpr_oxide]",
               "[re_concentrate, ndfeb_magnet]"]
CAPACITY = ["", "review_capacity: {applications_per_week: 2, shipment_t: 0.05}",
            "review_capacity: {applications_per_week: 40, shipment_t: 0.01}"]

#: Re-filing of denied applications: the default (4 weeks), a short lag, and off.
REFILE = st.sampled_from([4, 1, "null"])

licence_params = st.fixed_dictionaries({
    "weeks": st.integers(5, 60), "draws": st.integers(1, 4), "seed": st.integers(0, 2**31),
    "commodities": st.sampled_from(COMMODITIES),
    "destinations": st.sampled_from(["all", "[USA]", "{all_except: [USA]}", "[JPN, USA]"]),
    "month": st.integers(1, 6), "median": st.floats(1.0, 90.0), "sigma": st.floats(0.0, 1.0),
    "scale": st.floats(0.2, 2.0), "p": st.floats(0.0, 1.0), "validity": st.sampled_from([0, 0, 4]),
    "capacity": st.sampled_from(CAPACITY), "refile": REFILE,
})


GRANULARITY = st.sampled_from(["fluid", "applications", "auto"])


def _granular(text: str, granularity: str) -> str:
    """The licence deciding with ``granularity`` (whole applications or the fluid)."""
    return text.replace("    validity_weeks:", f"    granularity: {granularity}\n"
                        "    validity_weeks:")


@SETTINGS
@given(licence_params, st.sampled_from(["", "ban", "quota", "suspension"]), GRANULARITY)
def test_every_run_conserves_mass_and_engines_agree(params: dict[str, object], extra: str,
                                                    granularity: str) -> None:
    text = _granular(LICENCE.format(**params), granularity)
    if extra == "ban":
        text += ("  - {type: ExportBan, id: ban, exporter: CHN, commodities: [ndpr_oxide], "
                 "destinations: [JPN], duration_weeks: {dist: uniform, low: 1, high: 30}}\n")
    elif extra == "quota":
        text += ("  - {type: ExportQuota, id: q, exporter: CHN, commodities: [ndfeb_magnet], "
                 "annual_t: 5}\n")
    elif extra == "suspension":
        text += ("  - {type: Suspension, id: s, measure: lic, start: 2025-03-03, "
                 "duration_weeks: 6}\n")
    scen = toy_scenario(text, keep_trajectories=1)
    fast = run(scen)  # checks conservation
    slow = run(scen.with_options(horizon_weeks=min(scen.horizon_weeks, 25)), engine="reference")
    fast_short = run(scen.with_options(horizon_weeks=min(scen.horizon_weeks, 25)))
    assert_same(fast_short, slow, rtol=1e-9)
    assert np.isfinite(fast.data["shortfall_t"].values).all()


@SETTINGS
@given(licence_params, st.integers(1, 300), st.integers(1, 5), GRANULARITY)
def test_chunking_never_changes_a_bit(params: dict[str, object], draws: int, blocks: int,
                                      granularity: str) -> None:
    params = {**params, "weeks": 12, "draws": draws}
    scen = toy_scenario(_granular(LICENCE.format(**params), granularity), keep_trajectories=3)
    assert_same(run(scen, chunk_size=64 * blocks), run(scen, chunk_size=10_000))


MONO = dict(weeks=60, draws=2, seed=1, destinations="all", month=2, sigma=0.4, validity=0)


@SETTINGS
@given(st.floats(0.2, 2.5), st.floats(0.2, 2.5), st.floats(0.05, 1.0),
       st.sampled_from(COMMODITIES[:3]), st.sampled_from(CAPACITY), st.floats(5.0, 60.0), REFILE)
# counterexamples found with 40-300 examples (docs/design.md, "The licensed importer plans for
# the stated delay"): a pace that grew with the drawn lead (-0.05 %), and a goal that did while
# the pace did not (-31 %)
@example(0.5, 1.0, 1.0, COMMODITIES[2], CAPACITY[1], 5.0, "null")
@example(1.0, 0.5, 0.25, COMMODITIES[0], CAPACITY[0], 5.0, "null")
def test_longer_processing_never_lowers_expected_shortfall(
        s1: float, s2: float, p: float, commodities: str, capacity: str, median: float,
        refile: object) -> None:
    lo, hi = sorted((s1, s2))
    base = dict(MONO, commodities=commodities, capacity=capacity, p=p, median=median,
                refile=refile)
    short_fast = total_shortfall(run(toy_scenario(LICENCE.format(**base, scale=lo))))
    short_slow = total_shortfall(run(toy_scenario(LICENCE.format(**base, scale=hi))))
    assert short_slow >= short_fast - 1e-9 * max(1.0, short_fast)


@SETTINGS
@given(st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.floats(0.2, 2.0),
       st.sampled_from(COMMODITIES[:3]), st.sampled_from(CAPACITY), REFILE)
def test_lower_approval_never_lowers_expected_shortfall(
        p1: float, p2: float, scale: float, commodities: str, capacity: str,
        refile: object) -> None:
    lo, hi = sorted((p1, p2))
    base = dict(MONO, commodities=commodities, capacity=capacity, scale=scale, median=30,
                refile=refile)
    short_strict = total_shortfall(run(toy_scenario(LICENCE.format(**base, p=lo))))
    short_lenient = total_shortfall(run(toy_scenario(LICENCE.format(**base, p=hi))))
    assert short_strict >= short_lenient - 1e-9 * max(1.0, short_lenient)


SHARED = ["mean_exports", "mean_held", "mean_lost_units", "mean_stopped", "mean_shortfall",
          "mean_sector_stock", "mean_producer_stock", "mean_stockpile", "lost_output_usd",
          "shortfall_t", "first_stop_week", "conservation_residual"]


@SETTINGS
@given(licence_params, st.sampled_from(["never", "no-routes", "after-horizon"]))
def test_a_policy_that_never_bites_equals_baseline(params: dict[str, object], how: str) -> None:
    text = LICENCE.format(**params)
    if how == "never":
        text = text.replace("    start: 2025", "    probability: 0\n    start: 2025")
    elif how == "no-routes":
        text = text.replace("exporter: CHN", "exporter: ROW")
    else:
        text = text.replace("start: 2025-0", "start: 2031-0")
    scen = toy_scenario(text)
    base = scen.with_options()
    base = sp.Scenario.model_validate({**base.model_dump(mode="json"), "policies": []})
    a, b = run(scen), run(base)
    for name in SHARED:
        np.testing.assert_array_equal(a.data[name].values, b.data[name].values, err_msg=name)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(1, 8), min_size=10, max_size=10),
       st.lists(st.integers(0, 20), min_size=4, max_size=4),
       st.lists(st.integers(1, 3), min_size=4, max_size=4))
def test_synthetic_worlds_are_steady_and_agree(transit: list[int], cover: list[int],
                                               priority: list[int]) -> None:
    toy = sp.datasets.load("toy")
    tables = toy.tables
    routes = tables["routes"].copy()
    routes["transit_weeks"] = np.array(transit, dtype=float)
    sectors = tables["sectors"].copy()
    sectors["cover_weeks"] = np.array(cover, dtype=float)
    sectors["priority"] = np.array(priority, dtype=np.int64)
    for frame, orig in ((routes, tables["routes"]), (sectors, tables["sectors"])):
        frame.attrs = dict(orig.attrs)
    tables = {**tables, "routes": routes, "sectors": sectors}
    world = sp.SupplyNetwork(tables, name="synthetic")
    steady = run(toy_scenario("name: s\ndataset: toy\nhorizon_weeks: 80\ndraws: 1\n"),
                 network=world)
    assert np.isnan(steady.data["first_stop_week"].values).all()
    value = float((steady.data["sector_output"] * steady.data["sector_value"]).sum())
    assert steady.data["lost_output_usd"].values.max() <= 1e-12 * value  # rounding only
    text = LICENCE.format(weeks=30, draws=2, seed=3, commodities=COMMODITIES[2],
                          destinations="all", month=2, median=25, sigma=0.5, scale=1.0, p=0.6,
                          validity=0, capacity=CAPACITY[1], refile=4)
    scen = toy_scenario(text)
    # atol 1e-6: with zero cover a sector's stock is exactly what arrives, and the engines'
    # different order of additions can leave it 1e-16 t short: 3e-9 USD "lost" in one engine
    assert_same(run(scen, network=world), run(scen, network=world, engine="reference"),
                rtol=1e-9, atol=1e-6)
    assert isinstance(world.routes, pd.DataFrame)
