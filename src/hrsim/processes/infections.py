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

Cost: injecting transmission is computed from the destination side (``ExposedPartners``):
only the ties of people with shared injections this week are looked up, once for all routes,
and one uniform is drawn per partnership with an infectious partner. Sexual transmission is
computed from the side of the people with HIV: only their ties are looked up.

Common random numbers: each partnership's draw is keyed to the pair of person ids, the week
and the route (``Streams.pair_uniform``), never to its position among this week's pairs, so
two arms that differ by one person's survival draw the same for every pair they share.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from hrsim.core.states import free_to_meet
from hrsim.processes.base import Process

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext
    from hrsim.core.network import Layer
    from hrsim.core.people import People
    from hrsim.scenario.scenario import InfectionParams

_P_MAX = 1.0 - 1e-12

#: A draw per pair: ``draw(dst_rows, src_rows)`` gives one uniform per (destination, source).
type PairDraw = Callable[[np.ndarray, np.ndarray], np.ndarray]


class Infections(Process):
    """HIV and HCV transmission, once a week (after the cascade's care states)."""

    name = "infections"

    def init(self, model: WeekContext) -> None:
        """Keep the parameters."""
        self.i = model.scenario.infection

    def step(self, model: WeekContext) -> None:
        """This week's transmission."""
        self._transmit(model)

    def _transmit(self, model: WeekContext) -> None:
        i, p = self.i, model.people

        def draw(route: str) -> PairDraw:
            # One uniform per (exposed person, partner) pair, keyed to their ids and the week
            # in a stream per route: an arm with one more or one fewer pair this week leaves
            # every other pair's draw as it was (common random numbers through the network),
            # and a change to HCV alone (a cure rate) leaves HIV, and all it leads to, alone.
            name, week, pid = f"{self.name}.{route}", model.week, p.pid

            def uniforms(dst: np.ndarray, src: np.ndarray) -> np.ndarray:
                return model.streams.pair_uniform(name, week, pid[dst], pid[src])

            return uniforms

        sexual = model.network.layers["sexual"]
        acquisition = p.hiv_acquisition_multiplier

        def hiv_inj_rr(src: np.ndarray) -> np.ndarray:
            return hiv_infectiousness(p, src, i, i.hiv_suppressed_injecting_rr)

        def hiv_sex_rr(src: np.ndarray) -> np.ndarray:
            return hiv_infectiousness(p, src, i, i.hiv_suppressed_sexual_rr)

        exposed = ExposedPartners.of(model.network.layers["injecting"], p)
        hcv_source = hcv_infectious(p, i)
        hiv_inj = exposed.infected(
            draw("hiv_injecting"),
            p.hiv,
            p.hiv,
            p.receptive_shared_injections,
            i.hiv_per_shared_injection,
            hiv_inj_rr,
            acquisition,
        )
        hcv_inj = exposed.infected(
            draw("hcv_injecting"),
            hcv_source,
            p.hcv,
            p.receptive_shared_injections,
            i.hcv_per_shared_injection,
        )
        hcv_eq = exposed.infected(
            draw("hcv_equipment"),
            hcv_source,
            p.hcv,
            p.equipment_shared_injections,
            i.hcv_per_shared_equipment,
        )
        hiv_sex = _transmit_sexual(
            p,
            draw("hiv_sexual"),
            sexual,
            i.hiv_per_sex_act,
            i.sex_acts_per_partner_per_week,
            hiv_sex_rr,
            acquisition,
        )
        hiv_sex = _without(hiv_sex, hiv_inj)
        hcv_eq = _without(hcv_eq, hcv_inj)
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
        u = model.streams.uniform(f"{self.name}.hcv_clearance", week, p.pid[new_hcv])
        clears = u < i.hcv_spontaneous_clearance_fraction
        p.hcv_will_clear[new_hcv] = clears
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


class ExposedPartners:
    """This week's injecting partnerships of everyone with shared injections.

    From the destination side: each person who injected this week with receptive or
    equipment exposures, their injecting partners who also injected, and how many there are
    (the exposures are split evenly among them). The ties are looked up once a week for all
    routes, so the cost follows the number of people who shared, not the size of the layer.
    """

    def __init__(self, row: np.ndarray, partner: np.ndarray, count: np.ndarray) -> None:
        self.row, self.partner, self.count = row, partner, count

    @classmethod
    def of(cls, layer: Layer, people: People) -> ExposedPartners:
        """Partnerships of this week's exposed people along ``layer``."""
        injected = people.injected_this_week
        exposed = injected & (
            (people.receptive_shared_injections > 0) | (people.equipment_shared_injections > 0)
        )
        rows = np.flatnonzero(exposed)
        row, partner = layer.ties_of(rows)
        # Someone who injected and then died of an overdose this week still counts: they
        # injected, and could have passed on an infection.
        keep = injected[partner]
        row, partner = row[keep], partner[keep]
        count = np.bincount(row, minlength=people.n)
        return cls(row, partner, count[row].astype(np.float64))

    def infected(
        self,
        draw: PairDraw,
        source: np.ndarray,
        infected: np.ndarray,
        exposures: np.ndarray,
        p_exposure: float,
        source_rr: Callable[[np.ndarray], np.ndarray] | None = None,
        acquisition: np.ndarray | None = None,
    ) -> np.ndarray:
        """Rows newly infected by one route this week (sorted, unique).

        ``source`` marks who can transmit, ``infected`` who cannot be infected, ``exposures``
        the destination's exposures by this route: per partnership ``1 - (1 - p)^(e / k)``.
        """
        if p_exposure == 0.0:
            return np.zeros(0, dtype=np.intp)
        ok = source[self.partner] & ~infected[self.row] & (exposures[self.row] > 0)
        row, partner, count = self.row[ok], self.partner[ok], self.count[ok]
        per = np.full(row.size, p_exposure)
        if source_rr is not None:
            per *= source_rr(partner)
        if acquisition is not None:
            per *= acquisition[row]
        n = exposures[row] / count
        prob = -np.expm1(n * np.log1p(-np.minimum(per, _P_MAX)))
        return np.unique(row[draw(row, partner) < prob])


def _without(rows: np.ndarray, other: np.ndarray) -> np.ndarray:
    """``rows`` not in ``other`` (both sorted and unique), in order.

    ``np.setdiff1d(rows, other, assume_unique=True)`` without its overhead (a few rows here).
    """
    if other.size == 0 or rows.size == 0:
        return rows
    at = np.minimum(np.searchsorted(other, rows), other.size - 1)
    return rows[other[at] != rows]


def _transmit_sexual(
    people: People,
    draw: PairDraw,
    ties: Layer,
    p_act: float,
    acts: float,
    source_rr: Callable[[np.ndarray], np.ndarray],
    acquisition: np.ndarray,
) -> np.ndarray:
    """Rows newly infected with HIV along sexual ties this week (both free to meet).

    From the side of the people with HIV (a few percent of the population): each of their
    ties to someone without HIV, both free to meet, transmits with
    ``1 - (1 - p)^acts``, decided by the pair's own draw.
    """
    if ties.size == 0 or p_act == 0.0 or acts == 0.0:
        return np.zeros(0, dtype=np.intp)
    hiv, state = people.hiv, people.state
    src, dst = ties.ties_of(np.flatnonzero(hiv & free_to_meet(state)))
    ok = ~hiv[dst] & free_to_meet(state[dst])
    src, dst = src[ok], dst[ok]
    per = p_act * source_rr(src) * acquisition[dst]
    prob = -np.expm1(acts * np.log1p(-np.minimum(per, _P_MAX)))
    return np.unique(dst[draw(dst, src) < prob])
