"""The naloxone kit ledger: one set of books for every programme that hands out kits."""

from __future__ import annotations

from typing import Any

import numpy as np

from hrsim import HarmReductionModel, Scenario
from hrsim.core.kits import BASELINE, NaloxoneKits
from hrsim.core.people import People
from hrsim.processes import Overdose
from hrsim.scenario import build_scenario

GIVERS = ("syringe_services", "naloxone_distribution", "peer_network")


def _people(n: int = 20, carriers: float = 0.5) -> People:
    people = People(n)
    scenario = Scenario.default().with_overrides(
        {"run.people": n, "population.naloxone_carrier_fraction": carriers}
    )
    people.fill(np.arange(n), scenario, np.random.default_rng(1), entrants=False)
    return people


def test_the_books_of_one_ledger():
    people = _people()
    kits = NaloxoneKits(people)
    baseline = np.flatnonzero(people.carries_naloxone)
    without = np.flatnonzero(~people.carries_naloxone)
    assert 0 < baseline.size < people.n
    assert kits.count(BASELINE) == baseline.size
    assert (kits.sources(baseline) == BASELINE).all() and (kits.sources(without) == "").all()

    a, b = without[:3], without[3:5]
    kits.give("a", a)
    kits.give("b", b)
    assert people.carries_naloxone[a].all() and people.carries_naloxone[b].all()
    assert list(kits.sources(np.concatenate([a, b]))) == ["a"] * 3 + ["b"] * 2
    assert (kits.count("a"), kits.count("b"), kits.count(BASELINE)) == (3, 2, baseline.size)
    np.testing.assert_array_equal(np.flatnonzero(kits.held_by("a")), a)
    assert kits.count("nobody") == 0 and not kits.holding("nobody", a).any()

    # A witness of b used a kit twice, one of a once, and a baseline carrier once.
    used = np.array([b[0], a[1], b[0], baseline[0]])
    kits.record_used(used)
    np.testing.assert_array_equal(kits.used_from("b"), [b[0]])
    np.testing.assert_array_equal(kits.used_from(BASELINE), [baseline[0]])
    np.testing.assert_array_equal(kits.retire_used("b"), [b[0]])  # once, and only b's
    assert not people.carries_naloxone[b[0]] and people.carries_naloxone[a[1]]
    assert kits.count("a") == 3 and kits.count("b") == 1
    assert people.carries_naloxone[baseline[0]]  # no programme retires a baseline kit
    np.testing.assert_array_equal(kits.retire_used("a"), [a[1]])
    assert kits.retire_used("a").size == 0  # retired once

    # retire takes back only the giver's own kits.
    np.testing.assert_array_equal(kits.retire("a", np.array([a[0], b[1], baseline[1]])), [a[0]])
    assert people.carries_naloxone[b[1]] and people.carries_naloxone[baseline[1]]


def test_a_row_taken_by_a_new_person_holds_their_own_kit():
    people = _people(carriers=0.0)
    kits = NaloxoneKits(people)
    kits.give("a", np.arange(4))
    scenario = Scenario.default().with_overrides(
        {"run.people": people.n, "population.naloxone_carrier_fraction": 1.0}
    )
    people.fill(np.array([1, 2]), scenario, np.random.default_rng(2), entrants=True)
    assert list(kits.sources(np.arange(4))) == ["a", BASELINE, BASELINE, "a"]
    assert kits.count("a") == 2
    kits.record_used(np.array([1]))
    assert kits.retire_used("a").size == 0  # the newcomer's own kit is not the programme's


def _with_every_kit_giver(**changes: Any) -> Scenario:
    data: dict[str, Any] = {
        "run": {"people": 3000, "years": 1.0, "seed": 3, "name": "kits"},
        "population": {"naloxone_carrier_fraction": 0.2, "uses_alone_probability": 0.1},
        "overdose": {"base_rate_per_year": 8.0, "neighbour_present_probability": 0.7},
        "interventions": [
            {"type": "syringe_services", "coverage_fraction": 0.7,
             "naloxone_kit_probability_per_week": 0.3},
            {"type": "naloxone_distribution", "coverage_fraction": 0.6,
             "kit_probability_per_week": 0.3},
            {"type": "peer_network", "peers_fraction": 0.1, "naloxone_probability_per_week": 0.5},
        ],
    }  # fmt: skip
    for key, value in changes.items():
        data.setdefault(key, {}).update(value)
    return build_scenario(data)


