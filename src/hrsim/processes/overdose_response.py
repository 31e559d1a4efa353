"""What happens after an overdose: who is there, naloxone, EMS, the outcome, the ED.

``processes/overdose.py`` decides who overdoses this week; its ``step`` then calls
:func:`respond` with those rows (sorted). Each decision about an overdose is a keyed draw
(``model.streams.uniform(purpose, week, pid)``), and whether a contact is there one keyed to
the pair (``pair_uniform``), so paired arms share them.

Who is there (per overdose):

1. at a supervised site (``people.supervised_fraction``) staff are on hand; otherwise
2. the person uses alone with ``uses_alone_probability x alone_multiplier``; otherwise
3. others are present (the *company*). Which network contacts are among them decides whose
   kits are in the room: each contact free to meet is present with
   ``hooks.neighbour_present_probability`` (company from outside the network carries no kit
   the model tracks). Whether anyone is there is step 2, not the contacts' draws;
4. the company can respond (awake, in the same room, not also overdosing, recognises it) with
   ``response.bystander_able_probability``; otherwise the overdose is as good as alone.

What happens next, for company able to respond:

- a kit holder among them has the kit at hand and gives it with
  ``response.kit_at_hand_probability``; it reverses the overdose with
  ``hooks.naloxone_reversal_probability`` (times ``response.xylazine_reversal_factor`` when
  ``people.xylazine_this_week`` exists and is set: naloxone does not reverse xylazine);
- they call EMS with ``ems_call_probability`` (no Good Samaritan protection) or
  ``ems_call_probability_protected``, mixed by ``good_samaritan_protection``; EMS arrives in
  time with ``ems_in_time_probability`` and reverses an overdose the witness did not with
  ``ems_reversal_probability`` (the same xylazine factor);
- an overdose not reversed is fatal with ``fatal_probability_witnessed`` (responding company)
  or ``fatal_probability_alone`` (alone, or company unable to respond). At a supervised site
  staff reverse it with ``hooks.supervised_reversal_probability``, else the witnessed value.

After a non-fatal overdose: EMS attended (called) and transports to an emergency department
with ``ed_transport_probability_ems``, or (no EMS) the person is taken there with
``ed_taken_probability``. An ED visit is an event (``clinical``, ``ed_visit``), a timeseries
count and ``people.ed_visit_week``; it starts buprenorphine with
``hooks.ed_buprenorphine_probability`` (a MOUD referral: care admits the person next week if
there is a place, else the waiting list). ED peer navigation reads ``ed_visit_week``. Every
survivor may also be referred with ``hooks.overdose_referral_to_moud_probability``.

Kits (``hrsim.core.kits``): the week's turnover (expiry, baseline loss and re-acquisition) runs
first; a kit given is recorded as used; a used baseline kit leaves circulation at once,
a programme's at its next step.

Inputs: every probability above (``[overdose]`` and ``[response]``). What emerges (none is
set): the share of fatal overdoses with a bystander present (Mattson 2018: 44%), the fatality
of overdoses witnessed by kit holders (Bird, Parmar & Strang 2015: 9/153), the share of fatal
overdoses without naloxone (SUDORS 2019: 77.3%; EMS give naloxone whenever they attend, in
time or not), ED visits, and the deaths a kit or a call averts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hrsim.core.states import Care as S
from hrsim.core.states import free_to_meet
from hrsim.processes.base import move

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext

OUTCOMES = (
    "fatal_alone",
    "fatal_witnessed",
    "fatal_supervised",
    "reversed_naloxone",
    "reversed_supervised",
    "survived_supervised",
    "survived_witnessed",
    "survived_alone",
    # Issue 13: company present but unable to respond; reversed by EMS naloxone.
    "fatal_unable",
    "survived_unable",
    "reversed_ems",
)


@dataclass
class Scene:
    """Who is there at each overdose (arrays aligned with the overdose rows)."""

    supervised: np.ndarray
    alone: np.ndarray
    company: np.ndarray  # others present (not at a supervised site)
    able: np.ndarray  # company able to respond
    kit_holder: np.ndarray  # row of the first present contact with a kit (-1: none)
    kit_given: np.ndarray  # the able company gave naloxone from a kit


@dataclass
class Fate:
    """What happened at each overdose."""

    reversed_naloxone: np.ndarray
    called: np.ndarray
    ems_in_time: np.ndarray
    reversed_ems: np.ndarray
    reversed_site: np.ndarray
    fatal: np.ndarray

    @property
    def reversed(self) -> np.ndarray:
        """Reversed by anyone."""
        return self.reversed_naloxone | self.reversed_ems | self.reversed_site


def call_probability(model: WeekContext) -> float:
    """The chance a responding witness calls EMS, mixed by Good Samaritan protection."""
    r = model.scenario.response
    g = r.good_samaritan_protection
    return (1.0 - g) * r.ems_call_probability + g * r.ems_call_probability_protected


def who_is_there(model: WeekContext, od: np.ndarray) -> Scene:
    """Supervised, alone, company, company able to respond, and the kits among them."""
    people, hooks, r = model.people, model.hooks, model.scenario.response
    pids, week, streams = people.pid[od], model.week, model.streams
    supervised = streams.uniform("overdose.site", week, pids) < people.supervised_fraction[od]
    alone_p = people.uses_alone_probability[od] * people.alone_multiplier[od]
    alone = ~supervised & (streams.uniform("overdose.alone", week, pids) < alone_p)
    company = ~supervised & ~alone
    able = company & (streams.uniform("response.able", week, pids) < r.bystander_able_probability)
    # The contacts among the company decide whose kits are in the room.
    row, contact = model.network.neighbours_of(od)
    present = free_to_meet(people.state[contact])
    # Keyed to the pair (who overdosed, which contact): one contact more or less, or a
    # different order of the ties, leaves every other contact's draw as it was.
    u_present = streams.pair_uniform("overdose.present", week, people.pid[row], people.pid[contact])
    present &= u_present < hooks.neighbour_present_probability
    with_kit = present & people.carries_naloxone[contact]
    index = np.searchsorted(od, row)[with_kit]  # od is sorted (thinned_draws gives sorted rows)
    first, at = np.unique(index, return_index=True)
    kit_holder = np.full(od.size, -1, dtype=np.intp)
    kit_holder[first] = contact[with_kit][at]
    kit_holder[~company] = -1
    at_hand = streams.uniform("response.at_hand", week, pids) < r.kit_at_hand_probability
    kit_given = able & (kit_holder >= 0) & at_hand
    return Scene(supervised, alone, company, able, kit_holder, kit_given)


def what_happens(model: WeekContext, od: np.ndarray, scene: Scene) -> Fate:
    """Naloxone from the kit, the call, EMS, and whether the overdose is fatal."""
    people, hooks, week, streams = model.people, model.hooks, model.week, model.streams
    o, r = model.scenario.overdose, model.scenario.response
    pids = people.pid[od]
    xylazine = getattr(people, "xylazine_this_week", None)
    factor = np.ones(od.size)
    if xylazine is not None:
        factor = np.where(xylazine[od], r.xylazine_reversal_factor, 1.0)
    u_kit = streams.uniform("response.naloxone", week, pids)
    reversed_naloxone = scene.kit_given & (u_kit < hooks.naloxone_reversal_probability * factor)
    called = scene.able & (streams.uniform("response.call", week, pids) < call_probability(model))
    ems_in_time = called & (
        streams.uniform("response.arrive", week, pids) < r.ems_in_time_probability
    )
    u_ems = streams.uniform("response.ems", week, pids)
    reversed_ems = ~reversed_naloxone & ems_in_time & (u_ems < r.ems_reversal_probability * factor)
    # The supervised site and the fatality share one uniform, as before issue 13.
    f = streams.uniform("overdose.fate", week, pids)
    p_site = hooks.supervised_reversal_probability
    reversed_site = scene.supervised & (f < p_site)
    f_site = (f - p_site) / max(1.0 - p_site, 1e-12)
    fatal_p = np.where(scene.able, o.fatal_probability_witnessed, o.fatal_probability_alone)
    fatal = np.where(
        scene.supervised,
        ~reversed_site & (f_site < o.fatal_probability_witnessed),
        ~reversed_naloxone & ~reversed_ems & (f < fatal_p),
    )
    return Fate(reversed_naloxone, called, ems_in_time, reversed_ems, reversed_site, fatal)


def outcome_codes(scene: Scene, fate: Fate, codes: dict[str, int]) -> np.ndarray:
    """The event detail code of each overdose (``OUTCOMES``)."""
    fatal, sup = fate.fatal, scene.supervised
    unable = scene.company & ~scene.able
    return np.select(
        [
            fatal & sup,
            fatal & scene.able,
            fatal & unable,
            fatal,
            fate.reversed_site,
            fate.reversed_naloxone,
            fate.reversed_ems,
            sup,
            scene.able,
            unable,
        ],
        [
            codes["fatal_supervised"],
            codes["fatal_witnessed"],
            codes["fatal_unable"],
            codes["fatal_alone"],
            codes["reversed_supervised"],
            codes["reversed_naloxone"],
            codes["reversed_ems"],
            codes["survived_supervised"],
            codes["survived_witnessed"],
            codes["survived_unable"],
        ],
        codes["survived_alone"],
    )


def emergency_department(model: WeekContext, survived: np.ndarray, called: np.ndarray) -> None:
    """Survivors who reach an ED (``called``: EMS attended), and ED-initiated buprenorphine."""
    people, r, week, streams = model.people, model.scenario.response, model.week, model.streams
    pids = people.pid[survived]
    p = np.where(called, r.ed_transport_probability_ems, r.ed_taken_probability)
    ed = survived[streams.uniform("response.ed", week, pids) < p]
    people.ed_visit_week[ed] = week
    state = people.state[ed]
    model.events.add(people.pid[ed], week, "clinical", state, state, "ed_visit")
    u = streams.uniform("response.ed_buprenorphine", week, people.pid[ed])
    started = ed[u < model.hooks.ed_buprenorphine_probability]
    people.referred_to_moud[started] = True
    model.timeseries.add("ed_visits", int(ed.size))
    model.timeseries.add("ed_buprenorphine", int(started.size))


def respond(model: WeekContext, od: np.ndarray, codes: dict[str, int]) -> None:
    """Everything after this week's overdoses ``od`` (sorted rows) are decided."""
    people, kits, ts = model.people, model.kits, model.timeseries
    turnover = kits.turnover(model)
    ts.add("naloxone_kits_expired", turnover["expired"])
    ts.add("naloxone_kits_lost", turnover["lost"])
    ts.add("naloxone_kits_acquired", turnover["acquired"])
    kits.record_used(od[:0])
    if od.size == 0:
        return
    scene = who_is_there(model, od)
    fate = what_happens(model, od, scene)
    fatal = fate.fatal
    after = np.where(fatal, S.DEAD, people.state[od])
    outcome = outcome_codes(scene, fate, codes)
    model.events.add(people.pid[od], model.week, "overdose", people.state[od], after, outcome)

    # Kits used this week: one per overdose where a witness gave naloxone, recorded in the
    # kit ledger; a baseline kit leaves circulation now, a programme's at its next step.
    used = scene.kit_holder[scene.kit_given]
    kits.record_used(used)
    kits.retire_used_baseline()

    kit_witnessed = scene.able & (scene.kit_holder >= 0)
    # EMS give naloxone whenever they attend, in time or not.
    naloxone = scene.kit_given | fate.called
    ts.add("overdoses_fatal", int(fatal.sum()))
    ts.add("overdoses_nonfatal", int((~fatal).sum()))
    ts.add("overdoses_reversed", int(fate.reversed.sum()))
    ts.add("overdoses_witnessed", int((scene.able | scene.supervised).sum()))
    ts.add("naloxone_kits_used", int(used.size))
    ts.add("overdoses_bystander_present", int(scene.company.sum()))
    ts.add("overdoses_fatal_bystander_present", int((fatal & scene.company).sum()))
    ts.add("overdoses_kit_holder_witnessed", int(kit_witnessed.sum()))
    ts.add("overdoses_fatal_kit_holder_witnessed", int((fatal & kit_witnessed).sum()))
    ts.add("overdoses_fatal_no_naloxone", int((fatal & ~naloxone).sum()))
    ts.add("ems_calls", int(fate.called.sum()))
    ts.add("overdoses_reversed_ems", int(fate.reversed_ems.sum()))

    died = od[fatal]
    move(model, died, S.DEAD, "overdose", flow="deaths_overdose")
    ts.add("exits", died.size)
    survived = od[~fatal]
    people.weeks_since_overdose[survived] = 0
    emergency_department(model, survived, fate.called[~fatal])
    referral_u = model.streams.uniform("overdose.referral", model.week, people.pid[survived])
    referred = survived[referral_u < model.hooks.overdose_referral_to_moud_probability]
    people.referred_to_moud[referred] = True
