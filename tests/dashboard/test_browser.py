"""The dashboard in a real browser: Debian's Chromium, a real `hrsim dashboard` server.

Each test opens its own page (its own Solara session). Numbers on the page are checked
against the same run computed here, in-process, from the same settings: the run is
deterministic, so the page must show exactly those numbers. Screenshots are saved to
test-artifacts/dashboard/ for a person to look at.
"""

from __future__ import annotations

import re
import subprocess
import sys
from io import BytesIO, StringIO
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd
from pandas.testing import assert_frame_equal
from PIL import Image

from hrsim import load_scenario
from hrsim.dashboard.paired_run import PairedRun
from hrsim.dashboard.palette import STATES
from hrsim.dashboard.parameters import Settings, to_scenario
from hrsim.dashboard.session import DashboardSession
from hrsim.dashboard.teaching import scenario_name
from hrsim.interventions import programme_defaults

ROOT = Path(__file__).resolve().parents[2]
CHARTS = ("network-chart", "so-far", "care-states", "overdoses", "incidence", "retention")
AVERTED = ("deaths_all_causes", "fatal_overdoses", "new_hiv", "new_hcv")
ECONOMICS = ("qalys", "cost", "icer")


# -- helpers -------------------------------------------------------------------------------
def week_on_page(page) -> int:
    text = page.inner_text(".hrsim-clock")
    match = re.match(r"Week ([\d,]+) of", text)
    assert match, text
    return int(match.group(1).replace(",", ""))


def wait_until_drawn(page, week: int) -> None:
    """Wait until the clock shows ``week`` and every chart has drawn that week's rows."""
    page.wait_for_function(
        """week => {
            const clock = document.querySelector('.hrsim-clock');
            const charts = [...document.querySelectorAll('[data-week]')];
            return clock && clock.innerText.startsWith('Week ' + week.toLocaleString('en-US') + ' ')
                && charts.length === 6 && charts.every(e => e.dataset.week === String(week));
        }""",
        arg=week,
        timeout=30_000,
    )


def chart_rows(page, chart: str, data: str) -> int:
    """Rows the running chart holds in one of its data sources."""
    return page.evaluate(
        "([chart, data]) => document.querySelector(`.hrsim-${chart} [data-week]`)"
        ".hrsimView.data(data).length",
        [chart, data],
    )


def colours(page, chart: str) -> set[tuple[int, int, int]]:
    """The colours of a chart's canvas as the screen shows it."""
    png = page.locator(f".hrsim-{chart} canvas.marks").screenshot()
    image = Image.open(BytesIO(png)).convert("RGB")
    return {colour for _, colour in image.getcolors(maxcolors=1 << 20)}


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def averted_on_page(page) -> dict[str, int]:
    out = {}
    for key in AVERTED:
        text = page.inner_text(f".hrsim-averted-{key} .hrsim-averted-value")
        out[key] = int(text.replace(",", "").replace("\u2212", "-"))
    return out


def economics_on_page(page) -> dict[str, str]:
    """QALYs gained, extra cost and cost per QALY as the page shows them."""
    return {
        key: page.inner_text(f".hrsim-economics-{key} .hrsim-economics-value").strip()
        for key in ECONOMICS
    }


def expected_economics(run: PairedRun) -> dict[str, str]:
    return {key: value for key, _, value, _ in run.economics().cells()}


def expected_averted(run: PairedRun) -> dict[str, int]:
    return {k: v for k, v in run.averted().averted.items() if k in AVERTED}


def pick_scenario(page, file: str) -> None:
    """Pick a scenario by its readable name, as a student does; waits for its week 0."""
    name = scenario_name(file)
    # Vuetify 2 (ipyvuetify < 3) and Vuetify 3 (ipyvuetify 3) class names.
    page.click(".hrsim-scenario .v-select__slot, .hrsim-scenario .v-field")
    page.click(
        f'.v-menu__content .v-list-item:has-text("{name}"), '
        f'.v-overlay__content .v-list-item:has-text("{name}")'
    )
    page.wait_for_function(
        "file => document.querySelector('.hrsim-scenario').innerText.includes(file)", arg=file
    )
    wait_until_drawn(page, 0)


