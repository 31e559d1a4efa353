"""The overdose response (processes/overdose_response.py): who is there, the EMS path, kit
turnover, the emergency department. Every expected value is derived from the parameters;
tolerances are 3-4 binomial standard errors."""

from __future__ import annotations

import numpy as np

from conftest import binomial_se, isolated_model, within
from hrsim.core.people import NEVER
from hrsim.core.states import Care
from hrsim.processes import Overdose

#: Everyone in active use, full tolerance, no fentanyl, many overdoses, no kits, nobody calls.
PLAIN = {
    "supply.fentanyl_share_by_year": [0.0],
    "overdose.recent_overdose_rr": 1.0,
    "overdose.base_rate_per_year": 5.0,
    "population.inject_fraction": 0.0,
    "population.heavy_use_fraction": 0.0,
    "population.naloxone_carrier_fraction": 0.0,
    "response.ems_call_probability": 0.0,
    "response.ems_call_probability_protected": 0.0,
    "response.good_samaritan_protection": 0.0,
}


def _everyone_active(m):
    m.people.state[:] = Care.ACTIVE
    m.people.tolerance[:] = 1.0
    m.people.weeks_since_moud_exit[:] = NEVER


def _run(n, weeks=8, **overrides):
    m = isolated_model(n, (Overdose,), **{**PLAIN, **overrides})
    _everyone_active(m)
    m.run(weeks=weeks)
    return m, m.timeseries_frame().sum(), m.events_frame()


def test_presence_shares_and_the_fatal_share_with_a_bystander_present():
    """Alone with a, company otherwise, able to respond with b: company at 1 - a of the
    overdoses, able company at (1 - a) b; with no kits and no EMS, the fatal share with a
    bystander present is (1 - a)((1 - b) fa + b fw) / (a fa + (1 - a)((1 - b) fa + b fw))."""
    a, b = 0.3, 0.6
    m, ts, _ = _run(
        30_000,
        **{"population.uses_alone_probability": a, "response.bystander_able_probability": b},
    )
    n = int(ts["overdoses_fatal"] + ts["overdoses_nonfatal"])
    assert n > 10_000
    assert within(ts["overdoses_bystander_present"] / n, 1 - a, binomial_se(1 - a, n))
    assert within(ts["overdoses_witnessed"] / n, (1 - a) * b, binomial_se((1 - a) * b, n))
    o = m.scenario.overdose
    fa, fw = o.fatal_probability_alone, o.fatal_probability_witnessed
    present = (1 - a) * ((1 - b) * fa + b * fw)
    expected = present / (a * fa + present)
    fatal = int(ts["overdoses_fatal"])
    observed = ts["overdoses_fatal_bystander_present"] / fatal
    assert within(observed, expected, binomial_se(expected, fatal), k=4.0)
    assert ts["ems_calls"] == 0 and ts["naloxone_kits_used"] == 0


def test_the_ems_path_is_call_times_arrival_times_reversal():
    """Company always able, no kits: EMS called with c = (1 - g) c0 + g c1, in time with t,
    reversing with r: reversed by EMS at c t r of the overdoses, fatal at (1 - c t r) fw."""
    c0, c1, g, t, r = 0.2, 0.8, 0.5, 0.6, 0.75
    m, ts, ev = _run(
        30_000,
        **{
            "population.uses_alone_probability": 0.0,
            "response.bystander_able_probability": 1.0,
            "response.ems_call_probability": c0,
            "response.ems_call_probability_protected": c1,
            "response.good_samaritan_protection": g,
            "response.ems_in_time_probability": t,
            "response.ems_reversal_probability": r,
        },
    )
    n = int(ts["overdoses_fatal"] + ts["overdoses_nonfatal"])
    c = (1 - g) * c0 + g * c1
    assert within(ts["ems_calls"] / n, c, binomial_se(c, n))
    p = c * t * r
    assert within(ts["overdoses_reversed_ems"] / n, p, binomial_se(p, n))
    od = ev[ev["kind"] == "overdose"]
    assert np.count_nonzero(od["detail"] == "reversed_ems") == ts["overdoses_reversed_ems"]
    fw = m.scenario.overdose.fatal_probability_witnessed
    expected = (1 - p) * fw
    assert within(ts["overdoses_fatal"] / n, expected, binomial_se(expected, n))
    # EMS attend every call, so naloxone was given at every fatal overdose with a call; among
    # fatal overdoses the uncalled are (1 - c) / ((1 - c) + c (1 - t r)).
    fatal = int(ts["overdoses_fatal"])
    none = (1 - c) / ((1 - c) + c * (1 - t * r))
    no_naloxone = ts["overdoses_fatal_no_naloxone"] / fatal
    assert within(no_naloxone, none, binomial_se(none, fatal))


