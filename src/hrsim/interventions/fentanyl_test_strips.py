"""Fentanyl test strips.

Strips are handed out to a share of the people in active use (a fixed per-person draw, so a
higher coverage reaches a superset). Each week a user with strips tests their drugs: the test
is positive with probability ``detection_sensitivity`` x the week's fentanyl share of the
supply, and after a positive test the user changes what they do with that dose (a smaller
dose, a test dose, not using alone) with ``behaviour_change_probability`` (Peiper et al. 2019:
43% changed their use after a positive test). A changed dose carries
``changed_dose_overdose_rr`` times the week's overdose hazard, through the person's
``overdose_multiplier`` hook.

One testing decision is modelled per user-week; ``strips_per_user_per_week`` only counts the
strips handed out (for costing). False positives on fentanyl-free drugs (specificity about
89% in Park et al. 2022) are not modelled: a negative or false-positive test changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from hrsim.interventions.base import Intervention
from hrsim.interventions.params import InterventionParams
from hrsim.interventions.registry import register

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext


class FentanylTestStripsParams(InterventionParams):
    """Coverage, what a positive test does, and unit costs."""

    coverage_fraction: float = Field(ge=0.0, le=1.0)
    strips_per_user_per_week: float = Field(ge=0.0, le=1000.0)
    detection_sensitivity: float = Field(ge=0.0, le=1.0)
    behaviour_change_probability: float = Field(ge=0.0, le=1.0)
    changed_dose_overdose_rr: float = Field(ge=0.0, le=1.0)
    cost_usd_per_strip: float = Field(ge=0.0, le=1e4)


@register
class FentanylTestStrips(Intervention[FentanylTestStripsParams]):
    """Fentanyl test strip distribution to people in active use."""

    type = "fentanyl_test_strips"
    Params = FentanylTestStripsParams
    outputs = ("enrolled", "users_with_strips", "strips", "positive_tests", "changed_use")

    def step(self, model: WeekContext) -> None:
        """Enrol toward coverage, then draw this week's tests and lower changed doses' risk."""
        p = self.params
        people = model.people
        eligible = model.week_view.active
        self.enrol_to_coverage(model, eligible, p.coverage_fraction * self.scale(model.week))
        users = self.clients
        if users.size == 0:
            return
        p_positive = p.detection_sensitivity * model.scenario.fentanyl_share(model.week)
        # One draw per user decides both: positive below p_positive, and a changed dose below
        # p_positive x behaviour_change_probability (a change always follows a positive).
        u = self.uniform(model, "test", users)
        positive = users[u < p_positive]
        changed = users[u < p_positive * p.behaviour_change_probability]
        # Only this week's dose changes: the hook is reset to neutral every week.
        people.overdose_multiplier[changed] *= p.changed_dose_overdose_rr
        strips = users.size * p.strips_per_user_per_week
        self.report(model, "users_with_strips", users.size)
        self.report(model, "strips", strips)
        self.report(model, "positive_tests", positive.size)
        self.report(model, "changed_use", changed.size)
        self.spend(model, strips * p.cost_usd_per_strip)