def test_a_syringe_services_kit_used_at_an_overdose_is_retired():
    """Week 1: every client gets a kit and some are used. Week 2 (no new kits): the used kits
    are out of circulation, counted in ``kits_used``, and the others are still carried."""
    scenario = build_scenario(
        {
            # No burn-in: week 1 is the drawn population's (5 years at this rate kill it).
            "run": {"people": 3000, "years": 0.2, "seed": 4, "name": "ssp",
                    "burn_in_years": 0.0},
            "population": {"naloxone_carrier_fraction": 0.0, "uses_alone_probability": 0.0,
                           "inject_fraction": 1.0},
            "overdose": {"base_rate_per_year": 100.0, "neighbour_present_probability": 1.0},
            "interventions": [{"type": "syringe_services", "coverage_fraction": 1.0,
                               "naloxone_kit_probability_per_week": 1.0}],
        }
    )  # fmt: skip
    model = HarmReductionModel(scenario, processes=(Overdose,))
    model.step()
    kits, people = model.kits, model.people
    used = kits.used_from("syringe_services")
    held = kits.held_by("syringe_services")
    assert used.size > 20 and np.count_nonzero(held) > used.size
    assert people.carries_naloxone[used].all()  # used this week: retired at the next step
    ssp = model.interventions[0]
    ssp.params = ssp.params.model_copy(update={"naloxone_kit_probability_per_week": 0.0})
    dead = ~people.alive  # overdose deaths of week 1 take their kits with them
    model.step()
    assert not people.carries_naloxone[used].any()
    frame = model.programme_frame().query("week == 2").set_index("output")["value"]
    assert frame["kits_used"] == used.size
    assert frame["naloxone_kits"] == 0
    taken_back = held & (dead | np.isin(np.arange(people.n), used))
    np.testing.assert_array_equal(kits.held_by("syringe_services"), held & ~taken_back)


def test_programmes_count_only_their_own_used_kits_and_outputs_match_the_ledger():
    model = HarmReductionModel(_with_every_kit_giver())
    kits, people = model.kits, model.people
    totals = dict.fromkeys(GIVERS, 0)
    baseline_used = 0
    for _ in range(30):
        expected = {giver: kits.used_from(giver).size for giver in GIVERS}
        baseline_kits = kits.used_from(BASELINE)
        their_pids = people.pid[baseline_kits]
        model.step()
        week = model.programme_frame().query(f"week == {model.week}")
        out = week.set_index(["programme", "output"])["value"]
        for giver in GIVERS:
            assert out[giver, "kits_used"] == expected[giver], (model.week, giver)
            totals[giver] += expected[giver]
        assert out["naloxone_distribution", "carriers"] == kits.count("naloxone_distribution")
        # A baseline kit used at an overdose leaves circulation at once (issue 13): right
        # after the week's step, nobody whose baseline kit was used still holds one (they can
        # re-acquire only at a later week's turnover, which runs before the overdoses).
        used_now = kits.used_from(BASELINE)
        assert not kits.holding(BASELINE, used_now).any()
        baseline_used += baseline_kits.size
        del their_pids
        # The week's kits used: one per overdose where a witness gave naloxone.
        assert model.timeseries.latest("naloxone_kits_used") == kits.used.size
        by_source = sum(np.count_nonzero(kits.used_source == kits.code(g)) for g in kits.givers)
        assert by_source == kits.used.size
    assert all(total > 5 for total in totals.values()), totals
    assert baseline_used > 5
    # Everyone who carries a kit has exactly one source.
    carriers = np.flatnonzero(people.carries_naloxone & people.alive)
    counts = sum(kits.count(g) for g in kits.givers)
    assert counts == np.count_nonzero(people.carries_naloxone)
    assert set(kits.sources(carriers)) <= {BASELINE, *GIVERS}


def test_a_used_kit_is_counted_by_the_programme_that_gave_it_and_by_no_other():
    model = HarmReductionModel(_with_every_kit_giver())
    model.run(weeks=20)
    kits, people = model.kits, model.people
    held = {g: np.flatnonzero(kits.held_by(g) & people.alive) for g in GIVERS}
    # A different number of kits used per giver (1, 2, 3: the giver with fewest holders the
    # fewest), so a kit counted under the wrong giver shows.
    by_holders = sorted(GIVERS, key=lambda g: held[g].size)
    rows = {g: held[g][: 1 + i] for i, g in enumerate(by_holders)}
    assert all(rows[g].size == 1 + i for i, g in enumerate(by_holders)), {
        g: h.size for g, h in held.items()
    }
    kits.record_used(np.concatenate(list(rows.values())))  # as if used at this week's overdoses
    model.step()
    out = model.programme_frame().query(f"week == {model.week}").set_index(["programme", "output"])
    for giver, used in rows.items():
        assert out.loc[(giver, "kits_used"), "value"] == used.size