def test_xylazine_scales_the_reversal_when_the_flag_exists():
    """Every dose with fentanyl and xylazine (so people.xylazine_this_week is set at every
    overdose): EMS reverse at c t r x."""
    x, r = 0.5, 0.9
    m = isolated_model(
        20_000,
        (Overdose,),
        **{
            **PLAIN,
            "population.uses_alone_probability": 0.0,
            "response.bystander_able_probability": 1.0,
            "response.ems_call_probability": 1.0,
            "response.ems_in_time_probability": 1.0,
            "response.ems_reversal_probability": r,
            "response.xylazine_reversal_factor": x,
            "supply.fentanyl_share_by_year": [1.0],
            "supply.xylazine_share_by_year": [1.0],
        },
    )
    _everyone_active(m)
    m.run(weeks=6)
    ts = m.timeseries_frame().sum()
    n = int(ts["overdoses_fatal"] + ts["overdoses_nonfatal"])
    assert ts["overdoses_xylazine"] == n
    assert within(ts["overdoses_reversed_ems"] / n, r * x, binomial_se(r * x, n))


def test_the_ed_visit_after_a_survived_overdose_and_ed_buprenorphine():
    """Survivors reach an ED with e (EMS called, probability c) or d (not): c e + (1 - c) d;
    an ED visit refers to MOUD with q; each visit is an event and sets ed_visit_week."""
    c, e, d, q = 0.5, 0.876, 0.1, 0.4
    m = isolated_model(
        20_000,
        (Overdose,),
        **{
            **PLAIN,
            "population.uses_alone_probability": 0.0,
            "response.bystander_able_probability": 1.0,
            "response.ems_call_probability": c,
            "response.ems_in_time_probability": 0.0,  # EMS come, but too late to matter
            "response.ed_transport_probability_ems": e,
            "response.ed_taken_probability": d,
            "response.ed_buprenorphine_probability": q,
            "care.overdose_referral_to_moud_probability": 0.0,
        },
    )
    _everyone_active(m)
    m.step()
    ts = m.timeseries_frame().iloc[-1]
    survivors = int(ts["overdoses_nonfatal"])
    visits = int(ts["ed_visits"])
    expected = c * e + (1 - c) * d
    assert within(visits / survivors, expected, binomial_se(expected, survivors))
    week = m.week
    visitors = np.flatnonzero(m.people.ed_visit_week == week)
    assert visitors.size == visits
    # Only this week's survivors (the model adds 1 when it closes the week).
    assert (m.people.weeks_since_overdose[visitors] == 1).all()
    referred = np.flatnonzero(m.people.referred_to_moud)
    assert np.isin(referred, visitors).all()
    assert referred.size == ts["ed_buprenorphine"]
    assert within(referred.size / visits, q, binomial_se(q, visits))
    ev = m.events_frame()
    ed = ev[(ev["kind"] == "clinical") & (ev["detail"] == "ed_visit")]
    assert set(ed["person"]) == set(m.people.pid[visitors])


