"""Fentanyl test strips: baseline at zero coverage, a result as information about this week's
dose (sensitivity, specificity), the change after a positive, averted overdoses, outputs, costs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from programme_helpers import (
    EVERYONE_USING,
    assert_same_as_baseline,
    programme_scenario,
    run_model,
    weekly_outputs,
)

from conftest import binomial_se, within
from hrsim import HarmReductionModel
from hrsim.core.states import Care
from hrsim.core.supply import fentanyl_in_dose
from hrsim.processes import Overdose
from hrsim.scenario import load_scenario

TYPE = "fentanyl_test_strips"
RUN = {"people": 3000, "years": 1.0, "seed": 3, "name": "t"}
SCENARIO_FILE = Path(__file__).resolve().parents[2] / "scenarios" / f"{TYPE}.toml"


def test_zero_coverage_is_the_baseline():
    base = run_model(programme_scenario(TYPE, run=RUN))
    zero = run_model(programme_scenario(TYPE, {"coverage_fraction": 0.0}, run=RUN))
    assert_same_as_baseline(zero, base, TYPE)
    # The comparison is not vacuous: with coverage the programme acts and changes the run.
    full = run_model(
        programme_scenario(
            TYPE, {"coverage_fraction": 1.0, "changed_dose_overdose_rr": 0.0}, run=RUN
        )
    )
    assert (full.events_frame()["kind"] == TYPE).any()
    assert not base.timeseries_frame().equals(full.timeseries_frame())


NEUTRAL = {"changed_dose_overdose_rr": 1.0, "changed_use_alone_rr": 1.0}


def test_neutral_dose_change_leaves_the_run_unchanged():
    """Strips that change nothing (rr 1) draw only from the programme's own streams; the
    fentanyl draw they share with the overdose process is keyed, so it takes nothing from
    the process's stream."""
    base = run_model(programme_scenario(TYPE, run=RUN))
    neutral = run_model(
        programme_scenario(
            TYPE, {"coverage_fraction": 1.0, "test_probability_per_week": 1.0, **NEUTRAL}, run=RUN
        )
    )
    pd.testing.assert_frame_equal(base.timeseries_frame(), neutral.timeseries_frame())
    events = neutral.events_frame()
    others = events[events["kind"] != TYPE].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        base.events_frame().astype(str), others.astype(str), check_categorical=False
    )


SENS, SPEC, CHANGE, RR, ALONE_RR, SHARE, TEST = 0.9, 0.8, 0.6, 0.3, 0.5, 0.35, 0.7


def _strips_only(people: int = 20_000, **programme: float) -> HarmReductionModel:
    """Everyone in active use has strips; no processes, so the hooks stay as written."""
    params = {
        "coverage_fraction": 1.0,
        "test_probability_per_week": TEST,
        "detection_sensitivity": SENS,
        "detection_specificity": SPEC,
        "behaviour_change_probability": CHANGE,
        "changed_dose_overdose_rr": RR,
        "changed_use_alone_rr": ALONE_RR,
        **programme,
    }
    scenario = programme_scenario(
        TYPE, params, run={**RUN, "people": people}, supply={"fentanyl_share_by_year": [SHARE]}
    )
    return HarmReductionModel(scenario, processes=())


def test_a_strip_reads_the_dose_with_its_sensitivity_and_specificity():
    """Among clients, testers are a share TEST; a tester's positive rate is
    share x sensitivity + (1 - share) x (1 - specificity), and by the dose's fentanyl it is
    the sensitivity and 1 - specificity."""
    m = _strips_only()
    programme = m.interventions[0]
    m.step()
    users = programme.clients
    assert np.array_equal(programme.enrolled, m.people.state == Care.ACTIVE)  # coverage 1
    testers, fentanyl, positive, _ = programme.test_doses(m, users)
    assert within(testers.size / users.size, TEST, binomial_se(TEST, users.size))
    # The dose tested is the overdose process's dose: the keyed draw, at the week's share.
    np.testing.assert_array_equal(fentanyl, fentanyl_in_dose(m, testers))
    assert within(fentanyl.mean(), SHARE, binomial_se(SHARE, testers.size))
    expected = SHARE * SENS + (1 - SHARE) * (1 - SPEC)
    assert within(positive.mean(), expected, binomial_se(expected, testers.size))
    n_f = int(fentanyl.sum())
    assert within(positive[fentanyl].mean(), SENS, binomial_se(SENS, n_f))
    n_0 = testers.size - n_f
    assert within(positive[~fentanyl].mean(), 1 - SPEC, binomial_se(1 - SPEC, n_0))
    out = weekly_outputs(m).iloc[0]
    assert out["strips_used"] == testers.size
    assert out["positive_tests"] == positive.sum()
    assert out["false_positive_tests"] == (positive & ~fentanyl).sum()


def test_behaviour_change_lowers_only_the_weeks_with_a_positive_result():
    m = _strips_only()
    programme = m.interventions[0]
    lowered_weeks = []
    for _ in range(2):
        m.step()
        testers, fentanyl, positive, changed = programme.test_doses(m, programme.clients)
        multiplier, alone = m.people.overdose_multiplier, m.people.alone_multiplier
        lowered = multiplier < 1.0
        # Exactly the changed doses, all of them after a positive result, at the ratios.
        np.testing.assert_array_equal(np.flatnonzero(lowered), testers[changed])
        assert not (changed & ~positive).any()
        np.testing.assert_array_equal(multiplier[lowered], np.float32(RR))
        np.testing.assert_array_equal(np.flatnonzero(alone < 1.0), testers[changed])
        np.testing.assert_array_equal(alone[alone < 1.0], np.float32(ALONE_RR))
        n_pos = int(positive.sum())
        assert within(changed[positive].mean(), CHANGE, binomial_se(CHANGE, n_pos))
        # The information: most changed doses contain fentanyl (the positive predictive
        # value), far more than the share of doses that do.
        ppv = SHARE * SENS / (SHARE * SENS + (1 - SHARE) * (1 - SPEC))
        n_changed = int(changed.sum())
        assert within(fentanyl[changed].mean(), ppv, binomial_se(ppv, n_changed))
        assert weekly_outputs(m).iloc[-1]["changed_use"] == n_changed
        lowered_weeks.append(lowered)
    # A fresh draw each week: not the same people twice.
    assert not np.array_equal(lowered_weeks[0], lowered_weeks[1])


