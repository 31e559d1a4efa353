"""HIV and HCV transmission along ties, by exposure.

Injecting ties transmit when both people injected this week (``injected_this_week``, filled
by the injecting process). The susceptible person's exposures are divided among their
injecting partners who injected this week: with ``k`` such partners, each partnership carries
``receptive_shared_injections / k`` injections with a syringe the partner used and
``equipment_shared_injections / k`` with the partner's cooker, cotton or rinse water. Per
partnership and week the risk is ``1 - (1 - p)^n`` for ``n`` exposures of probability ``p``:

- syringe, HIV: ``hiv_per_shared_injection`` (Kaplan & Heimer 1992);
- syringe, HCV: ``hcv_per_shared_injection`` (HIV's times the needlestick HCV:HIV ratio);
- equipment, HCV: ``hcv_per_shared_equipment`` (derived from Hagan 2001's aRR among
  syringe non-sharers). HIV through cookers and cotton is negligible (HIV does not survive
  the way HCV does in shared preparation equipment, and no cohort found an independent
  effect), so there is no HIV equipment route.

The source's infectiousness: HIV is ``hiv_acute_infectiousness_rr`` times higher in the first
``hiv_acute_weeks`` after infection; a virally suppressed person transmits with
``hiv_suppressed_injecting_rr`` by injection and ``hiv_suppressed_sexual_rr`` (0: U=U) by sex.
Only viraemic people transmit HCV, and a person on a DAA course stops from week
``hcv_daa_nonviraemic_from_week``. PrEP acts through the destination's HIV acquisition
multiplier. Sexual ties transmit HIV with ``hiv_per_sex_act`` per act,
``sex_acts_per_partner_per_week`` acts, when both are free to meet. Cured and cleared HCV is
susceptible again (reinfection).

Inputs: the per-exposure probabilities and ratios above, and the behaviour arrays. Expected to
emerge: incidence, the share of HCV infections in people who do not share syringes, infections
among people on MOUD who still inject, reinfection after cure.

Thinning: directed ties are sampled at an upper bound of the weekly per-tie probability (largest
per-exposure probability with the largest source ratio and acquisition multiplier, over the
largest number of exposures any person has, since a destination has at least one injecting
partner), and accepted with the ratio of exact to bound; partner counts are computed only for
the destinations of sampled candidate ties.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hrsim.core.states import free_to_meet
from hrsim.processes.base import Process

if TYPE_CHECKING:
    from collections.abc import Callable

    from hrsim.core.context import WeekContext
    from hrsim.core.network import Layer
    from hrsim.core.people import People
    from hrsim.scenario.scenario import InfectionParams

_P_MAX = 1.0 - 1e-12


class Infections(Process):
    """HIV and HCV transmission, once a week (after the cascade's care states)."""

    name = "infections"

    def init(self, model: WeekContext) -> None:
        """Keep the parameters."""
        self.i = model.scenario.infection

    def step(self, model: WeekContext) -> None:
        """This week's transmission."""
        rng = model.streams.generator(self.name, model.week)
        self._transmit(model, rng)

    def _transmit(self, model: WeekContext, rng: np.random.Generator) -> None:
        i, p = self.i, model.people
        injecting = model.network.layers["injecting"]
        sexual = model.network.layers["sexual"]
        injected = p.injected_this_week
        acquisition = (p.hiv_acquisition_multiplier, model.max_hook("hiv_acquisition_multiplier"))
        hiv_rr_max = max(i.hiv_acute_infectiousness_rr, i.hiv_suppressed_injecting_rr, 1.0)

        def hiv_inj_rr(src: np.ndarray) -> np.ndarray:
            return hiv_infectiousness(p, src, i, i.hiv_suppressed_injecting_rr)

        def hiv_sex_rr(src: np.ndarray) -> np.ndarray:
            return hiv_infectiousness(p, src, i, i.hiv_suppressed_sexual_rr)

        hcv_source = hcv_infectious(p, i)
        hiv_inj = _transmit_injecting(
            p,
            rng,
            injecting,
            p.hiv,
            p.hiv,
            injected,
            p.receptive_shared_injections,
            i.hiv_per_shared_injection,
            (hiv_inj_rr, hiv_rr_max),
            acquisition,
        )
        hcv_inj = _transmit_injecting(
            p,
            rng,
            injecting,
            hcv_source,
            p.hcv,
            injected,
            p.receptive_shared_injections,
            i.hcv_per_shared_injection,
            None,
            None,
        )
        hcv_eq = _transmit_injecting(
            p,
            rng,
            injecting,
            hcv_source,
            p.hcv,
            injected,
            p.equipment_shared_injections,
            i.hcv_per_shared_equipment,
            None,
            None,
        )
        hiv_sex = _transmit_sexual(
            p,
            rng,
            sexual,
            i.hiv_per_sex_act,
            i.sex_acts_per_partner_per_week,
            (hiv_sex_rr, max(i.hiv_acute_infectiousness_rr, i.hiv_suppressed_sexual_rr, 1.0)),
            acquisition,
        )
        hiv_sex = np.setdiff1d(hiv_sex, hiv_inj, assume_unique=True)
        hcv_eq = np.setdiff1d(hcv_eq, hcv_inj, assume_unique=True)
        week = model.week
        for rows, detail, disease in (
            (hiv_inj, "hiv_injecting", "hiv"),
            (hiv_sex, "hiv_sexual", "hiv"),
            (hcv_inj, "hcv_injecting", "hcv"),
            (hcv_eq, "hcv_equipment", "hcv"),
        ):
            getattr(p, disease)[rows] = True
            model.events.add(p.pid[rows], week, "infection", p.state[rows], p.state[rows], detail)
        new_hiv = np.concatenate([hiv_inj, hiv_sex])
        p.hiv_weeks[new_hiv] = 0
        new_hcv = np.concatenate([hcv_inj, hcv_eq])
        p.hcv_antibody[new_hcv] = True
        p.hcv_weeks[new_hcv] = 0
        p.hcv_treatment_weeks[new_hcv] = 0
        p.hcv_diagnosed[new_hcv] = False
        p.hcv_will_clear[new_hcv] = rng.random(new_hcv.size) < i.hcv_spontaneous_clearance_fraction
        model.timeseries.add("hiv_infections", new_hiv.size)
        model.timeseries.add("hcv_infections", new_hcv.size)


def hiv_infectiousness(
    people: People, rows: np.ndarray, i: InfectionParams, suppressed_rr: float
) -> np.ndarray:
    """Relative per-exposure infectiousness of people with HIV in ``rows``.

    Acute phase, chronic (1), or virally suppressed (``suppressed_rr``, which wins over acute).
    """
    acute = people.hiv_weeks[rows] <= i.hiv_acute_weeks
    rel = np.where(acute, i.hiv_acute_infectiousness_rr, 1.0)
    return np.where(people.hiv_suppressed[rows], suppressed_rr, rel)


def hcv_infectious(people: People, i: InfectionParams) -> np.ndarray:
    """Who can transmit HCV: viraemic and not past the viraemic weeks of a DAA course."""
    return people.hcv & ~(people.hcv_treatment_weeks >= i.hcv_daa_nonviraemic_from_week)


def injecting_partners_who_injected(
    layer: Layer, people: People, rows: np.ndarray, injected: np.ndarray
) -> np.ndarray:
    """For sorted unique ``rows``, the number of injecting partners who injected this week.

    Someone who injected and then died of an overdose this week still counts (and can still
    have passed on an infection): the same mask decides who transmits and who is a partner,
    so a sampled tie's destination always has at least one partner.
    """
    row, partner = layer.ties_of(rows)
    return np.bincount(np.searchsorted(rows, row), weights=injected[partner], minlength=rows.size)


def _bound(p: float, exposures: float) -> float:
    """``1 - (1 - p)^exposures``."""
    return float(-np.expm1(exposures * np.log1p(-min(p, _P_MAX))))


def _transmit_injecting(
    people: People,
    rng: np.random.Generator,
    ties: Layer,
    source: np.ndarray,
    infected: np.ndarray,
    injected: np.ndarray,
    exposures: np.ndarray,
    p_exposure: float,
    source_rr: tuple[Callable[[np.ndarray], np.ndarray], float] | None,
    acquisition: tuple[np.ndarray, float] | None,
) -> np.ndarray:
    """Rows newly infected along injecting ties this week by one route (sorted, unique).

    ``source`` marks who can transmit, ``infected`` who cannot be infected; ``exposures`` are
    the destination's exposures this week by this route, split evenly among their injecting
    partners who injected.
    """
    if ties.size == 0 or p_exposure == 0.0:
        return np.zeros(0, dtype=np.intp)
    max_exposures = float(exposures.max()) if exposures.size else 0.0
    if max_exposures <= 0.0:
        return np.zeros(0, dtype=np.intp)
    max_rr = source_rr[1] if source_rr is not None else 1.0
    max_acq = acquisition[1] if acquisition is not None else 1.0
    bound = _bound(p_exposure * max_rr * max_acq, max_exposures)
    src, dst = ties.sample_pairs(rng, bound)
    ok = source[src] & ~infected[dst] & injected[src] & injected[dst] & (exposures[dst] > 0)
    src, dst = src[ok], dst[ok]
    if dst.size == 0:
        return np.zeros(0, dtype=np.intp)
    targets = np.unique(dst)
    partners = injecting_partners_who_injected(ties, people, targets, injected)
    n = exposures[dst] / partners[np.searchsorted(targets, dst)]
    per = np.full(dst.size, p_exposure)
    if source_rr is not None:
        per *= source_rr[0](src)
    if acquisition is not None:
        per *= acquisition[0][dst]
    prob = -np.expm1(n * np.log1p(-np.minimum(per, _P_MAX)))
    return np.unique(dst[rng.random(dst.size) * bound < prob])


def _transmit_sexual(
    people: People,
    rng: np.random.Generator,
    ties: Layer,
    p_act: float,
    acts: float,
    source_rr: tuple[Callable[[np.ndarray], np.ndarray], float],
    acquisition: tuple[np.ndarray, float],
) -> np.ndarray:
    """Rows newly infected with HIV along sexual ties this week (both free to meet)."""
    if ties.size == 0 or p_act == 0.0 or acts == 0.0:
        return np.zeros(0, dtype=np.intp)
    bound = _bound(p_act * source_rr[1] * acquisition[1], acts)
    src, dst = ties.sample_pairs(rng, bound)
    hiv = people.hiv
    ok = hiv[src] & ~hiv[dst]
    src, dst = src[ok], dst[ok]
    ok = free_to_meet(people.state[src]) & free_to_meet(people.state[dst])
    src, dst = src[ok], dst[ok]
    per = p_act * source_rr[0](src) * acquisition[0][dst]
    prob = -np.expm1(acts * np.log1p(-np.minimum(per, _P_MAX)))
    return np.unique(dst[rng.random(dst.size) * bound < prob])
