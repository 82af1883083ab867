"""Scenario files: built-ins, pinned error messages with line numbers, and a fuzz of the loader."""

from __future__ import annotations

import contextlib
import json
import string
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spigot as sp
from spigot.errors import InputError, ScenarioError, UnknownNameError
from spigot.scenarios import json_schema, load_file, load_text
from spigot.sim import prepare


def test_builtins_load_and_are_listed() -> None:
    assert sp.scenarios.names() == ("baseline", "escalation-2025", "licence-squeeze",
                                    "magnet-embargo")
    squeeze = sp.scenarios.load("licence-squeeze")
    assert squeeze.policies[0].type == "ExportLicence"
    assert sp.scenarios.load("baseline").policies == []
    assert sp.Scenario.from_yaml(str(sp.scenarios.path("magnet-embargo"))).name == "magnet-embargo"


def test_unknown_builtin_suggests() -> None:
    with pytest.raises(UnknownNameError, match=r"unknown scenario: got 'licence-squeez'.*did "
                       r"you mean 'licence-squeeze'"):
        sp.scenarios.load("licence-squeez")


def test_round_trip_through_yaml(tmp_path: Path) -> None:
    scen = sp.scenarios.load("licence-squeeze")
    path = tmp_path / "copy.yaml"
    path.write_text(scen.to_yaml(), encoding="utf-8")
    assert load_file(path).content_hash() == scen.content_hash()


def test_json_schema_names_the_policy_types() -> None:
    schema = json_schema()
    text = json.dumps(schema)
    for name in ("ExportLicence", "ExportQuota", "ExportBan", "ExportTax", "Suspension"):
        assert name in text
    assert schema["title"] == "spigot scenario"


