"""Play from here, and earlier runs as faint lines (in-process; the page is in test_teaching).

A change of fentanyl, MOUD places or a programme continues the run from the week on screen,
and the run as it was goes on beside it: both must be the runs ``hrsim`` itself gives (the
paired run continued with the change, and the paired run without it), to the person.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from hrsim.dashboard import earlier_runs
from hrsim.dashboard.paired_run import PairedRun
from hrsim.dashboard.parameters import Settings, describe_changes, to_scenario
from hrsim.dashboard.session import DashboardSession, chance_spread

PEOPLE = 400


def _settings() -> Settings:
    return Settings.from_file("naloxone_distribution.toml", people=PEOPLE)


def _more(s: Settings) -> Settings:
    return s.with_programme("naloxone_distribution", 0.8)


def _reference(history: list[tuple[int, Settings]], week: int) -> PairedRun:
    run = PairedRun(to_scenario(history[0][1]))
    for at, settings in history[1:]:
        run.step(at - run.week)
        run.continue_with(to_scenario(settings))
    run.step(week - run.week)
    return run


def test_a_change_goes_on_from_the_week_on_screen_beside_the_run_without_it():
    session = DashboardSession(_settings())
    session.step(12)
    assert session.can_continue(_more(session.settings))
    session.change(_more(session.settings))
    assert session.clock.week == 12  # not back to week 0
    session.step(20)
    changed = _reference([(0, _settings()), (12, _more(_settings()))], 32)
    unchanged = _reference([(0, _settings())], 32)
    for column in ("overdoses_fatal", "deaths_other", "hiv_infections", "population"):
        assert np.array_equal(
            session.run.series("scenario", column), changed.series("scenario", column)
        )
        assert np.array_equal(
            session.run.series("baseline", column), changed.series("baseline", column)
        )
    (branch,) = session.earlier
    assert branch.running and branch.week == 32
    for column in earlier_runs.COLUMNS:
        assert np.array_equal(branch.series(column), unchanged.series("scenario", column))
    assert "week 12" in branch.label and "Naloxone distribution on, 50%)" in branch.detail
    # The change shows: the naloxone programme now reaches more people.
    kits = session.run.model.programme_outputs.series[("naloxone_distribution", "enrolled")]
    before = unchanged.model.programme_outputs.series[("naloxone_distribution", "enrolled")]
    assert kits[32] > before[32]


def test_what_starts_a_new_run_instead():
    session = DashboardSession(_settings())
    assert not session.can_continue(_more(session.settings))  # week 0: nothing to continue
    session.step(3)
    for other in (
        session.settings.changes(seed=2),
        session.settings.changes(people=PEOPLE + 100),
        Settings.from_file("syringe_services.toml", people=PEOPLE),
    ):
        assert not session.can_continue(other)
        with pytest.raises(ValueError, match="new run"):
            session.change(other)
    assert session.can_continue(session.settings.changes(fentanyl_share_by_year=(0.9,)))
    assert session.can_continue(session.settings.changes(moud_capacity=0.5))
    session.step(session.run.weeks)
    assert not session.can_continue(_more(session.settings))  # the horizon


def test_a_new_run_keeps_the_ones_before_it_frozen_and_only_of_its_size():
    first = DashboardSession(_settings())
    first.step(10)
    first.change(_more(first.settings))
    first.step(5)
    kept = first.kept_runs()
    assert [r.running for r in kept] == [False, False]
    assert [r.week for r in kept] == [15, 15]
    assert "seed 1" in kept[-1].label
    again = DashboardSession(first.settings.changes(seed=2), kept)
    assert again.earlier == kept
    again.step(30)  # frozen runs stay where they were
    assert [r.week for r in again.earlier] == [15, 15]
    # Counts of another population size are not comparable: those lines go.
    assert DashboardSession(first.settings.changes(people=PEOPLE * 2), kept).earlier == []
    assert DashboardSession(_settings()).kept_runs() == []  # never stepped: nothing to keep


def test_at_most_three_earlier_runs_and_only_the_newest_two_keep_running():
    session = DashboardSession(_settings())
    for k in range(4):
        session.step(4)
        level = 0.2 + 0.2 * k
        session.change(session.settings.with_programme("naloxone_distribution", level))
    assert len(session.earlier) == earlier_runs.KEPT
    assert [r.running for r in session.earlier] == [False, True, True]
    session.step(4)
    # Changes at weeks 4, 8, 12 and 16: the copy from week 8 froze at week 16, when the
    # fourth came; the copies from weeks 12 and 16 go on.
    assert [r.week for r in session.earlier] == [16, 20, 20]


def test_the_charts_draw_earlier_runs_with_a_spec_fixed_between_changes():
    session = DashboardSession(_settings())
    session.step(8)
    session.change(_more(session.settings))
    specs = []
    for _ in range(2):
        session.step(3)
        figures = session.draw()
        specs.append(json.dumps([figures["so_far"].spec, figures["overdoses"].spec]))
        label = session.earlier[0].label
        rows = figures["overdoses"].data["earlier"]
        assert rows and {r["run"] for r in rows} == {label}
        totals = figures["so_far"].data["totals"]
        assert "1|0" in totals[-1]  # overdose deaths of earlier run 0, to the last week
        deaths = int(session.earlier[0].series("overdoses_fatal")[1:].sum())
        assert totals[-1]["1|0"] == deaths
        assert label in json.dumps(figures["so_far"].spec)
    assert specs[0] == specs[1]


def test_an_earlier_run_ahead_of_the_run_on_screen_is_drawn_to_its_own_week():
    first = DashboardSession(_settings())
    first.step(40)
    later = DashboardSession(first.settings.changes(seed=2), first.kept_runs())
    later.step(5)
    figure = later.draw()["so_far"]
    years = [row["year"] for row in figure.data["totals"]]
    assert years[-1] == pytest.approx(40 / 52, abs=1e-4)
    assert figure.signals["years_shown"] == 1
    last = figure.data["totals"][-1]
    assert "1|0" in last and "1|s" not in last  # the run on screen stops at week 5


def test_the_chance_spread_replays_the_changes_on_each_seed():
    history = [(0, _settings()), (4, _more(_settings()))]
    spread = chance_spread(history, 9, seeds=2)
    for i, seed in enumerate(spread.seeds):
        seeded = [(week, s.changes(seed=seed)) for week, s in history]
        expected = _reference(seeded, 9).averted().averted
        assert {k: v[i] for k, v in spread.averted.items()} == expected


def test_changes_are_described_in_the_sidebars_words():
    s = _settings()
    t = s.changes(fentanyl_share_by_year=(0.9,), moud_capacity=0.4).with_programme(
        "syringe_services", 0.4
    )
    assert describe_changes(s, t) == [
        ("Fentanyl in the supply", f"{s.fentanyl_share_by_year[0]:.0%}", "90%"),
        ("MOUD places", f"{s.moud_capacity:.0%}", "40%"),
        ("Syringe services", "off", "on, 40%"),
    ]
    assert describe_changes(s, s) == []
