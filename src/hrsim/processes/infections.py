"""HIV and HCV: transmission along ties, HCV clearance, testing and treatment.

Injecting ties transmit when both people are actively injecting and the susceptible one
shares syringes (receptive sharing): per week ``1 - (1 - p_act)^acts``, with acts scaled by the
person's sharing multiplier (a programme hook). Sexual ties transmit HIV. People on ART (HIV)
or DAA treatment (HCV) transmit far less; PrEP acts through the acquisition multiplier.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from hrsim.core.states import Care as S
from hrsim.core.states import free_to_meet, injecting_now
from hrsim.processes.base import Process, weekly_probability

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext
    from hrsim.core.network import Layer
    from hrsim.core.people import People


class Infections(Process):
    """HIV and HCV, once a week."""

    name = "infections"

    def init(self, model: WeekContext) -> None:
        """Weekly testing and treatment probabilities."""
        i = model.scenario.infection
        self.i = i
        self.p_hiv_test = float(weekly_probability(i.hiv_testing_rate_per_year))
        self.p_art = float(weekly_probability(i.hiv_art_start_rate_per_year))
        self.p_hcv_test = float(weekly_probability(i.hcv_testing_rate_per_year))
        self.p_hcv_treat = float(weekly_probability(i.hcv_treatment_start_rate_per_year))

    def step(self, model: WeekContext) -> None:
        """Natural history and care first, then this week's transmission."""
        rng = model.streams.generator(self.name, model.week)
        self._hiv_care(model, rng)
        self._hcv_course(model, rng)
        self._transmit(model, rng)

    # -- care and natural history ----------------------------------------------------------
    def _hiv_care(self, model: WeekContext, rng: np.random.Generator) -> None:
        p, week = model.people, model.week
        infected = np.flatnonzero(p.hiv)
        infected = infected[p.state[infected] < S.DEAD]
        u = rng.random(infected.size, dtype=np.float32)
        dx = p.hiv_diagnosed[infected]
        tested = infected[~dx & (u < self.p_hiv_test * p.testing_multiplier[infected])]
        p_art = self.p_art * model.hooks.art_start_multiplier
        starts = infected[dx & ~p.hiv_on_art[infected] & (u < p_art)]
        p.hiv_diagnosed[tested] = True
        p.hiv_on_art[starts] = True
        model.events.add(
            p.pid[tested], week, "clinical", p.state[tested], p.state[tested], "hiv_diagnosed"
        )
        model.events.add(
            p.pid[starts], week, "clinical", p.state[starts], p.state[starts], "hiv_art_start"
        )

    def _hcv_course(self, model: WeekContext, rng: np.random.Generator) -> None:
        i, p, week = self.i, model.people, model.week
        infected = np.flatnonzero(p.hcv)
        infected = infected[p.state[infected] < S.DEAD]
        # Masks below are aligned with ``infected``: one gather per array, not one per subset.
        u = rng.random(infected.size, dtype=np.float32)
        weeks = p.hcv_weeks[infected] + 1
        p.hcv_weeks[infected] = weeks
        clears = p.hcv_will_clear[infected] & (weeks >= i.hcv_acute_weeks)
        treatment_weeks = p.hcv_treatment_weeks[infected]
        on_treatment = treatment_weeks > 0
        treatment_weeks[on_treatment] += 1
        finished = on_treatment & (treatment_weeks > i.hcv_treatment_weeks)
        cured = finished & (u < i.hcv_cure_probability)
        treatment_weeks[finished] = 0
        p.hcv_treatment_weeks[infected] = treatment_weeks
        diagnosed = p.hcv_diagnosed[infected]
        tested = ~clears & ~diagnosed & (u < self.p_hcv_test * p.testing_multiplier[infected])
        start = (
            ~clears
            & diagnosed
            & (treatment_weeks == 0)
            & ~finished
            & (u < self.p_hcv_treat * model.hooks.hcv_treatment_multiplier)
        )
        for mask, detail in ((clears, "hcv_cleared"), (cured, "hcv_cured")):
            rows = infected[mask]
            p.hcv[rows] = False
            p.hcv_diagnosed[rows] = False
            p.hcv_weeks[rows] = 0
            model.events.add(p.pid[rows], week, "clinical", p.state[rows], p.state[rows], detail)
        tested_rows, start_rows = infected[tested], infected[start]
        p.hcv_diagnosed[tested_rows] = True
        p.hcv_treatment_weeks[start_rows] = 1
        model.events.add(
            p.pid[tested_rows],
            week,
            "clinical",
            p.state[tested_rows],
            p.state[tested_rows],
            "hcv_diagnosed",
        )
        model.events.add(
            p.pid[start_rows],
            week,
            "clinical",
            p.state[start_rows],
            p.state[start_rows],
            "hcv_treatment_start",
        )

    # -- transmission ----------------------------------------------------------------------
    def _transmit(self, model: WeekContext, rng: np.random.Generator) -> None:
        i, p = self.i, model.people
        injecting = model.network.layers["injecting"]
        sexual = model.network.layers["sexual"]
        acts = i.shared_injections_per_partner_per_week
        # Hooks with their largest value, for the thinning bound.
        max_acquisition = model.max_hook("hiv_acquisition_multiplier")
        max_sharing = model.max_hook("sharing_multiplier")
        hiv_inj = _transmit_along(
            p,
            rng,
            injecting,
            _injecting_now,
            p.hiv,
            p.hiv_on_art,
            i.hiv_art_transmission_rr,
            i.hiv_per_shared_injection,
            acts,
            (p.hiv_acquisition_multiplier, max_acquisition),
            p.shares_syringes,
            (p.sharing_multiplier, max_sharing),
        )
        hcv_inj = _transmit_along(
            p,
            rng,
            injecting,
            _injecting_now,
            p.hcv,
            p.hcv_treatment_weeks > 0,
            i.hcv_treatment_transmission_rr,
            i.hcv_per_shared_injection,
            acts,
            None,
            p.shares_syringes,
            (p.sharing_multiplier, max_sharing),
        )
        hiv_sex = _transmit_along(
            p,
            rng,
            sexual,
            _free,
            p.hiv,
            p.hiv_on_art,
            i.hiv_art_transmission_rr,
            i.hiv_per_sex_act,
            i.sex_acts_per_partner_per_week,
            (p.hiv_acquisition_multiplier, max_acquisition),
            None,
            None,
        )
        hiv_sex = np.setdiff1d(hiv_sex, hiv_inj, assume_unique=True)
        week = model.week
        for rows, detail, disease in (
            (hiv_inj, "hiv_injecting", "hiv"),
            (hiv_sex, "hiv_sexual", "hiv"),
            (hcv_inj, "hcv_injecting", "hcv"),
        ):
            getattr(p, disease)[rows] = True
            model.events.add(p.pid[rows], week, "infection", p.state[rows], p.state[rows], detail)
        p.hcv_weeks[hcv_inj] = 0
        p.hcv_will_clear[hcv_inj] = rng.random(hcv_inj.size) < i.hcv_spontaneous_clearance_fraction
        model.timeseries.add("hiv_infections", hiv_inj.size + hiv_sex.size)
        model.timeseries.add("hcv_infections", hcv_inj.size)