def test_kit_expiry_loss_and_reacquisition_rates():
    """No overdoses; everyone a baseline carrier. Week by week: lost ~ Binomial(carriers, l),
    acquired ~ Binomial(non-carriers, q); every starting kit expires within one shelf life S,
    about 1/S of them a week; a kit given in week w expires in week w + S exactly."""
    n, loss, reacquire, shelf = 20_000, 0.02, 0.1, 10
    m = isolated_model(
        n,
        (Overdose,),
        **{
            **PLAIN,
            "overdose.base_rate_per_year": 0.0,
            "population.naloxone_carrier_fraction": 1.0,
            "response.kit_loss_probability_per_week": loss,
            "response.kit_reacquire_probability_per_week": reacquire,
            "response.kit_shelf_life_weeks": shelf,
        },
    )
    _everyone_active(m)
    carriers, lost, acquired, expired = [], [], [], []
    for _ in range(3 * shelf):
        carriers.append(int(m.people.carries_naloxone.sum()))
        m.step()
        row = m.timeseries_frame().iloc[-1]
        lost.append(int(row["naloxone_kits_lost"]))
        acquired.append(int(row["naloxone_kits_acquired"]))
        expired.append(int(row["naloxone_kits_expired"]))
        assert (
            m.people.carries_naloxone.sum()
            == carriers[-1] - lost[-1] - expired[-1] + (acquired[-1])
        )
    carriers_a = np.array(carriers, dtype=float)
    expired_a = np.array(expired, dtype=float)
    # Loss applies to the kits left after expiry; re-acquisition to those without one after.
    held = carriers_a - expired_a
    exp_lost = held * loss
    assert within(sum(lost), exp_lost.sum(), np.sqrt((exp_lost * (1 - loss)).sum()), k=4.0)
    without = n - (held - np.array(lost))
    exp_acq = without * reacquire
    assert within(sum(acquired), exp_acq.sum(), np.sqrt((exp_acq * (1 - reacquire)).sum()), k=4.0)
    # Starting kits have ages 0 to S - 1 weeks, so none expires in the first week, then about
    # n / S a week (fewer: some are lost first) until the first shelf life is over.
    assert expired[0] == 0
    assert all(0.5 * n / shelf < e < 1.5 * n / shelf for e in expired[1 : shelf + 1])
    # A kit acquired in week w (none of them lost in between) cannot expire before w + S.
    kits, people = m.kits, m.people
    ages = kits.ages(np.flatnonzero(people.carries_naloxone), m.week)
    assert ages.min() >= 0 and ages.max() < shelf


def _scene_with_contacts(extra_contact: bool):
    from hrsim.core.network import Layer
    from hrsim.processes.overdose_response import who_is_there

    m = isolated_model(4000, (Overdose,), **{**PLAIN, "population.uses_alone_probability": 0.0})
    _everyone_active(m)
    m.people.carries_naloxone[:] = True
    od = np.arange(0, 4000, 4)  # each tied to the two rows after it
    social = Layer("social", 52.0, 4000)
    social.add(np.repeat(od, 2), (od[:, None] + np.array([1, 2])).ravel())
    if extra_contact:
        social.add(od[:1], od[:1] + 3)  # one more contact, at the front of the arrays
    m.network.layers["social"] = social
    m.network.layers["injecting"] = Layer("injecting", 26.0, 4000)
    return who_is_there(m, od), m.hooks.neighbour_present_probability


def test_a_contact_more_at_one_overdose_changes_no_other_overdoses_company():
    without, q = _scene_with_contacts(False)
    with_extra, _ = _scene_with_contacts(True)
    np.testing.assert_array_equal(without.kit_holder[1:], with_extra.kit_holder[1:])
    # Each of two contacts is there with q: a kit in the room at 1 - (1 - q)^2.
    share, expected = float((without.kit_holder >= 0).mean()), 1 - (1 - q) ** 2
    assert within(share, expected, binomial_se(expected, without.kit_holder.size), k=4.0)
