"""The policy registry: every registered kind is in the scenario model, the JSON Schema, the
loader's messages and the docs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from spigot.errors import ScenarioError
from spigot.scenarios import json_schema, load_text
from spigot.scenarios.kinds import KIND_IDS, KINDS

DOCS = Path(__file__).resolve().parents[2] / "docs" / "scenarios.md"


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_every_kind_is_documented_and_in_the_schema(kind: object) -> None:
    name = kind.name  # type: ignore[attr-defined]
    headings = [h for h in DOCS.read_text().splitlines() if h.startswith("## ")]
    assert any(f"`{name}`" in h for h in headings), f"docs/scenarios.md has no section on {name}"
    assert name in json_schema()["$defs"]  # type: ignore[operator]


def test_an_unknown_type_names_every_registered_kind() -> None:
    text = "policies:\n  - {type: ExportLicense, id: x, exporter: CHN, commodities: [dy_oxide]}\n"
    with pytest.raises(ScenarioError) as exc:
        load_text(text, "s.yaml")
    message = str(exc.value)
    assert "did you mean" in message
    assert "'ExportLicence'" in message
    for kind in KINDS:
        assert kind.name in message


def test_engine_kind_ids_are_distinct_and_kinds_are_unique() -> None:
    assert len(set(KIND_IDS.values())) == len(KIND_IDS)
    names = [k.name for k in KINDS]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[A-Z][A-Za-z]+", n) for n in names)


def test_an_unknown_field_suggests_the_kinds_own_fields() -> None:
    text = ("policies:\n  - {type: StockpileRelease, id: r, holder: USA, commodity: dy_oxide,"
            " stock_t: 1, release_t_per_week: 1, release_below_cover: 4}\n")
    with pytest.raises(ScenarioError) as exc:
        load_text(text, "s.yaml")
    assert "did you mean one of 'release_below_cover_weeks'" in str(exc.value)
