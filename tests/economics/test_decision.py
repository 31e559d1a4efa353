"""The incremental table against tables worked by hand and dampack's own examples."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hrsim.economics.decision import (
    COLUMNS,
    DecisionInputError,
    format_incremental_table,
    incremental_table,
    net_monetary_benefit,
)
from hrsim.errors import ScenarioError

NAN = math.nan


def _expect(table: pd.DataFrame, rows: list[tuple]) -> None:
    """Compare the whole table with ``rows`` (NaN equal to NaN)."""
    assert list(table.columns) == list(COLUMNS)
    assert list(table["strategy"]) == [r[0] for r in rows]
    assert list(table["status"]) == [r[6] for r in rows]
    for column, k in (("cost", 1), ("effect", 2), ("incremental_cost", 3)):
        np.testing.assert_allclose(table[column], [r[k] for r in rows], rtol=1e-12)
    for column, k in (("incremental_effect", 4), ("icer", 5)):
        np.testing.assert_allclose(table[column], [r[k] for r in rows], rtol=1e-9)


def test_five_strategies_one_dominated_one_extendedly_dominated_worked_by_hand():
    # Given out of order on purpose. Sorted by cost: A 1000, B 3000, C 4000, D 6000, E 9000.
    # Strong dominance: C (4000, 10.4) costs more than B (3000, 10.5) and gives less: dominated.
    # ICERs of the rest, each against the previous: A->B 2000/0.5 = 4000; B->D 3000/0.1 =
    # 30000; D->E 3000/0.4 = 7500. D's 30000 > E's 7500: D is extendedly dominated (80% B and
    # 20% E give D's effect, 0.8*10.5 + 0.2*11.0 = 10.6, for 0.8*3000 + 0.2*9000 = 4200 < 6000).
    # Recomputed: A->B 4000, B->E 6000/0.5 = 12000, rising: done.
    table = incremental_table(
        ["E", "C", "A", "D", "B"],
        [9000, 4000, 1000, 6000, 3000],
        [11.0, 10.4, 10.0, 10.6, 10.5],
    )
    _expect(
        table,
        [
            ("A", 1000, 10.0, NAN, NAN, NAN, "reference"),
            ("B", 3000, 10.5, 2000, 0.5, 4000, "frontier"),
            ("C", 4000, 10.4, NAN, NAN, NAN, "dominated"),
            ("D", 6000, 10.6, NAN, NAN, NAN, "extendedly dominated"),
            ("E", 9000, 11.0, 6000, 0.5, 12000, "frontier"),
        ],
    )


def test_extended_dominance_found_on_a_second_pass():
    # P0 (0, 0), P1 (5, 1), P2 (12, 2), P3 (13, 3). First pass: ICERs 5, 7, 1; 7 > 1, so P2
    # goes (5 < 7 keeps P1). Second pass: P0->P1 5, P1->P3 8/2 = 4; 5 > 4, so P1 goes.
    # Third: P0->P3 13/3 alone. By hand: the chord P0-P3 costs 13/3 < 5 at P1's effect.
    table = incremental_table(["P0", "P1", "P2", "P3"], [0, 5, 12, 13], [0, 1, 2, 3])
    _expect(
        table,
        [
            ("P0", 0, 0, NAN, NAN, NAN, "reference"),
            ("P1", 5, 1, NAN, NAN, NAN, "extendedly dominated"),
            ("P2", 12, 2, NAN, NAN, NAN, "extendedly dominated"),
            ("P3", 13, 3, 13, 3, 13 / 3, "frontier"),
        ],
    )


def test_dampack_calculate_icers_test_example():
    # dampack tests/testthat/test_calculate_icers.R ("calculate_icers returns correct object"),
    # the HERC example. dampack lists ND rows first; here rows stay in cost order.
    table = incremental_table(
        ["E", "D", "C", "B", "A", "UC"],
        [55000, 35000, 25000, 10000, 12000, 5000],
        [5, 4, 3, 2, 1.5, 1],
    )
    _expect(
        table,
        [
            ("UC", 5000, 1, NAN, NAN, NAN, "reference"),
            ("B", 10000, 2, 5000, 1, 5000, "frontier"),
            ("A", 12000, 1.5, NAN, NAN, NAN, "dominated"),
            ("C", 25000, 3, NAN, NAN, NAN, "extendedly dominated"),
            ("D", 35000, 4, 25000, 2, 12500, "frontier"),
            ("E", 55000, 5, 20000, 1, 20000, "frontier"),
        ],
    )


def test_dampack_default_reference_strategy_example():
    # dampack test_calculate_icers.R "default reference strategy": Test & treat is cheapest
    # and, with Treat all, the most effective; No Treat costs more and gives less, Treat all
    # costs more for the same effect: both dominated.
    table = incremental_table(
        ["No Treat", "Treat all", "Test & treat"],
        [163771.0, 164848.7, 163765.1],
        [6.48273, 6.52861, 6.52861],
    )
    assert list(table["strategy"]) == ["Test & treat", "No Treat", "Treat all"]
    assert list(table["status"]) == ["reference", "dominated", "dominated"]
    assert table["icer"].isna().all()


# dampack vignettes/cdiff_icers.csv: the C. difficile PSA means and calculate_icers' output.
# fmt: off
CDIFF = [
    ("s3", 57336.0059896538, 12.9399639202408, NAN, NAN, NAN, "reference"),
    ("s27", 57541.2526373815, 13.0140640696275, 205.246647727639, 0.0741001493866911,
     2769.85470915263, "frontier"),
    ("s33", 57642.2587507842, 13.0389116321918, 101.006113402713, 0.0248475625643216,
     4065.03105249231, "frontier"),
    ("s39", 57814.6470919581, 13.0462790163185, NAN, NAN, NAN, "extendedly dominated"),
    ("s4", 57887.481549326, 12.9970657153765, NAN, NAN, NAN, "dominated"),
    ("s31", 57934.0743411241, 13.0966257932217, 291.815590339931, 0.0577141610298533,
     5056.2216470406, "frontier"),
    ("s13", 58018.6252420203, 13.0650412387992, NAN, NAN, NAN, "dominated"),
    ("s43", 58072.1137208494, 13.11285766912, 138.039379725262, 0.0162318758983169,
     8504.2160616553, "frontier"),
    ("s37", 58081.7947984323, 13.1029711156978, NAN, NAN, NAN, "dominated"),
    ("s20", 58634.2026441398, 13.1100568867995, NAN, NAN, NAN, "dominated"),
    ("s44", 58665.7823044647, 13.1283328397025, 593.668583615326, 0.0154751705825014,
     38362.6519947134, "frontier"),
]
# fmt: on


def test_dampack_cdiff_vignette_table():
    shuffled = [CDIFF[i] for i in (5, 0, 10, 3, 7, 1, 9, 4, 2, 8, 6)]
    table = incremental_table(
        [r[0] for r in shuffled], [r[1] for r in shuffled], [r[2] for r in shuffled]
    )
    _expect(table, CDIFF)


def test_dampack_basic_cea_vignette_hiv_screening():
    # dampack vignettes/basic_cea.Rmd, Example 1 (Paltiel et al. 2006, Table 4): annual
    # screening is strongly dominated (277.76 < 3yr's 277.83 quality-adjusted months for more
    # money). By hand, ICERs per QALY: one time 1000/(0.32/12) = 37,500; 5yr 1020/(0.21/12)
    # = 58,285.7; 3yr 420/(0.05/12) = 100,800: rising, so no extended dominance.
    names = ["status quo", "one time", "5yr", "3yr", "annual"]
    qalys = np.array([277.25, 277.57, 277.78, 277.83, 277.76]) / 12
    table = incremental_table(names, [26000, 27000, 28020, 28440, 29440], qalys)
    assert list(table["status"]) == ["reference", "frontier", "frontier", "frontier", "dominated"]
    np.testing.assert_allclose(table["icer"][1:4], [37500, 1020 * 12 / 0.21, 100800], rtol=1e-9)


def test_ties_identical_equal_cost_and_equal_effect():
    # X and Y identical: the first given stays, the other is dominated. Z costs the same as X
    # and gives less: dominated. W is as effective as X for more: dominated. V on the frontier.
    table = incremental_table(
        ["Z", "Y", "X", "W", "V"], [10, 10, 10, 20, 30], [1.0, 2.0, 2.0, 2.0, 3.0]
    )
    assert list(table["strategy"]) == ["Y", "X", "Z", "W", "V"]
    assert list(table["status"]) == ["reference", "dominated", "dominated", "dominated", "frontier"]
    assert table["icer"].iloc[4] == pytest.approx(20.0)


def test_collinear_strategies_stay_on_the_frontier_despite_rounding():
    # Equal ICERs (0.1 QALY for 1000 each step): no strategy is extendedly dominated, even
    # though 0.1 + 0.1 + 0.1 is not 0.3 in floating point.
    effects = [0.0, 0.1, 0.1 + 0.1, 0.1 + 0.1 + 0.1]
    table = incremental_table(["a", "b", "c", "d"], [0, 1000, 2000, 3000], effects)
    assert list(table["status"]) == ["reference", "frontier", "frontier", "frontier"]
    np.testing.assert_allclose(table["icer"][1:], 10000, rtol=1e-9)


def test_one_strategy_is_the_reference():
    table = incremental_table(["s"], [1.0], [2.0])
    assert list(table["status"]) == ["reference"]
    assert table[["incremental_cost", "incremental_effect", "icer"]].isna().all().all()


def test_cheaper_and_more_effective_strategy_dominates_everything():
    table = incremental_table(["a", "b", "c"], [100, 50, 200], [1.0, 2.0, 1.5])
    assert list(table["strategy"]) == ["b", "a", "c"]
    assert list(table["status"]) == ["reference", "dominated", "dominated"]


def test_the_frontier_is_where_net_benefit_is_highest_on_random_tables():
    # An independent check: between consecutive frontier ICERs the frontier strategy has the
    # highest net monetary benefit, below the first ICER the reference, above the last the
    # last; a dominated strategy is never best at those thresholds.
    rng = np.random.default_rng(15)
    seen: set[str] = set()
    for _ in range(100):
        n = int(rng.integers(2, 9))
        cost = rng.normal(10000, 3000, n)
        effect = rng.normal(10, 0.5, n)
        names = [f"s{i}" for i in range(n)]
        table = incremental_table(names, cost, effect)
        seen.update(table["status"])
        front = table[table["status"].isin(["reference", "frontier"])]
        icers = list(front["icer"].iloc[1:])
        assert icers == sorted(icers)
        cuts = [0.0, *icers, 2 * icers[-1] + 1] if icers else [0.0, 1.0]
        for k, name in enumerate(front["strategy"]):
            wtp = (cuts[k] + cuts[k + 1]) / 2 if icers else 0.5
            nmb = effect * wtp - cost
            assert names[int(np.argmax(nmb))] == name
        # Order of input does not matter.
        order = rng.permutation(n)
        again = incremental_table([names[i] for i in order], cost[order], effect[order])
        pd.testing.assert_frame_equal(again, table)
    assert seen == {"reference", "frontier", "dominated", "extendedly dominated"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((["a", "b"], [1.0, NAN], [1, 2]), r"costs\[1\] \(strategy 'b'\) = nan"),
        ((["a", "b"], [1.0, 2.0], [1, math.inf]), r"effects\[1\] \(strategy 'b'\) = inf"),
        ((["a", "a"], [1, 2], [1, 2]), "strategy name 'a' is given twice"),
        ((["a"], [1, 2], [1, 2]), "1 names for 2 strategies"),
        ((["a", "b"], [1, 2], [1]), "2 costs but 1 effects"),
        (([], [], []), "no strategies"),
        ((["a", "b"], ["x", 2], [1, 2]), "is not a list of numbers"),
        (("ab", [1, 2], [1, 2]), "must be a list of names"),
    ],
)
def test_bad_input_is_one_readable_line(args, message):
    with pytest.raises(DecisionInputError, match=message) as caught:
        incremental_table(*args)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, ScenarioError)  # the CLI reports these in one line


def test_net_monetary_benefit_by_hand_and_over_a_wtp_vector():
    # 2 samples x 2 strategies; at 100: 100*e - c.
    costs = [[10.0, 30.0], [20.0, 25.0]]
    effects = [[1.0, 1.5], [0.5, 0.6]]
    assert net_monetary_benefit(costs, effects, 100).tolist() == [[90, 120], [30, 35]]
    both = net_monetary_benefit(costs, effects, [0, 100])
    assert both.shape == (2, 2, 2)
    assert both[0].tolist() == [[-10, -30], [-20, -25]]
    assert both[1].tolist() == [[90, 120], [30, 35]]
    assert net_monetary_benefit(5.0, 0.1, 50_000).item() == pytest.approx(4995.0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([1.0], [1.0], -1), r"wtp\[0\] = -1.0"),
        (([1.0], [1.0], [0, NAN]), r"wtp\[1\] = nan"),
        (([1.0, 2.0], [1.0], 1), "costs have shape"),
        (([1.0, NAN], [1.0, 1.0], 1), r"costs\[1\] = nan"),
    ],
)
def test_net_monetary_benefit_refuses_bad_input(args, message):
    with pytest.raises(DecisionInputError, match=message):
        net_monetary_benefit(*args)


def test_format_incremental_table():
    table = incremental_table(
        ["E", "C", "A", "D", "B"],
        [9000, 4000, 1000, 6000, 3000],
        [11.0, 10.4, 10.0, 10.6, 10.5],
    )
    text = format_incremental_table(table, currency="EUR")
    lines = text.splitlines()
    assert "cost (EUR)" in lines[0] and "ICER (EUR/QALY)" in lines[0]
    rows = {line.split()[0]: line for line in lines[2:7]}
    assert rows["A"].split()[1:] == ["1,000", "10.000", "-", "-", "-", "reference"]
    assert rows["B"].split()[1:] == ["3,000", "10.500", "+2,000", "+0.500", "4,000", "frontier"]
    assert rows["D"].endswith("extendedly dominated")
    assert rows["E"].split()[1:] == ["9,000", "11.000", "+6,000", "+0.500", "12,000", "frontier"]
    assert "previous strategy on the frontier" in lines[-1]
    # Columns line up: every row is as wide as the rule under the header, but for the status.
    assert len({line.index(" 10.") for line in lines[2:7] if " 10." in line}) == 1
