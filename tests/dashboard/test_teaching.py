"""The dashboard's teaching aids: names, number boxes, glossary, own-baseline note, lessons, spread.

The words are checked in-process (``hrsim.dashboard.teaching``); the page in Debian's
Chromium against a real `hrsim dashboard`: a typed number is clamped to the slider's range,
the glossary opens and closes with Escape, and a lesson runs end to end, its averted deaths
equal to the same run computed here.
"""

from __future__ import annotations

import re

import pytest
from tests.dashboard.test_browser import (
    averted_on_page,
    expected_averted,
    pick_scenario,
    play_until,
    wait_until_drawn,
)

from hrsim.dashboard.charts import _binned
from hrsim.dashboard.paired_run import PairedRun
from hrsim.dashboard.parameters import CORE_SLIDERS, PROGRAMMES, Settings, to_scenario
from hrsim.dashboard.session import chance_spread
from hrsim.dashboard.teaching import (
    GLOSSARY,
    LESSONS,
    own_baseline_note,
    scenario_choices,
    scenario_name,
)
from hrsim.scenario import builtin_names


# -- the words, in-process -------------------------------------------------------------------
def test_every_scenario_has_a_readable_name_and_one_file():
    choices = scenario_choices()
    assert sorted(choices.values()) == sorted(builtin_names())  # every file, once
    for name in choices:
        assert ".toml" not in name and "_" not in name, name
    assert scenario_name("hiv_hcv_testing_treatment.toml") == "HIV and HCV testing and treatment"
    # A file with no written name gets its stem made readable, acronyms kept.
    assert scenario_name("moud_in_jail.toml") == "MOUD in jail"
    assert scenario_name("new_test.toml") == "New test"


def test_a_scenario_without_programmes_says_it_is_its_own_baseline():
    for file in ("baseline.toml", "fentanyl_surge.toml"):
        note = own_baseline_note(Settings.from_file(file))
        assert note is not None and "its own baseline" in note and "stays 0" in note
    assert own_baseline_note(Settings.from_file("naloxone_distribution.toml")) is None


def test_the_glossary_explains_the_terms_on_the_page():
    for term in ("MOUD", "PWID", "QALY", "Person-years", "Naloxone", "Incidence", "Baseline"):
        assert term in GLOSSARY and len(GLOSSARY[term]) > 40, term
    assert "Medications for opioid use disorder" in GLOSSARY["MOUD"]


@pytest.mark.parametrize(
    ("slider", "typed", "kept"),
    [
        (CORE_SLIDERS["fentanyl"], 1.5, 1.0),  # above the range: its top
        (CORE_SLIDERS["fentanyl"], -0.2, 0.0),  # below: its bottom
        (CORE_SLIDERS["fentanyl"], 0.83, 0.85),  # onto the slider's 5% steps
        (CORE_SLIDERS["people"], 2345, 2300),  # people in hundreds
        (CORE_SLIDERS["people"], 50, 200),
        (CORE_SLIDERS["seed"], 7, 7),
        (PROGRAMMES["moud_expansion"].slider, 2.04, 2.0),  # 1 to 4 in steps of 0.1
    ],
)
def test_a_typed_number_is_clamped_to_the_slider(slider, typed, kept):
    assert slider.clamp(typed) == pytest.approx(kept)


def test_every_lesson_sets_up_a_valid_scenario_with_a_question():
    assert set(LESSONS) == {"fentanyl", "naloxone", "moud", "syringes"}
    for lesson in LESSONS.values():
        settings = lesson.settings()
        to_scenario(settings)  # valid (a ScenarioError names the bad value otherwise)
        assert settings.scenario_file in builtin_names()
        assert lesson.question.endswith("?") and len(lesson.steps) >= 2
        if lesson.programme is not None:
            type_, level = lesson.programme
            assert settings.level(type_) == level
            # The step that changes it names the slider the student will find.
            label = PROGRAMMES[type_].slider.label.split(",")[0]
            assert any(label in step for step in lesson.steps), (lesson.key, label)


