"""The care cascade: active use, detox, MOUD, recovery, jail and prison.

Hazards (per week, from the scenario's yearly rates):
- active use -> detox, MOUD (initiation rate, capacity limited), jail (arrest), recovery
  (spontaneous remission), as competing risks decided by one uniform draw;
- detox -> a programme of set length (``detox_programme_weeks``): a withdrawal phase
  (``detox_withdrawal_weeks``) and the rest of the programme. Each week after the first a
  patient may leave early (self-discharge), with one probability in the withdrawal phase and
  another after it; leavers go back to active use ("failed to complete detoxification" and
  "completed detoxification but left the programme early", Strang 2003's still-tolerant and
  reduced-tolerance groups). Completers go to MOUD or to recovery, with aftercare or not;
- MOUD -> leaving with a retention curve by medication and weeks in treatment (piecewise
  hazard fitted to the 12-month retention); a share of leavers are arrests;
- recovery -> relapse, hazard ``late + (first - late) * week**-decay`` (the Hunt curve),
  times Smyth 2010's predictors (age, use intensity, injecting, aftercare) and the share of
  the person's social contacts who use (sober networks);
- jail -> a geometric stay (``jail_mean_weeks``); at its end a share
  (``jail_to_prison_fraction``) are sentenced to prison, the rest are released;
- prison -> release after a geometric sentence (``prison_mean_weeks``);
- release (from jail or prison) -> onto MOUD or into abstinence.

Inputs and what emerges. Inputs: the programme and phase lengths, the two weekly
self-discharge probabilities (derived from Strang's 43 / 57 / 37 of 137), the jail and prison
mean stays and the jail-to-prison share (BJS). Emergent: the split of detox discharges by kind
in a run (the probabilities reproduce Strang's split by construction, so it is calibration,
not validation); tolerance at each kind of discharge, which the tolerance process lowers week
by week in detox and custody (a completer of a 4-week programme keeps 0.5**4 of it, a jail
release after one week half); overdose deaths after detox and after release (the Strang and
Merrall targets); the number in jail and in prison.

Custody MOUD continuation (``custody_moud_continuation_fraction``) is decided once, at the
arrest of a person on MOUD, and holds for the whole custody spell: a person whose jail
continued MOUD keeps it on transfer to prison, and is released onto it (if there is a
community place) from either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hrsim.core.people import NEVER
from hrsim.core.rng import person_draws
from hrsim.core.states import Care as S
from hrsim.core.states import on_moud
from hrsim.processes.base import Process, move, weekly_probability

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext


# The detail of each kind of detox self-discharge (to active use). Completers' discharges
# keep their details (``discharge_aftercare``, ``discharge_no_aftercare``, ``after_detox``).
DETOX_LEFT_WITHDRAWAL = "detox_left_withdrawal"  # failed to complete detoxification
DETOX_LEFT_EARLY = "detox_left_early"  # completed detoxification, left the programme early
DETOX_SELF_DISCHARGES: tuple[str, ...] = (DETOX_LEFT_WITHDRAWAL, DETOX_LEFT_EARLY)

# The details of a release from custody on MOUD (continued in custody, or begun there by the
# post-release programme): back onto it in the community, or no place free (active use).
RELEASE_CUSTODY_CONTINUED = "custody_continued"
RELEASE_AT_RELEASE = "at_release"
RELEASE_NO_MOUD_PLACE = "release_no_moud_place"
RELEASES_ON_MOUD: tuple[str, ...] = (
    RELEASE_CUSTODY_CONTINUED,
    RELEASE_AT_RELEASE,
    RELEASE_NO_MOUD_PLACE,
)

# Weeks in treatment credited to MOUD continued at release (begun in prison): past the
# 2-week induction peak and the 4-week early-dropout phase.
CONTINUED_TREATMENT_WEEKS = 5

# Why a person leaves the MOUD waiting list without a place, by the state they are now in.
LEFT_LIST_BECAUSE: dict[int, str] = {
    S.JAIL: "arrested",
    S.PRISON: "arrested",
    S.RECOVERY: "recovered",
    S.DETOX: "detox",
    S.DEAD: "died",
    S.EXITED: "left_population",
}


class Care(Process):
    """Transitions between care states, once a week."""

    name = "care"

    def init(self, model: WeekContext) -> None:
        """Turn the scenario's rates into weekly hazards."""
        c = model.scenario.care
        self.c = c
        self.pop = model.scenario.population
        self.relapse_first = -np.log1p(-c.relapse_first_week_probability)
        self.relapse_late = c.relapse_late_rate_per_year / 52.0
        self._base_relapse = np.zeros(0)
        self.moud_late_hazard = {
            S.METHADONE: self._late_hazard(c.methadone_retention_12_months),
            S.BUPRENORPHINE: self._late_hazard(c.buprenorphine_retention_12_months),
        }
        # Upper bounds of the multipliers, for thinning.
        self.max_arrest_hr = max(c.arrest_hr_housing_unstable, 1.0) * max(
            c.arrest_hr_prison_history, 1.0
        )
        self.max_moud_phase = max(
            c.moud_early_hazard_ratio_weeks_1_4, c.moud_mid_hazard_ratio_weeks_5_26, 1.0
        )
        pop = self.pop
        age_out = model.scenario.demography.age_out_years
        decades = [(pop.mean_age_years - age) / 10.0 for age in (18.0, age_out)]  # extremes
        self.max_relapse_multiplier = float(
            np.exp(
                max(np.log(c.aftercare_relapse_hazard_ratio), 0.0)
                + max(0.0, *(np.log(c.relapse_hr_per_decade_younger) * d for d in decades))
                + abs(np.log(c.relapse_hr_heavy_use))
                * max(pop.heavy_use_fraction, 1 - pop.heavy_use_fraction)
                + abs(np.log(c.relapse_hr_injecting))
                * max(pop.inject_fraction, 1 - pop.inject_fraction)
                + abs(np.log(c.relapse_hr_all_contacts_using)) * 0.5
            )
        )

    def _late_hazard(self, retention_12_months: float) -> float:
        c = self.c
        weighted_weeks = (
            4 * c.moud_early_hazard_ratio_weeks_1_4 + 22 * c.moud_mid_hazard_ratio_weeks_5_26 + 26
        )
        return -np.log(retention_12_months) / weighted_weeks

    # -- hazards ---------------------------------------------------------------------------
    def base_relapse_hazard(self, week_of_recovery: np.ndarray) -> np.ndarray:
        """Relapse hazard of the reference person in week ``week_of_recovery`` (1 = first)."""
        weeks = np.asarray(week_of_recovery)
        if not np.issubdtype(weeks.dtype, np.integer):
            return self._base_relapse_formula(np.maximum(weeks, 1).astype(np.float64))
        t = np.maximum(weeks, 1)
        longest = int(t.max(initial=0))
        if longest >= self._base_relapse.size:  # a table by week: the power is the costly part
            table = np.arange(max(2 * longest, 1024), dtype=np.float64)
            table[0] = 1.0
            self._base_relapse = self._base_relapse_formula(table)
        return self._base_relapse[t]

    def _base_relapse_formula(self, t: np.ndarray) -> np.ndarray:
        return self.relapse_late + (self.relapse_first - self.relapse_late) * t ** (
            -self.c.relapse_hazard_decay_exponent
        )

    def relapse_hazard(self, model: WeekContext, rows: np.ndarray) -> np.ndarray:
        """Weekly relapse hazard for people in recovery at ``rows``."""
        c, pop, people = self.c, self.pop, model.people
        base = self.base_relapse_hazard(people.weeks_in_state[rows] + 1)
        log_m = np.where(people.aftercare[rows], np.log(c.aftercare_relapse_hazard_ratio), 0.0)
        log_m += np.log(c.relapse_hr_per_decade_younger) * (
            (pop.mean_age_years - people.age[rows]) / 10.0
        )
        log_m += np.log(c.relapse_hr_heavy_use) * (people.heavy_use[rows] - pop.heavy_use_fraction)
        log_m += np.log(c.relapse_hr_injecting) * (people.injects[rows] - pop.inject_fraction)
        if c.relapse_hr_all_contacts_using != 1.0:
            share = model.share_of_contacts_using(rows)
            log_m += np.log(c.relapse_hr_all_contacts_using) * (share - 0.5)
        return base * np.exp(log_m) * people.relapse_multiplier[rows]

    def moud_exit_hazard(self, model: WeekContext, rows: np.ndarray) -> np.ndarray:
        """Weekly hazard of leaving MOUD for people on MOUD at ``rows``."""
        c, people = self.c, model.people
        t = people.weeks_in_state[rows]
        late = np.where(
            people.state[rows] == S.METHADONE,
            self.moud_late_hazard[S.METHADONE],
            self.moud_late_hazard[S.BUPRENORPHINE],
        )
        phase = np.where(
            t <= 4,
            c.moud_early_hazard_ratio_weeks_1_4,
            np.where(t <= 26, c.moud_mid_hazard_ratio_weeks_5_26, 1.0),
        )
        return (
            late
            * phase
            * model.hooks.moud_discontinuation_hazard_ratio
            * people.moud_discontinuation_multiplier[rows]
        )

    def arrest_rate(self, model: WeekContext, rows: np.ndarray) -> np.ndarray:
        """Yearly arrest rate for ``rows`` (before any MOUD hazard ratio)."""
        c, people = self.c, model.people
        return (
            c.arrest_rate_per_year
            * np.where(people.housing_unstable[rows], c.arrest_hr_housing_unstable, 1.0)
            * np.where(people.prison_count[rows] > 0, c.arrest_hr_prison_history, 1.0)
        )

    # -- the week --------------------------------------------------------------------------
    def step(self, model: WeekContext) -> None:
        """Decide every transition from the state at the start of the step, then apply."""
        c, people, hooks = self.c, model.people, model.hooks
        state = people.state
        week, pid = model.week, people.pid
        draw = person_draws(model.streams, "care", week, pid)  # keyed to the person and week

        # Active use: detox, MOUD initiation, arrest, remission as competing risks, decided
        # by one uniform per person keyed to their id and the week. Only people whose draw
        # falls under the largest possible probability can have an event; the exact hazards
        # are computed for them alone. The bound moves with the arm's programmes (MOUD
        # expansion raises initiation), but a keyed draw does not: an arm that changes a
        # rate changes only the decisions it must (positional thinning reshuffled them all).
        # People referred after last week's overdose, or whose delayed referral (a peer
        # navigator's) falls due, go to MOUD (if there is a place) instead.
        due = people.referred_to_moud | (people.moud_referral_week == week)
        referred = np.flatnonzero(due & (state == S.ACTIVE))
        people.referred_to_moud[:] = False
        lam_detox = c.detox_entry_rate_per_year
        lam_moud = c.moud_initiation_rate_per_year * hooks.moud_initiation_multiplier
        max_total = (
            lam_detox
            + lam_moud
            + c.arrest_rate_per_year * self.max_arrest_hr
            + c.spontaneous_remission_rate_per_year
        )
        active = np.flatnonzero((state == S.ACTIVE) & ~due)
        ua = draw("active", active)
        keep = ua < weekly_probability(max_total)
        active, ua = active[keep], ua[keep]
        lam_arrest = self.arrest_rate(model, active)
        lam_remit = c.spontaneous_remission_rate_per_year
        total = lam_detox + lam_moud + lam_arrest + lam_remit
        p_any = weekly_probability(total)
        happens = ua < p_any
        x = np.where(happens, ua / np.where(p_any > 0, p_any, 1.0) * total, np.inf)
        to_detox = active[x < lam_detox]
        wants_moud = active[(x >= lam_detox) & (x < lam_detox + lam_moud)]
        arrested_active = active[(x >= lam_detox + lam_moud) & (x < total - lam_remit)]
        remits = active[(x >= total - lam_remit) & happens]

        # Detox: a programme of set length. ``weeks_in_state`` is the completed weeks; the
        # week now starting is week t + 1 of the programme. Those who have completed it are
        # discharged; the rest may leave early (self-discharge) with the probability of the
        # phase the week is in (no draw in the admission week: t >= 1).
        detox = np.flatnonzero(state == S.DETOX)
        t = people.weeks_in_state[detox]
        completed = t >= c.detox_programme_weeks
        in_withdrawal = t < c.detox_withdrawal_weeks
        p_leave = np.where(
            in_withdrawal,
            c.detox_self_discharge_probability_withdrawal,
            c.detox_self_discharge_probability_after,
        )
        leaves = ~completed & (t >= 1) & (draw("detox_stay", detox) < p_leave)
        left_withdrawal = detox[leaves & in_withdrawal]
        left_early = detox[leaves & ~in_withdrawal]
        discharged = detox[completed]
        to_moud = draw("after_detox", discharged) < c.detox_to_moud_fraction
        detox_to_moud, detox_to_recovery = discharged[to_moud], discharged[~to_moud]

        # MOUD: leave by the retention curve; some leavers are arrests.
        h_max = (
            max(self.moud_late_hazard.values())
            * self.max_moud_phase
            * hooks.moud_discontinuation_hazard_ratio
            * model.max_hook("moud_discontinuation_multiplier")
        )
        treated = np.flatnonzero(on_moud(state))
        um = draw("moud_exit", treated)
        keep = um < -np.expm1(-h_max)
        treated, um = treated[keep], um[keep]
        h_leave = self.moud_exit_hazard(model, treated)
        h_arrest = self.arrest_rate(model, treated) * c.arrest_hr_on_moud / 52.0
        leaves = um < -np.expm1(-h_leave)
        arrest_share = np.minimum(h_arrest / np.maximum(h_leave, 1e-12), 1.0)
        leavers = treated[leaves]
        is_arrest = draw("moud_exit_cause", leavers) < arrest_share[leaves]
        arrested_moud, stopped = leavers[is_arrest], leavers[~is_arrest]
        tapers = draw("moud_exit_to", stopped) < c.moud_exit_to_recovery_fraction
        stop_to_recovery, stop_to_active = stopped[tapers], stopped[~tapers]

        # Jail: a geometric stay; at its end a share are sentenced to prison, the rest are
        # released. Prison: a geometric sentence, then release. MOUD continued in custody
        # goes on at release (tolerance kept); everyone else is released as anyone is: onto
        # MOUD for the post-release share (the post_release_moud programme), otherwise into
        # abstinence. Release is the same from jail and from prison.
        jail = np.flatnonzero(state == S.JAIL)
        jail_ends = jail[draw("jail_stay", jail) < 1.0 / c.jail_mean_weeks]
        sentenced = draw("sentence", jail_ends) < c.jail_to_prison_fraction
        to_prison, jail_released = jail_ends[sentenced], jail_ends[~sentenced]
        prison = np.flatnonzero(state == S.PRISON)
        prison_released = prison[draw("prison_stay", prison) < 1.0 / c.prison_mean_weeks]
        released = np.concatenate([jail_released, prison_released])
        kept_on = people.moud_in_custody[released]
        release_continued, released_plain = released[kept_on], released[~kept_on]
        people.moud_in_custody[released] = False
        onto_moud = draw("release_to", released_plain) < hooks.post_release_moud_fraction
        release_to_moud = released_plain[onto_moud]
        release_to_recovery = released_plain[~onto_moud]

        # Apply: exits from MOUD first, so their places are free for this week's starts.
        move(model, stop_to_active, S.ACTIVE, "moud_stopped", flow="moud_exits")
        move(model, stop_to_recovery, S.RECOVERY, "moud_tapered", flow="moud_exits")
        people.weeks_since_moud_exit[stopped] = 0
        people.aftercare[stop_to_recovery] = False
        # Diversion (policing policy, pre-arrest): a share of arrests of people in active use
        # go to case management instead of custody. They stay in active use, with a MOUD
        # referral (through the waiting list like anyone) for a share of them.
        diverted = draw("diversion", arrested_active) < hooks.arrest_diversion_fraction
        diverted_rows = arrested_active[diverted]
        arrested_active = arrested_active[~diverted]
        diversion_referred = diverted_rows[
            draw("diversion_referral", diverted_rows) < hooks.diversion_moud_referral_probability
        ]
        if diverted_rows.size:
            model.events.add(
                pid[diverted_rows], week, "diversion", S.ACTIVE, S.ACTIVE, "case_management"
            )
            hooks.diverted_this_week += diverted_rows.size
            hooks.diversion_referrals_this_week += diversion_referred.size
        # Custody of people on MOUD: continued for a share, withdrawn (forced) otherwise.
        continued = draw("custody_moud", arrested_moud) < hooks.custody_moud_continuation_fraction
        people.moud_in_custody[arrested_moud[continued]] = True
        if arrested_moud.size:
            detail = np.where(
                continued,
                model.events.detail_code("moud_continued"),
                model.events.detail_code("moud_withdrawn"),
            )
            model.events.add(pid[arrested_moud], week, "custody", S.JAIL, S.JAIL, detail)
        arrested = np.concatenate([arrested_active, arrested_moud])
        people.weeks_since_moud_exit[arrested_moud] = 0
        model.timeseries.add("moud_exits", arrested_moud.size)
        # Arrest goes to jail (``prison_count`` counts custody spells: the arrest history).
        move(model, arrested, S.JAIL, "arrest", flow="arrests")
        people.prison_count[arrested] += 1
        move(model, to_prison, S.PRISON, "sentenced")
        move(model, to_detox, S.DETOX, "detox_admission", flow="detox_admissions")
        # Early self-discharge from detox: back to active use (not to recovery).
        move(model, left_withdrawal, S.ACTIVE, DETOX_LEFT_WITHDRAWAL)
        move(model, left_early, S.ACTIVE, DETOX_LEFT_EARLY)
        move(model, remits, S.RECOVERY, "remission")
        people.aftercare[remits] = False

        # MOUD starts, within capacity (see _admit): patients released on MOUD from custody
        # first (continued there, or begun there by the post-release programme), then the
        # waiting list in order, then this week's new candidates in random order.
        free = hooks.moud_capacity_places - int(np.count_nonzero(on_moud(people.state)))
        candidates = [
            (referred, "overdose_referral"),
            (detox_to_moud, "after_detox"),
            (diversion_referred, "diversion_referral"),
            (wants_moud, "moud_initiation"),
        ]
        # People already on the list keep their place in it (they are not new candidates).
        candidates = [(r[people.moud_waiting_since[r] == NEVER], d) for r, d in candidates]
        admitted = self._admit(model, free, (release_continued, release_to_moud), candidates)

        # Detox discharges without a MOUD place, and releases not on MOUD, go into abstinence.
        after_detox = np.concatenate([detox_to_recovery, detox_to_moud[~admitted[detox_to_moud]]])
        aftercare = draw("aftercare", after_detox) < c.aftercare_fraction
        move(model, after_detox[aftercare], S.RECOVERY, "discharge_aftercare")
        move(model, after_detox[~aftercare], S.RECOVERY, "discharge_no_aftercare")
        people.aftercare[after_detox] = aftercare
        move(model, release_to_recovery, S.RECOVERY, "release")
        people.aftercare[release_to_recovery] = False
        # On MOUD in custody but no community place at release: treatment ends, the person
        # is in active use (tolerance kept) and joins the waiting list.
        on_moud_at_release = np.concatenate([release_continued, release_to_moud])
        no_place = on_moud_at_release[~admitted[on_moud_at_release]]
        move(model, no_place, S.ACTIVE, RELEASE_NO_MOUD_PLACE)
        people.weeks_since_moud_exit[no_place] = 0
        people.tolerance[no_place] = 1.0
        self._join_list(model, no_place)
        model.timeseries.add("releases", released.size)
        starts_at_release = on_moud_at_release[admitted[on_moud_at_release]]
        people.aftercare[starts_at_release] = False
        # MOUD continued from custody (jail or prison, or begun there by the post-release
        # programme): tolerance was kept inside, and the person is past the induction weeks
        # and the early dropout of a new start.
        people.tolerance[starts_at_release] = 1.0
        people.weeks_in_state[starts_at_release] = CONTINUED_TREATMENT_WEEKS

        # People in active use who sought MOUD and found no place join the waiting list.
        seekers = np.concatenate([rows for rows, d in candidates if d != "after_detox"])
        self._join_list(model, seekers[~admitted[seekers]])
        self._close_list(model)

        # Relapse, last: everyone now in recovery, including those who entered this week
        # (for them it is the first week, the most dangerous one: Smyth 2010).
        self._relapse(model)

    # -- the MOUD waiting list -------------------------------------------------------------
    def _admit(
        self,
        model: WeekContext,
        free: int,
        released_on_moud: tuple[np.ndarray, np.ndarray],
        candidates: list[tuple[np.ndarray, str]],
    ) -> np.ndarray:
        """Fill ``free`` places and start MOUD; returns a mask of the rows admitted.

        Order: people released on MOUD, who are still patients (``released_on_moud``: MOUD
        continued in custody, and MOUD begun in custody by the post-release programme, a
        transfer of care like the first), then the waiting list first-come-first-served,
        then this week's new candidates in random order. Why FIFO: clinics at capacity
        admit from their list in order of application (as at the clinic Peles 2013
        describes), and it makes the wait a property of the list, which can be read back.
        (US block-grant rules also give priority to pregnant women and people who inject;
        not modelled.) Before admissions, people on the list leave it with the weekly
        hazard of giving up (``moud_waitlist_leave_rate_per_year``).
        """
        people, hooks, week = model.people, model.hooks, model.week
        ts = model.timeseries
        admitted = np.zeros(people.n, dtype=bool)

        def take(rows: np.ndarray, room: int, purpose: str) -> np.ndarray:
            """Up to ``room`` of ``rows`` (all if they fit), at random among them."""
            if rows.size <= room:
                return rows
            if room <= 0:
                return rows[:0]
            u = model.streams.uniform(f"care.{purpose}", week, people.pid[rows])
            return rows[np.argpartition(u, room - 1)[:room]]

        def start(rows: np.ndarray, detail: str) -> None:
            # Keyed to the person and the episode's number: someone admitted a week later
            # in another arm (the list moved) starts the same medication there.
            episode = people.moud_starts[rows]
            u = model.streams.pair_uniform("care.medication", 0, people.pid[rows], episode)
            people.moud_starts[rows] = episode + 1
            meth = u < hooks.methadone_share_of_starts
            move(model, rows[meth], S.METHADONE, detail, flow="moud_starts")
            move(model, rows[~meth], S.BUPRENORPHINE, detail, flow="moud_starts")

        continued, begun = released_on_moud
        chosen = take(np.concatenate([continued, begun]), free, "priority_custody")
        admitted[chosen] = True
        start(continued[admitted[continued]], RELEASE_CUSTODY_CONTINUED)
        start(begun[admitted[begun]], RELEASE_AT_RELEASE)
        free -= chosen.size

        # The waiting list: people in active use who are waiting (others left it: _close_list).
        waiting = np.flatnonzero(people.moud_waiting_since != NEVER)
        waiting = waiting[people.state[waiting] == S.ACTIVE]
        if waiting.size:
            p_leave = -np.expm1(-self.c.moud_waitlist_leave_rate_per_year / 52.0)
            gives_up = (
                model.streams.uniform("care.waitlist_leave", week, people.pid[waiting]) < p_leave
            )
            self._leave_list(model, waiting[gives_up], "gave_up")
            waiting = waiting[~gives_up]
        if waiting.size and free > 0:
            since = people.moud_waiting_since[waiting]
            if free < waiting.size:
                # Only the first ``free`` in (since, tie) order are admitted: everyone who
                # joined before the week of the free-th in line, and that week's group. The
                # same rows, in the same order, as sorting the whole list (the sort is
                # stable and the subset keeps the list's order; the tie-break draw is keyed,
                # so it does not depend on who else is drawn).
                cut = np.partition(since, free - 1)[free - 1]
                head = since <= cut
                waiting, since = waiting[head], since[head]
            tie = model.streams.uniform("care.waitlist_order", week, people.pid[waiting])
            first = waiting[np.lexsort((tie, since))][:free]
            waits = week - people.moud_waiting_since[first]
            admitted[first] = True
            self._leave_list(model, first, "admitted", exits=False)
            ts.add("moud_waitlist_admissions", first.size)
            ts.add("moud_wait_weeks", int(waits.sum()))
            start(first, "from_waiting_list")
            free -= first.size

        # This week's new candidates (none of them on the list), in random order.
        chosen = take(np.concatenate([r for r, _ in candidates]), free, "priority")
        admitted[chosen] = True
        for rows, detail in candidates:
            start(rows[admitted[rows]], detail)
        return admitted

    def _join_list(self, model: WeekContext, rows: np.ndarray) -> None:
        """Put ``rows`` (in active use, no place found) on the waiting list."""
        people = model.people
        rows = rows[people.moud_waiting_since[rows] == NEVER]
        if rows.size == 0:
            return
        people.moud_waiting_since[rows] = model.week
        model.events.add(
            people.pid[rows], model.week, "moud_waiting_list", S.ACTIVE, S.ACTIVE, "joined"
        )
        model.timeseries.add("moud_waitlist_joins", rows.size)

    def _leave_list(
        self, model: WeekContext, rows: np.ndarray, detail: str, *, exits: bool = True
    ) -> None:
        people = model.people
        if rows.size == 0:
            return
        people.moud_waiting_since[rows] = NEVER
        state = people.state[rows]
        model.events.add(people.pid[rows], model.week, "moud_waiting_list", state, state, detail)
        if exits:
            model.timeseries.add("moud_waitlist_exits", rows.size)

    def _close_list(self, model: WeekContext) -> None:
        """Everyone on the list who is no longer in active use leaves it; count the rest."""
        people = model.people
        waiting = np.flatnonzero(people.moud_waiting_since != NEVER)
        state = people.state[waiting]
        for code, detail in LEFT_LIST_BECAUSE.items():
            self._leave_list(model, waiting[state == code], detail)
        model.timeseries.add("moud_waiting", int(np.count_nonzero(state == S.ACTIVE)))

    def _relapse(self, model: WeekContext) -> None:
        people = model.people
        recovering = np.flatnonzero(people.state == S.RECOVERY)
        u = model.streams.uniform("care.relapse", model.week, people.pid[recovering])
        bound = -np.expm1(
            -self.base_relapse_hazard(people.weeks_in_state[recovering] + 1)
            * self.max_relapse_multiplier
            * model.max_hook("relapse_multiplier")
        )
        keep = u < bound
        recovering, u = recovering[keep], u[keep]
        relapse_p = -np.expm1(-self.relapse_hazard(model, recovering))
        relapses = recovering[u < relapse_p]
        move(model, relapses, S.ACTIVE, "relapse", flow="relapses")
