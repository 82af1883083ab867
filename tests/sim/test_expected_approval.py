"""The licensed importer's expectation of its applications (``spigot.sim.approved``): the share
eventually approved with re-filing and the mean time to that approval (docs/model.md, "The
licensed importer's order")."""

from __future__ import annotations

import pytest

from spigot.sim.approved import expected_approval


def _passes(a: float, r: float, lead: float, lag: int) -> tuple[float, float]:
    """Review pass by review pass, for one tonne of new applications: the share approved over
    all passes and the pipeline it holds, t x steps (each pass ``lead`` steps in review, each
    re-filing ``lag`` steps waiting). Pass ``i`` is reached with ``((1 - a) r)^i``."""
    reach, approved, held = 1.0, 0.0, 0.0
    while reach > 1e-300:
        approved += reach * a
        held += reach * (lead + (1.0 - a) * r * lag)
        reach *= (1.0 - a) * r
    return approved, held


@pytest.mark.parametrize(("a", "r", "lead", "lag"), [(0.75, 1.0, 9.5, 4), (0.3, 0.6, 5.0, 2),
                                          (0.05, 1.0, 12.0, 4), (0.9, 0.2, 3.0, 8)])
def test_eventual_share_and_lead_are_the_sums_over_review_passes(a: float, r: float,
                                                                  lead: float, lag: int) -> None:
    q, time = expected_approval(a, r, lead, lag)
    share, held = _passes(a, r, lead, lag)
    assert q == pytest.approx(share, rel=1e-12)
    assert q > a  # re-filing brings more than one pass
    # a base flow B of approvals needs B / q t a step of new applications, whose pipeline holds
    # B held / q t; counted at q it is worth B held: the goal's lead time is ``held``
    assert time == pytest.approx(held, rel=1e-12)
    assert time > lead


def test_without_refiling_the_old_terms_exactly() -> None:
    for a in (0.0, 0.2, 0.75, 1.0):
        assert expected_approval(a, 1.0, 9.5, 0) == (a, 9.5)  # no re-filing lag
        assert expected_approval(a, 0.0, 9.5, 4) == (a, 9.5)  # nothing re-filed
    assert expected_approval(1.0, 1.0, 9.5, 4) == (1.0, 9.5)  # nothing denied


def test_vanishing_odds_stay_finite() -> None:
    q, time = expected_approval(2.2250738585e-313, 1.0, 1.0, 4)
    assert q == 1.0
    assert 1e9 <= time < float("inf")
