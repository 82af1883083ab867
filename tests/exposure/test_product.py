"""Product files: validation with file, line, field, value, expected and a suggestion; the
mapping onto a world (names checked, balance kept, scale rule); the rest of the world unmoved."""

from __future__ import annotations

import re

import numpy as np
import pytest

import spigot as sp
from spigot.errors import InputError, UnknownNameError
from spigot.exposure import PRODUCTS, exposure, load_product, load_product_text, map_product
from spigot.exposure.mapping import MAX_SHARE
from spigot.testing import run, toy_scenario

GOOD = """\
name: widget
plant:
  region: USA
  output_per_week: 10
  value_per_unit: 100
  cover_weeks: 4
components:
  - name: magnet
    commodity: ndfeb_magnet
    kg_per_unit: 1.0
    supplier: {region: JPN}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(InputError) as info:
        load_product_text(text, "p.yaml")
    return [p.describe() for p in info.value.problems]


def test_unknown_key_names_line_and_suggests() -> None:
    missing, msg = problems(GOOD.replace("cover_weeks", "cover_week"))
    assert "field 'plant.cover_weeks': missing required field" in missing
    assert msg.startswith("p.yaml, line 6: field 'plant.cover_week': unknown field")
    assert "did you mean one of 'cover_weeks'" in msg


def test_bad_value_names_line_field_value_and_expected() -> None:
    (msg,) = problems(GOOD.replace("kg_per_unit: 1.0", "kg_per_unit: -2"))
    assert "p.yaml, line 10: field 'components[0].kg_per_unit'" in msg
    assert "got -2" in msg
    assert "greater than 0" in msg


def test_missing_field_and_bad_yaml() -> None:
    (msg,) = problems(GOOD.replace("  value_per_unit: 100\n", ""))
    assert "field 'plant.value_per_unit': missing required field" in msg
    (msg,) = problems("name: [unclosed\n")
    assert "p.yaml, line 2: not valid YAML" in msg


def test_content_must_be_a_percentage() -> None:
    (msg,) = problems(GOOD + "    content: {dy_oxide: 140}\n")
    assert "components[0].content" in msg
    assert "percentage" in msg


def test_bundled_names_and_unknown_name() -> None:
    assert PRODUCTS.names() == ("ev-motor", "hard-disk", "wind-generator")
    for name in PRODUCTS.names():
        assert load_product(name)[0].name == name
    with pytest.raises(UnknownNameError, match="did you mean 'ev-motor'") as info:
        load_product("ev-motr")
    assert "hard-disk" in str(info.value)


def test_names_are_checked_against_the_world() -> None:
    toy = sp.datasets.load("toy")
    with pytest.raises(UnknownNameError, match="did you mean 'ndfeb_magnet'"):
        map_product(toy, load_product_text(GOOD.replace("commodity: ndfeb_magnet",
                                                        "commodity: ndfeb_magnets")))
    with pytest.raises(InputError, match=r"no node in USA makes ndfeb_magnet.*regions whose nodes "
                                         r"make it: CHN, JPN"):
        map_product(toy, load_product_text(GOOD.replace("{region: JPN}", "{region: USA}")))
    with pytest.raises(InputError, match=re.escape(
            "field 'components[0].content': not an input of the maker's recipe: got 'tb_oxide'")):
        map_product(toy, load_product_text(GOOD + "    content: {tb_oxide: 1}\n"))
    with pytest.raises(UnknownNameError, match=re.escape("field 'plant.region'")):
        map_product(toy, load_product_text(GOOD.replace("region: USA", "region: USAA")))


def test_the_world_stays_in_balance_and_the_product_is_small() -> None:
    toy = sp.datasets.load("toy")
    text = GOOD + "    inputs_from: {dy_oxide: CHN}\n    content: {dy_oxide: 4}\n"
    mapped = map_product(toy, load_product_text(text))
    assert mapped.world.problems() == []
    assert mapped.added_nodes == ["magnet_jpn~widget"]
    recipe = mapped.world.recipes
    dy = recipe[(recipe["recipe"] == "make_magnet~widget") & (recipe["commodity"] == "dy_oxide")]
    assert float(dy["coefficient"].iloc[0]) == pytest.approx(0.04 / 0.871)
    before, after = toy.nodes.set_index("id"), mapped.world.nodes.set_index("id")
    grown = (after.loc[before.index, "output"] - before["output"]) / before["output"].where(
        before["output"] > 0)
    assert grown.max() <= MAX_SHARE * (1 + 1e-9)
    routes = mapped.world.routes.set_index("id")
    assert routes.at["dy_oxide__sep_chn__magnet_jpn~widget", "transit_weeks"] == 3.0  # as dy_jpn
    regions = mapped.world.regions.set_index("id")
    assert regions.at["USA_WIDGET", "zone"] == "ex_china"
    assert "USA" in str(regions.at["USA", "groups"]).split(";")


def test_the_rest_of_the_world_does_not_move() -> None:
    """The toy licence scenario with and without the product, same seed: every other sector's
    stop share is equal and its mean lost output within 0.5 % (the stated tolerance, docs/exposure.md)."""
    scen = toy_scenario(draws=64)
    toy = sp.datasets.load("toy")
    mapped = map_product(toy, load_product_text(GOOD))
    plain = run(scen, network=toy)
    with_product = run(scen, network=mapped.world)
    for sector in plain.data["sector"].values:
        a = plain.data["lost_output_usd"].sel(sector=sector).values
        b = with_product.data["lost_output_usd"].sel(sector=sector).values
        assert b.mean() == pytest.approx(a.mean(), rel=5e-3, abs=1.0), sector
        sa = np.isnan(plain.data["first_stop_week"].sel(sector=sector).values)
        sb = np.isnan(with_product.data["first_stop_week"].sel(sector=sector).values)
        assert sa.mean() == sb.mean(), sector


@pytest.mark.slow
def test_ev_motor_under_licence_squeeze_on_base_leaves_the_world_unmoved() -> None:
    """The stated tolerance on base (docs/exposure.md): with the product in it, the world's
    total lost output moves by at most 0.1 %, every sector losing USD 1 M or more by at most 1 %,
    every sector's stop share by at most two draws in 256."""
    draws = 256
    base = sp.datasets.load("base")
    scen = sp.scenarios.load("licence-squeeze")
    product = load_product("ev-motor")[0]
    report = exposure(product, [scen], draws=draws, network=base)
    doc = report.to_dict()
    assert doc["materials"][0]["suppliers"][0]["node"] == "mag_jpn~ev_motor"
    row = doc["scenarios"][0]
    assert row["stop_probability"] == 1.0
    assert row["cause"]["region"] == "CHN"
    assert row["cause"]["route_commodity"] in {"dy_oxide", "tb_oxide"}
    assert row["cause"]["tier"] == 2
    mapped = map_product(base, product)
    plain = run(scen, draws=draws, network=base, keep_trajectories=0)
    with_product = run(scen, draws=draws, network=mapped.world, keep_trajectories=0)
    a, b = plain.data, with_product.data.sel(sector=list(plain.data["sector"].values))
    lost_a = a["lost_output_usd"].values.mean(axis=0)
    lost_b = b["lost_output_usd"].values.mean(axis=0)
    assert abs(lost_b.sum() - lost_a.sum()) <= 1e-3 * lost_a.sum()
    big = lost_a >= 1e6
    assert np.all(np.abs(lost_b[big] - lost_a[big]) <= 0.01 * lost_a[big])
    stop_a = (~np.isnan(a["first_stop_week"].values)).mean(axis=0)
    stop_b = (~np.isnan(b["first_stop_week"].values)).mean(axis=0)
    assert np.abs(stop_b - stop_a).max() <= 2 / draws
