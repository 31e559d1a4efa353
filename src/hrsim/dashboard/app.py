"""The hrsim dashboard: watch a harm-reduction scenario unfold next to its baseline.

Run it with ``make dashboard`` or ``hrsim dashboard`` (which runs
``solara run <this file> --production --host 127.0.0.1``, this file being wherever hrsim is
installed). A student picks a scenario, moves sliders (each with a plain explanation and its
source), and presses Play: the network, the curves and the deaths and infections averted so
far, with the QALYs gained, the extra cost and the cost per QALY gained, update week by week.

Only Solara lives here. What the page shows is computed by ``hrsim.dashboard.session`` (no Solara),
which tests and benchmarks drive directly. A change of fentanyl, MOUD places or a programme
takes effect from the week on screen and Play goes on ("play from here"); the run as it was
goes on beside it as a faint line. Another scenario, population size or seed, or Reset, starts
a new run at week 0, and the run before it stays on the charts as a faint line.

The layout reflows (``_CSS``): from 1,024 px up the settings are a column at the left; below
that they are a drawer opened by the Settings button and closed by its close button or
Escape, so a phone (390 px) shows the run itself. Play, Step and Reset sit at the top of the
main area on every screen, and every chart fits the width of its panel (``vega_view.vue``).
"""

from __future__ import annotations

import html
import threading
import time
import warnings
from collections.abc import Callable
from functools import partial
from typing import Any, cast

import solara
from solara.server import settings as server_settings

# Mesa's own SolaraViz trips Solara's rules-of-hooks check when its module loads; it is not
# used here (only the plot component is), so the warning is noise in the server log.
warnings.filterwarnings("ignore", message=".*use_state. found despite early return")
from mesa.visualization.components.altair_components import PlotAltair  # noqa: E402
from mesa.visualization.utils import force_update  # noqa: E402

from hrsim.core.results import TIMESERIES_COLUMNS  # noqa: E402
from hrsim.dashboard import charts  # noqa: E402
from hrsim.dashboard.parameters import (  # noqa: E402
    CORE_SLIDERS,
    PROGRAMMES,
    Settings,
    Slider,
    describe,
    describe_changes,
    pick_scenario,
    restarts,
    scenario_files,
)
from hrsim.dashboard.session import (  # noqa: E402
    SPREAD_SEEDS,
    DashboardSession,
    Snapshot,
    Spread,
    chance_spread,
)
from hrsim.dashboard.teaching import (  # noqa: E402
    GLOSSARY,
    LESSONS,
    own_baseline_note,
    scenario_choices,
    scenario_name,
)
from hrsim.dashboard.vega import Figure  # noqa: E402
from hrsim.interventions import programme_defaults  # noqa: E402
from hrsim.scenario import ScenarioError  # noqa: E402

# Play speeds: label -> (weeks per frame, seconds per frame). Six frames a second is as many
# as a student can follow and leaves the browser time to draw; Fast skips weeks, not frames.
SPEEDS: dict[str, tuple[int, float]] = {
    "Slow": (1, 0.5),
    "Normal": (1, 1 / 6),
    "Fast": (4, 1 / 6),
}
SPEED_HELP = {
    "Slow": "2 weeks a second",
    "Normal": "6 weeks a second",
    "Fast": "24 weeks a second, drawn every 4 weeks",
}
SOURCE_TAGS = (
    "Sources: C = read in the study, C2 = read in a secondary source, R = no study gives "
    "this number (a placeholder: change it freely), derived = computed from cited numbers."
)

# Solara's "This website runs on Solara" banner is fixed over the page's bottom right corner,
# where it covered the network's legend; Solara has this setting to switch it off.
server_settings.theme.show_banner = False

# Per browser tab (Solara keeps a separate value of each of these for every connection).
settings = solara.reactive(Settings.from_file(scenario_files()[0]))
generation = solara.reactive(0)  # bumped by Reset: same settings, fresh run
shown = solara.reactive(cast(Snapshot | None, None))  # the week on screen
playing = solara.reactive(False)
speed = solara.reactive("Normal")
exploring = solara.reactive(False)  # the Mesa plot is open
finished = solara.reactive(False)  # the run on screen has reached its horizon
drawer_open = solara.reactive(False)  # the settings drawer, on screens below 1,024 px
glossary_open = solara.reactive(False)
lessons_open = solara.reactive(False)  # the list of lessons
lesson = solara.reactive(cast(str | None, None))  # the lesson under way
# The chance spread: (the run it belongs to, as in ``Snapshot.session``, the spread), the
# button's presses, and how many runs of it are done while it is computed (None: not computing).
spread = solara.reactive(cast(tuple[tuple[int, int], Spread] | None, None))
spread_request = solara.reactive(0)
spread_progress = solara.reactive(cast(int | None, None))


