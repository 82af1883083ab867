"""What a licensed route asks its exporter to make and ship: one rule for both engines.

Under an export licence an application is paper: the exporter makes and ships what has been
approved, not what is queued or under review, and a denied application is never made
(docs/model.md, "Licensing: the exporter makes what is approved"; docs/design.md, issue 17,
item 8). The reference engine calls :func:`route_ask` and :func:`ship_split`, the numba kernel
their ``_jit`` twins.
"""

from __future__ import annotations

import numpy as np

from spigot.market._common import inner

__all__ = ["expected_approval", "expected_approval_jit", "expected_terms_jit", "route_ask",
           "route_ask_jit", "ship_split", "ship_split_jit"]


#: Bound of the lead time to an eventual approval over ``1 - (1 - a) r``, a numerical guard.
LEAD_GUARD = 1e9


def expected_approval(approve: float, refile: float, lead: float, refile_steps: int
                      ) -> tuple[float, float]:
    """What a licensed importer expects of its applications: their eventual approval share and
    the mean time to it (the reorder rule's licence terms; docs/model.md, "Reorder rule").

    A denied application is re-filed with probability ``refile`` after ``refile_steps`` and is
    then decided again like a first one, so a tonne applied for is eventually approved with
    ``q = a / (1 - (1 - a) r)`` (``a`` the approval share, ``r`` the re-filed share of
    denials); an importer that counts its applications at ``a`` would apply again for the
    share of its need that its re-filed denials will bring (the same need twice). The pipeline
    that carries a base flow ``B`` at these odds holds ``B (L + R (1 - a) r) / (a (1 - (1 - a)
    r))`` t of applications (Little's law over the review passes ``L`` and the re-filing
    waits ``R``), worth ``q`` each: the importer's goal adds ``B`` times the lead time
    ``(L + R (1 - a) r) / (1 - (1 - a) r)``. Without re-filing (``r = 0`` or
    ``refile_steps = 0``) both are the old terms exactly: ``(a, L)``.

    Parameters
    ----------
    approve
        The pair's approval share ``a``, 1.
    refile
        Share of its denied tonnes that is re-filed ``r``, 1.
    lead
        The licence's mean processing time ``L``, steps.
    refile_steps
        The re-filing lag ``R``, steps (0: denied applications are never re-filed).

    Returns
    -------
    (float, float)
        ``(q, lead_time)``: the eventual approval share, 1, and the lead time, steps.
    """
    if refile_steps <= 0 or refile <= 0.0 or approve <= 0.0:
        return approve, lead
    again = (1.0 - approve) * refile  # share of a decision that comes back for review
    den = (1.0 - refile) + refile * approve  # 1 - again, > 0 whenever approve > 0
    # a numerical guard only: the lead time is at most LEAD_GUARD times the raw one (at
    # approval shares below ~1e-9 the importer's order is at its cap either way)
    return approve / den, (lead + refile_steps * again) / max(den, 1.0 / LEAD_GUARD)


def route_ask(order: float, pending: float, banned: bool, pair: int, valid_steps: int,
              pair_share: np.ndarray) -> float:
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
    pair, valid_steps, pair_share
        The governing measure-route pair (-1: no licence governs the route), the steps left of
        the route's valid licence, and every pair's covered share of its route's flow, 1. While
        a licence governs and no valid licence covers the route (*filing*), the licensed share
        of the order is filed as an application (paper) and only the rest is asked for now.

    Returns
    -------
    float
        ``order`` under a ban; ``order x (1 - share) + pending`` while filing;
        ``order + pending`` otherwise (exactly ``order`` when nothing is pending).
    """
    if banned:
        return order
    if pair >= 0 and valid_steps == 0:  # filing
        return order * (1.0 - pair_share[pair]) + pending
    return order + pending if pending > 0.0 else order


def ship_split(sent: float, pending: float, ratio: float, order: float, pair: int,
               valid_steps: int, pair_share: np.ndarray) -> tuple[float, float]:
    """How a route with a licence slot (not banned) uses this step's shipment and order.

    Parameters
    ----------
    sent
        t the exporter ships on the route this step (its ask times the share of its node's
        asks it can serve).
    pending
        Approved tonnes owed to the route (as in :func:`route_ask`), t.
    ratio
        The share of its asks the origin serves this step, 1.
    order
        The importer's order, t/step.
    pair, valid_steps, pair_share
        As in :func:`route_ask`: the licensed share of the order is filed this step while a
        licence governs and no valid licence covers the route.

    Returns
    -------
    (float, float)
        ``(approved, filed)``: t of approved tonnes shipped now, ``min(pending x ratio, sent)``,
        which a quota has already counted when they were filed; and t filed as applications
        now, ``order x share`` (0 unless ``filing``). A quota on the route counts
        ``sent - approved + filed``: an application uses the quota when it is filed.
    """
    approved = min(pending * ratio, sent) if pending > 0.0 else 0.0
    filed = order * pair_share[pair] if pair >= 0 and valid_steps == 0 else 0.0
    return approved, filed


expected_approval_jit = inner(expected_approval)
route_ask_jit = inner(route_ask)
ship_split_jit = inner(ship_split)


@inner
def expected_terms_jit(mi: int, ln: int, pair_ptr: np.ndarray, refile_steps: np.ndarray,
                       appr_l: np.ndarray, refl_l: np.ndarray, lead_l: np.ndarray,
                       odds_l: np.ndarray, elead_l: np.ndarray) -> None:
    """:func:`expected_approval` of measure ``mi``'s pairs in lane ``ln``, into ``odds_l`` and
    ``elead_l`` (E, W): 1 and steps.

    Its inputs (``appr_l`` (E, W), ``refl_l`` (E, W), ``lead_l`` (M, W), ``refile_steps``
    (M,)) change only when a reaction sets them, so the kernel keeps the terms and refreshes
    them then, instead of evaluating them for every licensed route and step (the same
    function of the same values: the same bits). ``pair_ptr`` (M + 1,): each measure's pairs.
    """
    for e in range(pair_ptr[mi], pair_ptr[mi + 1]):
        odds_l[e, ln], elead_l[e, ln] = expected_approval_jit(appr_l[e, ln], refl_l[e, ln],
                                                              lead_l[mi, ln], refile_steps[mi])
