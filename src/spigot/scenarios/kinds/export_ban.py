"""``ExportBan``: no exports of the covered commodities to the destinations while in force."""

from __future__ import annotations

from typing import Literal

from spigot.scenarios.kinds._base import KIND_IDS, PolicyKind, Trade, all_routes, trade_references

__all__ = ["KIND", "ExportBan"]


class ExportBan(Trade):
    """No exports of the commodities to the destinations while in force."""

    type: Literal["ExportBan"]


KIND = PolicyKind("ExportBan", ExportBan, "no exports while in force",
                  measures=lambda ctx, p: all_routes(ctx, p, KIND_IDS["ban"]),
                  references=trade_references)
