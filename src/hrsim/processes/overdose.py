"""Overdose: who overdoses this week, whether anyone sees it, and whether it is fatal.

Weekly hazard = base rate x use (active 1; on methadone or buprenorphine a rate ratio, higher
in the first 2 weeks of induction, Cousins 2011; in recovery 0, or 1 in a lapse week) x
(potency / effective tolerance)^k x injecting x heavy use x stimulant co-use (Palis 2022) x
recent non-fatal overdose (Caudarella 2016) x the weeks just after leaving MOUD (Cousins
2016).

**Potency relative to tolerance.** A dose's potency is 1 (the person's usual dose) or
``supply.fentanyl_potency_ratio`` if it contains fentanyl; effective tolerance is
``m + (1 - m) x tolerance`` (``m = overdose.min_effective_tolerance``, tolerance 1 = full).
The hazard ratio ``(potency / effective)^k`` (``k = overdose.potency_exponent``) is 1 for a
usual dose at full tolerance, ``potency^k`` (3 with the defaults) for fentanyl at full
tolerance, ``m^-k`` (8) for a usual dose at zero tolerance, and their product (24) for
fentanyl at zero tolerance: lost tolerance and a fentanyl dose compound through one function,
not two unrelated multipliers. Inputs: the potency ratio (R), k and m (derived from the former
fentanyl rate ratio and the Merrall-calibrated zero-tolerance ratio, see defaults.toml). What
emerges: the excess after release, detox and lapses as tolerance returns; the share of
overdoses with fentanyl among people who lost tolerance.

**Fentanyl per dose.** Drawn per person-week, not averaged over the supply: this week's dose
contains fentanyl with probability the scenario's share for the week (``[supply]``, data, not
an outcome). The draw is keyed (``hrsim.core.supply.fentanyl_in_dose``: stream
``overdose.fentanyl``, the week, the person's id), so any code asking about the same
person-week gets the same answer without any ordering: the test-strip programme, which runs
before the processes, tests the very dose this process then uses, and paired arms share every
person-week's supply. The process writes it to ``people.fentanyl_this_week`` and the xylazine
draw (``xylazine_in_dose``: only doses with fentanyl) to ``people.xylazine_this_week`` for
every thinning candidate (which includes everyone who overdoses; False for everyone else):
this week's value once the process has run, last week's before. Xylazine does not change the
hazard here; its sedation, which naloxone does not reverse, belongs to the response.

**Lapses.** At the start of the step each person in recovery lapses (uses once) with
``overdose.lapse_probability_per_week``; ``people.lapsed_this_week`` is set for them (False for
everyone else) before anything else this week reads it. A lapse week is a use week at the
person's current tolerance (use factor 1, the same supply draw); it does not move the person
to active use (relapse is care.py's) nor restore tolerance (tolerance.py). Drawn by thinning
on the stream ``overdose.lapse``, so the cost follows the number of lapses.

**Stimulants.** ``people.uses_stimulants`` (processes/stimulants.py) multiplies the hazard by
``overdose.stimulant_rr``.

What happens after an overdose (who is there, naloxone, EMS, the outcome, the emergency
department, kits) is ``hrsim.processes.overdose_response``, called at the end of ``step``.

The hazard is computed exactly only for people whose uniform draw falls under an upper bound
of everyone's probability (thinning; ``_rate_bound`` times the largest use factor of the
person's care state is a true upper bound of ``rate``). Those rows and their draws come
straight from ``hrsim.core.sampling.thinned_draws``, so the cost follows the number of
candidates, not the population; the same seed picks the same rows in every arm (common random
numbers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hrsim.core.sampling import thinned_draws
from hrsim.core.states import STATE_NAMES
from hrsim.core.states import Care as S
from hrsim.core.supply import fentanyl_in_dose, xylazine_in_dose
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
        # In recovery only a lapse week carries risk (use factor 1).
        self.state_max[S.RECOVERY] = 1.0 if o.lapse_probability_per_week > 0.0 else 0.0
        self.supply = model.scenario.supply
        self.codes = {name: model.events.detail_code(name) for name in OUTCOMES}

    def rate(
        self, model: WeekContext, rows: np.ndarray, fentanyl_dose: np.ndarray | None = None
    ) -> np.ndarray:
        """Weekly overdose hazard for ``rows`` (``fentanyl_dose``: their draws, if known).

        Reads ``people.lapsed_this_week`` (set at the start of ``step``) for people in
        recovery.
        """
        o, p = self.o, model.people
        state = p.state[rows]
        if fentanyl_dose is None:
            fentanyl_dose = fentanyl_in_dose(model, rows)
        r = (o.base_rate_per_year / 52.0) * self.potency_factor(
            fentanyl_dose, p.tolerance[rows].astype(np.float64)
        )
        r *= np.where(p.lapsed_this_week[rows], 1.0, self.use[state])
        r *= np.where(p.injects[rows], o.injecting_rr, 1.0)
        r *= np.where(p.heavy_use[rows], o.heavy_use_rr, 1.0)
        r *= np.where(p.uses_stimulants[rows], o.stimulant_rr, 1.0)
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

    def potency_factor(self, fentanyl_dose: np.ndarray, tolerance: np.ndarray) -> np.ndarray:
        """``(potency / effective tolerance)^k``: 1 for a usual dose at full tolerance."""
        o = self.o
        potency = np.where(fentanyl_dose, self.supply.fentanyl_potency_ratio, 1.0)
        effective = o.min_effective_tolerance + (1.0 - o.min_effective_tolerance) * tolerance
        return np.asarray((potency / effective) ** o.potency_exponent)

    def _rate_bound(self, model: WeekContext) -> float:
        """An upper bound of everyone's weekly hazard, before the care-state factor."""
        o = self.o
        # The largest potency (fentanyl only if the supply has any this week) over the
        # smallest effective tolerance, m (k >= 0 and m <= 1, so this is the maximum).
        share = model.scenario.fentanyl_share(model.week)
        potency = max(self.supply.fentanyl_potency_ratio, 1.0) if share > 0.0 else 1.0
        top = (potency / o.min_effective_tolerance) ** o.potency_exponent
        r = (o.base_rate_per_year / 52.0) * top
        r *= max(o.injecting_rr, 1.0) * max(o.heavy_use_rr, 1.0) * max(o.stimulant_rr, 1.0)
        return r * max(o.recent_overdose_rr, 1.0) * model.max_hook("overdose_multiplier")

    def _lapses(self, model: WeekContext) -> None:
        """Who in recovery uses once this week: ``people.lapsed_this_week`` (False elsewhere)."""
        people = model.people
        people.lapsed_this_week.fill(False)
        p_lapse = self.o.lapse_probability_per_week
        if p_lapse <= 0.0:
            return
        rng = model.streams.generator("overdose.lapse", model.week)
        rows, _ = thinned_draws(rng, people.n, p_lapse)
        rows = rows[people.state[rows] == S.RECOVERY]
        people.lapsed_this_week[rows] = True
        model.timeseries.add("lapses", rows.size)

    def step(self, model: WeekContext) -> None:
        """Draw overdoses, witnesses, naloxone and outcomes."""
        people = model.people
        self._lapses(model)
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
        people.xylazine_this_week.fill(False)
        people.xylazine_this_week[candidates] = xylazine_in_dose(model, candidates, fentanyl_dose)
        p = -np.expm1(-self.rate(model, candidates, fentanyl_dose))
        hit = u < p
        od = candidates[hit]
        model.timeseries.add("overdoses_fentanyl", int(fentanyl_dose[hit].sum()))
        model.timeseries.add("overdoses_xylazine", int(people.xylazine_this_week[od].sum()))
        respond(model, od, self.codes)
