"""HIV and HCV testing and treatment ("test and treat").

A share of the people who use drugs and are not in prison become clients (a fixed per-person
draw, so a higher coverage reaches a superset). Clients are tested more often: their
``testing_multiplier`` is multiplied by ``testing_rr``, which scales the weekly probability
that an undiagnosed infection, HIV or HCV, is tested (processes/cascade.py tests with
``u < p_test * testing_multiplier``; an HCV test is confirmed by RNA with
``hcv_rna_confirmation_probability``). While the programme runs, treatment is expanded for
everyone diagnosed: ``hooks.art_start_multiplier`` (ART starts among people in HIV care) and
``hooks.hcv_treatment_multiplier`` (DAA starts among people with RNA-confirmed HCV) are
multiplied by the programme's factors, ramped up from 1 with the programme. They are
model-wide hooks: non-clients who are diagnosed also start treatment sooner.

Inputs: coverage, ``testing_rr`` and the two treatment multipliers (the programme's reach and
intensity), and the cascade's parameters (linkage, ART dropout and re-engagement, weeks to
viral suppression, DAA completion and cure). Expected to emerge, not assumed: how many people
reach viral suppression (people in care drop out and not everyone diagnosed links), HIV and HCV
infections averted (a suppressed person transmits by injection with
``hiv_suppressed_injecting_rr`` and not sexually; from week ``hcv_daa_nonviraemic_from_week`` of
a DAA course a person no longer transmits), deaths averted (only suppression removes the
untreated-HIV excess mortality) and HCV reinfection after cure (a cured person is HCV-negative
and undiagnosed, keeps the antibody, and is exposed like anyone else).

Costs: the programme pays for its tests only (issue 15). Treatment (ART and HIV care, DAA
courses) is costed by the model for everyone treated, in every arm
(``costs.art_usd_per_person_year``, ``costs.daa_usd_per_course``), so the programme's effect
on treatment shows as the difference in treatment costs between arms, not as a programme
budget that includes treatment people would have had anyway.

- tests: the expected number of tests, each week, of clients not yet diagnosed, at the
  programme's rate (``min(1, p_test x testing_rr)`` per client-week, HIV and HCV counted
  separately), whether positive or negative. It includes tests clients would have had at the
  baseline rate, and it is an expectation, not a count of the process's draws.

The outputs ``art_person_weeks`` (weeks on ART of clients whose ART started while they were
clients) and ``daa_courses`` (courses started by clients, seen the week after they start) are
counts for the programme's report; they carry no cost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from hrsim.interventions.base import Intervention
from hrsim.interventions.helpers import multiply_where
from hrsim.interventions.params import InterventionParams
from hrsim.interventions.registry import register
from hrsim.processes.base import weekly_probability

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext


class HivHcvTestingTreatmentParams(InterventionParams):
    """Coverage, how much testing and treatment rise, and the cost of a test."""

    coverage_fraction: float = Field(ge=0.0, le=1.0)
    testing_rr: float = Field(ge=1.0, le=100.0)
    art_start_multiplier: float = Field(ge=1.0, le=100.0)
    hcv_treatment_multiplier: float = Field(ge=1.0, le=100.0)
    cost_usd_per_test: float = Field(ge=0.0, le=1e5)


@register
class HivHcvTestingTreatment(Intervention[HivHcvTestingTreatmentParams]):
    """More HIV and HCV testing for clients, faster ART and DAA starts for everyone diagnosed."""

    type = "hiv_hcv_testing_treatment"
    Params = HivHcvTestingTreatmentParams
    outputs = ("enrolled", "expected_tests", "art_person_weeks", "daa_courses")

    def init(self, model: WeekContext) -> None:
        """Weekly baseline testing probabilities and the state needed to see treatment starts."""
        super().init(model)
        i = model.scenario.infection
        self.p_hiv_test = float(weekly_probability(i.hiv_testing_rate_per_year))
        self.p_hcv_test = float(weekly_probability(i.hcv_testing_rate_per_year))
        people = model.people
        self.on_art_before = people.hiv_on_art.copy()
        # pid of the person in each row whose ART the programme pays for (-1: none); rows
        # are reused, so the pid tells whether the row still holds that person.
        self.art_paid_pid = np.full(people.n, -1, dtype=np.int64)

    def step(self, model: WeekContext) -> None:
        """Cost last week's treatment starts, enrol, then write this week's hooks."""
        p = self.params
        people = model.people
        # Treatment started in last week's infections step, by people who were clients then.
        art_starts = np.flatnonzero(self.enrolled & people.hiv_on_art & ~self.on_art_before)
        self.art_paid_pid[art_starts] = people.pid[art_starts]
        daa_courses = int(np.count_nonzero(self.enrolled & (people.hcv_treatment_weeks == 1)))
        self.on_art_before = people.hiv_on_art.copy()

        scale = self.scale(model.week)
        eligible = model.week_view.alive & ~model.week_view.custody
        self.enrol_to_coverage(model, eligible, p.coverage_fraction * scale)
        if scale > 0:
            hooks = model.hooks
            hooks.art_start_multiplier *= 1.0 + (p.art_start_multiplier - 1.0) * scale
            hooks.hcv_treatment_multiplier *= 1.0 + (p.hcv_treatment_multiplier - 1.0) * scale
        # Whole-population masks: cheaper than gathers over the (many) clients.
        enrolled = self.enrolled
        multiply_where(people.testing_multiplier, enrolled, p.testing_rr)
        hiv_tests = np.count_nonzero(enrolled & ~people.hiv_diagnosed) * min(
            1.0, self.p_hiv_test * p.testing_rr
        )
        hcv_tests = np.count_nonzero(enrolled & ~people.hcv_diagnosed) * min(
            1.0, self.p_hcv_test * p.testing_rr
        )
        tests = float(hiv_tests + hcv_tests)
        on_art = np.flatnonzero(enrolled & people.hiv_on_art)
        art_weeks = int(np.count_nonzero(self.art_paid_pid[on_art] == people.pid[on_art]))
        self.report(model, "expected_tests", tests)
        self.report(model, "art_person_weeks", art_weeks)
        self.report(model, "daa_courses", daa_courses)
        self.spend(model, tests * p.cost_usd_per_test)