# -- in the browser --------------------------------------------------------------------------
def label(page, scope: str) -> str:
    return page.inner_text(f"{scope} .hrsim-slider-label").strip()


def type_number(page, scope: str, text: str, expected_label: str, week: int = 0) -> None:
    """Type into a slider's number box and press Enter; wait for the label and ``week``."""
    box = page.locator(f"{scope} .hrsim-number input")
    box.fill(text)
    box.press("Enter")
    page.wait_for_function(
        "([scope, label]) => document.querySelector(scope + ' .hrsim-slider-label')"
        ".innerText.trim() === label",
        arg=[scope, expected_label],
    )
    wait_until_drawn(page, week)


def test_number_boxes_follow_the_sliders_and_clamp_what_is_typed(watched):
    page = watched.page
    fentanyl = ".hrsim-slider-fentanyl"
    type_number(page, fentanyl, "150", "Fentanyl in the supply: 100%")
    page.wait_for_function(
        "s => document.querySelector(s + ' .hrsim-number input').value === '100'", arg=fentanyl
    )
    # The same out-of-range number again changes no setting; the box still shows the value.
    box = page.locator(f"{fentanyl} .hrsim-number input")
    box.fill("150")
    box.press("Enter")
    page.wait_for_function(
        "s => document.querySelector(s + ' .hrsim-number input').value === '100'", arg=fentanyl
    )
    # Moving the slider moves the number.
    handle = page.locator(f"{fentanyl} [role=slider]")
    handle.focus()
    page.keyboard.press("Home")
    page.wait_for_function(
        "s => document.querySelector(s + ' .hrsim-number input').value === '0'", arg=fentanyl
    )
    assert label(page, fentanyl) == "Fentanyl in the supply: 0%"
    people = ".hrsim-slider-people"
    type_number(page, people, "2345", "People: 2,300")
    # The label and the box are rewritten in separate renders: wait for the box too.
    page.wait_for_function(
        "s => document.querySelector(s + ' .hrsim-number input').value === '2300'", arg=people
    )
    watched.assert_clean()


def test_names_glossary_and_the_own_baseline_note(watched):
    page = watched.page
    # The page starts on the baseline, which is its own baseline: the page says why nothing
    # is averted.
    assert "its own baseline" in page.inner_text(".hrsim-own-baseline")
    # The picker lists names, not file names.
    page.click(".hrsim-scenario .v-field")
    items = page.locator(".v-overlay__content .v-list-item")
    items.first.wait_for()
    names = [items.nth(i).inner_text().strip() for i in range(items.count())]
    assert "Naloxone distribution" in names
    assert not [n for n in names if n.endswith(".toml")]
    # Pick from the open list, as a student does (closing it and reopening it raced the
    # menu's closing animation on a busy machine).
    items.filter(has_text="Naloxone distribution").first.click()
    page.wait_for_function(
        "() => document.querySelector('.hrsim-scenario').innerText"
        ".includes('naloxone_distribution.toml')"
    )
    wait_until_drawn(page, 0)
    page.locator(".hrsim-own-baseline").wait_for(state="detached", timeout=10_000)
    assert "File: scenarios/naloxone_distribution.toml" in page.inner_text(".hrsim-scenario")
    # The glossary opens from the top bar and closes with Escape.
    page.click(".hrsim-glossary-button")
    glossary = page.locator(".hrsim-glossary")
    glossary.get_by_text("Medications for opioid use disorder").wait_for()
    page.keyboard.press("Escape")
    glossary.wait_for(state="detached")
    watched.assert_clean()