def _session_for(
    kept: Any, s: Settings, generation: int
) -> tuple[DashboardSession | None, str | None]:
    """The session for these settings: the one on screen, changed from this week, if it can.

    Otherwise a new one from week 0 that keeps the runs before it as faint lines.
    ``kept.current`` holds the last session and the generation (Reset count) it was built
    for; a Reset always starts a new run.
    """
    last, built_for = kept.current
    if last is not None and built_for == generation and last.can_continue(s):
        if s == last.settings:
            return last, None
        try:
            last.change(s)
        except ScenarioError as exc:
            return None, str(exc)
        return last, None
    try:
        session = DashboardSession(s, last.kept_runs() if last is not None else ())
    except ScenarioError as exc:
        return None, str(exc)
    kept.current = (session, generation)
    return session, None


def _show(session: DashboardSession) -> None:
    """Put the session's latest week on screen."""
    shown.value = session.snapshot
    finished.value = session.snapshot.done
    if exploring.value:
        force_update()  # Mesa's own components (the measure explorer) listen to this


def _clock_text(snapshot: Snapshot) -> str:
    return snapshot.clock.text()


def _on_screen(session: DashboardSession) -> Snapshot:
    """The snapshot to draw (subscribes the caller to new ones)."""
    snapshot = shown.value
    if snapshot is None or snapshot.session != session.snapshot.session:
        return session.snapshot  # a new run, or a change, not stepped yet
    return snapshot


# -- small building blocks -----------------------------------------------------------------
@solara.component_vue("vega_view.vue")
def VegaView(
    spec: dict[str, Any],
    datasets: str,
    signals: dict[str, Any],
    week: int,
    renderer: str,
) -> None:
    """A Vega-Lite chart embedded once, then fed new rows (see vega_view.vue)."""


@solara.component
def LiveVega(session: DashboardSession, figure: str, name: str) -> None:
    """One figure of the week on screen (the only part of a panel redrawn every week)."""
    snapshot = _on_screen(session)
    chart: Figure = snapshot.figures[figure]
    with solara.Div(classes=[f"hrsim-{name}", "hrsim-chart"]):
        VegaView(
            spec=chart.spec,
            datasets=chart.json(),
            signals=chart.signals,
            week=snapshot.clock.week,
            renderer="canvas",  # redraws in a third of SVG's time (no DOM per mark)
        )


@solara.component
def LiveText(session: DashboardSession, text: Callable[[Snapshot], str], **kwargs: Any) -> None:
    """A line of text computed from the week on screen."""
    solara.Text(text(_on_screen(session)), **kwargs)


@solara.component
def Explained(slider: Slider) -> None:
    """The plain explanation and the source under a slider."""
    solara.Text(slider.explanation, style={"font-size": "0.85em", "display": "block"})
    solara.Text(
        f"Source: {slider.source}",
        style={"font-size": "0.75em", "color": "#666", "display": "block"},
    )


@solara.component
def NumberBox(slider: Slider, value: float, on_value: Any) -> None:
    """The slider's value as a number to type (percent sliders in percent), clamped to range."""
    # Bumped on every entry: a typed value clamped back to the value already set changes no
    # setting, and the box would keep showing what was typed; a new key redraws it.
    entries, set_entries = solara.use_state(0)
    scale = 100.0 if slider.percent else 1.0

    def typed(number: float | None) -> None:
        set_entries(lambda n: n + 1)
        if number is None:
            return
        clamped = slider.clamp(float(number) / scale)
        on_value(int(clamped) if slider.step >= 1 else clamped)

    shown = value * scale
    whole = slider.step * scale >= 1  # people, seed, and percentages in whole percent
    look: dict[str, Any] = {
        "dense": True,
        "hide_details": True,
        "suffix": "%" if slider.percent else None,
        "classes": ["hrsim-number"],
    }
    if whole:
        box = solara.InputInt("", value=int(round(shown)), on_value=typed, **look)
    else:
        box = solara.InputFloat("", value=round(shown, 4), on_value=typed, **look)
    box.key(f"number-{slider.key}-{entries}")