def slider(page, scope: str):
    return page.locator(f"{scope} [role=slider]")


def press(page, scope: str, keys: tuple[str, ...], label: str, week: int = 0) -> None:
    """Press keys on a slider, then wait until its label reads ``label`` and ``week`` is drawn.

    ``week``: 0 when the change starts a new run, else the week the run goes on from.
    """
    handle = slider(page, scope)
    for key in keys:
        handle.focus()
        page.keyboard.press(key)
    page.wait_for_function(
        "([scope, label]) => document.querySelector(scope + ' .hrsim-slider-label')"
        ".innerText.trim() === label",
        arg=[scope, label],
    )
    # The label and the run it starts (or changes) come from the same render.
    wait_until_drawn(page, week)


def play_until(page, at_least: int) -> int:
    """Press Play (fast), wait until the week reaches ``at_least``, pause; returns the week."""
    page.click(".hrsim-controls .v-btn:has-text('Fast')")
    page.wait_for_selector(".hrsim-controls .v-btn--active:has-text('Fast')")
    page.click(".hrsim-play")
    page.wait_for_selector(".hrsim-play:has-text('Pause')")
    page.wait_for_function(
        """n => {
            const m = document.querySelector('.hrsim-clock').innerText.match(/Week ([\\d,]+) of/);
            return m && parseInt(m[1].replace(/,/g, '')) >= n;
        }""",
        arg=at_least,
        timeout=60_000,
    )
    page.click(".hrsim-play")  # pause
    page.wait_for_selector(".hrsim-play:has-text('Play')")
    page.wait_for_timeout(500)  # a frame drawn as Pause was pressed lands now
    week = week_on_page(page)
    wait_until_drawn(page, week)
    return week


# -- the tests -----------------------------------------------------------------------------
def test_page_loads_offline_with_every_panel_drawn(watched, server):
    page = watched.page
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.reload()
    wait_until_drawn(page, 0)
    # Every file came from this machine: nothing was fetched from a CDN. (The Vuetify 3 app
    # loads widget modules from blob: URLs the page makes itself: no network involved.)
    fetched = [u for u in requests if urlparse(u).scheme not in ("blob", "data")]
    assert fetched and {urlparse(u).hostname for u in fetched} == {"127.0.0.1"}
    # The network: a sample of 300 rows of the 2,000 drawn (x 1.5 spare rows) and their ties.
    # The caption counts who is alive at week 0 (after burn-in), in the sample and in all.
    assert chart_rows(page, "network-chart", "nodes") == 300
    assert chart_rows(page, "network-chart", "edges") > 300
    # The page starts from the baseline file (app.py), not Settings()'s field defaults.
    alive = PairedRun(to_scenario(Settings.from_file("baseline.toml"))).model.people.alive
    shown, everyone = int(alive[:300].sum()), int(alive.sum())
    assert everyone < alive.size == 3000  # people, not rows
    caption = f"A sample of {shown:,} of {everyone:,} people: 12 whole neighbourhoods"
    assert caption in page.inner_text(".hrsim-network")
    # Every chart is drawn: a canvas of many colours, not a blank panel. People are in the
    # palette's colours (active use, methadone, buprenorphine, recovery), on the network and in
    # the care-state areas, which week 0 already fills.
    for name in CHARTS:
        assert len(colours(page, name)) > 30, name
    for name in ("network-chart", "care-states"):
        present = colours(page, name)
        for state in ("active", "methadone", "buprenorphine", "recovery"):
            assert rgb(STATES[state][1]) in present, (name, state)
    assert "Press Play or Step" in page.inner_text(".hrsim-averted")
    assert averted_on_page(page) == dict.fromkeys(AVERTED, 0)
    assert economics_on_page(page) == {"qalys": "+0.00", "cost": "$0", "icer": "-"}
    # The economic numbers say what they are: price year, discounting, perspective.
    caption = page.inner_text(".hrsim-economics-caption")
    assert "discounted at 3% a year to week 0" in caption
    assert "costs in 2024 US dollars (USD), health-sector perspective" in caption
    assert "Cost per QALY gained" in page.inner_text(".hrsim-economics")
    assert week_on_page(page) == 0
    # Every slider has its explanation and its source.
    for key in ("people", "seed", "fentanyl", "moud_capacity"):
        text = page.inner_text(f".hrsim-slider-{key}")
        assert "Source:" in text and len(text.splitlines()) >= 3, text
    watched.shot("01-loaded")
    watched.assert_clean()


