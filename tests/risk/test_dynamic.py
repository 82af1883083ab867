"""Dynamic criticality and the CRMA benchmarks: hand-computed cases on flows written by hand, and
a base-world run whose indices equal the static ones."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import spigot as sp
from spigot.errors import InputError
from spigot.risk import (
    concentration,
    criticality,
    crma_benchmarks,
    dynamic_concentration,
    dynamic_reliance,
    dynamic_supply_risk,
    eu_supply_risk,
    net_import_reliance,
)
from spigot.risk.dynamic import policies_as_controls
from spigot.scenarios import Scenario
from spigot.units import WEEKS_PER_YEAR

#: t per week of a route of 1 t/yr.
F = 1 / WEEKS_PER_YEAR
#: Tolerance of "the dynamic index equals the static one" on a base-world run: the engine's mean
#: flows stay within about 1e-5 of base (measured: HHI 2e-6, NIR 9e-6, SR 4e-5 relative).
BASE_TOL = 1e-3


def hand_run(net: sp.SupplyNetwork, weeks: int, changes: Mapping[int, Mapping[str, float]],
             stocks: Mapping[str, list[float]] | None = None) -> xr.Dataset:
    """A run's Dataset written by hand: every route ships its base volume each week, except the
    ``changes`` (week -> route -> t/yr); ``stocks``: region/commodity -> sector stock per week."""
    routes = net.routes
    ids = routes["id"].astype(str).tolist()
    flows = np.tile(routes["volume"].astype(float).to_numpy() * F, (weeks, 1))
    for week, change in changes.items():
        for route, volume in change.items():
            flows[week, ids.index(route)] = volume * F
    data = {"mean_exports": (("time", "route"), flows, {"units": "t/step"})}
    coords: dict[str, object] = {"time": pd.date_range("2025-01-06", periods=weeks, freq="7D"),
                                 "route": ids}
    if stocks:
        keys = list(stocks)
        coords.update({"rc": keys, "rc_region": ("rc", [k.split("/")[0] for k in keys]),
                       "rc_commodity": ("rc", [k.split("/")[1] for k in keys])})
        data["mean_sector_stock"] = (("time", "rc"), np.array([stocks[k] for k in keys]).T,
                                     {"units": "t"})
    return xr.Dataset(data, coords=coords, attrs={"step_weeks": 1})


# ------------------------------------------------------------------ hand-computed: toy world
def test_hhi_of_actual_supply_moves_as_computed_by_hand(toy: sp.SupplyNetwork) -> None:
    # week 1: a ban holds China's 10 t/yr of magnets for the USA back; week 2: US mining stops
    run = hand_run(toy, 3, {1: {"mag_chn_usa": 0.0}, 2: {"conc_usa": 0.0}})
    frame = dynamic_concentration(run, toy)
    magnet = frame[frame["stage"] == "magnet"].set_index("time")
    # base: China 60, Japan 20 -> 0.75^2 + 0.25^2; week 1: China ships 50, Japan 20
    assert magnet["hhi"].iloc[0] == pytest.approx(0.625, abs=1e-12)
    assert magnet["hhi"].iloc[1] == pytest.approx((50**2 + 20**2) / 70**2, abs=1e-12)
    assert magnet["top_share"].iloc[1] == pytest.approx(50 / 70, abs=1e-12)
    assert magnet["top_supplier"].iloc[1] == "CHN"
    assert np.allclose(magnet["hhi_base"], 0.625)
    mining = frame[frame["stage"] == "mining"].set_index("time")
    # published shares CHN 100, USA 20 of 120; week 2 the USA ships nothing: China holds it all
    assert mining["hhi"].iloc[0] == pytest.approx((100**2 + 20**2) / 120**2, abs=1e-12)
    assert mining["hhi"].iloc[0] == pytest.approx(
        float(concentration(toy, "rare_earths", "mining")["hhi"].iloc[0]), abs=1e-12)
    assert mining["hhi"].iloc[2] == pytest.approx(1.0, abs=1e-12)
    assert frame.attrs["units"]["hhi"] == "1 (0-1)"


def test_reliance_of_actual_flows_by_hand(toy: sp.SupplyNetwork) -> None:
    # week 1: Japan's 5 t/yr of magnets for the USA stop; week 2: US sectors draw 0.1 t from stock
    run = hand_run(toy, 3, {1: {"mag_jpn_usa": 0.0}, 2: {"mag_jpn_usa": 0.0}},
                   stocks={"USA/ndfeb_magnet": [1.0, 1.0, 0.9]})
    frame = dynamic_reliance(run, toy, "JPN", "ndfeb_magnet").set_index("time")
    # base: Japan makes 20 and exports 5 -> net exporter (the USGS prints E)
    assert bool(frame["net_exporter"].iloc[0])
    assert np.isnan(frame["nir"].iloc[0])
    # week 1: it ships 15 at home, nothing abroad: production 20 x 15/20, NIR 0
    assert frame["production"].iloc[1] == pytest.approx(15 * F, rel=1e-12)
    assert frame["exports"].iloc[1] == 0.0
    assert frame["nir"].iloc[1] == pytest.approx(0.0, abs=1e-12)
    usa = dynamic_reliance(run, toy, "USA", "ndfeb_magnet").set_index("time")
    assert usa["imports"].iloc[2] == pytest.approx(10 * F, rel=1e-12)  # China's 10 only
    assert usa["stock_release"].iloc[2] == pytest.approx(0.1, rel=1e-9)
    assert usa["nir"].iloc[2] == pytest.approx(1.0)  # no US magnet output: all imported
    assert usa["unit"].iloc[0] == "t product/week"


def test_crma_needs_an_eu_group(toy: sp.SupplyNetwork) -> None:
    frame = crma_benchmarks(hand_run(toy, 2, {}), toy)
    assert frame.empty
    assert "EU27" in frame.attrs["note"]


def test_a_run_without_route_exports_is_refused(toy: sp.SupplyNetwork) -> None:
    with pytest.raises(InputError, match="no per-route exports"):
        dynamic_concentration(xr.Dataset(attrs={"step_weeks": 1}), toy)
    with pytest.raises(InputError, match="unknown period"):
        dynamic_concentration(hand_run(toy, 2, {}), toy, period="decade")


# ------------------------------------------------------------------ hand-computed: EU27 gallium
@pytest.fixture(scope="module")
def base() -> sp.SupplyNetwork:
    return sp.datasets.load("base")


def test_crma_single_country_share_by_hand(base: sp.SupplyNetwork) -> None:
    # gallium into the EU27 at base (t/yr): CHN -> DEU 8.861, CHN -> EU_OTHER 5.688, ROW's
    # secondary gallium -> FRA 0.286, -> ITA 0.168; week 1 China's route to Germany stops, week 2
    # both Chinese routes do
    volumes = base.routes.set_index("id")["volume"]
    into_eu = {"gallium__ga_ref_chn__deu": 8.861, "gallium__ga_ref_chn__eu_other": 5.688,
               "gallium__ga_sec_row__fra": 0.286, "gallium__ga_sec_row__ita": 0.168}
    assert {r: float(volumes[r]) for r in into_eu} == into_eu, "base's gallium routes changed"
    gallium = base.routes[base.routes["commodity"] == "gallium"]
    assert set(gallium.loc[gallium["destination"].isin({"DEU", "FRA", "ITA", "EST", "EU_OTHER"}),
                           "id"]) == set(into_eu)
    run = hand_run(base, 3, {1: {"gallium__ga_ref_chn__deu": 0.0},
                             2: {"gallium__ga_ref_chn__deu": 0.0,
                                 "gallium__ga_ref_chn__eu_other": 0.0}})
    frame = crma_benchmarks(run, base)
    ga = frame[(frame["material"] == "gallium") & (frame["benchmark"] == "single_country")]
    ga = ga.set_index("time")
    total = 8.861 + 5.688 + 0.286 + 0.168
    assert ga["value"].iloc[0] == pytest.approx((8.861 + 5.688) / total, rel=1e-9)
    assert ga["aggregate_share"].iloc[0] == pytest.approx(0.454 / total, rel=1e-9)
    assert ga["top_country"].iloc[0] == "CHN"
    assert not ga["meets"].iloc[0]  # 97 % > 65 %
    assert ga["value"].iloc[1] == pytest.approx(5.688 / (5.688 + 0.454), rel=1e-9)
    # only ROW left: no single country shown, and ROW (100 %) may hide one above 65 %
    assert ga["value"].iloc[2] == 0.0
    assert ga["aggregate_share"].iloc[2] == pytest.approx(1.0)
    assert pd.isna(ga["meets"].iloc[2])
    own = frame[(frame["material"] == "gallium") & (frame["benchmark"] != "single_country")]
    assert set(own["benchmark"]) == {"processing", "recycling"}  # no gallium mining stage
    assert (own["value"] == 0.0).all()
    assert not own["meets"].any()
    assert ga["eu_consumption"].iloc[0] == pytest.approx(total * F, rel=1e-9)
    yearly = crma_benchmarks(run, base, period="year")
    gy = yearly[(yearly["material"] == "gallium") & (yearly["benchmark"] == "single_country")]
    assert len(gy) == 1
    assert gy["weeks"].iloc[0] == 3.0
    # a year's share is the share of the year's summed flows
    chn = (8.861 + 5.688) + 5.688 + 0.0  # China's t/yr into the EU, week by week
    assert gy["value"].iloc[0] == pytest.approx(chn / (chn + 3 * 0.454), rel=1e-9)


def test_germanium_processing_benchmark_by_hand(base: sp.SupplyNetwork) -> None:
    run = hand_run(base, 1, {})
    frame = crma_benchmarks(run, base)
    ge = frame[(frame["material"] == "germanium") & (frame["benchmark"] == "processing")]
    routes = base.routes[base.routes["commodity"] == "germanium"]
    eu = {"DEU", "FRA", "ITA", "EST", "EU_OTHER"}
    origin = routes["origin"].map(base.nodes.set_index("id")["region"])
    dest = routes["destination"].map(lambda d: base.nodes.set_index("id")["region"].get(d, d))
    imports = routes["volume"][~origin.isin(eu) & dest.isin(eu)].sum()
    exports = routes["volume"][origin.isin(eu) & ~dest.isin(eu)].sum()
    produced = 60.0  # ge_ref_eur: 60 t/yr of activity, one t of germanium each
    assert ge["value"].iloc[0] == pytest.approx(produced / (produced + imports - exports),
                                                rel=1e-9)
    assert ge["meets"].iloc[0] == (produced / (produced + imports - exports) >= 0.40)


def test_policies_become_dated_controls() -> None:
    text = """name: x
