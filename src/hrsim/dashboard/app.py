"""The hrsim dashboard: watch a harm-reduction scenario unfold next to its baseline.

Run it with ``make dashboard`` or ``hrsim dashboard`` (which runs
``solara run <this file> --production --host 127.0.0.1``, this file being wherever hrsim is
installed). A student picks a scenario, moves sliders (each with a plain explanation and its
source), and presses Play: the network, the curves and the deaths and infections averted so
far, with the QALYs gained, the extra cost and the cost per QALY gained, update week by week.

Only Solara lives here. What the page shows is computed by ``hrsim.dashboard.session`` (no Solara),
which tests and benchmarks drive directly. Changing any setting restarts the run at week 0
with the new settings, so what is on the screen always matches the sliders.
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
    pick_scenario,
    scenario_files,
)
from hrsim.dashboard.session import DashboardSession, Snapshot  # noqa: E402
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

# Per browser tab (Solara keeps a separate value of each of these for every connection).
settings = solara.reactive(Settings.from_file(scenario_files()[0]))
generation = solara.reactive(0)  # bumped by Reset: same settings, fresh run
shown = solara.reactive(cast(Snapshot | None, None))  # the week on screen
playing = solara.reactive(False)
speed = solara.reactive("Normal")
exploring = solara.reactive(False)  # the Mesa plot is open
finished = solara.reactive(False)  # the run on screen has reached its horizon


def _build(s: Settings, _generation: int) -> tuple[DashboardSession | None, str | None]:
    try:
        return DashboardSession(s), None
    except ScenarioError as exc:
        return None, str(exc)


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
    if snapshot is None or snapshot.session != id(session):
        return session.snapshot  # a new run, not stepped yet
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
    with solara.Div(classes=[f"hrsim-{name}"]):
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
def SettingSlider(slider: Slider, value: float, on_value: Any, note: str = "") -> None:
    """A slider under its name and current value, with its explanation and source."""
    with solara.Div(classes=[f"hrsim-slider-{slider.key}"], style={"margin-bottom": "10px"}):
        solara.Text(
            f"{slider.label}: {slider.show(value)}{note}",
            classes=["hrsim-slider-label"],
            style={"font-weight": "500", "display": "block"},
        )
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
        Explained(slider)


# -- the sidebar ---------------------------------------------------------------------------
@solara.component
def ScenarioPicker() -> None:
    """Pick a file from scenarios/; the sliders take that file's values."""
    s = settings.value
    # A refused value: the note shown, and how many so far (a new widget key each time, so the
    # picker is drawn afresh showing the scenario that was kept, not the value it was sent).
    refused, set_refused = solara.use_state(cast(tuple[str | None, int], (None, 0)))

    def pick(file: str) -> None:
        # Only a listed scenario is loaded; anything else the browser sends keeps this one.
        picked, note = pick_scenario(settings.value, file)
        set_refused(lambda old: (note, old[1] + (note is not None)))
        if note is None:
            playing.value = False
            settings.value = picked

    with solara.Card("Scenario", margin=0, classes=["hrsim-scenario"]):
        solara.Select("Scenario file (scenarios/)", values=scenario_files(), value=s.scenario_file,
                      on_value=pick).key(f"scenario-picker-{refused[1]}")  # fmt: skip
        if refused[0]:
            solara.Warning(refused[0], dense=True, classes=["hrsim-scenario-refused"])
        solara.Text(describe(s.scenario_file), style={"font-size": "0.85em"})


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

    with solara.Card("Run", margin=0, classes=["hrsim-controls"]):
        with solara.Row(justify="space-between"):
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
        with solara.Row(style={"align-items": "center", "margin-top": "8px"}):
            solara.Text("Speed")
            solara.ToggleButtonsSingle(value=speed, values=list(SPEEDS), dense=True)
        solara.Text(SPEED_HELP[speed.value], style={"font-size": "0.8em", "color": "#666"})
        if session is not None:
            LiveText(
                session,
                _clock_text,
                classes=["hrsim-clock"],
                style={"font-size": "1.05em", "font-weight": "bold", "display": "block",
                       "margin-top": "8px"},
            )  # fmt: skip
            if done:
                solara.Text("The run has reached its horizon. Reset to watch it again.")


