"""A scenario and its baseline in lockstep: common random numbers, averted counts, retention."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from hrsim import HarmReductionModel, load_scenario
from hrsim.batch.outcomes import outcomes_of
from hrsim.core.states import Care
from hrsim.dashboard.paired_run import (
    MoudRetention,
    PairedEconomics,
    PairedRun,
    without_programmes,
)

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def small(file: str, people: int = 600, years: float = 1.0, seed: int = 4):
    return load_scenario(
        SCENARIOS / file, {"run.people": people, "run.years": years, "run.seed": seed}
    )


def test_baseline_arm_is_the_scenario_without_programmes_run_alone():
    scenario = small("full_package.toml", years=0.5)
    run = PairedRun(scenario)
    run.step(26)
    alone = HarmReductionModel(without_programmes(scenario)).run()
    assert_frame_equal(run.baseline.timeseries_frame(), alone.timeseries_frame())
    assert run.scenario.interventions and not run.baseline.scenario.interventions


def test_without_programmes_the_arms_are_identical_and_nothing_is_averted():
    run = PairedRun(small("baseline.toml"))
    run.step(52)
    assert_frame_equal(run.model.timeseries_frame(), run.baseline.timeseries_frame())
    assert set(run.averted().averted.values()) == {0}


def test_zero_coverage_changes_nothing_full_coverage_reverses_more_overdoses():
    # A programme at zero coverage leaves every draw as in the baseline (common random
    # numbers), so the arms agree exactly.
    off = small("naloxone_distribution.toml", people=2000, years=2.0, seed=2).with_overrides(
        {"interventions.naloxone_distribution.coverage_fraction": 0.0}
    )
    run = PairedRun(off)
    run.step(104)
    assert_frame_equal(run.model.timeseries_frame(), run.baseline.timeseries_frame())
    # At full coverage: about 50 reversals in two years without the programme (the share of
    # people who carry a kit), about twice that with kits for everyone reached; the paired
    # difference's standard error is at most sqrt(50 + 100) ~ 12, so the gap is ~4 SE wide.
    on = off.with_overrides({"interventions.naloxone_distribution.coverage_fraction": 1.0})
    run = PairedRun(on)
    run.step(104)
    gained = run.series("scenario", "overdoses_reversed").sum()
    gained -= run.series("baseline", "overdoses_reversed").sum()
    assert gained > 0


def test_averted_is_baseline_minus_scenario_of_the_weekly_results():
    run = PairedRun(small("syringe_services.toml"))
    run.step(30)
    result = run.averted()
    for arm, totals in (("scenario", result.scenario), ("baseline", result.baseline)):
        ts = run.models[arm].timeseries_frame().iloc[1:]
        assert totals["deaths_all_causes"] == ts["deaths_overdose"].sum() + ts["deaths_other"].sum()
        assert totals["fatal_overdoses"] == ts["overdoses_fatal"].sum()
        assert totals["new_hiv"] == ts["hiv_infections"].sum()
        assert totals["new_hcv"] == ts["hcv_infections"].sum()
    assert result.averted["new_hcv"] == result.baseline["new_hcv"] - result.scenario["new_hcv"]


def test_step_stops_at_the_horizon():
    run = PairedRun(small("baseline.toml", people=200, years=0.1))  # 5 weeks
    assert run.weeks == 5
    assert run.step(3) == 3 and not run.done
    assert run.step(10) == 2 and run.done
    assert run.step(1) == 0 and run.week == 5
    assert run.baseline.week == 5


def test_results_frame_has_both_arms_every_week():
    run = PairedRun(small("prep.toml", people=300))
    run.step(8)
    frame = run.results_frame()
    assert list(frame.columns[:3]) == ["arm", "week", "year"]
    assert frame.groupby("arm")["week"].apply(list).to_dict() == {
        "baseline": list(range(9)),
        "scenario": list(range(9)),
    }
    scenario = frame[frame["arm"] == "scenario"].drop(columns=["arm", "year"])
    expected = run.model.timeseries_frame()
    assert_frame_equal(scenario.reset_index(drop=True)[expected.columns], expected)
    assert np.allclose(frame["year"], frame["week"] / 52)


def test_series_is_a_read_only_view_of_the_weeks_so_far():
    run = PairedRun(small("baseline.toml", people=200))
    run.step(4)
    series = run.series("scenario", "active")
    assert series.size == 5
    with pytest.raises(ValueError):
        series[0] = 1


def test_event_log_since_matches_the_event_table():
    model = HarmReductionModel(small("naloxone_distribution.toml", people=2000))
    model.run(12)
    events = model.events_frame()
    for kind in ("overdose", "death", "naloxone_distribution"):
        pids, details = model.events.since(10, kind)
        rows = events[(events["kind"] == kind) & (events["week"] >= 10)]
        assert pids.tolist() == rows["person"].tolist()
        assert details == rows["detail"].astype(str).tolist()
    assert model.events.since(13, "overdose")[0].size == 0
    assert model.events.since(0, "no such kind")[0].size == 0


# -- MOUD retention ------------------------------------------------------------------------


class FakePeople:
    """Just what MoudRetention reads: state and pid per row."""

    def __init__(self, states: list[int]):
        self.n = len(states)
        self.state = np.array(states, dtype=np.int8)
        self.pid = np.arange(self.n, dtype=np.int64)


def test_retention_follows_episodes_started_during_the_run_by_hand():
    A, M, B, D = Care.ACTIVE, Care.METHADONE, Care.BUPRENORPHINE, Care.DEAD
    # Row 0 is on MOUD at the start: left out (it began before the run).
    people = FakePeople([M, A, A, A, A])
    retention = MoudRetention(people)
    # week: states of rows 0..4
    script = {
        1: [M, M, M, A, A],  # rows 1, 2 start
        2: [M, M, A, M, A],  # row 2 ends after 1 week; row 3 starts
        3: [A, B, A, M, A],  # row 1 switches to buprenorphine: same episode
        4: [A, A, A, M, M],  # row 1 ends after 3 weeks; row 4 starts
        5: [A, A, A, D, M],  # row 3 dies after 3 weeks
    }
    for week, states in script.items():
        people.state[:] = states
        retention.update(people, week)
    assert retention.episodes == 4
    weeks, share, at_risk = retention.curve(52)
    # Episodes: row 2 ended at 1, row 1 at 3, row 3 at 3, row 4 still on after 1 week.
    assert weeks.tolist() == [0, 1, 2, 3]
    assert at_risk.tolist() == [4, 4, 2, 2]
    expected = [1.0, 1 - 1 / 4, (1 - 1 / 4), (1 - 1 / 4) * (1 - 2 / 2)]
    assert np.allclose(share, expected)


def test_a_new_person_in_a_reused_row_starts_a_new_episode():
    M = Care.METHADONE
    people = FakePeople([Care.ACTIVE])
    retention = MoudRetention(people)
    people.state[:] = [M]
    retention.update(people, 1)
    people.pid[:] = [99]  # someone else took the row, also on MOUD
    retention.update(people, 2)
    weeks, share, at_risk = retention.curve()
    assert retention.episodes == 2
    # The first episode ended after 1 week; the second has just begun (0 weeks so far).
    assert at_risk.tolist() == [2, 1]
    assert np.allclose(share, [1.0, 0.0])


def test_retention_at_a_year_is_near_the_model_input_without_programmes():
    # Usual care: 12-month retention is an input (methadone 65%, buprenorphine 56.9%); the
    # Kaplan-Meier estimate from the starts in a run should land between them, within the
    # binomial error of the number followed for a year.
    run = PairedRun(small("baseline.toml", people=4000, years=3.0, seed=9))
    run.step(run.weeks)
    weeks, share, at_risk = run.retention["scenario"].curve(52)
    assert weeks[-1] == 52
    n = at_risk[-1]
    se = np.sqrt(0.6 * 0.4 / n)
    assert 0.569 - 3 * se <= share[-1] <= 0.65 + 3 * se


def test_results_frame_is_plain_csv_material():
    run = PairedRun(small("baseline.toml", people=200))
    run.step(2)
    text = run.results_frame().to_csv(index=False)
    back = pd.read_csv(pd.io.common.StringIO(text))
    assert len(back) == 6 and set(back["arm"]) == {"scenario", "baseline"}


def test_economics_so_far_is_the_discounted_ledger_of_both_arms():
    # With the run horizon nothing is added after the run: at the horizon the so-far values
    # are exactly the outcomes hrsim compare reports for this replicate.
    scenario = small("full_package.toml", years=0.5).with_overrides({"economics.horizon": "run"})
    run = PairedRun(scenario)
    run.step(10)
    early = run.economics()
    run.step(16)
    econ = run.economics()
    assert run.done and not econ.lifetime
    for arm, qalys, cost in (
        ("scenario", econ.scenario_qalys, econ.scenario_cost),
        ("baseline", econ.baseline_qalys, econ.baseline_cost),
    ):
        model = run.models[arm]
        out = outcomes_of(
            model.scenario, model.timeseries_frame(), model.programme_frame(), model.lifetime_tail()
        )
        assert qalys == pytest.approx(out["qalys"], rel=1e-12)
        assert cost == pytest.approx(out["cost_discounted_usd"], rel=1e-12)
    # Costed week by week as the run goes (each week once): the early values are a prefix.
    assert 0 < early.scenario_qalys < econ.scenario_qalys
    assert 0 < early.scenario_cost < econ.scenario_cost
    assert econ.extra_cost > 0  # twelve programmes cost money


def test_economics_at_the_horizon_are_lifetime_outcomes():
    scenario = small("naloxone_distribution.toml", years=0.25)
    run = PairedRun(scenario)
    run.step(6)
    so_far = run.economics()
    assert not so_far.lifetime
    run.step(100)
    econ = run.economics()
    assert econ.lifetime and econ is run.economics()  # computed once
    out = outcomes_of(
        run.model.scenario,
        run.model.timeseries_frame(),
        run.model.programme_frame(),
        run.model.lifetime_tail(),
    )
    assert econ.scenario_qalys == pytest.approx(out["qalys"])
    assert econ.scenario_cost == pytest.approx(out["cost_discounted_usd"])
    assert econ.scenario_qalys > 10 * so_far.scenario_qalys  # the tail: decades of life
    assert "Lifetime QALYs and costs" in econ.caption()


def test_economics_without_programmes_gain_nothing():
    run = PairedRun(small("baseline.toml", years=0.25))
    run.step(13)
    econ = run.economics()
    assert econ.qalys_gained == 0 and econ.extra_cost == 0 and econ.icer is None
    assert [c[2] for c in econ.cells()] == ["+0.00", "$0", "-"]


def test_economics_cells_read_as_a_health_board_reads_them():
    more = PairedEconomics(10.5, 10.0, 3000.0, 1000.0, False)
    assert more.icer == pytest.approx(4000.0)
    assert [c[2] for c in more.cells()] == ["+0.50", "+$2,000", "$4,000"]
    assert more.cells()[0][3] == "10.5 in the scenario, 10.0 in the baseline"
    assert [c[2] for c in PairedEconomics(10.5, 10.0, 500.0, 1000.0, False).cells()] == [
        "+0.50",
        "-$500",
        "dominant",
    ]
    assert PairedEconomics(9.5, 10.0, 1500.0, 1000.0, False).cells()[2][2] == "dominated"
    assert PairedEconomics(9.5, 10.0, 500.0, 1000.0, False).cells()[2][2] == "saves $1,000"
    caption = PairedEconomics(1, 1, 1, 1, False, price_year=2020, discount_rate=0.05).caption()
    assert "discounted at 5% a year to week 0" in caption and "2020 US dollars" in caption
    assert "undiscounted" in PairedEconomics(1, 1, 1, 1, False, discount_rate=0.0).caption()
