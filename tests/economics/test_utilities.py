"""The weekly QALY column: a hand computation on a tiny population with known states."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import isolated_model
from hrsim import HarmReductionModel, Scenario
from hrsim.core.states import Care


def _tiny(**overrides: object) -> HarmReductionModel:
    """Ten people, no processes: states stay as set, so a week's QALYs are known by hand."""
    m = isolated_model(10, (), **overrides)
    p = m.people
    for name in ("hiv", "hiv_on_art", "hiv_suppressed", "hiv_linked", "hcv"):
        getattr(p, name)[:] = False
    p.weeks_since_overdose[:] = 1_000_000
    p.state[:] = [
        Care.ACTIVE,
        Care.METHADONE,
        Care.BUPRENORPHINE,
        Care.RECOVERY,
        Care.PRISON,
        Care.JAIL,
        Care.DETOX,
        Care.DEAD,
        Care.EXITED,
        Care.ACTIVE,
    ]
    p.hiv[[1, 3]] = True
    p.hiv_on_art[1] = p.hiv_suppressed[1] = True  # person 1 suppressed on ART, 3 untreated
    p.hcv[[2, 3]] = True
    # Set before the week: the record adds 1, so 0 -> 1 (the overdose's week) and 3 -> 4 are
    # within 4 weeks, 4 -> 5 is not.
    p.weeks_since_overdose[[5, 9, 6]] = [0, 3, 4]
    return m


def test_weekly_qalys_equal_a_hand_computation():
    m = _tiny()
    e = m.scenario.economics
    assert (e.post_overdose_weeks, e.utility_multiplier_post_overdose) == (4, 0.85)
    m.step()
    expected = (
        e.utility_active  # 0: active
        + e.utility_methadone * e.utility_multiplier_hiv_suppressed  # 1
        + e.utility_buprenorphine * e.utility_multiplier_hcv_viraemic  # 2
        + e.utility_recovery
        * e.utility_multiplier_hiv_unsuppressed
        * e.utility_multiplier_hcv_viraemic  # 3
        + e.utility_prison  # 4
        + e.utility_jail * e.utility_multiplier_post_overdose  # 5: the overdose's week
        + e.utility_detox  # 6: the fifth week after, no decrement
        + 0.0  # 7 dead, 8 exited
        + e.utility_active * e.utility_multiplier_post_overdose  # 9: fourth week after
    ) / 52.0
    ts = m.timeseries_frame()
    assert ts["qalys"].iloc[0] == 0.0  # week 0, the starting population, lives nothing
    assert ts["qalys"].iloc[1] == pytest.approx(expected, rel=1e-12)
    # by hand with the default numbers too
    by_hand = (
        0.574 + 0.716 * 0.903 + 0.766 * 0.955 + 0.84 * 0.874 * 0.955 + 0.725 + 0.705 * 0.85
        + 0.705 + 0.574 * 0.85
    ) / 52  # fmt: skip
    assert ts["qalys"].iloc[1] == pytest.approx(by_hand, rel=1e-12)
    # the care counts for costs: one person on ART, none in care before ART, two viraemic
    counts = ts[["hiv_on_art", "hiv_in_care_not_on_art", "hcv_viraemic"]].iloc[1].tolist()
    assert counts == [1, 0, 2]


def test_post_overdose_weeks_zero_turns_the_decrement_off():
    m = _tiny(**{"economics.post_overdose_weeks": 0})
    m.step()
    e = m.scenario.economics
    without = _tiny()
    without.step()
    gap = without.timeseries_frame()["qalys"].iloc[1] - m.timeseries_frame()["qalys"].iloc[1]
    expected = -(e.utility_jail + e.utility_active) * (1 - e.utility_multiplier_post_overdose) / 52
    assert gap == pytest.approx(expected, rel=1e-12)


def test_utilities_draw_no_random_numbers_and_change_nothing_else():
    base = Scenario.default().with_overrides(
        {"run.people": 400, "run.years": 1.0, "run.burn_in_years": 0.5, "run.seed": 5}
    )
    other = base.with_overrides(
        {"economics.utility_active": 0.3, "economics.utility_multiplier_hcv_viraemic": 0.5}
    )
    a = HarmReductionModel(base, record_events=False).run().timeseries_frame()
    b = HarmReductionModel(other, record_events=False).run().timeseries_frame()
    weights = ["qalys", "exits_tail_qalys"]
    assert a.drop(columns=weights).equals(b.drop(columns=weights))
    assert (a["qalys"].iloc[1:] > b["qalys"].iloc[1:]).all()
    assert not np.isnan(a["qalys"]).any()
