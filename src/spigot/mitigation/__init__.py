"""What mitigation is worth: measures as data with cost models, and the stockpile a holder should
buy under uncertainty (docs/mitigation.md; issue 19, first slice).

>>> from spigot.mitigation import critical_fractile
>>> critical_fractile(holding_usd_per_t=1_000.0, lost_usd_per_t=4_000.0)
0.75
"""

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

__all__ = ["ExtraCover", "MeasureCost", "Menu", "NewsvendorSolution", "StrategicStockpile",
           "check_menu", "critical_fractile", "load_menu_text", "measure_cost", "mitigation_table",
           "optimal_stockpile", "release_policy", "sample_quantile", "shortfall_by_draw",
           "with_stockpiles"]