BAD = {
    "unknown field": ("name: x\nhorizon_weeks: 10\nhorizn: 3\n",
                      "s.yaml, line 3: field 'horizn': unknown field: got 'horizn'; expected one "
                      "of name, description"),
    "unknown field suggestion": ("name: x\nhorizn: 3\n", "did you mean 'horizon_weeks'?"),
    "policy type": ("policies:\n  - type: ExportLicense\n    id: a\n",
                    "s.yaml, line 2: field 'policies[0]': unknown type: got 'ExportLicense'; "
                    "expected one of ExportLicence, ExportQuota, ExportBan, ExportTax, "
                    "Suspension, StockpileRelease, ImportTariff; did you mean one of "
                    "'ExportLicence', 'ExportBan'?"),
    "bound": ("horizon_weeks: -3\n", "s.yaml, line 1: field 'horizon_weeks': Input should be "
              "greater than or equal to 1: got -3"),
    "yaml syntax": ("name: x\npolicies: [\n  - a: b\n",
                    "s.yaml, line 3: not valid YAML: expected the node content, but found '-'"),
    "not a mapping": ("- a\n- b\n", "s.yaml, line 1: a scenario must be a mapping of keys to "
                      "values: got 'list'"),
    "empty": ("", "a scenario must be a mapping of keys to values: got 'an empty file'"),
    "dist name": ("policies:\n  - type: ExportQuota\n    id: q\n    exporter: CHN\n    commodities:"
                  " [x]\n    annual_t: {dist: unifrm, low: 1, high: 2}\n",
                  "s.yaml, line 6: field 'policies[0].annual_t': unknown dist: got 'unifrm'; "
                  "expected one of fixed, uniform, triangular, lognormal, normal, beta; did you "
                  "mean 'uniform'?"),
    "not a number": ("policies:\n  - type: ExportQuota\n    id: q\n    exporter: CHN\n    "
                     "commodities: [x]\n    annual_t: lots\n",
                     "s.yaml, line 6: field 'policies[0].annual_t': Input should be a valid "
                     "number, unable to parse string as a number: got 'lots'"),
    "missing": ("policies:\n  - type: ExportBan\n    id: q\n    commodities: [x]\n",
                "s.yaml, line 2: field 'policies[0].exporter': missing required field"),
    "duplicate id": ("policies:\n  - {type: ExportBan, id: q, exporter: CHN, commodities: [x]}\n"
                     "  - {type: ExportBan, id: q, exporter: CHN, commodities: [y]}\n",
                     "s.yaml, line 1: field 'policies': policy id 'q' is used twice"),
    "suspension target": ("policies:\n  - {type: Suspension, id: s, measure: nope}\n",
                          "field 'policies': suspension 's' names measure 'nope', which is not "
                          "a policy of this scenario"),
    "dates": ("policies:\n  - {type: ExportBan, id: q, exporter: CHN, commodities: [x], start: "
              "2025-05-01, end: 2025-01-01}\n",
              "s.yaml, line 2: field 'policies[0]': end (2025-01-01) is before start "
              "(2025-05-01)"),
    "bad date": ("start: 2025-13-01\n", "s.yaml, line 1: field 'start': Input should be a valid "
                 "date or datetime, month value is outside expected range of 1-12: got "
                 "'2025-13-01'"),
    "end use": ("policies:\n  - type: ExportLicence\n    id: l\n    exporter: CHN\n    "
                "commodities: [x]\n    approval:\n      by_end_use: {army: 0.1}\n",
                "s.yaml, line 7: field 'policies[0].approval.by_end_use.army': Input should be "
                "'civil', 'dual-use' or 'military': got 'army'"),
    "destinations": ("policies:\n  - {type: ExportBan, id: q, exporter: CHN, commodities: [x], "
                     "destinations: some}\n",
                     "s.yaml, line 2: field 'policies[0].destinations': invalid value: got "
                     "'some'; expected 'all', a list of region ids or groups, or "
                     "{all_except: [...]}"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_invalid_scenarios_name_line_and_field(case: str) -> None:
    text, message = BAD[case]
    with pytest.raises(ScenarioError) as info:
        load_text(text, "s.yaml")
    assert message in str(info.value)
    assert info.value.exit_code == 2


def test_unknown_names_in_the_dataset_name_line_and_suggest(tmp_path: Path) -> None:
    path = tmp_path / "names.yaml"
    path.write_text("name: x\ndataset: toy\npolicies:\n  - type: ExportLicence\n    id: l\n"
                    "    exporter: CHN\n    commodities: [dy_oxid, ndfeb_magnet]\n"
                    "    destinations: {all_except: [USA, JAP]}\n    approval:\n"
                    "      by_destination: {UK: 0.5}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        prepare(load_file(path))
    text = str(info.value)
    assert (f"{path}, line 7: field 'policies[0].commodities[0]': unknown commodity: got "
            "'dy_oxid'; expected a commodity of dataset 'toy'; did you mean one of 'dy_oxide', "
            "'ndpr_oxide'?") in text
    assert "line 8: field 'policies[0].destinations.all_except[1]': unknown region: got 'JAP'" \
        in text
    assert "did you mean 'JPN'?" in text
    assert "line 10: field 'policies[0].approval.by_destination.UK': unknown region: got 'UK'" \
        in text
    assert "did you mean 'GBR'?" in text


def test_unknown_dataset_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text("name: x\ndataset: tyo\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"d.yaml, line 2: field 'dataset': unknown dataset: "
                       r"got 'tyo'; expected one of base, .*toy, or a dataset folder; did you mean "
                       r"'toy'\?"):
        prepare(load_file(path))


def test_missing_file() -> None:
    with pytest.raises(ScenarioError, match=r"nope\.yaml: no such file"):
        load_file("nope.yaml")


# ---------------------------------------------------------------------------- fuzz
_scalars = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(
    allow_nan=True, allow_infinity=True) | st.text(string.printable, max_size=12)
_keys = st.sampled_from(["name", "dataset", "start", "horizon_weeks", "draws", "seed", "policies",
                         "type", "id", "exporter", "commodities", "destinations", "dist", "low",
                         "high", "approval", "default", "processing_time", "distribution",
                         "ExportLicence", "all_except", "probability", "duration_weeks", "x"])
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(_keys, inner, max_size=5), max_leaves=20)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_fuzz_garbage_text_gives_only_input_errors(text: str) -> None:
    with contextlib.suppress(InputError):
        load_text(text, "fuzz.yaml")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_keys, _values, max_size=6))
def test_fuzz_structured_documents_give_only_input_errors(doc: dict[str, object]) -> None:
    text = yaml.safe_dump(doc, allow_unicode=True)
    with contextlib.suppress(InputError):
        load_text(text, "fuzz.yaml")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from([
    "type: ExportLicence", "type: ExportBan", "type: Suspension", "id: a", "exporter: CHN",
    "commodities: [dy_oxide]", "destinations: all", "measure: a", "approval: {default: 2}",
    "duration_weeks: {dist: uniform, low: 5, high: 1}", "start: 2025-02-30", "probability: -1",
    "processing_time: {distribution: 3, unit: hours}"]), max_size=6))
def test_fuzz_policy_fields_give_only_input_errors(lines: list[str]) -> None:
    text = "dataset: toy\npolicies:\n  - " + "\n    ".join(lines or ["{}"]) + "\n"
    with contextlib.suppress(InputError):
        prepare(load_text(text, "fuzz.yaml"))
