"""Readers for supply-network tables: strict by default, units normalised at the boundary."""

from spigot.data.readers import read_table, read_table_file
from spigot.data.regions import is_iso3, suggest_region

__all__ = ["is_iso3", "read_table", "read_table_file", "suggest_region"]