@solara.component
def SettingSlider(slider: Slider, value: float, on_value: Any, note: str = "") -> None:
    """A slider and a number box under its name and value, with its explanation and source."""
    with solara.Div(classes=[f"hrsim-slider-{slider.key}"], style={"margin-bottom": "10px"}):
        solara.Text(
            f"{slider.label}: {slider.show(value)}{note}",
            classes=["hrsim-slider-label"],
            style={"font-weight": "500", "display": "block"},
        )
        with solara.Div(classes=["hrsim-slider-row"]):
            with solara.Div(classes=["hrsim-slider-track"]):
                if slider.step >= 1:
                    solara.SliderInt(
                        "",
                        value=int(value),
                        min=int(slider.min),
                        max=int(slider.max),
                        step=int(slider.step),
                        on_value=on_value,
                        thumb_label=False,
                    )
                else:
                    solara.SliderFloat(
                        "",
                        value=float(value),
                        min=slider.min,
                        max=slider.max,
                        step=slider.step,
                        on_value=on_value,
                        thumb_label=False,
                    )
            NumberBox(slider, value, on_value)
        Explained(slider)


# -- the sidebar ---------------------------------------------------------------------------
@solara.component
def ScenarioPicker() -> None:
    """Pick a file from scenarios/; the sliders take that file's values."""
    s = settings.value
    # A refused value: the note shown, and how many so far (a new widget key each time, so the
    # picker is drawn afresh showing the scenario that was kept, not the value it was sent).
    refused, set_refused = solara.use_state(cast(tuple[str | None, int], (None, 0)))

    choices = scenario_choices()

    def pick(name: str) -> None:
        # Only a listed scenario is loaded; anything else the browser sends keeps this one.
        picked, note = pick_scenario(settings.value, choices.get(name, name))
        set_refused(lambda old: (note, old[1] + (note is not None)))
        if note is None:
            playing.value = False
            settings.value = picked

    with solara.Card("Scenario", margin=0, classes=["hrsim-scenario"]):
        solara.Select("Scenario", values=list(choices), value=scenario_name(s.scenario_file),
                      on_value=pick).key(f"scenario-picker-{refused[1]}")  # fmt: skip
        if refused[0]:
            solara.Warning(refused[0], dense=True, classes=["hrsim-scenario-refused"])
        solara.Text(describe(s.scenario_file), style={"font-size": "0.85em", "display": "block"})
        solara.Text(
            f"File: scenarios/{s.scenario_file}",
            classes=["hrsim-scenario-file"],
            style={"font-size": "0.75em", "color": "#666"},
        )


@solara.component
def Controls(session: DashboardSession | None) -> None:
    """Play, Step, Reset, the speed, and where the run is."""
    done = session is None or finished.value

    def step() -> None:
        if session is not None:
            playing.value = False
            session.step(1)
            _show(session)

    def reset() -> None:
        playing.value = False
        generation.value += 1

    with solara.Card(margin=0, classes=["hrsim-controls"]):
        with solara.Div(classes=["hrsim-controls-row"]):
            solara.Button("Reset", on_click=reset, color="primary", outlined=True,
                          classes=["hrsim-reset"])  # fmt: skip
            solara.Button(
                "Pause" if playing.value else "Play",
                icon_name="mdi-pause" if playing.value else "mdi-play",
                on_click=lambda: playing.set(not playing.value),
                color="primary",
                disabled=done,
                classes=["hrsim-play"],
            )
            solara.Button("Step", on_click=step, color="primary", disabled=done or playing.value,
                          classes=["hrsim-step"])  # fmt: skip
            with solara.Div(classes=["hrsim-speed"]):
                solara.Text("Speed")
                solara.ToggleButtonsSingle(value=speed, values=list(SPEEDS), dense=True)
                solara.Text(SPEED_HELP[speed.value], style={"font-size": "0.8em", "color": "#666"})
            if session is not None:
                LiveText(
                    session,
                    _clock_text,
                    classes=["hrsim-clock"],
                    style={"font-size": "1.05em", "font-weight": "bold"},
                )
        if session is not None and done:
            solara.Text("The run has reached its horizon. Reset to watch it again.")


