"""Fentanyl test strips: a result is information about this week's dose, and people act on it.

Strips are handed out to a share of the people in active use (a fixed per-person draw, so a
higher coverage reaches a superset). Each week a client tests this week's dose with
``test_probability_per_week``. Whether that dose contains fentanyl is the overdose process's
own keyed draw (``hrsim.core.supply.fentanyl_in_dose``: the same stream, week and
person id give the same uniform), so the strip tests the very dose the overdose process then
uses, with no ordering between this programme (which runs before the processes) and the
overdose process, and a paired arm without strips has the same doses. A strip reads positive
with ``detection_sensitivity`` on a dose with fentanyl and with ``1 - detection_specificity``
on one without (a false positive). After a positive result the client changes what they do
with that dose with ``behaviour_change_probability`` (use less, go slower, a tester shot, not
using alone, or discarding it): that week's overdose hazard is multiplied by
``changed_dose_overdose_rr`` (``overdose_multiplier``) and the probability of using alone by
``changed_use_alone_rr`` (``alone_multiplier``, so an overdose is likelier to be witnessed). A
negative result changes nothing unless ``negative_result_overdose_rr`` is set above 1 (false
reassurance: off by default). Hooks are reset every week, so only this week's dose changes.

Inputs (defaults and sources in ``interventions/defaults.toml``): coverage, testing per week,
strip sensitivity and specificity (lab validation of the BTNX strip), the probability of a
change after a positive (surveys of strip users), the effect of a change on the week's
hazard and on using alone (placeholders), false reassurance (off), unit costs. The fentanyl
share of the supply and the fentanyl rate ratio are the scenario's, not the programme's.

What emerges, and is not set anywhere: the share of tests that are positive (share x
sensitivity + (1 - share) x (1 - specificity)), how many positives are true (the strip's
information: most changed doses are doses with fentanyl, which carry the fentanyl rate ratio),
and so the overdoses and deaths averted, which follow from share of doses with fentanyl x
testing x sensitivity x behaviour change x its effect, on the hazard the person would have
had that week (tolerance, injecting, recent overdose, ...). With the defaults and a 50% share,
55% of tests are positive, 90% of positives are doses with fentanyl, and about a quarter of
tested doses are changed.

One strip per testing week is counted as used (``strips_used``); ``strips_per_user_per_week``
is what the programme hands out and pays for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from hrsim.core.supply import fentanyl_in_dose
from hrsim.interventions.base import Intervention
from hrsim.interventions.params import InterventionParams
from hrsim.interventions.registry import register

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext


class FentanylTestStripsParams(InterventionParams):
    """Coverage, testing, the strip's accuracy, what a result does, and unit costs."""

    coverage_fraction: float = Field(ge=0.0, le=1.0)
    strips_per_user_per_week: float = Field(ge=0.0, le=1000.0)
    test_probability_per_week: float = Field(ge=0.0, le=1.0)
    detection_sensitivity: float = Field(ge=0.0, le=1.0)
    detection_specificity: float = Field(ge=0.0, le=1.0)
    behaviour_change_probability: float = Field(ge=0.0, le=1.0)
    changed_dose_overdose_rr: float = Field(ge=0.0, le=1.0)
    changed_use_alone_rr: float = Field(ge=0.0, le=1.0)
    negative_result_overdose_rr: float = Field(ge=1.0, le=10.0)
    cost_usd_per_strip: float = Field(ge=0.0, le=1e4)


@register
class FentanylTestStrips(Intervention[FentanylTestStripsParams]):
    """Fentanyl test strip distribution to people in active use."""

    type = "fentanyl_test_strips"
    Params = FentanylTestStripsParams
    outputs = (
        "enrolled",
        "users_with_strips",
        "strips",
        "strips_used",
        "positive_tests",
        "false_positive_tests",
        "changed_use",
    )

    def test_doses(
        self, model: WeekContext, users: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """This week's tests among ``users``: who tests, and what each test finds.

        Returns (testers, fentanyl in their dose, positive, changed), the last three masks
        over ``testers``. Keyed draws only, so calling it again in the same week gives the
        same answer.
        """
        p = self.params
        testers = users[self.uniform(model, "test", users) < p.test_probability_per_week]
        fentanyl = fentanyl_in_dose(model, testers)
        p_positive = np.where(fentanyl, p.detection_sensitivity, 1.0 - p.detection_specificity)
        positive = self.uniform(model, "result", testers) < p_positive
        changed = np.zeros(testers.size, dtype=bool)
        rows = np.flatnonzero(positive)
        changed[rows] = (
            self.uniform(model, "change", testers[rows]) < p.behaviour_change_probability
        )
        return testers, fentanyl, positive, changed

    def step(self, model: WeekContext) -> None:
        """Enrol toward coverage, then test this week's doses and act on the results."""
        p = self.params
        people = model.people
        eligible = model.week_view.active
        self.enrol_to_coverage(model, eligible, p.coverage_fraction * self.scale(model.week))
        users = self.clients
        if users.size == 0:
            return
        testers, fentanyl, positive, changed = self.test_doses(model, users)
        # Only this week's dose changes: the hooks are reset to neutral every week.
        acted = testers[changed]
        people.overdose_multiplier[acted] *= p.changed_dose_overdose_rr
        people.alone_multiplier[acted] *= p.changed_use_alone_rr
        if p.negative_result_overdose_rr != 1.0:
            people.overdose_multiplier[testers[~positive]] *= p.negative_result_overdose_rr
        strips = users.size * p.strips_per_user_per_week
        self.report(model, "users_with_strips", users.size)
        self.report(model, "strips", strips)
        self.report(model, "strips_used", testers.size)
        self.report(model, "positive_tests", int(positive.sum()))
        self.report(model, "false_positive_tests", int((positive & ~fentanyl).sum()))
        self.report(model, "changed_use", acted.size)
        self.spend(model, strips * p.cost_usd_per_strip)