dataset: base
start: 2025-01-06
policies:
  - {type: ExportBan, id: b, exporter: CHN, commodities: [gallium], start: 2025-03-03,
     duration_weeks: 4, destinations: {all_except: [JPN]}}
  - {type: ExportLicence, id: l, exporter: CHN, commodities: [dy_oxide], probability: 0.5}
  - {type: StockpileRelease, id: s, holder: JPN, commodity: dy_oxide}
"""
    rows = policies_as_controls(text).set_index("id")
    assert list(rows.index) == ["b", "l"]
    assert rows.loc["b", "measure"] == "ban"
    assert rows.loc["b", "end"] == "2025-03-31"
    assert rows.loc["b", "destinations"] == "all-except:JPN"
    assert rows.loc["l", "start"] == "2025-01-06"
    assert rows.loc["l", "end"] == ""
    assert "probability" in rows.loc["l", "note"]


# ------------------------------------------------------------------ a base-world run
@pytest.fixture(scope="module")
def base_run() -> sp.Results:
    scen = Scenario.model_validate({"name": "dyn-base", "dataset": "base", "start": "2025-01-06",
                                    "horizon_weeks": 6, "step_weeks": 1, "draws": 2, "seed": 0,
                                    "policies": []})
    return sp.simulate(scen, draws=2, seed=0)


def test_no_measure_dynamic_equals_static(base_run: sp.Results, base: sp.SupplyNetwork) -> None:
    hhi = dynamic_concentration(base_run, base)
    static = concentration(base).set_index(["commodity", "stage"])["hhi"]
    for (comm, stage), block in hhi.groupby(["commodity", "stage"]):
        assert np.allclose(block["hhi"], static[(comm, stage)], atol=BASE_TOL), (comm, stage)
    rel = dynamic_reliance(base_run, base)
    ref = net_import_reliance(base).rename(columns={"region": "importer"})
    merged = rel.merge(ref[["importer", "commodity", "nir"]], on=["importer", "commodity"],
                       suffixes=("", "_static"))
    assert len(merged) > 100
    both = merged.dropna(subset=["nir", "nir_static"])
    assert np.allclose(both["nir"], both["nir_static"], atol=BASE_TOL)
    assert (merged["nir"].isna() == merged["nir_static"].isna()).all()


def test_no_measure_supply_risk_equals_static_on_each_date(base_run: sp.Results,
                                                          base: sp.SupplyNetwork) -> None:
    sr = dynamic_supply_risk(base_run, base, "gallium")
    for when, block in sr.groupby("time"):
        static = eu_supply_risk(base, "gallium", at=pd.Timestamp(when).date())
        assert np.allclose(block["sr"].to_numpy(), static["sr"].to_numpy(), rtol=BASE_TOL)
        assert block["restricted_exporters"].tolist() == static["restricted_exporters"].tolist()


def test_a_scenario_measure_raises_t_from_its_date(base_run: sp.Results,
                                                   base: sp.SupplyNetwork) -> None:
    scen = {"start": "2025-01-06", "policies": [
        {"type": "ExportQuota", "id": "q", "exporter": "CHN", "commodities": ["antimony"],
         "start": "2025-01-27", "annual_t": 1}]}
    plain = dynamic_supply_risk(base_run, base, "antimony").set_index(["time", "stage"])
    quota = dynamic_supply_risk(base_run, base, "antimony", scenario=scen).set_index(
        ["time", "stage"])
    ratio = (quota["hhi_wgi_t"] / plain["hhi_wgi_t"]).unstack("stage")
    before = ratio.index < pd.Timestamp("2025-01-27")
    assert np.allclose(ratio[before], 1.0)
    # one more kind of restriction on China: t = 1 + 0.1 n, China's term grows by 1.1 x (1 + 0.1
    # n) / (1 + 0.1 n) where n counts the dataset's measures already in force
    assert (ratio[~before] > 1.0 + 1e-6).all().all()


def test_criticality_returns_every_index(base_run: sp.Results, base: sp.SupplyNetwork) -> None:
    out = criticality(base_run, base, period="month", indices=("hhi", "crma"))
    assert set(out) == {"hhi", "crma"}
    assert out["crma"].attrs["reference"].startswith("Regulation (EU) 2024/1252")
    assert set(out["crma"]["benchmark"]) == {"single_country", "extraction", "processing",
                                             "recycling"}
    with pytest.raises(InputError, match="unknown index"):
        criticality(base_run, base, indices=("hhi", "gpr"))
