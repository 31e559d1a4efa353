"""HIV and HCV: transmission along ties, HCV clearance, testing and treatment.

Injecting ties transmit when both people are actively injecting and the susceptible one
shares syringes (receptive sharing): per week ``1 - (1 - p_act)^acts``, with acts scaled by the
person's sharing multiplier (a programme hook). Sexual ties transmit HIV. People on ART (HIV)
or DAA treatment (HCV) transmit far less; PrEP acts through the acquisition multiplier.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hrsim.people import Care as S
from hrsim.processes.base import Process, weekly_probability

if TYPE_CHECKING:
    from hrsim.model import HarmReductionModel


class Infections(Process):
    """HIV and HCV, once a week."""

    name = "infections"

    def init(self, model: HarmReductionModel) -> None:
        """Weekly testing and treatment probabilities."""
        i = model.scenario.infection
        self.i = i
        self.p_hiv_test = float(weekly_probability(i.hiv_testing_rate_per_year))
        self.p_art = float(weekly_probability(i.hiv_art_start_rate_per_year))
        self.p_hcv_test = float(weekly_probability(i.hcv_testing_rate_per_year))
        self.p_hcv_treat = float(weekly_probability(i.hcv_treatment_start_rate_per_year))

    def step(self, model: HarmReductionModel) -> None:
        """Natural history and care first, then this week's transmission."""
        rng = model.streams.generator(self.name, model.week)
        u_hiv, u_hcv = rng.random((2, model.people.n), dtype=np.float32)
        self._hiv_care(model, u_hiv)
        self._hcv_course(model, u_hcv)
        self._transmit(model, rng)

    # -- care and natural history ----------------------------------------------------------
    def _hiv_care(self, model: HarmReductionModel, u: np.ndarray) -> None:
        p, week = model.people, model.week
        alive = p.alive
        tested = np.flatnonzero(alive & p.hiv & ~p.hiv_diagnosed & (u < self.p_hiv_test))
        starts = np.flatnonzero(alive & p.hiv_diagnosed & ~p.hiv_on_art & (u < self.p_art))
        p.hiv_diagnosed[tested] = True
        p.hiv_on_art[starts] = True
        model.events.add(p.pid[tested], week, "clinical", p.state[tested], p.state[tested],
                         "hiv_diagnosed")
        model.events.add(p.pid[starts], week, "clinical", p.state[starts], p.state[starts],
                         "hiv_art_start")

    def _hcv_course(self, model: HarmReductionModel, u: np.ndarray) -> None:
        i, p, week = self.i, model.people, model.week
        infected = np.flatnonzero(p.hcv & p.alive)
        p.hcv_weeks[infected] += 1
        clears = infected[p.hcv_will_clear[infected] & (p.hcv_weeks[infected] >= i.hcv_acute_weeks)]
        on_treatment = infected[p.hcv_treatment_weeks[infected] > 0]
        p.hcv_treatment_weeks[on_treatment] += 1
        finished = on_treatment[p.hcv_treatment_weeks[on_treatment] > i.hcv_treatment_weeks]
        cured = finished[u[finished] < i.hcv_cure_probability]
        p.hcv_treatment_weeks[finished] = 0
        rest = infected[~p.hcv_will_clear[infected] | (p.hcv_weeks[infected] < i.hcv_acute_weeks)]
        tested = rest[~p.hcv_diagnosed[rest] & (u[rest] < self.p_hcv_test)]
        start = rest[p.hcv_diagnosed[rest] & (p.hcv_treatment_weeks[rest] == 0)
                     & (u[rest] < self.p_hcv_treat)]
        start = np.setdiff1d(start, finished, assume_unique=True)
        for rows, detail in ((clears, "hcv_cleared"), (cured, "hcv_cured")):
            p.hcv[rows] = False
            p.hcv_diagnosed[rows] = False
            p.hcv_weeks[rows] = 0
            model.events.add(p.pid[rows], week, "clinical", p.state[rows], p.state[rows], detail)
        p.hcv_diagnosed[tested] = True
        p.hcv_treatment_weeks[start] = 1
        model.events.add(p.pid[tested], week, "clinical", p.state[tested], p.state[tested],
                         "hcv_diagnosed")
        model.events.add(p.pid[start], week, "clinical", p.state[start], p.state[start],
                         "hcv_treatment_start")

    # -- transmission ----------------------------------------------------------------------
    def _transmit(self, model: HarmReductionModel, rng: np.random.Generator) -> None:
        i, p = self.i, model.people
        injecting_now = (p.state == S.ACTIVE) & p.injects
        a, b = model.network.layers["injecting"].endpoints()
        both = injecting_now[a] & injecting_now[b]
        a, b = a[both], b[both]
        acts = i.shared_injections_per_partner_per_week
        hiv_inf = self._infect(rng, p.hiv, p.hiv_on_art, i.hiv_art_transmission_rr,
                               a, b, i.hiv_per_shared_injection, acts, p, sharing=True,
                               acquisition=p.hiv_acquisition_multiplier)
        treated_hcv = p.hcv_treatment_weeks > 0
        hcv_inf = self._infect(rng, p.hcv, treated_hcv, i.hcv_treatment_transmission_rr,
                               a, b, i.hcv_per_shared_injection, acts, p, sharing=True)
        sa, sb = model.network.layers["sexual"].endpoints()
        free = (p.state < S.PRISON) & (p.state != S.DETOX)
        ok = free[sa] & free[sb]
        hiv_sex = self._infect(rng, p.hiv, p.hiv_on_art, i.hiv_art_transmission_rr,
                               sa[ok], sb[ok], i.hiv_per_sex_act, i.sex_acts_per_partner_per_week,
                               p, sharing=False, acquisition=p.hiv_acquisition_multiplier)
        hiv_sex = np.setdiff1d(hiv_sex, hiv_inf, assume_unique=True)
        week = model.week
        for rows, detail, disease in (
            (hiv_inf, "hiv_injecting", "hiv"),
            (hiv_sex, "hiv_sexual", "hiv"),
            (hcv_inf, "hcv_injecting", "hcv"),
        ):
            getattr(p, disease)[rows] = True
            model.events.add(p.pid[rows], week, "infection", p.state[rows], p.state[rows], detail)
        p.hcv_weeks[hcv_inf] = 0
        p.hcv_will_clear[hcv_inf] = (
            rng.random(hcv_inf.size) < i.hcv_spontaneous_clearance_fraction
        )
        model.timeseries.add("hiv_infections", hiv_inf.size + hiv_sex.size)
        model.timeseries.add("hcv_infections", hcv_inf.size)

    @staticmethod
    def _infect(rng: np.random.Generator, infected: np.ndarray, treated: np.ndarray,
                treated_rr: float, a: np.ndarray, b: np.ndarray, p_act: float, acts: float,
                people: object, *, sharing: bool,
                acquisition: np.ndarray | None = None) -> np.ndarray:
        """Rows newly infected along discordant ties ``(a, b)`` this week (sorted, unique)."""
        discordant = infected[a] != infected[b]
        a, b = a[discordant], b[discordant]
        src = np.where(infected[a], a, b)
        dst = np.where(infected[a], b, a)
        n_acts = np.full(dst.size, acts, dtype=np.float64)
        if sharing:
            n_acts *= people.shares_syringes[dst] * people.sharing_multiplier[dst]  # type: ignore[attr-defined]
        per_act = np.full(dst.size, p_act, dtype=np.float64)
        per_act[treated[src]] *= treated_rr
        if acquisition is not None:
            per_act *= acquisition[dst]
        p = -np.expm1(n_acts * np.log1p(-np.minimum(per_act, 1.0 - 1e-12)))
        return np.unique(dst[rng.random(dst.size) < p])