def test_step_advances_the_week_and_reset_returns_to_week_0(watched):
    page = watched.page
    for week in (1, 2, 3):
        page.click(".hrsim-step")
        wait_until_drawn(page, week)
    assert "year 1, week 3" in page.inner_text(".hrsim-clock")
    expected = PairedRun(to_scenario(Settings.from_file("baseline.toml")))
    expected.step(3)
    assert averted_on_page(page) == expected_averted(expected)
    # QALYs and costs so far, both arms through the cost ledger, as computed in-process.
    assert economics_on_page(page) == expected_economics(expected)
    watched.shot("02-after-3-steps")
    page.click(".hrsim-reset")
    wait_until_drawn(page, 0)
    assert page.inner_text(".hrsim-clock").startswith("Week 0 of 520")
    assert averted_on_page(page) == dict.fromkeys(AVERTED, 0)
    watched.assert_clean()


def test_switching_a_programme_on_shows_its_extra_cost_and_qalys(watched):
    # Syringe services on the baseline page: the programme costs money from its first week,
    # and the page shows the scenario-minus-baseline QALYs and costs computed in-process.
    page = watched.page
    programme = ".hrsim-programme-syringe_services"
    page.click(
        f"{programme} .v-input--checkbox .v-input--selection-controls__ripple, "
        f"{programme} .v-checkbox .v-selection-control__input"  # Vuetify 3
    )
    page.wait_for_selector(f"{programme} [role=slider]", timeout=30_000)  # the run restarted
    wait_until_drawn(page, 0)
    for week in (1, 2, 3, 4):
        page.click(".hrsim-step")
        wait_until_drawn(page, week)
    level = float(programme_defaults()["syringe_services"]["coverage_fraction"]["value"])
    settings = Settings.from_file("baseline.toml").with_programme("syringe_services", level)
    run = PairedRun(to_scenario(settings))
    run.step(4)
    expected = expected_economics(run)
    assert run.economics().extra_cost > 0  # syringes cost money from the first week
    assert economics_on_page(page) == expected
    assert expected["cost"].startswith("+$")
    watched.shot("05-syringe-services-economics")
    watched.assert_clean()


def test_moving_a_coverage_slider_changes_the_averted_deaths(watched):
    page = watched.page
    pick_scenario(page, "naloxone_distribution.toml")
    press(page, ".hrsim-slider-seed", ("Home", *["ArrowRight"] * 4), "Random seed: 5")
    programme = ".hrsim-programme-naloxone_distribution"
    press(page, programme, ("Home",), "Coverage: 0%")  # the programme reaches nobody
    settings = Settings.from_file("naloxone_distribution.toml", seed=5)

    week = play_until(page, 30)
    off = settings.with_programme("naloxone_distribution", 0.0)
    run = PairedRun(to_scenario(off))
    run.step(week)
    # At zero coverage the two arms share every random draw: nothing is averted.
    assert averted_on_page(page) == expected_averted(run) == dict.fromkeys(AVERTED, 0)

    # Full coverage from this week on: the run goes on ("play from here"), not from week 0.
    press(page, programme, ("End",), "Coverage: 100%", week=week)
    changed = week
    week = play_until(page, changed + 30)
    on = settings.with_programme("naloxone_distribution", 1.0)
    run.continue_with(to_scenario(on))
    run.step(week - run.week)
    assert averted_on_page(page) == expected_averted(run)
    assert economics_on_page(page) == expected_economics(run)
    assert f"week {changed}: Naloxone distribution on, 0% → on, 100%" in page.inner_text(
        ".hrsim-changes"
    )
    watched.shot("03-naloxone-full-coverage")
    watched.assert_clean()