def test_a_negative_result_changes_nothing_unless_false_reassurance_is_set():
    m = _strips_only(people=5000)
    m.step()
    programme = m.interventions[0]
    testers, _, positive, changed = programme.test_doses(m, programme.clients)
    assert (m.people.overdose_multiplier[testers[~positive]] == 1.0).all()
    reassured = _strips_only(people=5000, negative_result_overdose_rr=1.5)
    reassured.step()
    mult = reassured.people.overdose_multiplier
    np.testing.assert_array_equal(np.flatnonzero(mult > 1.0), testers[~positive])
    assert (mult[mult > 1.0] == np.float32(1.5)).all()
    np.testing.assert_array_equal(np.flatnonzero(mult < 1.0), testers[changed])


def test_perfect_strips_acted_on_always_remove_the_fentanyl_weeks():
    """Hand-set population, overdose process only: with sensitivity and specificity 1, every
    dose tested and every positive dose not used (rr 0), the weekly overdose probability of
    each person-week is (1 - share) (1 - e^(-h0)); without strips it is share (1 - e^(-h0 rr))
    + (1 - share) (1 - e^(-h0)). The averted overdoses emerge from the fentanyl doses alone."""
    n, weeks, share, h0 = 20_000, 10, 0.5, 2.0 / 52
    plain = {
        "recent_overdose_rr": 1.0,
        "base_rate_per_year": 2.0,
    }
    perfect = {
        "coverage_fraction": 1.0,
        "test_probability_per_week": 1.0,
        "detection_sensitivity": 1.0,
        "detection_specificity": 1.0,
        "behaviour_change_probability": 1.0,
        "changed_dose_overdose_rr": 0.0,
    }
    population = {"inject_fraction": 0.0, "heavy_use_fraction": 0.0, **EVERYONE_USING}
    counts = {}
    for name, programme in (("with", perfect), ("without", None)):
        scenario = programme_scenario(
            TYPE,
            programme,
            run={**RUN, "people": n},
            overdose=plain,
            supply={"fentanyl_share_by_year": [share]},
            population=population,
        )
        m = HarmReductionModel(scenario, processes=(Overdose,))
        m.people.tolerance[:] = 1.0
        m.people.weeks_in_state[:] = 10
        m.run(weeks=weeks)
        ts = m.timeseries_frame()
        at_risk = ts["population"].to_numpy()[:-1]
        total = int(ts["overdoses_fatal"].sum() + ts["overdoses_nonfatal"].sum())
        counts[name] = (total, at_risk)
    # A dose with fentanyl at full tolerance: potency^k (overdose.potency_exponent).
    rr = m.scenario.supply.fentanyl_potency_ratio**m.scenario.overdose.potency_exponent
    p_0, p_f = -np.expm1(-h0), -np.expm1(-h0 * rr)
    total, at_risk = counts["with"]
    expected = float(np.sum(at_risk * (1 - share) * p_0))
    assert within(total, expected, np.sqrt(expected), k=4.0), (total, expected)
    total, at_risk = counts["without"]
    expected = float(np.sum(at_risk * (share * p_f + (1 - share) * p_0)))
    assert within(total, expected, np.sqrt(expected), k=4.0), (total, expected)


def test_outputs_and_costs_match_the_users():
    strips_per_user, cost_per_strip = 3.0, 1.5
    programme = {
        "coverage_fraction": 0.5,
        "strips_per_user_per_week": strips_per_user,
        "cost_usd_per_strip": cost_per_strip,
    }
    m = run_model(programme_scenario(TYPE, programme, run=RUN), weeks=6)
    out = weekly_outputs(m)
    assert (out["users_with_strips"] == out["enrolled"]).all()
    assert out["users_with_strips"].iloc[-1] == np.count_nonzero(m.interventions[0].enrolled)
    assert (out["strips"] == out["users_with_strips"] * strips_per_user).all()
    assert (out["cost_usd"] == out["strips"] * cost_per_strip).all()
    assert (out["changed_use"] <= out["positive_tests"]).all()
    assert (out["false_positive_tests"] <= out["positive_tests"]).all()
    assert (out["positive_tests"] <= out["strips_used"]).all()
    assert (out["strips_used"] <= out["users_with_strips"]).all()
    assert out["changed_use"].iloc[-1] == np.count_nonzero(m.people.overdose_multiplier < 1)
    assert out["changed_use"].sum() > 0
    # Coverage: about half the people in active use have strips.
    active = m.people.state == Care.ACTIVE
    share = np.count_nonzero(active & m.interventions[0].enrolled) / np.count_nonzero(active)
    assert within(share, 0.5, binomial_se(0.5, int(active.sum())))


def test_scenario_file_loads_and_runs():
    scenario = load_scenario(SCENARIO_FILE, {"run.people": 1000})
    assert scenario.run.name == TYPE
    assert [p.type for p in scenario.interventions] == [TYPE]
    m = run_model(scenario, weeks=4)
    assert weekly_outputs(m)["users_with_strips"].iloc[-1] > 0
