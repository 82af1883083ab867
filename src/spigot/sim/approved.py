"""What a licensed route asks its exporter to make and ship: one rule for both engines.

Under an export licence an application is paper: the exporter makes and ships what has been
approved, not what is queued or under review, and a denied application is never made
(docs/model.md, "Licensing: the exporter makes what is approved"; docs/design.md, issue 17,
item 8). The reference engine calls :func:`route_ask`, the numba kernel :data:`route_ask_jit`.
"""

from __future__ import annotations

from spigot.market._common import inner

__all__ = ["route_ask", "route_ask_jit"]


def route_ask(order: float, pending: float, banned: bool, filing: bool, share: float) -> float:
    """t/step a route with a licence slot asks its origin to ship this step.

    Parameters
    ----------
    order
        The importer's order on the route this step, t/step (the reorder rule).
    pending
        Approved tonnes the exporter owes the route: its approved backlog plus the approvals
        that fall due this step, t.
    banned
        A ban governs the route: it asks its order (the exporter holds it back, as before).
    filing
        A licence governs the route and no valid licence covers it: the licensed share of the
        order is filed as an application (paper) and only the rest is asked for now.
    share
        The licence's covered share of the route's flow, 1 (read only when ``filing``).

    Returns
    -------
    float
        ``order`` under a ban; ``order x (1 - share) + pending`` while filing;
        ``order + pending`` otherwise (exactly ``order`` when nothing is pending).
    """
    if banned:
        return order
    if filing:
        return order * (1.0 - share) + pending
    return order + pending if pending > 0.0 else order


route_ask_jit = inner(route_ask)