@solara.component
def CoreSliders() -> None:
    """Population, seed, fentanyl and MOUD capacity."""
    s = settings.value

    def setter(field: str) -> Any:
        def set_value(value: Any) -> None:
            playing.value = False
            if field == "fentanyl_share_by_year":
                value = (round(float(value), 4),)
            settings.value = settings.value.changes(**{field: value})

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
        playing.value = False
        level = _default_level(type_) if on else None
        settings.value = settings.value.with_programme(type_, level)

    def set_level(type_: str, value: float) -> None:
        playing.value = False
        settings.value = settings.value.with_programme(type_, round(float(value), 4))

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
            " Press Play or Step (left) to start the run.",
            classes=["hrsim-start-hint"],
            style={"color": "#0072B2", "font-size": "1.05em"},
        )
    # One block of HTML rather than a dozen components: it changes every week.
    cells = "".join(
        f'<div class="hrsim-averted-{key}" style="width:210px;padding:2px 10px;'
        f'border-left:4px solid #0072B2">'
        f'<div style="font-size:0.85em">{title} averted</div>'
        f'<div class="hrsim-averted-value" style="font-size:1.8em;font-weight:bold">'
        f"{result.averted[key]:,}</div>"
        f'<div style="font-size:0.75em;color:#555">{result.scenario[key]:,} in the scenario, '
        f"{result.baseline[key]:,} in the baseline</div></div>"
        for key, (title, _) in charts.SO_FAR.items()
    )
    solara.HTML(
        tag="div",
        unsafe_innerHTML=cells,
        style="display:flex;gap:24px;margin:8px 0 0 0;padding-left:40px",
    )


@solara.component
def EconomicsNumbers(session: DashboardSession) -> None:
    """QALYs gained, the extra cost and the cost per QALY gained, so far or lifetime."""
    snapshot = _on_screen(session)
    economics = snapshot.figures["economics"]
    cells = "".join(
        f'<div class="hrsim-economics-{key}" style="width:210px;padding:2px 10px;'
        f'border-left:4px solid #009E73">'
        f'<div style="font-size:0.85em">{html.escape(title)}</div>'
        f'<div class="hrsim-economics-value" style="font-size:1.5em;font-weight:bold">'
        f"{html.escape(value)}</div>"
        f'<div style="font-size:0.75em;color:#555">{html.escape(detail)}</div></div>'
        for key, title, value, detail in economics.cells()
    )
    solara.HTML(
        tag="div",
        unsafe_innerHTML=cells,
        style="display:flex;gap:24px;margin:10px 0 0 0;padding-left:40px",
    )
    solara.Text(
        economics.caption(),
        classes=["hrsim-economics-caption"],
        style={
            "font-size": "0.8em",
            "color": "#555",
            "display": "block",
            "padding-left": "40px",
            "margin-bottom": "10px",
        },
    )


@solara.component
def Averted(session: DashboardSession) -> None:
    """Deaths and infections averted so far (baseline minus scenario), with their curves."""
    with solara.Card(margin=0, classes=["hrsim-averted"]):
        AvertedNumbers(session)
        with solara.Div(classes=["hrsim-economics"]):
            EconomicsNumbers(session)
        LiveVega(session, "so_far", "so-far")
        solara.Text(
            "Baseline: the same scenario with every programme off, run alongside on the same "
            "seed, so both runs meet the same chance events (common random numbers) and the gap "
            "between the lines is mostly the programmes' doing. A negative number means more "
            "than in the baseline. This is one run of a small community: for intervals, use "
            "`hrsim compare` with replicates.",
            style={"font-size": "0.8em", "color": "#555"},
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
        with solara.Row(style={"flex-wrap": "wrap", "gap": "8px"}):
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
    session, error = solara.use_memo(
        lambda: _build(s, generation.value), dependencies=[s, generation.value]
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
    # A new run starts unfinished, whatever the last one did.
    solara.use_effect(lambda: finished.set(session.done if session else False), [session])

    solara.Title("hrsim dashboard")
    solara.Style(_CSS)
    with solara.AppBar():
        solara.AppBarTitle("hrsim: harm reduction, week by week")
    with solara.Sidebar():
        # 400px wide in all, as the main area expects (Solara pads the sidebar by 12px).
        with solara.Column(style={"gap": "10px", "width": "376px"}):
            ScenarioPicker()
            Controls(session)
            CoreSliders()
            ProgrammeSliders()
            Downloads(session)
            solara.Text(SOURCE_TAGS, style={"font-size": "0.75em", "color": "#666"})
    with solara.Column(style={"gap": "10px"}):
        if session is None:
            solara.Error(f"These settings do not make a valid scenario: {error}")
            return
        Averted(session)
        Network(session)
        Curves(session)
        Explorer(session)


_CSS = """
.hrsim-clock, .hrsim-averted-value { font-variant-numeric: tabular-nums; }
.v-card { padding: 10px; }
.v-navigation-drawer { overflow-x: hidden; }
.v-navigation-drawer .v-input__slot { margin-bottom: 0; }
.v-navigation-drawer .v-messages { display: none; }
"""