def test_downloads_give_a_scenario_hrsim_runs_and_the_results_so_far(watched, tmp_path, artifacts):
    page = watched.page
    pick_scenario(page, "syringe_services.toml")
    for week in (1, 2, 3, 4, 5):
        page.click(".hrsim-step")
        wait_until_drawn(page, week)
    settings = Settings.from_file("syringe_services.toml")
    expected = PairedRun(to_scenario(settings))
    expected.step(5)

    with page.expect_download() as download:
        page.click(".hrsim-downloads .v-btn:has-text('Scenario TOML')")
    toml = artifacts / download.value.suggested_filename
    download.value.save_as(toml)
    assert toml.name == "syringe_services-2000people-seed1.toml"
    assert load_scenario(toml).hash() == to_scenario(settings).hash()
    proc = subprocess.run(
        [sys.executable, "-m", "hrsim.cli", "run", str(toml), "--people", "300", "--years",
         "0.1", "--out", str(tmp_path / "run"), "--quiet"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "run" / "timeseries.parquet").is_file()

    with page.expect_download() as download:
        page.click(".hrsim-downloads .v-btn:has-text('Results CSV')")
    csv = artifacts / download.value.suggested_filename
    download.value.save_as(csv)
    shown = pd.read_csv(StringIO(csv.read_text(encoding="utf-8")))
    assert_frame_equal(shown, expected.results_frame(), check_dtype=False)
    watched.assert_clean()


def test_mesa_plot_component_draws_any_weekly_result_and_follows_the_run(watched):
    # The explorer is Mesa's own PlotAltair over the model's DataCollector; it redraws on
    # Mesa's update counter, which every step bumps.
    page = watched.page
    page.click(".hrsim-step")
    wait_until_drawn(page, 1)
    page.click(
        ".hrsim-explorer .v-input--checkbox .v-input--selection-controls__ripple, "
        ".hrsim-explorer .v-checkbox .v-selection-control__input"  # Vuetify 3
    )
    chart = page.locator(".hrsim-explorer canvas.marks")
    chart.wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    before = chart.screenshot()
    for week in (2, 3, 4, 5):
        page.click(".hrsim-step")
        wait_until_drawn(page, week)
    page.wait_for_timeout(1000)
    after = chart.screenshot()
    assert before != after
    watched.shot("04-explorer")
    watched.assert_clean()


def test_every_figure_runs_in_vega_and_derives_every_field(browser, server):
    # Compile each figure of a real session with the page's own Vega-Lite and run its
    # dataflow: the fields the specs compute in the browser (which arm, which outcome, where
    # a tie's ends are) must exist for every row, or lines get joined across arms.
    session = DashboardSession(Settings.from_file("full_package.toml", people=600))
    session.step(60)
    page = browser.new_page()  # a blank page: vega registers as a global, not an AMD module
    page.set_content(
        f'<script src="{server}_solara/cdn/vega@5/build/vega.min.js"></script>'
        f'<script src="{server}_solara/cdn/vega-lite@5/build/vega-lite.min.js"></script>'
    )
    page.wait_for_function("() => window.vega && window.vegaLite")
    derived = {"arm", "outcome", "virus", "tie", "x", "y", "x2", "y2", "state", "total"}
    for name in ("network", "care_states", "overdoses", "incidence", "retention", "so_far"):
        rows = page.evaluate(
            """async spec => {
                const compiled = vegaLite.compile(spec).spec;
                const view = new vega.View(vega.parse(compiled), {renderer: 'none'});
                await view.runAsync();
                const out = [];
                for (const d of compiled.data) out.push(...view.data(d.name));
                return out;
            }""",
            session.figures[name].full(),
        )
        assert rows, name
        for row in rows:
            for field in derived & set(row):
                assert row[field] is not None, (name, field, row)
    # The two arms of the "so far" curves really are two lines each.
    arms = page.evaluate(
        """async spec => {
            const compiled = vegaLite.compile(spec).spec;
            const view = new vega.View(vega.parse(compiled), {renderer: 'none'});
            await view.runAsync();
            return [...new Set(view.data('data_0').map(d => d.arm))];
        }""",
        session.figures["so_far"].full(),
    )
    assert sorted(arms) == ["Baseline (no programmes)", "Scenario"]
    page.close()