def test_the_naloxone_lesson_end_to_end(watched, artifacts):
    page = watched.page
    lesson = LESSONS["naloxone"]
    page.click(".hrsim-lessons-button")
    page.click(".hrsim-lesson-naloxone .hrsim-lesson-start")
    card = page.locator(".hrsim-lesson")
    card.wait_for()
    assert lesson.question in card.inner_text()
    page.wait_for_function(
        "() => document.querySelector('.hrsim-scenario').innerText"
        ".includes('naloxone_distribution.toml')"
    )
    wait_until_drawn(page, 0)
    programme = ".hrsim-programme-naloxone_distribution"
    assert label(page, programme) == "Coverage: 10%"  # the lesson's starting point
    # The list closed (wait out its closing animation: on a busy machine it is still fading).
    page.locator(".hrsim-lessons").wait_for(state="detached", timeout=10_000)

    # Step 1: play, pause, note the deaths averted (as the same run computes them here).
    week = play_until(page, 20)
    run = PairedRun(to_scenario(lesson.settings()))
    run.step(week)
    assert averted_on_page(page) == expected_averted(run)

    # Step 2: the change the lesson asks for, typed in the number box; the run goes on from
    # this week, and the run without the change goes on beside it as a faint line.
    type_number(page, programme, "80", "Coverage: 80%", week=week)
    assert re.match(rf"Week {week} of", page.inner_text(".hrsim-clock"))
    changed = week

    # Step 3: play on and compare: the page shows this run's numbers exactly, and says what
    # the faint line is.
    week = play_until(page, changed + 20)
    more = lesson.settings().with_programme("naloxone_distribution", 0.8)
    unchanged = PairedRun(to_scenario(lesson.settings()))
    unchanged.step(week)
    run.continue_with(to_scenario(more))
    run.step(week - run.week)
    assert averted_on_page(page) == expected_averted(run)
    assert f"without the change at week {changed}" in page.inner_text(".hrsim-earlier-run")
    assert f"week {changed}: " in page.inner_text(".hrsim-changes")
    # The faint line in Overdoses is the run without the change, drawn to this week.
    faint = page.evaluate(
        "() => document.querySelector('.hrsim-overdoses [data-week]').hrsimView"
        ".data('earlier').map(d => d.deaths)"
    )
    assert faint == _binned(unchanged.series("scenario", "overdoses_fatal"), week)[1]
    assert lesson.question in page.inner_text(".hrsim-lesson")  # still on screen
    page.screenshot(path=str(artifacts / "lesson-naloxone.png"))
    page.click(".hrsim-lesson-end")
    card.wait_for(state="detached")
    watched.assert_clean()


# -- the chance spread -----------------------------------------------------------------------
def test_the_chance_spread_is_the_same_settings_on_other_seeds():
    settings = Settings.from_file("naloxone_distribution.toml", people=400)
    done: list[int] = []
    spread = chance_spread([(0, settings)], 8, seeds=2, progress=done.append)
    assert spread.seeds == (1, 2, 3) and done == [1, 2, 3]
    for i, seed in enumerate(spread.seeds):
        run = PairedRun(to_scenario(settings.changes(seed=seed)))
        run.step(8)
        for key, value in run.averted().averted.items():
            assert spread.averted[key][i] == value
    values = spread.averted["deaths_all_causes"]
    mean = sum(values) / 3
    assert spread.text("deaths_all_causes") == (
        f"3 seeds: {min(values):,} to {max(values):,}, mean {mean:,.1f}"
    )


def test_the_chance_button_shows_the_spread_under_each_count(watched):
    page = watched.page
    pick_scenario(page, "naloxone_distribution.toml")
    for week in (1, 2):
        page.click(".hrsim-step")
        wait_until_drawn(page, week)
    page.click(".hrsim-spread-button")
    page.locator(".hrsim-spread-note").wait_for(timeout=120_000)
    spread = chance_spread([(0, Settings.from_file("naloxone_distribution.toml"))], 2)
    for key in ("deaths_all_causes", "fatal_overdoses", "new_hiv", "new_hcv"):
        shown = page.inner_text(f".hrsim-averted-{key} .hrsim-averted-spread").strip()
        assert shown == f"week 2, {spread.text(key)}"
    watched.assert_clean()
