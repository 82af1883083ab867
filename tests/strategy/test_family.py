"""Policy families: YAML with line numbers in errors, names checked against the world, and the
candidates built from the scenario's own licence lever by lever."""

from __future__ import annotations

import datetime as dt

import pytest

import spigot as sp
from spigot.errors import InputError
from spigot.scenarios.dists import Uniform
from spigot.strategy import candidates, check_family, default_family, load_family_text
from tests.strategy.worlds import toy_family, toy_squeeze

ALL_LEVERS = """\
name: all-levers
commodities: [[dy_oxide]]
destinations: [[target], {all_except: [target]}]
approval_target: [0.25]
approval_default: [0.5]
processing_time_scale: [2.0]
duration_weeks: [12]
announcement_lead_weeks: [4]
include_no_policy: false
"""


def test_one_candidate_per_combination_and_no_restriction() -> None:
    family = toy_family()
    cands = candidates(family, toy_squeeze(), "CHN", "USA")
    assert family.size() == 3 * 2 * 2 + 1 == len(cands)
    assert cands[0].policy is None
    assert cands[0].label == "no restriction"
    labels = [c.label for c in cands]
    assert len(set(labels)) == len(labels)


def test_each_lever_sets_its_field_of_the_licence() -> None:
    scen = toy_squeeze()
    to_usa, others = candidates(load_family_text(ALL_LEVERS), scen, "CHN", "USA")
    p = to_usa.policy
    assert p is not None
    assert p.commodities == ["dy_oxide"]
    assert p.destinations == ["USA"]  # 'target' is the --target region
    assert list(p.approval.by_destination) == ["USA"]  # first: the first match wins
    assert p.approval.by_destination["USA"] == 0.25
    assert p.approval.default == 0.5
    scale = p.processing_time.scale  # uniform 0.7-1.5 doubled
    assert isinstance(scale, Uniform)
    assert (scale.low, scale.high) == pytest.approx((1.4, 3.0))
    assert p.duration_weeks == 12
    assert p.announced == dt.date(2025, 2, 3) - dt.timedelta(weeks=4)
    assert others.policy is not None
    assert others.policy.destinations.all_except == ["USA"]  # type: ignore[union-attr]
    assert to_usa.settings["destinations"] == ["USA"]


def test_the_bundled_family_fits_licence_squeeze() -> None:
    family = default_family()
    check_family(family, sp.datasets.load("base"))
    cands = candidates(family, sp.scenarios.load("licence-squeeze"), "CHN", "USA")
    assert len(cands) == family.size() == 33  # sized for the 5-minute target (docs/model.md)
    assert family.search.enumerate_up_to >= len(cands)  # enumerated: runs cost the same at 40 draws


@pytest.mark.parametrize(("text", "pieces"), [
    ("name: f\napproval_target: []\n", ["line 2", "approval_target", "empty family"]),
    ("name: f\n", ["varies nothing"]),
    ("name: f\ncommodities: [[dy_oxide]\n", ["not valid YAML", "line"]),
    ("name: f\napproval_target: [1.5]\n", ["line 2", "between 0 and 1"]),
    ("name: f\ncommodities: [[dy_oxide]]\nobjective: {harm_wieght: 1}\n",
     ["line 3", "unknown field", "harm_weight"]),
])
def test_bad_family_yaml_names_line_and_field(text: str, pieces: list[str]) -> None:
    with pytest.raises(InputError) as err:
        load_family_text(text, "fam.yaml")
    message = str(err.value)
    assert "fam.yaml" in message
    for piece in pieces:
        assert piece in message


def test_unknown_names_are_found_with_their_line() -> None:
    family = load_family_text("name: f\ncommodities:\n  - [dy_oxid]\ndestinations: [[USB]]\n",
                              "fam.yaml")
    with pytest.raises(InputError) as err:
        check_family(family, sp.datasets.load("toy"))
    message = str(err.value)
    assert "line 3" in message
    assert "unknown commodity" in message
    assert "'dy_oxide'" in message
    assert "line 4" in message
    assert "unknown region" in message
    assert "'USB'" in message


def test_a_scenario_without_a_licence_of_the_exporter_is_refused() -> None:
    with pytest.raises(InputError, match="no ExportLicence of this exporter"):
        candidates(toy_family(), toy_squeeze(), "JPN", "USA")
