"""A manufacturer's exposure: a product's plant, bill of materials and suppliers put into a
world as a small sector of its region, simulated under scenarios (docs/exposure.md).

>>> from spigot.exposure import PRODUCTS
>>> PRODUCTS.names()
('ev-motor', 'hard-disk', 'wind-generator')
"""

from spigot.exposure.analysis import Exposure, exposure, summarise
from spigot.exposure.mapping import MAX_SHARE, Mapped, map_product
from spigot.exposure.product import (
    PRODUCTS,
    Component,
    Plant,
    Product,
    Supplier,
    load_product,
    load_product_text,
)

__all__ = ["MAX_SHARE", "PRODUCTS", "Component", "Exposure", "Mapped", "Plant", "Product",
           "Supplier", "exposure", "load_product", "load_product_text", "map_product", "summarise"]
