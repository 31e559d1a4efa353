"""Health-state utility weights and the QALYs lived each week.

A person's utility in a week is the weight of their care state (``economics.utility_<state>``:
active use, detox, methadone, buprenorphine, recovery, prison, jail) times

- ``utility_multiplier_hiv_suppressed`` for people with HIV who are virally suppressed on ART,
  ``utility_multiplier_hiv_unsuppressed`` for everyone else with HIV (undiagnosed, out of care,
  before ART or before suppression);
- ``utility_multiplier_hcv_viraemic`` for people with current (viraemic) HCV;
- ``utility_multiplier_post_overdose`` in the ``post_overdose_weeks`` weeks starting with the
  week of a non-fatal overdose.

The timeseries column ``qalys`` of week ``w`` is the sum of the utilities of the people alive at
the end of week ``w``, divided by 52: undiscounted QALYs lived that week (an end-of-week count,
like the care states: a person who dies in week ``w`` does not count for it; week 0, the
starting population, lives none). The sum is exact arithmetic over the arrays, no random
numbers, so it cannot change any other result; it costs a gather of one weight per row and a
pass over the rows with HIV, HCV or a recent overdose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hrsim.core.states import STATE_NAMES, Care

if TYPE_CHECKING:
    from hrsim.core.people import People
    from hrsim.scenario.scenario import EconomicsParams

#: Care state -> the ``economics`` key of its utility weight.
STATE_UTILITY_KEYS: dict[int, str] = {
    Care.ACTIVE: "utility_active",
    Care.DETOX: "utility_detox",
    Care.METHADONE: "utility_methadone",
    Care.BUPRENORPHINE: "utility_buprenorphine",
    Care.RECOVERY: "utility_recovery",
    Care.PRISON: "utility_prison",
    Care.JAIL: "utility_jail",
}


@dataclass(frozen=True)
class UtilityWeights:
    """The weights of one scenario, as arrays the weekly sum indexes."""

    by_state: np.ndarray  # one weight per care state code (dead and exited: 0)
    hiv_suppressed: float
    hiv_unsuppressed: float
    hcv_viraemic: float
    post_overdose_weeks: int
    post_overdose: float

    @classmethod
    def from_params(cls, econ: EconomicsParams) -> UtilityWeights:
        """The weights of ``scenario.economics``."""
        by_state = np.zeros(len(STATE_NAMES), dtype=np.float64)
        for code, key in STATE_UTILITY_KEYS.items():
            by_state[code] = getattr(econ, key)
        by_state.flags.writeable = False
        return cls(
            by_state=by_state,
            hiv_suppressed=econ.utility_multiplier_hiv_suppressed,
            hiv_unsuppressed=econ.utility_multiplier_hiv_unsuppressed,
            hcv_viraemic=econ.utility_multiplier_hcv_viraemic,
            post_overdose_weeks=econ.post_overdose_weeks,
            post_overdose=econ.utility_multiplier_post_overdose,
        )

    def multipliers(
        self, people: People, rows: np.ndarray, *, post_overdose: bool = True
    ) -> np.ndarray:
        """The product of the HIV, HCV (and post-overdose) multipliers of ``rows``."""
        hiv = people.hiv[rows]
        hiv_m = np.where(people.hiv_suppressed[rows], self.hiv_suppressed, self.hiv_unsuppressed)
        m = np.where(hiv, hiv_m, 1.0)
        m *= np.where(people.hcv[rows], self.hcv_viraemic, 1.0)
        if post_overdose and self.post_overdose_weeks > 0:
            recent = people.weeks_since_overdose[rows] <= self.post_overdose_weeks
            m *= np.where(recent, self.post_overdose, 1.0)
        return m

    def person_utilities(
        self, people: People, rows: np.ndarray, *, post_overdose: bool = True
    ) -> np.ndarray:
        """Each of ``rows``' utility this week (0 for rows not holding a living person)."""
        return self.by_state[people.state[rows]] * self.multipliers(
            people, rows, post_overdose=post_overdose
        )

    def week_qalys(self, people: People, counts: np.ndarray | None = None) -> float:
        """QALYs lived this week by the people alive now: summed utility / 52.

        Called after the week's ``weeks_since_overdose`` increment, so a survivor of this
        week's overdose has 1 and the multiplier covers ``post_overdose_weeks`` weeks from the
        overdose's week on. The state weights are summed from the count of each living state
        (``counts``, in care-state order, if the caller has them); only the rows with a
        multiplier other than 1 (HIV, HCV, a recent overdose) are visited.
        """
        if counts is None:
            counts = np.bincount(people.state, minlength=self.by_state.size)
        counts = np.asarray(counts, dtype=np.float64)
        # Products summed, not ``@``: a BLAS dot starts threads, which on a busy machine cost
        # milliseconds (measured: 6-14 ms for 30,000 rows at load 5 on 2 cores).
        n = min(counts.size, self.by_state.size)
        total = float((counts[:n] * self.by_state[:n]).sum())  # dead, exited weigh 0
        special = people.hiv | people.hcv
        if self.post_overdose_weeks > 0:
            special |= people.weeks_since_overdose <= self.post_overdose_weeks
        rows = np.flatnonzero(special)
        base = self.by_state[people.state[rows]]
        living = base > 0.0  # unused and dead rows may carry flags; they weigh nothing
        rows, base = rows[living], base[living]
        if rows.size:
            total += float((base * (self.multipliers(people, rows) - 1.0)).sum())
        return total / 52.0