@solara.component
def CoreSliders() -> None:
    """Population, seed, fentanyl and MOUD capacity."""
    s = settings.value

    def setter(field: str) -> Any:
        def set_value(value: Any) -> None:
            if field == "fentanyl_share_by_year":
                value = (round(float(value), 4),)
            _apply(settings.value.changes(**{field: value}))

        return set_value

    series = s.fentanyl_share_by_year
    note = ""
    if len(series) > 1:
        note = f" in year 1, then {', '.join(f'{v:.0%}' for v in series[1:])} (scenario)"
    with solara.Card("Community and supply", margin=0, classes=["hrsim-core"]):
        SettingSlider(CORE_SLIDERS["people"], s.people, setter("people"))
        SettingSlider(CORE_SLIDERS["seed"], s.seed, setter("seed"))
        SettingSlider(CORE_SLIDERS["fentanyl"], series[0], setter("fentanyl_share_by_year"), note)
        SettingSlider(CORE_SLIDERS["moud_capacity"], s.moud_capacity, setter("moud_capacity"))


@solara.component
def ProgrammeSliders() -> None:
    """A switch and a slider for each programme; the baseline has them all off."""
    s = settings.value

    def toggle(type_: str, on: bool) -> None:
        level = _default_level(type_) if on else None
        _apply(settings.value.with_programme(type_, level))

    def set_level(type_: str, value: float) -> None:
        _apply(settings.value.with_programme(type_, round(float(value), 4)))

    with solara.Card("Programmes", margin=0, classes=["hrsim-programmes"]):
        solara.Text(
            "Switch programmes on or off. The baseline is this scenario with every programme off.",
            style={"font-size": "0.85em"},
        )
        for type_, programme in PROGRAMMES.items():
            level = s.level(type_)
            with solara.Div(classes=[f"hrsim-programme-{type_}"]):
                solara.Checkbox(
                    label=programme.title, value=level is not None, on_value=partial(toggle, type_)
                )
                solara.Text(programme.does, style={"font-size": "0.8em", "color": "#444",
                                                   "display": "block"})  # fmt: skip
                if level is not None:
                    SettingSlider(programme.slider, level, partial(set_level, type_))


def _apply(new: Settings) -> None:
    """Put new settings in the sidebar.

    Play stops only if they start a new run (another population size or seed); anything else
    goes on from this week.
    """
    if restarts(settings.value, new):
        playing.value = False
    settings.value = new


def _default_level(type_: str) -> float:
    key = PROGRAMMES[type_].slider.key
    return float(programme_defaults()[type_][key]["value"])


@solara.component
def Downloads(session: DashboardSession | None) -> None:
    """The scenario as TOML (for `hrsim run`) and the results so far as CSV."""
    with solara.Card("Download", margin=0, classes=["hrsim-downloads"]):
        if session is None:
            return
        stem = session.file_stem()
        with solara.Row(style={"flex-wrap": "wrap", "gap": "6px"}):
            solara.FileDownload(
                session.scenario_toml,
                filename=f"{stem}.toml",
                label="Scenario TOML",
                mime_type="application/toml",
            )
            solara.FileDownload(
                session.results_csv,
                filename=f"{stem}-results.csv",
                label="Results CSV",
                mime_type="text/csv",
            )
        solara.Text(
            "Repeat the run with `hrsim run FILE.toml`. The CSV has one row per week and arm "
            "(scenario, baseline).",
            style={"font-size": "0.8em", "color": "#666"},
        )
        if len(session.history) > 1:
            solara.Text(
                "Settings changed while this run was under way; the TOML holds the settings "
                "now on screen, from week 0 on.",
                classes=["hrsim-download-changed"],
                style={"font-size": "0.8em", "color": "#666"},
            )


