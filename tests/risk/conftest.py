"""Fixtures for the risk metrics: the toy world with dated export controls added."""

from __future__ import annotations

import pytest

import spigot as sp

CONTROL = {"exporter": "CHN", "destinations": "all", "end_use": "all", "end": "", "status":
           "in-force", "source": "test fixture"}


@pytest.fixture(scope="session")
def toy_controls() -> sp.SupplyNetwork:
    """The toy world with a magnet ban to the USA (suspended) and a licence on rare earths."""
    rows = [
        {**CONTROL, "id": "ban_usa", "commodities": "ndfeb_magnet", "measure": "ban",
         "destinations": "USA", "start": "2024-12-03", "end": "2025-11-09", "status": "suspended"},
        {**CONTROL, "id": "re_licence", "commodities": "rare_earths", "measure": "licence",
         "start": "2025-04-04"},
        {**CONTROL, "id": "mil_only", "commodities": "ndfeb_magnet", "measure": "ban",
         "destinations": "JPN;USA", "end_use": "military", "start": "2020-01-01"},
        {**CONTROL, "id": "susp", "commodities": "ndfeb_magnet", "measure": "suspension",
         "start": "2025-11-09", "end": "2026-11-27"},
    ]
    return sp.datasets.load("toy").add("controls", rows)


@pytest.fixture(scope="session")
def seeds_world() -> sp.SupplyNetwork:
    """The toy world with the seeds' published-style shares: mining 70 % China, separation 90 %."""
    rows = [
        {"commodity": "rare_earths", "stage": stage, "region": region, "year": 2024, "value": "",
         "unit": "t REO/yr", "share": share, "source": "test fixture"}
        for stage, region, share in [("separation", "CHN", 0.9), ("separation", "MYS", 0.1)]
    ]
    base = sp.datasets.load("toy")
    mining = base.production
    mining = mining.assign(value=[70.0, 30.0, 100.0])  # CHN 70 %, USA 30 %
    tables = base.tables
    tables["production"] = mining
    return sp.SupplyNetwork(tables, name="seeds").add("production", rows)
