"""The replay runner, the out-of-sample replays, the CLI and its stable JSON keys."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from spigot import replays
from spigot.cli.app import main
from spigot.errors import UnknownNameError
from spigot.replays.monthly import month_weights

DOC_KEYS = {"schema", "replay", "description", "manifest", "summary", "months", "units", "exports",
            "prices", "stoppages", "targets", "skill", "observed"}


def test_replay_names_and_unknown_name() -> None:
    assert replays.replay_names() == ("replay-2010", "replay-2023-gallium", "replay-2025")
    with pytest.raises(UnknownNameError, match=r"did you mean .*'replay-2010'"):
        replays.run_replay("replay-2011")


def test_month_weights_spread_days() -> None:
    months, w = month_weights(dt.date(2022, 12, 26), 159, 1.0)
    assert months[0].strftime("%Y-%m") == "2023-01"
    assert months[-1].strftime("%Y-%m") == "2025-12"
    assert np.allclose(w.sum(axis=0), [m.days_in_month / 7 for m in months])


def test_gallium_replay_out_of_sample() -> None:
    rr = replays.run_replay("replay-2023-gallium", draws=32)
    assert {"gallium", "germanium"} <= set(rr.exports["commodity"])
    assert len(rr.targets) == 0
    errors = rr.trade_errors.set_index(["commodity", "destination"])
    assert ("graphite_natural", "ALL") in errors.index
    usa = rr.exports[(rr.exports["commodity"] == "gallium") & (rr.exports["destination"] == "USA")]
    assert usa[usa["month"].between("2025-01", "2025-10")]["p95"].max() == 0.0  # the US ban
    # scored against the quiet record of 2023-2024: every covered pair is a false alarm or quiet
    stops = rr.skill["stoppages"]
    assert stops["records"] == ["gallium_2023-08", "graphite_2023-12", "antimony_2024-09"]
    assert stops["pairs_scored"] == stops["false_alarms"] + stops["correct_quiet"] > 0
    assert stops["hits"] == stops["misses"] == 0
    share = rr.stoppages.set_index(["region", "sector"])["share_stopped"]
    for pair in stops["pairs"]:  # a stop inside the window is a stop over the horizon too
        assert pair["predicted_share"] <= share[(pair["region"], pair["sector"])] + 1e-12
    assert rr.skill["exports"]["series"] == len(rr.trade_errors)
    assert rr.stored_results().manifest["replay"]["skill"]["false_alarms"] == stops["false_alarms"]


def test_cli_json_keys_and_bad_name(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["replay", "replay-2025", "--draws", "16", "--format", "json", "--quiet",
                 "--store", str(tmp_path)])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == DOC_KEYS
    assert doc["schema"] == "spigot.replay/1"
    assert set(doc["observed"]) == {"japan_imports", "prices", "quotas", "trade_monthly",
                                    "trade_errors"}
    assert {"month", "commodity", "destination", "p5", "p50", "p95", "mean"} <= set(doc["exports"][0])
    assert set(doc["skill"]) == {"stoppages", "exports", "prices"}
    assert {"threshold_share", "hits", "misses", "false_alarms", "correct_quiet", "pairs",
            "unscored_alarms", "alarms_over_horizon"} <= set(doc["skill"]["stoppages"])
    assert main(["replay", "replay-2052", "--no-save"]) == 2
    assert "did you mean" in capsys.readouterr().err