# -- the main area -------------------------------------------------------------------------
@solara.component
def AvertedNumbers(session: DashboardSession) -> None:
    """The week, and the four counts averted so far with both arms' totals."""
    snapshot = _on_screen(session)
    result = snapshot.figures["averted"]
    solara.Text(
        f"Averted so far: {snapshot.clock.text()}",
        style={"font-weight": "bold", "font-size": "1.15em"},
    )
    if snapshot.clock.week == 0:
        solara.Text(
            " Press Play or Step (at the top) to start the run.",
            classes=["hrsim-start-hint"],
            style={"color": "#0072B2", "font-size": "1.05em"},
        )
    chance = _spread_of(session)
    # One block of HTML rather than a dozen components: it changes every week.
    cells = "".join(
        f'<div class="hrsim-averted-{key} hrsim-card" style="border-left:4px solid #0072B2">'
        f'<div style="font-size:0.85em">{title} averted</div>'
        f'<div class="hrsim-averted-value" style="font-size:1.8em;font-weight:bold">'
        f"{result.averted[key]:,}</div>"
        f'<div style="font-size:0.75em;color:#555">{result.scenario[key]:,} in the scenario, '
        f"{result.baseline[key]:,} in the baseline</div>"
        + (
            f'<div class="hrsim-averted-spread" style="font-size:0.75em;color:#0072B2">'
            f"week {chance.week:,}, {html.escape(chance.text(key))}</div>"
            if chance is not None
            else ""
        )
        + "</div>"
        for key, (title, _) in charts.SO_FAR.items()
    )
    solara.HTML(tag="div", unsafe_innerHTML=cells, classes=["hrsim-cards"])


def _spread_of(session: DashboardSession) -> Spread | None:
    """The chance spread computed for the run on screen (since its last change), if any."""
    current = spread.value
    return current[1] if current is not None and current[0] == session.snapshot.session else None


@solara.component
def ChanceSpread(session: DashboardSession) -> None:
    """A button that runs the same settings on a few more seeds, and what that shows."""
    busy = spread_progress.value
    week = _on_screen(session).clock.week
    chance = _spread_of(session)
    with solara.Div(classes=["hrsim-spread"]):
        solara.Button(
            f"Is it chance? Run {SPREAD_SEEDS} more seeds",
            on_click=lambda: spread_request.set(spread_request.value + 1),
            disabled=busy is not None or week == 0,
            outlined=True,
            color="primary",
            classes=["hrsim-spread-button"],
        )
        if busy is not None:
            solara.Text(
                f" Running seed {busy + 1} of {SPREAD_SEEDS + 1}...",
                classes=["hrsim-spread-busy"],
            )
        elif chance is not None:
            solara.Text(
                f"Under each count: what the same settings averted by week {chance.week:,} on "
                f"seeds {chance.seeds[0]} to {chance.seeds[-1]} (this run's seed first), one "
                "run each. When the range runs from below 0 to above it, this run's number "
                "could be chance.",
                classes=["hrsim-spread-note"],
                style={"font-size": "0.8em", "display": "block"},
            )


@solara.component
def EconomicsNumbers(session: DashboardSession) -> None:
    """QALYs gained, the extra cost and the cost per QALY gained, so far or lifetime."""
    snapshot = _on_screen(session)
    economics = snapshot.figures["economics"]
    cells = "".join(
        f'<div class="hrsim-economics-{key} hrsim-card" style="border-left:4px solid #009E73">'
        f'<div style="font-size:0.85em">{html.escape(title)}</div>'
        f'<div class="hrsim-economics-value" style="font-size:1.5em;font-weight:bold">'
        f"{html.escape(value)}</div>"
        f'<div style="font-size:0.75em;color:#555">{html.escape(detail)}</div></div>'
        for key, title, value, detail in economics.cells()
    )
    solara.HTML(tag="div", unsafe_innerHTML=cells, classes=["hrsim-cards"])
    solara.Text(
        economics.caption(),
        classes=["hrsim-economics-caption"],
        style={"font-size": "0.8em", "color": "#555", "display": "block", "margin": "6px 0 10px"},
    )


@solara.component
def Averted(session: DashboardSession) -> None:
    """Deaths and infections averted so far (baseline minus scenario), with their curves."""
    with solara.Card(margin=0, classes=["hrsim-averted"]):
        note = own_baseline_note(session.settings)
        if note:
            solara.Info(note, dense=True, classes=["hrsim-own-baseline"])
        AvertedNumbers(session)
        ChanceSpread(session)
        with solara.Div(classes=["hrsim-economics"]):
            EconomicsNumbers(session)
        LiveVega(session, "so_far", "so-far")
        EarlierRuns(session)
        solara.Text(
            "Baseline: the same scenario with every programme off, run alongside on the same "
            "seed, so both runs meet the same chance events (common random numbers) and the gap "
            "between the lines is mostly the programmes' doing. A negative number means more "
            "than in the baseline. This is one run of a small community: for intervals, use "
            "`hrsim compare` with replicates.",
            style={"font-size": "0.8em", "color": "#555"},
        )


