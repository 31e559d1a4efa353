"""The lifetime horizon: what the people alive at the end of a run (or leaving it) have left.

Each person carries, from the end of the run (or the week they leave the modelled population
alive: aged out, sustained recovery), their remaining discounted life-years, QALYs and care
costs, discounted to week 0.

Simplification (stated in docs/economics.md): **the end state is held for the rest of life.**
A person on methadone stays on methadone, with its utility, its overdose risk and its cost,
until they die; one in recovery stays in recovery. Short stays are taken as what follows them:
detox, jail and prison count as active use (a custody stay ends in release, a detox in
discharge). HIV on ART counts as suppressed (suppression follows within weeks); HIV not on ART
stays untreated; viraemic HCV stays viraemic (a course in progress is not credited with its
cure). The post-overdose utility multiplier does not carry into the tail.

Mortality in the tail is the model's own excess mortality: the US life table's hazard for the
person's single year of age and sex (``scenario/us_life_table.csv``) times
``demography.other_cause_smr`` (times ``demography.moud_other_death_rr`` on MOUD), plus the
excess HIV mortality by stage the model uses (untreated, suppressed), plus an excess overdose
death rate by state group (``economics.tail_overdose_death_rate_per_year_*``: fixed inputs
anchored to the rates the model is calibrated to, not measured from the run, so that the tail
carries neither Monte Carlo noise nor the effect of programmes, which end with the run).
Chronic HCV adds no mortality, as in the run.

Discrete convention, the same as within the run: weeks, each counted at its end. A person
alive at the start of a week survives it with ``q = exp(-h / 52)`` (``h`` the yearly hazard
of their year of age) and, if they do, lives 1/52 of a year discounted by ``d = (1 + r) ** (-1
/ 52)`` per week since the tail began. With ``x = q d``, the discounted life-years from the
start of a year of age ``a`` are ``E(a) = x (1 - x**52) / (1 - x) / 52 + x**52 E(a + 1)``
(``E = 0`` past the table's last age), so a constant hazard gives the geometric series
``x (1 - x**n) / (1 - x) / 52`` over the ``n`` weeks to the table's end. A person part-way
through a year of age (``m`` weeks of it left) has ``x (1 - x**m) / (1 - x) / 52 + x**m E(a +
1)``. QALYs are the utility of the end state times these life-years, and costs the yearly cost
of the end state times them. The table (state group x HIV group x sex x age) is built once per
scenario; each person is then a lookup, vectorised over rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hrsim.core.states import STATE_NAMES, Care
from hrsim.economics.utilities import UtilityWeights

if TYPE_CHECKING:
    from hrsim.core.people import People
    from hrsim.scenario import Scenario

WEEKS_PER_YEAR = 52

#: Tail groups of care state: 0 using (active, detox, jail, prison), 1 methadone,
#: 2 buprenorphine, 3 recovery. Dead and exited rows map to 0 and are never asked for.
USING, METHADONE, BUPRENORPHINE, RECOVERY = 0, 1, 2, 3
CARE_GROUP = np.zeros(len(STATE_NAMES), dtype=np.intp)
CARE_GROUP[Care.METHADONE] = METHADONE
CARE_GROUP[Care.BUPRENORPHINE] = BUPRENORPHINE
CARE_GROUP[Care.RECOVERY] = RECOVERY
CARE_GROUP.flags.writeable = False
#: The care state whose utility each tail group holds.
GROUP_STATE = (Care.ACTIVE, Care.METHADONE, Care.BUPRENORPHINE, Care.RECOVERY)
#: HIV groups: 0 no HIV, 1 HIV not on ART, 2 HIV on ART.
NO_HIV, HIV_UNTREATED, HIV_ON_ART = 0, 1, 2

#: The tail's totals (keys of ``TailModel.values``).
TAIL_KEYS: tuple[str, ...] = (
    "life_years",
    "qalys",
    "treatment_usd",
    "chronic_usd",
    "productivity_usd",
)


def discount_factors(weeks: np.ndarray, rate: float) -> np.ndarray:
    """``(1 + rate) ** (-week / 52)``: the value at week 0 of one unit at the end of ``week``."""
    return np.power(1.0 + rate, -np.asarray(weeks, dtype=np.float64) / WEEKS_PER_YEAR)


def _partial_years(x: np.ndarray, weeks: np.ndarray | float) -> np.ndarray:
    """``sum_{j=1..weeks} x**j / 52``, the discounted life-years of ``weeks`` weeks."""
    x = np.asarray(x, dtype=np.float64)
    one_minus = 1.0 - x
    safe = np.where(np.abs(one_minus) > 1e-12, one_minus, 1.0)
    series = np.where(np.abs(one_minus) > 1e-12, x * (1.0 - x**weeks) / safe, weeks)
    return np.asarray(series / WEEKS_PER_YEAR, dtype=np.float64)


def life_years_table(hazards: np.ndarray, discount_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Weekly factors ``x`` and discounted remaining life-years ``E`` by single year of age.

    ``hazards[..., a]`` is the yearly death hazard in year of age ``a`` (any leading shape);
    returns ``x`` of the same shape and ``E`` with one more age (``E[..., A] = 0``): the
    discounted life-years from the start of each year of age.
    """
    hazards = np.asarray(hazards, dtype=np.float64)
    d = (1.0 + discount_rate) ** (-1.0 / WEEKS_PER_YEAR)
    x = np.exp(-hazards / WEEKS_PER_YEAR) * d
    ages = hazards.shape[-1]
    e = np.zeros((*hazards.shape[:-1], ages + 1))
    year = _partial_years(x, WEEKS_PER_YEAR)
    x_year = x**WEEKS_PER_YEAR
    for a in range(ages - 1, -1, -1):
        e[..., a] = year[..., a] + x_year[..., a] * e[..., a + 1]
    return x, e


