"""What mitigation is worth: measures as data with cost models, and the stockpile a holder should
buy under uncertainty, and the cost-versus-risk frontier of a holder's portfolio
(:func:`mitigate`; docs/mitigation.md, issue 19).

>>> from spigot.mitigation import critical_fractile
>>> critical_fractile(holding_usd_per_t=1_000.0, lost_usd_per_t=4_000.0)
0.75
"""

from spigot.mitigation.engine_levers import apply_levers, lever_overrides
from spigot.mitigation.frontier import (
    InfeasibleTargetError,
    MitigationResult,
    default_menu,
    mitigate,
)
from spigot.mitigation.levers import (
    DiversifiedOfftake,
    LeverCost,
    NewCapacity,
    Recycling,
    Substitution,
    lever_cost,
)
from spigot.mitigation.measures import (
    ExtraCover,
    MeasureCost,
    Menu,
    StrategicStockpile,
    check_menu,
    load_menu_text,
    measure_cost,
    mitigation_table,
    release_policy,
    with_stockpiles,
)
from spigot.mitigation.newsvendor import (
    NewsvendorSolution,
    critical_fractile,
    optimal_stockpile,
    sample_quantile,
    shortfall_by_draw,
)

__all__ = ["DiversifiedOfftake", "ExtraCover", "InfeasibleTargetError", "LeverCost", "MeasureCost",
           "Menu", "MitigationResult", "NewCapacity", "NewsvendorSolution", "Recycling",
           "StrategicStockpile", "Substitution", "apply_levers", "check_menu", "critical_fractile",
           "default_menu", "lever_cost", "lever_overrides", "load_menu_text", "measure_cost",
           "mitigate", "mitigation_table", "optimal_stockpile", "release_policy",
           "sample_quantile", "shortfall_by_draw", "with_stockpiles"]