@solara.component
def EarlierRuns(session: DashboardSession) -> None:
    """What the faint lines are, and the changes made while the run was under way."""
    _on_screen(session)  # redrawn with the week on screen (a change comes with a new one)
    changes = [
        f"week {week}: " + ", ".join(f"{what} {old} → {new}" for what, old, new in diff)
        for (week, new_s), (_, old_s) in zip(session.history[1:], session.history, strict=False)
        if (diff := describe_changes(old_s, new_s))
    ]
    lines = [run.detail for run in reversed(session.earlier)]
    if not changes and not lines:
        return
    with solara.Div(classes=["hrsim-earlier"]):
        if changes:
            solara.Text(
                "Changed while running (each from the week shown on): " + "; ".join(changes) + ".",
                classes=["hrsim-changes"],
                style={"font-size": "0.8em", "display": "block"},
            )
        for line in lines:
            solara.Text(
                line,
                classes=["hrsim-earlier-run"],
                style={"font-size": "0.8em", "color": "#555", "display": "block"},
            )


@solara.component
def Network(session: DashboardSession) -> None:
    """The network panel."""
    with solara.Card("The network: who is where, and who is tied to whom", margin=0,
                     classes=["hrsim-network"]):  # fmt: skip
        solara.Text(session.figures["network_caption"], style={"font-size": "0.85em"})
        LiveVega(session, "network", "network-chart")


@solara.component
def Curves(session: DashboardSession) -> None:
    """The curves."""
    with solara.Card(margin=0, classes=["hrsim-curves"]):
        with solara.Div(classes=["hrsim-curves-grid"]):
            LiveVega(session, "care_states", "care-states")
            LiveVega(session, "overdoses", "overdoses")
            LiveVega(session, "incidence", "incidence")
            LiveVega(session, "retention", "retention")


@solara.component
def Explorer(session: DashboardSession) -> None:
    """Any weekly result of the scenario, through Mesa's own plot component."""
    measure = solara.use_reactive("naloxone_kits_used")
    with solara.Card(margin=0, classes=["hrsim-explorer"]):
        solara.Checkbox(label="Explore any weekly result (Mesa's DataCollector)", value=exploring)
        if exploring.value:
            solara.Select(
                "Weekly result",
                values=[c for c in TIMESERIES_COLUMNS if c != "week"],
                value=measure,
            )
            PlotAltair(session.run.model, measure.value, post_process=_week_axis)


def _week_axis(chart: Any) -> Any:
    """Mesa counts steps; here a step is a week."""
    import altair as alt

    return chart.encode(x=alt.X("Step:Q", title="week"))