def remaining_life_years(
    x: np.ndarray, e: np.ndarray, index: tuple[np.ndarray, ...], age: np.ndarray
) -> np.ndarray:
    """Discounted remaining life-years of people of (fractional) ``age`` in table cells ``index``.

    ``index`` selects the leading dimensions of ``x`` and ``e`` (e.g. ``(group, hiv, sex)``);
    ``age`` in years: the person has ``52 (1 - fraction)`` weeks of their year of age left.
    """
    ages = x.shape[-1]
    age = np.asarray(age, dtype=np.float64)
    whole = np.clip(np.floor(age).astype(np.intp), 0, ages - 1)
    left = WEEKS_PER_YEAR * (1.0 - np.clip(age - whole, 0.0, 1.0))
    xa = x[(*index, whole)]
    rest = e[(*index, whole + 1)]
    return np.asarray(_partial_years(xa, left) + xa**left * rest, dtype=np.float64)


@dataclass(frozen=True)
class TailModel:
    """One scenario's tail: the life-years table and the yearly utility and costs by group."""

    x: np.ndarray  # (care group, HIV group, sex, age)
    e: np.ndarray  # the same with one more age
    weights: UtilityWeights
    moud_usd_per_year: np.ndarray  # by care group
    art_usd_per_year: float
    hiv_care_usd_per_year: float
    hcv_care_usd_per_year: float
    productivity_usd_per_year: np.ndarray  # by care group (0 unless societal)

    @classmethod
    def from_scenario(
        cls, scenario: Scenario, life_table: np.ndarray, unit: Mapping[str, float]
    ) -> TailModel:
        """The tail of ``scenario``.

        ``life_table`` is the yearly hazard by sex (row 0 female, 1 male) and age
        (``processes.demography.life_table_hazards``); ``unit`` the unit costs in the price
        year (``hrsim.economics.costs.unit_costs``).
        """
        econ, demo, inf = scenario.economics, scenario.demography, scenario.infection
        base = np.asarray(life_table, dtype=np.float64) * demo.other_cause_smr  # (2, A)
        moud_rr = np.array([1.0, demo.moud_other_death_rr, demo.moud_other_death_rr, 1.0])
        overdose = np.array(
            [
                econ.tail_overdose_death_rate_per_year_using,
                econ.tail_overdose_death_rate_per_year_methadone,
                econ.tail_overdose_death_rate_per_year_buprenorphine,
                econ.tail_overdose_death_rate_per_year_recovery,
            ]
        )
        hiv = np.array(
            [
                0.0,
                demo.hiv_untreated_extra_death_rate_per_year,
                inf.hiv_suppressed_extra_death_rate_per_year,
            ]
        )
        hazards = (
            base[None, None, :, :] * moud_rr[:, None, None, None]
            + overdose[:, None, None, None]
            + hiv[None, :, None, None]
        )
        x, e = life_years_table(hazards, econ.discount_rate)
        societal = econ.perspective == "societal"
        using_loss = unit["productivity_loss_usd_per_person_year_using"] if societal else 0.0
        return cls(
            x=x,
            e=e,
            weights=UtilityWeights.from_params(econ),
            moud_usd_per_year=np.array(
                [
                    0.0,
                    unit["methadone_usd_per_person_year"],
                    unit["buprenorphine_usd_per_person_year"],
                    0.0,
                ]
            ),
            art_usd_per_year=unit["art_usd_per_person_year"],
            hiv_care_usd_per_year=unit["hiv_care_usd_per_person_year"],
            hcv_care_usd_per_year=unit["hcv_care_usd_per_person_year"],
            productivity_usd_per_year=np.array([using_loss, 0.0, 0.0, 0.0]),
        )

    def life_years(self, people: People, rows: np.ndarray) -> np.ndarray:
        """Each row's discounted remaining life-years from now (end state held)."""
        group = CARE_GROUP[people.state[rows]]
        hiv = np.where(
            people.hiv[rows], np.where(people.hiv_on_art[rows], HIV_ON_ART, HIV_UNTREATED), NO_HIV
        )
        sex = people.male[rows].astype(np.intp)
        return remaining_life_years(self.x, self.e, (group, hiv, sex), people.age[rows])

    def values(self, people: People, rows: np.ndarray, *, extra_weeks: int = 0) -> dict[str, float]:
        """The tail totals of ``rows``, valued now (not discounted to week 0).

        ``extra_weeks`` adds that many undiscounted weeks before the tail (1 for people who
        leave this week: the week they lived, which the end-of-week count no longer sees).
        """
        if rows.size == 0:
            return dict.fromkeys(TAIL_KEYS, 0.0)
        years = self.life_years(people, rows) + extra_weeks / WEEKS_PER_YEAR
        group = CARE_GROUP[people.state[rows]]
        state = np.asarray(GROUP_STATE, dtype=np.intp)[group]
        w = self.weights
        # HIV on ART counts as suppressed in the tail (whatever this week's flag says).
        on_art = people.hiv[rows] & people.hiv_on_art[rows]
        hiv_m = np.where(on_art, w.hiv_suppressed, w.hiv_unsuppressed)
        utility = w.by_state[state] * np.where(people.hiv[rows], hiv_m, 1.0)
        utility *= np.where(people.hcv[rows], w.hcv_viraemic, 1.0)
        treatment = self.moud_usd_per_year[group] + np.where(on_art, self.art_usd_per_year, 0.0)
        in_care = people.hiv[rows] & people.hiv_linked[rows] & ~people.hiv_on_art[rows]
        chronic = np.where(in_care, self.hiv_care_usd_per_year, 0.0) + np.where(
            people.hcv[rows], self.hcv_care_usd_per_year, 0.0
        )
        # Products summed, not ``@``: a BLAS dot may start threads, slow on a busy machine.
        return {
            "life_years": float(years.sum()),
            "qalys": float((utility * years).sum()),
            "treatment_usd": float((treatment * years).sum()),
            "chronic_usd": float((chronic * years).sum()),
            "productivity_usd": float((self.productivity_usd_per_year[group] * years).sum()),
        }


def end_of_run_tail(
    tail: TailModel | None, people: People, week: int, rate: float
) -> dict[str, float]:
    """The tail of everyone alive after ``week``, discounted to week 0 (zeros without a tail)."""
    if tail is None:
        return dict.fromkeys(TAIL_KEYS, 0.0)
    living = np.flatnonzero(people.state < Care.DEAD)
    d = float(discount_factors(np.array([week]), rate)[0])
    return {k: v * d for k, v in tail.values(people, living).items()}
