"""Policies turned into per-draw arrays for the engine (all random draws happen here)."""

from spigot.policy.plan import BlockParams, PolicyPlan, block_seed

__all__ = ["BlockParams", "PolicyPlan", "block_seed"]
