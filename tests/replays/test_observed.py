"""Observed series bundled for the replays: provenance, coverage, keys, the out-of-sample rule."""

from __future__ import annotations

import pandas as pd
import pytest

from spigot import replays
from spigot.errors import InputError, UnknownNameError

NAMES = ("calibration_targets_2010", "china_exports_annual", "china_exports_monthly",
         "china_re_export_quotas", "japan_imports_2010", "prices_2010_2015", "production_events")
KEYS = {
    "prices_2010_2015": ["date", "series", "region", "commodity", "purity"],
    "japan_imports_2010": ["date", "date_precision", "series", "partner"],
    "china_re_export_quotas": ["date", "series", "period"],
    "china_exports_monthly": ["date", "series", "partner", "commodity"],
    "china_exports_annual": ["date", "series", "partner", "commodity"],
    "calibration_targets_2010": ["id"],
    "production_events": ["id"],
}


def test_names() -> None:
    assert replays.names() == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_loads_with_units_and_sources(name: str) -> None:
    frame = replays.load_observed(name)
    assert len(frame) > 0
    assert frame.attrs["name"] == name
    for key in ("source", "title", "coverage", "units"):
        assert frame.attrs[key], key
    assert all(frame.attrs["units"].values())
    assert all("; " not in unit for unit in frame.attrs["units"].values()), "one unit per series"
    assert frame["source"].str.strip().ne("").all()
    assert frame["unit"].str.strip().ne("").all()
    assert frame["confidence"].isin(["H", "M", "L"]).all()
    assert not frame.duplicated(KEYS[name]).any(), frame[frame.duplicated(KEYS[name], keep=False)]
    if "date" in frame:
        assert pd.api.types.is_datetime64_any_dtype(frame["date"])
        assert frame["date"].notna().all()


def test_load_returns_a_copy() -> None:
    first = replays.load_observed("japan_imports_2010")
    first.loc[:, "value"] = -1.0
    assert (replays.load_observed("japan_imports_2010")["value"] > 0).all()


def test_trade_series_stop_at_2024_and_hold_no_ga_ge() -> None:
    frame = replays.load_observed("china_exports_monthly")
    assert frame["date"].max() <= pd.Timestamp("2024-12-31")
    assert frame["date"].min() == pd.Timestamp("2017-01-01")
    assert (frame["date"].dt.day == 1).all()
    assert not frame["commodity"].str.contains("gallium|germanium").any()
    assert set(frame["series"]) == {"exports", "exports_value"}
    assert frame.attrs["units"] == {"exports": "t", "exports_value": "USD"}
    assert set(frame["partner"]) >= {"WLD", "USA", "JPN", "KOR", "DEU", "ITA", "VNM", "EU_OTHER", "ROW"}
    re_world = frame.query("commodity == 'rare_earths_total' and series == 'exports' and partner == 'WLD'")
    assert len(re_world) == 96
    later = re_world.loc[re_world["date"] >= "2018-01-01", "value"]
    assert later.between(3000, 20000).all()  # Feb 2020: 3.7 kt (COVID)


@pytest.mark.parametrize("name", ["china_exports_monthly", "china_exports_annual"])
def test_trade_series_have_no_outcome_data(name: str) -> None:
    """No 2025 rows; no gallium or germanium (the 2023 episode is out-of-sample)."""
    frame = replays.load_observed(name)
    assert frame["date"].max() <= pd.Timestamp("2024-12-31")
    assert not frame["commodity"].str.contains("gallium|germanium|ga_ge").any()
    assert not frame["hs"].isin(["811292", "811230", "282560"]).any()


def test_annual_exports() -> None:
    frame = replays.load_observed("china_exports_annual")
    assert set(frame["date"].dt.year) == set(range(2017, 2025))
    assert {"re_compounds", "re_metals", "ce_compounds", "tungsten_concentrate",
            "antimony_concentrate", "graphite_natural"} <= set(frame["commodity"])
    exports = frame[frame["series"] == "exports"]
    world = exports[exports["partner"] == "WLD"].set_index(["date", "commodity"])["value"]
    parts = exports[exports["partner"] != "WLD"].groupby(["date", "commodity"])["value"].sum()
    pd.testing.assert_series_equal(parts.sort_index(), world.sort_index(), rtol=1e-6, check_names=False)