@solara.component
def Page() -> None:
    """The whole page."""
    s = settings.value
    kept = solara.use_ref(cast(tuple[DashboardSession | None, int], (None, -1)))
    session, error = solara.use_memo(
        lambda: _session_for(kept, s, generation.value), dependencies=[s, generation.value]
    )
    # A change keeps the session but makes a new snapshot: put it on screen.
    solara.use_effect(
        lambda: _show(session) if session is not None else None,
        [session, session.changes if session is not None else -1],
    )

    def play(cancel: threading.Event) -> None:
        # Runs in its own thread while Play is on: step, redraw, wait for the next frame.
        if session is None:
            return
        while playing.value and not cancel.is_set():
            weeks, period = SPEEDS[speed.value]
            start = time.perf_counter()
            if session.step(weeks) == 0:
                playing.value = False
                break
            _show(session)
            cancel.wait(max(0.0, period - (time.perf_counter() - start)))
        _show(session)  # whatever the last frame left, the screen ends on the latest week

    solara.use_thread(play, dependencies=[playing.value, session], intrusive_cancel=False)

    def spread_job(cancel: threading.Event) -> None:
        # Runs in its own thread after the chance button: other seeds, to the week on screen.
        if spread_request.value == 0 or session is None:
            return
        spread_progress.value = 0
        try:
            run_id = session.snapshot.session
            result = chance_spread(session.history, session.run.week, progress=spread_progress.set)
        finally:
            spread_progress.value = None
        spread.value = (run_id, result)

    solara.use_thread(spread_job, dependencies=[spread_request.value], intrusive_cancel=False)
    # A new run starts unfinished, whatever the last one did.
    solara.use_effect(lambda: finished.set(session.done if session else False), [session])

    solara.Title("hrsim dashboard")
    solara.Style(_CSS)

    def close_all(*_: Any) -> None:
        drawer_open.value = False
        glossary_open.value = False
        lessons_open.value = False

    state = "hrsim-drawer-open" if drawer_open.value else "hrsim-drawer-closed"
    with solara.Div(classes=["hrsim-shell", state]):
        EscapeKey(event_escape=close_all)
        with solara.Div(classes=["hrsim-bar"]):
            solara.Button(
                "Settings",
                icon_name="mdi-tune",
                on_click=lambda: drawer_open.set(not drawer_open.value),
                text=True,
                classes=["hrsim-menu"],
                attributes={"aria-label": "Open or close the settings"},
            )
            solara.HTML(
                tag="div",
                unsafe_innerHTML="hrsim<span class='hrsim-title-long'>: harm reduction, week by "
                "week</span>",
                classes=["hrsim-title"],
            )
            solara.Button(
                "Lessons",
                icon_name="mdi-school",
                on_click=lambda: lessons_open.set(not lessons_open.value),
                text=True,
                classes=["hrsim-lessons-button"],
            )
            solara.Button(
                "Glossary",
                icon_name="mdi-book-open-variant",
                on_click=lambda: glossary_open.set(not glossary_open.value),
                text=True,
                classes=["hrsim-glossary-button"],
            )
        with solara.Div(classes=["hrsim-body"]):
            with solara.Div(classes=["hrsim-side"]):
                with solara.Div(classes=["hrsim-side-head"]):
                    solara.Text("Settings", style={"font-weight": "bold", "font-size": "1.1em"})
                    solara.Button(
                        icon_name="mdi-close",
                        on_click=close_all,
                        icon=True,
                        classes=["hrsim-close"],
                        attributes={"aria-label": "Close the settings"},
                    )
                ScenarioPicker()
                CoreSliders()
                ProgrammeSliders()
                Downloads(session)
                solara.Text(SOURCE_TAGS, style={"font-size": "0.75em", "color": "#666"})
            with solara.Div(classes=["hrsim-main"]):
                if glossary_open.value:
                    Glossary()
                if lessons_open.value:
                    LessonList()
                if lesson.value is not None:
                    LessonCard(lesson.value)
                Controls(session)
                if session is None:
                    solara.Error(f"These settings do not make a valid scenario: {error}")
                    return
                Averted(session)
                Network(session)
                Curves(session)
                Explorer(session)


@solara.component_vue("escape_key.vue")
def EscapeKey(event_escape: Callable[[Any], None]) -> None:
    """Calls ``event_escape`` when Escape is pressed anywhere on the page."""


@solara.component
def LessonList() -> None:
    """The guided lessons; starting one sets up its scenario."""

    def start(key: str) -> None:
        playing.value = False
        generation.value += 1  # a lesson starts a new run, even on the settings on screen
        settings.value = LESSONS[key].settings()
        lesson.value = key
        lessons_open.value = False
        drawer_open.value = False

    with solara.Card("Lessons", margin=0, classes=["hrsim-lessons"]):
        solara.Text(
            "Each lesson sets up a scenario and asks a question; it tells you what to change "
            "and where to look.",
            style={"font-size": "0.9em", "display": "block"},
        )
        for key, item in LESSONS.items():
            with solara.Div(classes=[f"hrsim-lesson-{key}", "hrsim-lesson-item"]):
                solara.Button(item.title, on_click=partial(start, key), color="primary",
                              outlined=True, classes=["hrsim-lesson-start"])  # fmt: skip
                solara.Text(item.question, style={"font-size": "0.85em"})


@solara.component
def LessonCard(key: str) -> None:
    """The lesson under way: its question, what to do, where to look."""
    item = LESSONS[key]
    steps = "".join(f"<li>{html.escape(step)}</li>" for step in item.steps)
    with solara.Card(f"Lesson: {item.title}", margin=0, classes=["hrsim-lesson"]):
        solara.Text(item.question, classes=["hrsim-lesson-question"],
                    style={"font-weight": "bold", "display": "block"})  # fmt: skip
        solara.HTML(tag="ol", unsafe_innerHTML=steps, classes=["hrsim-lesson-steps"])
        solara.Text(f"Watch: {item.watch}", style={"font-size": "0.9em", "display": "block"})
        solara.Button("End the lesson", on_click=lambda: lesson.set(None), text=True,
                      classes=["hrsim-lesson-end"])  # fmt: skip


