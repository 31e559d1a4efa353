"""The people: a structure of NumPy arrays, and the week's shared masks over them.

Rows are reused: when a person dies or leaves, a new initiate takes the row the next week,
so the arrays keep the population's size. ``pid`` is the person's lifelong id (the ``person``
column of the event log); the row is only where they live in memory.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from hrsim.core.states import Care, Route, free_to_meet, in_custody, injecting_now, on_moud

if TYPE_CHECKING:
    from hrsim.scenario import Scenario


NEVER = np.int32(1_000_000)  # "weeks since" value for something that never happened

# Weekly programme hooks and their neutral value (what they hold with no programme).
PROGRAMME_HOOKS: dict[str, float] = {
    "alone_multiplier": 1.0,
    "overdose_multiplier": 1.0,
    "relapse_multiplier": 1.0,
    "testing_multiplier": 1.0,
    "hiv_acquisition_multiplier": 1.0,
    "supervised_fraction": 0.0,
    # MOUD as treatment (issue 12): contingency management lowers leaving MOUD.
    "moud_discontinuation_multiplier": 1.0,
    # Injecting (processes/injecting.py): sterile syringes received per injection this week
    # from programmes (syringe services add theirs); 0 with no programme.
    "syringe_coverage": 0.0,
}

# Array name -> dtype. Hooks that programmes act through are per-person arrays here too.
FIELDS: dict[str, Any] = {
    "pid": np.int64,
    "state": np.int8,
    "weeks_in_state": np.int32,
    "age": np.float32,
    "male": np.bool_,
    "injects": np.bool_,
    "heavy_use": np.bool_,
    "tolerance": np.float32,
    "housing_unstable": np.bool_,
    "prison_count": np.int16,
    "aftercare": np.bool_,
    "weeks_since_moud_exit": np.int32,
    "weeks_since_overdose": np.int32,
    "referred_to_moud": np.bool_,
    "hiv": np.bool_,
    "hiv_diagnosed": np.bool_,
    "hiv_on_art": np.bool_,
    "hcv": np.bool_,
    "hcv_weeks": np.int32,
    "hcv_will_clear": np.bool_,
    "hcv_diagnosed": np.bool_,
    "hcv_treatment_weeks": np.int32,
    # HIV and HCV cascades (issue 12, processes/cascade.py): weeks since HIV infection (acute
    # phase), in care, on ART, weeks on ART, virally suppressed; HCV antibody (ever infected,
    # kept after clearance and cure) and a known positive antibody test.
    "hiv_weeks": np.int32,
    "hiv_linked": np.bool_,
    "hiv_art_weeks": np.int32,
    "hiv_suppressed": np.bool_,
    "hcv_antibody": np.bool_,
    "hcv_antibody_diagnosed": np.bool_,
    # Per-person hooks (programmes change these; processes read them). The multipliers and
    # supervised_fraction are reset to neutral each week (see PROGRAMME_HOOKS) and each
    # programme multiplies in its own factor, so programmes combine.
    "carries_naloxone": np.bool_,
    "uses_alone_probability": np.float32,
    "alone_multiplier": np.float32,
    "overdose_multiplier": np.float32,
    "relapse_multiplier": np.float32,
    "testing_multiplier": np.float32,
    "hiv_acquisition_multiplier": np.float32,
    "supervised_fraction": np.float32,
    "moud_referral_week": np.int32,
    # Issue 12 (test strips): whether this week's dose contains fentanyl, written by the
    # overdose process for the rows it evaluates (False elsewhere); see processes/overdose.py.
    "fentanyl_this_week": np.bool_,
    # MOUD as treatment (issue 12): the week a person joined the MOUD waiting list (NEVER
    # when not waiting), whether custody continues their MOUD, and CM's hook on leaving MOUD.
    "moud_waiting_since": np.int32,
    "moud_in_custody": np.bool_,
    "moud_discontinuation_multiplier": np.float32,
    # MOUD episodes started so far: an episode's medication draw is keyed to the person and
    # the episode's number, not to the week it starts (a later admission, same medication).
    "moud_starts": np.int16,
    # Targets for the number of ties per layer.
    "target_injecting": np.int32,
    "target_social": np.int32,
    "target_sexual": np.int32,
    # Injecting behaviour (processes/injecting.py). ``injects`` above always equals
    # ``route == Route.INJECTING``: change both only through ``set_route``.
    "route": np.int8,
    "injection_frequency": np.float32,  # injections per week when injecting as usual (trait)
    "sharing_episode": np.bool_,  # in a receptive syringe-sharing episode
    "equipment_episode": np.bool_,  # in an episode of sharing cookers, cotton, rinse water
    "weeks_since_sharing": np.int32,  # since receptive_shared_injections > 0 (NEVER: never)
    "weeks_since_injected": np.int32,  # since the person last injected (NEVER: never)
    "injected_this_week": np.bool_,
    "receptive_shared_injections": np.float32,  # expected injections with a used syringe
    "equipment_shared_injections": np.float32,  # injections with shared cooker/cotton/water
    "syringe_coverage": np.float32,  # programme hook: sterile syringes per injection
    # The drug supply and co-use (issue 13, core/supply.py, processes/stimulants.py,
    # processes/overdose.py): a stimulant co-use state; a single use (lapse) this week by a
    # person in recovery; this week's dose contains xylazine (rows the overdose process
    # evaluated, including everyone who overdosed; False elsewhere).
    "uses_stimulants": np.bool_,
    "lapsed_this_week": np.bool_,
    "xylazine_this_week": np.bool_,
    # Overdose response (issue 13, processes/overdose_response.py): the week of the person's
    # last emergency-department visit after a non-fatal overdose (NEVER: none).
    "ed_visit_week": np.int32,
}


class People:
    """All person arrays for one run. ``people.state`` etc. are plain NumPy arrays."""

    pid: np.ndarray
    state: np.ndarray
    weeks_in_state: np.ndarray
    age: np.ndarray
    male: np.ndarray
    injects: np.ndarray
    heavy_use: np.ndarray
    tolerance: np.ndarray
    housing_unstable: np.ndarray
    prison_count: np.ndarray
    aftercare: np.ndarray
    weeks_since_moud_exit: np.ndarray
    weeks_since_overdose: np.ndarray
    referred_to_moud: np.ndarray
    hiv: np.ndarray
    hiv_diagnosed: np.ndarray
    hiv_on_art: np.ndarray
    hcv: np.ndarray
    hcv_weeks: np.ndarray
    hcv_will_clear: np.ndarray
    hcv_diagnosed: np.ndarray
    hcv_treatment_weeks: np.ndarray
    hiv_weeks: np.ndarray
    hiv_linked: np.ndarray
    hiv_art_weeks: np.ndarray
    hiv_suppressed: np.ndarray
    hcv_antibody: np.ndarray
    hcv_antibody_diagnosed: np.ndarray
    carries_naloxone: np.ndarray
    uses_alone_probability: np.ndarray
    alone_multiplier: np.ndarray
    overdose_multiplier: np.ndarray
    relapse_multiplier: np.ndarray
    testing_multiplier: np.ndarray
    hiv_acquisition_multiplier: np.ndarray
    supervised_fraction: np.ndarray
    moud_referral_week: np.ndarray
    fentanyl_this_week: np.ndarray
    moud_waiting_since: np.ndarray
    moud_starts: np.ndarray
    moud_in_custody: np.ndarray
    moud_discontinuation_multiplier: np.ndarray
    target_injecting: np.ndarray
    target_social: np.ndarray
    target_sexual: np.ndarray
    route: np.ndarray
    injection_frequency: np.ndarray
    sharing_episode: np.ndarray
    equipment_episode: np.ndarray
    weeks_since_sharing: np.ndarray
    weeks_since_injected: np.ndarray
    injected_this_week: np.ndarray
    receptive_shared_injections: np.ndarray
    equipment_shared_injections: np.ndarray
    syringe_coverage: np.ndarray
    uses_stimulants: np.ndarray
    lapsed_this_week: np.ndarray
    xylazine_this_week: np.ndarray
    ed_visit_week: np.ndarray

    def __init__(self, n: int) -> None:
        self.n = n
        for name, dtype in FIELDS.items():
            setattr(self, name, np.zeros(n, dtype=dtype))
        self.next_pid = 0
        # Every call's rows, in order: who needs per-person state redrawn (see Intervention.place).
        self.filled: list[np.ndarray] = []

    @property
    def alive(self) -> np.ndarray:
        """Rows holding a living person this week."""
        return self.state < Care.DEAD

    def reset_programme_hooks(self) -> None:
        """Set every weekly programme hook back to neutral (programmes then apply theirs)."""
        for name, neutral in PROGRAMME_HOOKS.items():
            getattr(self, name).fill(neutral)

    def fill(
        self, rows: np.ndarray, scenario: Scenario, rng: np.random.Generator, *, entrants: bool
    ) -> None:
        """Draw characteristics for ``rows``: the initial population, or new initiates."""
        k = rows.size
        pop, demo, net = scenario.population, scenario.demography, scenario.network
        self.filled.append(rows.copy())
        self.pid[rows] = np.arange(self.next_pid, self.next_pid + k)
        self.next_pid += k
        if entrants:
            age = rng.normal(demo.entrant_mean_age_years, demo.entrant_sd_age_years, k)
            inject_p, heavy_p = demo.entrant_inject_fraction, demo.entrant_heavy_use_fraction
        else:
            age = rng.normal(pop.mean_age_years, pop.sd_age_years, k)
            inject_p, heavy_p = pop.inject_fraction, pop.heavy_use_fraction
        self.age[rows] = np.clip(age, 18.0, demo.age_out_years - 1.0)
        self.male[rows] = rng.random(k) < pop.male_fraction
        injects = rng.random(k) < inject_p
        self.injects[rows] = injects
        self.heavy_use[rows] = rng.random(k) < heavy_p
        self.housing_unstable[rows] = rng.random(k) < pop.housing_unstable_fraction
        history = (not entrants) and pop.prison_history_fraction > 0
        self.prison_count[rows] = (rng.random(k) < pop.prison_history_fraction) if history else 0
        self.carries_naloxone[rows] = rng.random(k) < pop.naloxone_carrier_fraction
        self.uses_alone_probability[rows] = pop.uses_alone_probability
        for name, neutral in PROGRAMME_HOOKS.items():
            getattr(self, name)[rows] = neutral
        self.moud_referral_week[rows] = NEVER
        self.moud_waiting_since[rows] = NEVER
        self.moud_in_custody[rows] = False
        self.moud_starts[rows] = 0
        self.tolerance[rows] = 1.0
        self.weeks_in_state[rows] = 0
        self.aftercare[rows] = False
        self.referred_to_moud[rows] = False
        self.weeks_since_moud_exit[rows] = NEVER
        self.weeks_since_overdose[rows] = NEVER
        self.ed_visit_week[rows] = NEVER
        self.state[rows] = Care.ACTIVE
        for name in (
            "hiv",
            "hiv_diagnosed",
            "hiv_on_art",
            "hcv",
            "hcv_will_clear",
            "hcv_diagnosed",
        ):
            getattr(self, name)[rows] = False
        self.hcv_weeks[rows] = 0
        self.hcv_treatment_weeks[rows] = 0
        # Cascade fields (issue 12): new people start uninfected and outside care.
        for name in ("hiv_linked", "hiv_suppressed", "hcv_antibody", "hcv_antibody_diagnosed"):
            getattr(self, name)[rows] = False
        self.hiv_weeks[rows] = 0
        self.hiv_art_weeks[rows] = 0
        # Targets for ties (TITAN's gamma for injecting partners). Everyone gets an injecting
        # target: the network forms injecting ties only while the person injects.
        inj = rng.gamma(net.injecting_degree_shape, net.injecting_degree_scale, k)
        self.target_injecting[rows] = np.rint(inj)
        social_shape = 2.0
        soc = rng.gamma(social_shape, net.social_mean_degree / social_shape, k)
        self.target_social[rows] = np.rint(soc)
        self.target_sexual[rows] = rng.poisson(net.sexual_mean_degree, k)
        self._fill_injecting(rows, injects, scenario, rng, entrants=entrants)

    def _fill_injecting(
        self,
        rows: np.ndarray,
        injects: np.ndarray,
        scenario: Scenario,
        rng: np.random.Generator,
        *,
        entrants: bool,
    ) -> None:
        """Route, injection frequency and sharing state for new rows (see processes/injecting)."""
        k, ij = rows.size, scenario.injecting
        smoking = rng.random(k) < ij.noninjecting_smoking_fraction
        other_route = np.where(smoking, Route.SMOKING, Route.OTHER)
        set_route(self, rows, np.where(injects, Route.INJECTING, other_route))
        self.injection_frequency[rows] = draw_injection_frequency(ij, rng, k)
        self.injected_this_week[rows] = injects
        self.receptive_shared_injections[rows] = 0.0
        self.equipment_shared_injections[rows] = 0.0
        never = np.full(k, NEVER, dtype=np.int32)
        if entrants:  # new initiates: never shared, never injected before (if not now)
            self.sharing_episode[rows] = False
            self.equipment_episode[rows] = False
            self.weeks_since_sharing[rows] = never
            self.weeks_since_injected[rows] = np.where(injects, 0, never)
            return
        # The initial population is in the episodes' stationary state. Time since the last
        # episode of someone outside one is the age of the current spell out of episodes,
        # geometric with the start probability (memoryless).
        start = ij.sharing_episode_start_probability_per_week
        on = injects & (rng.random(k) < stationary_share(start, ij.sharing_episode_mean_weeks))
        self.sharing_episode[rows] = on
        since = rng.geometric(start, k) if start > 0 else never
        since = np.minimum(since, NEVER)
        self.weeks_since_sharing[rows] = np.where(on, 0, np.where(injects, since, never))
        eq_start = ij.equipment_episode_start_probability_per_week
        eq_share = stationary_share(eq_start, ij.equipment_episode_mean_weeks)
        self.equipment_episode[rows] = injects & (rng.random(k) < eq_share)
        former = ~injects & (rng.random(k) < ij.initial_former_injector_fraction)
        ago = rng.integers(13, 261, k)  # R: stopped 3 months to 5 years ago
        self.weeks_since_injected[rows] = np.where(injects, 0, np.where(former, ago, never))


def set_route(people: People, rows: np.ndarray, route: np.ndarray | int) -> None:
    """Set ``rows``' route of use, keeping ``injects == (route == Route.INJECTING)``.

    The one place either array changes. People who no longer inject leave their sharing
    episodes (only people whose route is injecting are in one).
    """
    route = np.asarray(route, dtype=np.int8)
    people.route[rows] = route
    injecting = route == Route.INJECTING
    people.injects[rows] = injecting
    if not injecting.all():
        stopped = rows[~injecting] if injecting.ndim else rows
        people.sharing_episode[stopped] = False
        people.equipment_episode[stopped] = False


def stationary_share(start: float, mean_weeks: float) -> float:
    """Share in an episode at stationarity: weekly start ``a``, end ``b = 1/mean``: a/(a+b)."""
    end = 1.0 / mean_weeks
    return start / (start + end) if start + end > 0 else 0.0


def past_year_share(start: float, mean_weeks: float, weeks: int = 52) -> float:
    """P(in an episode in any of ``weeks`` weeks) for someone injecting throughout.

    A two-state weekly Markov chain at stationarity: no episode in the window means out of
    one in its first week and no start in the ``weeks - 1`` weeks after,
    ``1 - (1 - a/(a+b)) (1 - a)^(weeks-1)``.
    """
    return 1.0 - (1.0 - stationary_share(start, mean_weeks)) * (1.0 - start) ** (weeks - 1)


def draw_injection_frequency(ij: Any, rng: np.random.Generator, k: int) -> np.ndarray:
    """Injections per week when injecting as usual, a mixture (``[injecting]`` defaults).

    Daily injectors (``daily_injector_fraction``) inject ``7 (1 + G)`` times a week, G a
    gamma whose mean and SD make the injections per day have ``daily_injections_per_day_mean``
    and ``_sd``; the others are log-uniform between ``nondaily_injections_per_week_min``
    and 7 (under once a day).
    """
    extra = ij.daily_injections_per_day_mean - 1.0
    shape, scale = (
        extra**2 / ij.daily_injections_per_day_sd**2,
        ij.daily_injections_per_day_sd**2 / extra,
    )
    daily = rng.random(k) < ij.daily_injector_fraction
    per_day = 1.0 + rng.gamma(shape, scale, k)
    low = ij.nondaily_injections_per_week_min
    nondaily = low * (7.0 / low) ** rng.random(k)
    return np.where(daily, 7.0 * per_day, nondaily).astype(np.float32)


class WeekView:
    """Masks many processes and programmes need, each computed at most once a week.

    The model makes a new view at the start of every week, before programmes act; nothing
    changes care states between then and the network's turnover, so the programmes and the
    network read the same masks.
    """

    def __init__(self, people: People) -> None:
        self.people = people

    @cached_property
    def alive(self) -> np.ndarray:
        """Living people."""
        return self.people.alive

    @cached_property
    def left(self) -> np.ndarray:
        """Rows of people who died or left (sorted); a new person takes them this week."""
        return np.flatnonzero(~self.alive)

    @cached_property
    def active(self) -> np.ndarray:
        """In active use."""
        return self.people.state == Care.ACTIVE

    @cached_property
    def injecting(self) -> np.ndarray:
        """In active use and injecting."""
        return injecting_now(self.people.state, self.people.injects)

    @cached_property
    def injecting_tie_eligible(self) -> np.ndarray:
        """Route of use injecting, and using: in active use or on MOUD (who may still inject).

        People on MOUD keep and make injecting partners: they inject less, not never, and a
        lapse is with the people they used to inject with.
        """
        return self.people.injects & (self.active | self.on_moud)

    @cached_property
    def on_moud(self) -> np.ndarray:
        """On methadone or buprenorphine."""
        return on_moud(self.people.state)

    @cached_property
    def recovery(self) -> np.ndarray:
        """In recovery."""
        return self.people.state == Care.RECOVERY

    @cached_property
    def prison(self) -> np.ndarray:
        """In prison."""
        return self.people.state == Care.PRISON

    @cached_property
    def custody(self) -> np.ndarray:
        """In custody: in jail or in prison."""
        return in_custody(self.people.state)

    @cached_property
    def free(self) -> np.ndarray:
        """Alive and neither in prison nor in inpatient detox (can meet people)."""
        return free_to_meet(self.people.state)