def test_monthly_parts_add_up() -> None:
    frame = replays.load_observed("china_exports_monthly")
    exports = frame[frame["series"] == "exports"]
    for commodity in ("rare_earths_total", "graphite_natural", "graphite_artificial"):
        rows = exports[exports["commodity"] == commodity]
        world = rows[rows["partner"] == "WLD"].set_index("date")["value"]
        parts = rows[rows["partner"] != "WLD"].groupby("date")["value"].sum()
        pd.testing.assert_series_equal(parts, world, rtol=1e-6, check_names=False)


def test_quotas_and_japan() -> None:
    quotas = replays.load_observed("china_re_export_quotas").set_index(["date", "series", "period"])
    assert quotas.loc[("2010-01-01", "export_quota", "2010"), "value"] == 30258
    assert quotas.loc[("2011-01-01", "exports", "2011"), "value"] == 16900
    assert pd.isna(quotas.loc[("2015-01-01", "export_quota", "2015"), "value"])
    japan = replays.load_observed("japan_imports_2010")
    monthly = japan.query("series == 'imports' and partner == 'CHN' and date_precision == 'month'")
    assert monthly["value"].tolist() == [2246, 1278, 634]


def test_prices_state_their_basis() -> None:
    prices = replays.load_observed("prices_2010_2015")
    assert set(prices["form"]) == {"oxide", "metal"}
    assert prices.attrs["units"] == {"price": "USD/kg", "price_domestic": "CNY/kg"}
    assert (prices.loc[prices["series"] == "price", "region"] == "ex_china").all()
    assert (prices.loc[prices["series"] == "price_domestic", "region"] == "china").all()
    assert {"nd_oxide", "dy_oxide", "ce_oxide", "la_oxide", "tb_oxide"} <= set(prices["commodity"])
    assert (prices["value_low"] <= prices["value_high"]).all()
    assert prices["date"].between("2010-01-01", "2015-12-31").all()


def test_calibration_targets_cover_the_2010_episode_only() -> None:
    targets = replays.load_observed("calibration_targets_2010").set_index("id")
    assert {"dy_peak_ratio", "nd_peak_ratio", "peak_month", "jpn_nov_drop"} <= set(targets.index)
    assert (targets["window_end"] <= "2015-12").all()
    assert set(targets["tolerance_kind"]) <= {"log10", "abs", "months", "range"}
    assert (targets["value_low"] <= targets["value"]).all()
    assert (targets["value"] <= targets["value_high"]).all()
    assert set(targets.loc[targets["direction"] != "", "direction"]) <= {"up", "down"}


def test_unknown_name_is_a_user_error() -> None:
    with pytest.raises(UnknownNameError) as err:
        replays.load_observed("japan_import_2010")
    assert isinstance(err.value, InputError)
    assert str(err.value) == (
        "unknown observed series: got 'japan_import_2010'; expected one of calibration_targets_2010, "
        "china_exports_annual, china_exports_monthly, china_re_export_quotas, japan_imports_2010, "
        "prices_2010_2015, production_events; did you mean 'japan_imports_2010'?")
    with pytest.raises(UnknownNameError, match="unknown observed series: got 'gallium_2023'"):
        replays.describe("gallium_2023")


def test_no_engine_imports() -> None:
    import ast
    import inspect

    from spigot.replays import observed

    tree = ast.parse(inspect.getsource(observed))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    allowed = {"spigot.errors", "spigot.bundled"}  # errors and the bundled-file catalog
    assert not {m for m in imported if m.startswith("spigot.") and m not in allowed}


def test_production_events_are_quiet_periods_of_2023_2024_only() -> None:
    # the out-of-sample rule: of the 2023 and 2025 episodes only the quiet record of 2023-2024
    # (no stoppage attributed to the licences) is bundled; nothing of 2025
    frame = replays.load_observed("production_events")
    assert set(frame["observed"]) == {"none"}
    assert (frame["value"] == 0).all()
    assert frame["period_start"].min() >= "2023-08-01"
    assert frame["period_end"].max() <= "2024-12-31"
    assert set(frame["replay"]) <= set(replays.replay_names())
    sectors = {s for cell in frame["sectors"] for s in cell.split(";")}
    import spigot as sp

    known = set(sp.datasets.load("base").sectors["sector"])
    assert sectors <= known, sectors - known