@solara.component
def Glossary() -> None:
    """The terms a student meets on the page, in plain words."""
    with solara.Card("Glossary", margin=0, classes=["hrsim-glossary"]):
        solara.Button("Close", on_click=lambda: glossary_open.set(False), text=True,
                      classes=["hrsim-glossary-close"])  # fmt: skip
        rows = "".join(
            f"<dt>{html.escape(term)}</dt><dd>{html.escape(text)}</dd>"
            for term, text in GLOSSARY.items()
        )
        solara.HTML(
            tag="div", unsafe_innerHTML=f"<dl>{rows}</dl>", classes=["hrsim-glossary-terms"]
        )


# The page is fixed to the window (Solara's own wrappers are flex boxes that widen to their
# widest child, which made a phone's page 580 px wide). Below 1,024 px the settings become a
# drawer under the top bar (never over its buttons); 1,024 px and up they are a 400 px
# column. Cards and charts reflow into the width they get.
_CSS = """
.hrsim-clock, .hrsim-averted-value { font-variant-numeric: tabular-nums; }
.v-card { padding: 10px; }
.hrsim-shell { position: fixed; inset: 0; display: flex; flex-direction: column;
  overflow: hidden; background: #fff; }
.hrsim-bar { display: flex; align-items: center; gap: 8px; min-height: 52px; padding: 0 8px;
  background: #0072B2; color: #fff; flex: none; }
.hrsim-bar .v-btn { color: #fff; }
.hrsim-title { flex: 1; min-width: 0; font-size: 1.15em; font-weight: 500;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.hrsim-bar .v-btn { padding: 0 8px; min-width: 0; }
@media (max-width: 599.98px) {
  .hrsim-title { display: none; }
  .hrsim-bar { justify-content: space-between; }
}
.v-card-title { white-space: normal; overflow-wrap: anywhere; }
.hrsim-scenario .v-select__selection-text { white-space: normal; }
.hrsim-body { display: flex; flex: 1; min-height: 0; position: relative; }
.hrsim-side { width: 400px; flex: none; overflow-y: auto; overflow-x: hidden; padding: 10px;
  display: flex; flex-direction: column; gap: 10px; background: #f5f5f5;
  border-right: 1px solid #ddd; }
.hrsim-side .v-input__details, .hrsim-side .v-messages { display: none; }
.hrsim-side-head { display: none; align-items: center; justify-content: space-between; }
.hrsim-main { flex: 1; min-width: 0; overflow-y: auto; overflow-x: hidden; padding: 10px;
  display: flex; flex-direction: column; gap: 10px; }
.hrsim-side > *, .hrsim-main > * { flex: none; }
.hrsim-menu { display: none !important; }
@media (max-width: 1023.98px) {
  .hrsim-menu { display: inline-flex !important; }
  .hrsim-side { position: absolute; top: 0; left: 0; bottom: 0; z-index: 20;
    width: min(400px, 100%); box-shadow: 4px 0 16px rgba(0, 0, 0, 0.3); }
  .hrsim-drawer-closed .hrsim-side { display: none; }
  .hrsim-side-head { display: flex; }
}
.hrsim-controls { position: sticky; top: -10px; z-index: 10; }
.hrsim-controls-row { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px; }
.hrsim-speed { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 8px; }
.hrsim-slider-row { display: flex; align-items: center; gap: 8px; }
.hrsim-slider-track { flex: 1; min-width: 0; }
.hrsim-number { flex: none; width: 96px; }
.hrsim-cards { display: grid; gap: 10px 18px; margin: 8px 0 0 0;
  grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); }
.hrsim-card { padding: 2px 10px; min-width: 0; overflow-wrap: break-word; }
.hrsim-curves-grid { display: grid; gap: 12px;
  grid-template-columns: repeat(auto-fill, minmax(min(100%, 440px), 1fr)); }
.hrsim-chart { min-width: 0; }
.hrsim-chart .vega-embed { display: block; width: 100%; }
.hrsim-spread { margin: 8px 0; }
.hrsim-spread .v-btn { max-width: 100%; height: auto !important; min-height: 36px; }
.hrsim-spread .v-btn__content { white-space: normal; }
.hrsim-lesson-item { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 12px;
  margin-top: 8px; }
.hrsim-lesson-steps { padding-left: 1.4em; margin: 6px 0; }
.hrsim-glossary-terms dt { font-weight: bold; margin-top: 6px; }
.hrsim-glossary-terms dd { margin-left: 0; font-size: 0.9em; }
"""
