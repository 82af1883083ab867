"""A manufacturer's product file: its plant, its bill of materials and its suppliers.

A product file is YAML, validated by pydantic with line numbers (as scenario files are). Example
(the bundled ``ev-motor``)::

    name: ev-motor
    plant: {region: DEU, output_per_week: 4000, unit: traction motor, value_per_unit: 1500,
            cover_weeks: 5}
    components:
      - name: rotor magnets
        commodity: ndfeb_magnet          # a spigot commodity (its stage: magnet)
        kg_per_unit: 1.6                 # kg of the commodity per unit of output
        supplier: {region: JPN}          # tier 1: where the part is made
        inputs_from: {dy_oxide: CHN}     # tier 2: where the maker's inputs come from
        content: {dy_oxide: 4.0}         # % of the part's mass, as the element (Dy)

Every mistake is a :class:`~spigot.errors.InputError` (exit code 2) naming the file, line and
field, the bad value and what was expected; names are checked against a world in
:mod:`spigot.exposure.mapping`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from spigot.bundled import BundledCatalog
from spigot.errors import InputError, Problem, UnknownNameError, did_you_mean
from spigot.network.files import read_text
from spigot.scenarios.loader import YamlSource, dedupe_problems, problem_from_pydantic, relevant_errors

__all__ = ["PRODUCTS", "Component", "Plant", "Product", "Supplier", "load_product",
           "load_product_text"]

#: Bundled example products (``spigot exposure ev-motor``).
PRODUCTS = BundledCatalog("spigot.exposure", "product", "*.yaml", subfolder="products")

#: Largest product file read (bytes): a bill of materials is a few kB.
MAX_PRODUCT_BYTES = 256 * 1024


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Plant(_Model):
    """Where and how much the product is made."""

    region: str = Field(description="Region id of the plant (ISO alpha-3 or a dataset "
                        "aggregate such as EU_OTHER or ROW).")
    output_per_week: float = Field(gt=0, description="Units made per week.")
    unit: str = Field("unit", description="What one unit of output is (motor, turbine, drive).")
    value_per_unit: float = Field(ge=0, description="Value of one unit, USD (lost output is "
                                  "valued at it).")
    cover_weeks: float = Field(ge=0, le=520, description="The plant's own stock of every "
                               "input, in weeks of use.")
    end_use: Literal["civil", "dual", "military"] = Field(
        "civil", description="End-use class a licensing authority sees for the plant's imports.")


class Supplier(_Model):
    """Tier 1: where the component is made."""

    region: str = Field(description="Region of the maker (ISO alpha-3 or aggregate), or "
                        "'market' for the plant region's own import mix.")
    node: str | None = Field(None, description="A node id of the dataset, to name the maker "
                             "exactly (default: the region's nodes that make the commodity).")


class Component(_Model):
    """One line of the bill of materials."""

    name: str = Field(description="What the part is (rotor magnets).")
    commodity: str = Field(description="The spigot commodity the part is, or is made of "
                           "(ndfeb_magnet, dy_oxide, gallium ...).")
    kg_per_unit: float = Field(gt=0, description="kg of the commodity per unit of output, in "
                               "the commodity's basis (product, metal, REO).")
    supplier: Supplier = Field(Supplier(region="market", node=None), description="Tier 1.")
    inputs_from: dict[str, str] = Field(
        default_factory=dict, description="Tier 2: input commodity of the maker -> region its "
        "supply comes from (for example {dy_oxide: CHN}).")
    content: dict[str, float] = Field(
        default_factory=dict, description="Input commodity -> % of the part's mass as the "
        "element or metal (Dy 4.0): replaces the maker's recipe for this product's line.")

    @pydantic.field_validator("content")
    @classmethod
    def _percent(cls, value: dict[str, float]) -> dict[str, float]:
        for key, pct in value.items():
            if not 0 < pct <= 100:
                raise ValueError(f"content of {key!r} must be a percentage in (0, 100]; "
                                 f"got {pct}")
        return value


class Product(_Model):
    """A manufacturer's product: plant and bill of materials."""

    name: str = Field(description="Short id of the product (letters, digits, - and _).")
    description: str = ""
    plant: Plant
    components: list[Component] = Field(min_length=1, max_length=50)

    @pydantic.field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,39}", value):
            raise ValueError("the name must start with a letter and hold at most 40 letters, "
                             "digits, '-' or '_'")
        return value

    @property
    def slug(self) -> str:
        """The name as an id part: lower case, ``-`` as ``_`` (``ev_motor``)."""
        return self.name.lower().replace("-", "_")


def _fields(loc: tuple[Any, ...]) -> list[str]:
    """Field names allowed at ``loc`` (for "did you mean" on unknown keys)."""
    models: dict[str, type[BaseModel]] = {"plant": Plant, "components": Component,
                                          "supplier": Supplier}
    model: type[BaseModel] = Product
    for part in loc:
        if isinstance(part, str) and part in models:
            model = models[part]
    return list(model.model_fields)


def load_product_text(text: str, file: str = "<product>") -> Product:
    """Parse and validate a product file's text.

    Raises
    ------
    InputError
        One problem per mistake, each with the file, line, field, bad value and what was
        expected.
    """
    try:
        source = YamlSource(text, file)
    except InputError as exc:
        raise InputError(exc.problems, title=f"{file} is not a valid product file:") from None
    if not isinstance(source.data, dict):
        raise InputError(Problem("a product file must be a mapping of keys to values", file=file,
                                 line=1, expected="keys name, plant, components"))
    try:
        return Product.model_validate(source.data)
    except pydantic.ValidationError as exc:
        problems = []
        for err in relevant_errors(exc.errors()):
            p = problem_from_pydantic(err, source)
            if err.get("type") == "extra_forbidden":
                allowed = _fields(tuple(err["loc"][:-1]))
                p = Problem(p.message, file=p.file, line=p.line, field=p.field, value=p.value,
                            expected="one of " + ", ".join(allowed),
                            hint=did_you_mean(p.value, allowed) or None)
            problems.append(p)
        raise InputError(dedupe_problems(problems), title=f"{file} is not a valid product file:") from None


def load_product(name_or_path: str | os.PathLike[str]) -> tuple[Product, str]:
    """A bundled product by name (``ev-motor``) or a product YAML file; also its text.

    Raises
    ------
    InputError
        If the file is missing, too large or invalid, or the name is unknown (the message lists
        the bundled products and suggests the closest).
    """
    text_name = str(name_or_path)
    path = Path(text_name)
    if text_name in PRODUCTS.names():
        path = PRODUCTS.path(text_name)
    elif not path.suffix and not os.path.lexists(path):
        raise UnknownNameError("product", text_name, PRODUCTS.names(),
                               hint=did_you_mean(text_name, PRODUCTS.names()) or
                               "give a product YAML file (docs/exposure.md)")
    elif not os.path.lexists(path):
        raise InputError(Problem("no such file", file=text_name,
                                 expected="a product YAML file or a bundled product: " +
                                 ", ".join(PRODUCTS.names())))
    text = read_text(path, what="a product YAML file", limit=MAX_PRODUCT_BYTES)
    return load_product_text(text, str(path) if path.parent != PRODUCTS.root() else path.name), text
