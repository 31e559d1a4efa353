"""The estimators behind the validation targets, on small cases worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hrsim.analysis.stats import binomial_se, proportion_interval
from hrsim.analysis.validation import (
    check_enough_data,
    exact_binomial,
    follow_until_removed,
    format_table,
    kaplan_meier,
    kaplan_meier_curve,
    proportion_target,
    ratio_target,
    state_changes,
)


def test_kaplan_meier_by_hand():
    # Durations 1,2,2,3(censored),4: S(1)=4/5, S(2)=4/5*2/4=0.4, S(3)=0.4 (censored), S(4)=0.
    d = np.array([1, 2, 2, 3, 4])
    e = np.array([True, True, True, False, True])
    surv, se = kaplan_meier_curve(d, e, 4)
    np.testing.assert_allclose(surv, [1.0, 0.8, 0.4, 0.4, 0.0])
    # Greenwood at t=2: S^2 * (1/(5*4) + 2/(4*2)).
    assert se[2] == pytest.approx(0.4 * np.sqrt(1 / 20 + 2 / 8))
    assert kaplan_meier(d, e, 2) == (pytest.approx(0.4), pytest.approx(se[2]))


def test_exact_binomial_is_the_clopper_pearson_interval():
    # Strang 2003: 3 of 137. The bounds are where the binomial tails hold 2.5% each.
    low, high = exact_binomial(3, 137)
    assert stats.binom.sf(2, 137, low) == pytest.approx(0.025, rel=1e-6)
    assert stats.binom.cdf(3, 137, high) == pytest.approx(0.025, rel=1e-6)
    # 0 of 20: the upper bound solves (1 - p)^20 = 0.025.
    assert exact_binomial(0, 20) == (0.0, pytest.approx(1 - 0.025 ** (1 / 20)))


def test_ratio_target_uses_the_combined_log_scale_error():
    # Published 4.8 (2.9-7.95): log SE = ln(7.95/2.9)/3.92 = 0.257. With no simulation error,
    # the tolerance is x/÷ exp(1.96*0.257) = 1.655.
    inside = ratio_target("x", "s", (4.8, 2.9, 7.95), 4.8 * 1.6, 0.0)
    outside = ratio_target("x", "s", (4.8, 2.9, 7.95), 4.8 * 1.7, 0.0)
    assert inside.passed and not outside.passed
    # Simulation noise widens it: log SE 0.2 gives x/÷ exp(1.96*hypot(0.257, 0.2)) = 1.89.
    assert ratio_target("x", "s", (4.8, 2.9, 7.95), 4.8 * 1.8, 0.2).passed


def test_follow_until_removed_counts_weeks_and_causes():
    # Person 1: released week 10, dies of overdose week 11 (week 2 after release).
    # Person 2: released week 5, back in prison week 9; released week 20, dies other cause 30.
    ev = pd.DataFrame(
        {
            "person": [1, 1, 1, 2, 2, 2, 2, 2],
            "week": [0, 10, 11, 0, 5, 9, 20, 30],
            "kind": ["initial", "transition", "death", "initial", "transition", "transition",
                     "transition", "death"],
            "from_state": ["", "prison", "recovery", "", "prison", "active", "prison", "active"],
            "to_state": ["prison", "recovery", "dead", "prison", "recovery", "prison",
                         "recovery", "dead"],
            "detail": ["", "release", "overdose", "", "release", "arrest", "release",
                       "other_cause"],
        }
    )  # fmt: skip
    moves = state_changes(ev)
    starts = moves[(moves["from_state"] == "prison") & (moves["kind"] == "transition")]
    last, od_week, death_week = follow_until_removed(moves, starts, 52)
    order = starts["week"].to_numpy()
    assert dict(zip(order, last, strict=True)) == {10: 2, 5: 4, 20: 10}
    assert dict(zip(order, od_week, strict=True)) == {10: 2, 5: 0, 20: 0}
    assert dict(zip(order, death_week, strict=True)) == {10: 2, 5: 0, 20: 11}


def test_a_proportion_interval_stays_within_0_and_1():
    # 1 of 3: p = 1/3, binomial SE 0.27; the normal interval would start at -0.20.
    r = proportion_target("x", "s", 0.59, 109, 1 / 3, binomial_se(1 / 3, 3))
    assert r.interval[0] == 0.0 and 0.86 < r.interval[1] < 0.87
    assert proportion_interval(0.99, 0.02) == (pytest.approx(0.9508), 1.0)
    nan = proportion_interval(float("nan"), float("nan"))
    assert np.isnan(nan[0]) and np.isnan(nan[1])


def test_a_target_a_small_run_cannot_judge_is_not_enough_data_not_a_pass():
    # 1 of 3 "passes" 0.59 (n=109) by being uncertain: tolerance +/- 0.54. Its interval
    # (0 to 0.87) is wider than the study's (0.50 to 0.68): not enough data, not met.
    thin = proportion_target("x", "s", 0.59, 109, 1 / 3, binomial_se(1 / 3, 3))
    assert thin.passed
    # The same share from 3,000: a real pass (interval 0.32-0.35 is narrower); a real miss.
    solid = proportion_target("y", "s", 0.34, 109, 1 / 3, binomial_se(1 / 3, 3000))
    miss = proportion_target("z", "s", 0.59, 109, 1 / 3, binomial_se(1 / 3, 3000))
    # No events at all: the rate ratio is NaN.
    none = ratio_target("w", "s", (4.8, 2.9, 7.95), float("nan"), float("nan"))
    # A ratio whose simulated interval (log SE 0.3: x/÷ 1.8) is wider than the published
    # one (2.9-7.95), though it passes on the combined error: not enough data.
    wide = ratio_target("v", "s", (4.8, 2.9, 7.95), 4.8 * 1.8, 0.3)
    narrow = ratio_target("u", "s", (4.8, 2.9, 7.95), 4.8 * 1.8, 0.2)
    assert wide.passed and narrow.passed
    check_enough_data([thin, solid, miss, none, wide, narrow])
    assert [r.status for r in (thin, solid, miss, none, wide, narrow)] == [
        "not enough data", "pass", "fail", "not enough data", "not enough data", "pass",
    ]  # fmt: skip
    assert not thin.passed and not none.passed and not wide.passed
    d = none.as_dict()
    assert d["status"] == "not enough data" and d["simulated"] is None
    assert d["interval"] == [None, None] and d["enough_data"] is False
    table = format_table([thin, solid])
    assert "[NOT ENOUGH DATA] x" in table and "[PASS] y" in table
    assert "wider than the published interval" in table
    assert "1 of 2 targets met, 1 with not enough data" in table
