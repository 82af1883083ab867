"""Supply networks: validated tables, their checks, and their compiled form for the engine."""

from spigot.network.compiled import STAGES, STATUSES, ZONES, CompiledNetwork
from spigot.network.supply_network import SupplyNetwork

__all__ = ["STAGES", "STATUSES", "ZONES", "CompiledNetwork", "SupplyNetwork"]
