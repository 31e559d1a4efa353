"""Overdose: who overdoses this week, whether anyone sees it, and whether it is fatal.

Weekly hazard = base rate x use (active 1; on methadone or buprenorphine a rate ratio, higher
in the first 2 weeks of induction, Cousins 2011) x injecting x heavy use x fentanyl in this
week's dose x low tolerance x recent non-fatal overdose (Caudarella 2016) x the weeks just
after leaving MOUD (Cousins 2016).

Fentanyl is drawn per person-week, not averaged over the supply: this week's dose contains
fentanyl with probability the scenario's fentanyl share for the week, and then carries
``fentanyl_rr_full_share``; a dose without fentanyl carries 1. The expected factor,
``1 + (fentanyl_rr_full_share - 1) * share``, is the old supply average, so the population's
mean hazard is unchanged; what changes is that a dose with fentanyl is riskier than one
without, so knowing which it is (a test strip) is worth something. The draw is keyed
(``hrsim.core.supply.fentanyl_in_dose``: stream ``overdose.fentanyl``, the week, the person's
id), so any code asking about the same person-week gets the same answer without any ordering:
the test-strip programme, which runs before the processes, tests the very dose this process
then uses, and paired arms share every person-week's supply. The thinning bound carries the
full fentanyl rate ratio, and only candidates need the draw. The process writes it to
``people.fentanyl_this_week`` for its candidates (everyone who overdoses among them; False
for everyone else), for observers and tests: this week's value once the process has run, last
week's before. The programme does not read that field (it runs first); it asks
``fentanyl_in_dose`` for its testers.

What happens after an overdose (who is there, naloxone, EMS, the outcome, the emergency
department, kits) is ``hrsim.processes.overdose_response``, called at the end of ``step``.

The hazard is computed exactly only for people whose uniform draw falls under an upper bound
of everyone's probability (thinning). Those rows and their draws come straight from
``hrsim.core.sampling.thinned_draws``, so the cost follows the number of candidates, not the
population; the same seed picks the same rows in every arm (common random numbers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hrsim.core.sampling import thinned_draws
from hrsim.core.states import STATE_NAMES
from hrsim.core.states import Care as S
from hrsim.core.supply import fentanyl_in_dose
from hrsim.processes.base import Process
from hrsim.processes.overdose_response import OUTCOMES, respond

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext


class Overdose(Process):
    """Overdoses and their outcomes, once a week."""

    name = "overdose"

    def init(self, model: WeekContext) -> None:
        """Per-state use factors and the thinning bound's constant parts."""
        o = model.scenario.overdose
        self.o = o
        self.use = np.zeros(len(STATE_NAMES), dtype=np.float64)
        self.use[S.ACTIVE] = 1.0
        self.use[S.METHADONE] = o.methadone_rate_ratio
        self.use[S.BUPRENORPHINE] = o.buprenorphine_rate_ratio
        self.induction = np.ones(len(STATE_NAMES), dtype=np.float64)
        self.induction[S.METHADONE] = o.methadone_induction_rr
        self.induction[S.BUPRENORPHINE] = o.buprenorphine_induction_rr
        # The largest use factor per state (with induction and post-MOUD windows).
        self.state_max = self.use.copy()
        self.state_max[S.ACTIVE] = max(1.0, o.moud_exit_rr_weeks_1_2, o.moud_exit_rr_weeks_3_4)
        self.state_max[S.METHADONE] *= max(1.0, o.methadone_induction_rr)
        self.state_max[S.BUPRENORPHINE] *= max(1.0, o.buprenorphine_induction_rr)
        self.codes = {name: model.events.detail_code(name) for name in OUTCOMES}

    def rate(
        self, model: WeekContext, rows: np.ndarray, fentanyl_dose: np.ndarray | None = None
    ) -> np.ndarray:
        """Weekly overdose hazard for ``rows`` (``fentanyl_dose``: their draws, if known)."""
        o, p = self.o, model.people
        state = p.state[rows]
        if fentanyl_dose is None:
            fentanyl_dose = fentanyl_in_dose(model, rows)
        fentanyl = np.where(fentanyl_dose, o.fentanyl_rr_full_share, 1.0)
        r = (o.base_rate_per_year / 52.0) * fentanyl * self.use[state]
        r = r * np.where(p.injects[rows], o.injecting_rr, 1.0)
        r *= np.where(p.heavy_use[rows], o.heavy_use_rr, 1.0)
        r *= 1.0 + (o.low_tolerance_rr - 1.0) * (1.0 - p.tolerance[rows])
        r *= np.where(
            p.weeks_since_overdose[rows] < o.recent_overdose_window_weeks, o.recent_overdose_rr, 1.0
        )
        r *= np.where(p.weeks_in_state[rows] < 2, self.induction[state], 1.0)
        exit_weeks = p.weeks_since_moud_exit[rows]
        after_exit = np.where(
            exit_weeks < 2,
            o.moud_exit_rr_weeks_1_2,
            np.where(exit_weeks < 4, o.moud_exit_rr_weeks_3_4, 1.0),
        )
        r *= np.where(state == S.ACTIVE, after_exit, 1.0)
        return r * p.overdose_multiplier[rows]

    def _rate_bound(self, model: WeekContext) -> float:
        """An upper bound of everyone's weekly hazard, before the care-state factor."""
        o = self.o
        # A dose with fentanyl carries the full rate ratio (only if the supply has any).
        share = model.scenario.fentanyl_share(model.week)
        fentanyl = max(o.fentanyl_rr_full_share, 1.0) if share > 0.0 else 1.0
        r = (o.base_rate_per_year / 52.0) * fentanyl
        r *= max(o.injecting_rr, 1.0) * max(o.heavy_use_rr, 1.0) * o.low_tolerance_rr
        return r * max(o.recent_overdose_rr, 1.0) * model.max_hook("overdose_multiplier")

    def step(self, model: WeekContext) -> None:
        """Draw overdoses, witnesses, naloxone and outcomes."""
        people = model.people
        rng = model.streams.generator(self.name, model.week)
        # Thinning: only rows whose draw falls under the largest possible probability can
        # overdose; a tighter bound from the care state, then the exact hazard.
        bound = self._rate_bound(model)
        candidates, u = thinned_draws(rng, people.n, -np.expm1(-bound * self.state_max.max()))
        keep = u < -np.expm1(-bound * self.state_max[people.state[candidates]])
        candidates, u = candidates[keep], u[keep]
        fentanyl_dose = fentanyl_in_dose(model, candidates)
        people.fentanyl_this_week.fill(False)
        people.fentanyl_this_week[candidates] = fentanyl_dose
        p = -np.expm1(-self.rate(model, candidates, fentanyl_dose))
        od = candidates[u < p]
        respond(model, od, rng, self.codes)
