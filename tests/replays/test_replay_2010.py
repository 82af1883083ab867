"""replay-2010 reproduces the 2010-2012 episode within the thresholds of docs/validation.md."""

from __future__ import annotations

import pytest

from spigot.replays import run_replay
from spigot.replays.runner import ReplayResult
from spigot.replays.validation import TESTED_TARGETS

PRICE_TARGETS = [t for t in TESTED_TARGETS if not t.startswith("jpn_")]


@pytest.fixture(scope="module")
def replay() -> ReplayResult:
    return run_replay("replay-2010", draws=64)


def _target(rr: ReplayResult, ident: str) -> dict[str, object]:
    rows = rr.targets[rr.targets["id"] == ident].to_dict(orient="records")
    assert rows, ident
    return rows[0]


@pytest.mark.parametrize("ident", ["jpn_oct_drop", "jpn_nov_drop"])
def test_japan_imports_drop_sep_nov_2010(replay: ReplayResult, ident: str) -> None:
    row = _target(replay, ident)
    assert row["status"] == "ok"
    assert row["direction_ok"] is True
    assert row["error"] <= row["tolerance"], row  # type: ignore[operator]


def test_prices_simulated(replay: ReplayResult) -> None:
    assert replay.prices is not None
    assert len(replay.price_points) > 0


@pytest.mark.parametrize("ident", PRICE_TARGETS)
def test_price_rise_and_fall(replay: ReplayResult, ident: str) -> None:
    assert replay.prices is not None
    row = _target(replay, ident)
    assert row["status"] == "ok", row
    assert row["direction_ok"] is not False, row
    assert row["error"] <= row["tolerance"], row  # type: ignore[operator]


def test_monthly_tables(replay: ReplayResult) -> None:
    e = replay.exports
    assert replay.months[0] == "2009-01"
    assert replay.months[-1] == "2015-12"
    assert {"ndfeb_magnet", "dy_oxide", "tb_oxide", "rare_earths"} <= set(e["commodity"])
    assert (e["p5"] <= e["p50"] + 1e-9).all()
    assert (e["p50"] <= e["p95"] + 1e-9).all()
    assert {"JPN", "ALL"} <= set(e["destination"])
    assert len(replay.japan) == 6
    assert len(replay.quotas) == 7