def _injecting_now(people: People, rows: np.ndarray) -> np.ndarray:
    """Actively injecting this week (``injecting_now`` for ``rows``)."""
    return injecting_now(people.state[rows], people.injects[rows])


def _free(people: People, rows: np.ndarray) -> np.ndarray:
    """Free to meet (``free_to_meet`` for ``rows``)."""
    return free_to_meet(people.state[rows])


def _transmit_along(
    people: People,
    rng: np.random.Generator,
    ties: Layer,
    can_transmit: Callable[[People, np.ndarray], np.ndarray],
    infected: np.ndarray,
    treated: np.ndarray,
    treated_rr: float,
    p_act: float,
    acts: float,
    acquisition: tuple[np.ndarray, float] | None,
    receptive: np.ndarray | None,
    acts_multiplier: tuple[np.ndarray, float] | None,
) -> np.ndarray:
    """Rows newly infected along directed ties ``src -> dst`` this week (sorted, unique).

    Every tie is stored in both directions; the direction from the infected person to the
    susceptible one carries the risk ``1 - (1 - p_act)^acts`` (per-act probability lowered
    by the source's treatment, raised or lowered by the destination's acquisition multiplier,
    acts scaled by the destination's sharing multiplier; each multiplier comes with its
    largest value). Thinning: directed ties are sampled at an upper bound of that probability
    and accepted with the ratio of exact to bound.
    """
    if ties.size == 0 or p_act == 0.0 or acts == 0.0:
        return np.zeros(0, dtype=np.intp)
    max_acq = acquisition[1] if acquisition is not None else 1.0
    max_acts = acts * (acts_multiplier[1] if acts_multiplier is not None else 1.0)
    bound = float(-np.expm1(max_acts * np.log1p(-min(p_act * max_acq, 1.0 - 1e-12))))
    src, dst = ties.sample_pairs(rng, bound)
    ok = infected[src] & ~infected[dst]
    src, dst = src[ok], dst[ok]
    ok = can_transmit(people, src) & can_transmit(people, dst)
    if receptive is not None:
        ok &= receptive[dst]
    src, dst = src[ok], dst[ok]
    n_acts = np.full(dst.size, acts)
    if acts_multiplier is not None:
        n_acts *= acts_multiplier[0][dst]
    if receptive is not None:  # injecting ties: no syringe is shared at a supervised site
        n_acts *= 1.0 - people.supervised_fraction[dst]
    per_act = np.full(dst.size, p_act)
    per_act[treated[src]] *= treated_rr
    if acquisition is not None:
        per_act *= acquisition[0][dst]
    p = -np.expm1(n_acts * np.log1p(-np.minimum(per_act, 1.0 - 1e-12)))
    return np.unique(dst[rng.random(dst.size) * bound < p])
