"""What the page draws, checked without a browser: the network sample, the figures, the clock."""

import json
from importlib import resources

import jsonschema
import numpy as np
import pandas as pd
import pytest

from hrsim import HarmReductionModel, load_scenario
from hrsim.core.states import STATE_NAMES, Care
from hrsim.dashboard.charts import MAX_POINTS, shown_weeks
from hrsim.dashboard.network_view import NetworkView, ring_layout, sample_rows
from hrsim.dashboard.parameters import Settings
from hrsim.dashboard.session import Clock, DashboardSession
from hrsim.dashboard.vega import Figure

FIGURES = ("network", "care_states", "overdoses", "incidence", "retention", "so_far")


@pytest.fixture(scope="module")
def session():
    s = DashboardSession(Settings.from_file("full_package.toml", people=1000, seed=3))
    s.step(60)
    return s


# -- the network sample --------------------------------------------------------------------
def test_sample_is_everyone_when_few_else_whole_neighbourhoods():
    assert sample_rows(250, 25).tolist() == list(range(250))
    assert sample_rows(2000, 25).tolist() == list(range(300))  # 12 neighbourhoods of 25
    assert sample_rows(2000, 40).tolist() == list(range(280))  # 7 of 40
    assert sample_rows(5000, 1000).tolist() == list(range(300))  # part of one


def test_layout_puts_each_neighbourhood_on_its_own_ring():
    rows = sample_rows(2000, 25)
    x, y = ring_layout(rows, 25)
    assert x.min() > 0 and x.max() < 1 and y.min() > 0 and y.max() < 1
    points = np.round(np.c_[x, y], 6)
    assert len({tuple(p) for p in points}) == rows.size  # nobody on top of anybody
    groups = rows // 25
    centres = np.array([points[groups == g].mean(axis=0) for g in range(12)])
    radius = max(np.abs(points[groups == g] - centres[g]).max() for g in range(12))
    gaps = [np.abs(centres[i] - centres[j]).max() for i in range(12) for j in range(i)]
    assert min(gaps) > 2 * radius  # rings do not overlap


def test_edges_are_the_ties_among_the_living_sample():
    model = HarmReductionModel(load_scenario(None, {"run.people": 1500, "run.seed": 2}))
    model.run(20)
    view = NetworkView(model)
    drawn = view.edges(model)
    # The same ties, counted from the networkx view of the model.
    graph = model.graph()
    sample = set(view.rows.tolist())
    expected = sum(
        len(layers) for a, b, layers in graph.edges(data="layers") if a in sample and b in sample
    )
    assert len(drawn) == expected > 0
    # Ends are node numbers: the rows drawn, in order.
    pairs = {(int(view.rows[e["s"]]), int(view.rows[e["t"]]), e["k"]) for e in drawn}
    layers = ("injecting", "social", "sexual")
    for a, b, k in pairs:
        assert layers[k] in graph.edges[a, b]["layers"]
    assert {e["k"] for e in drawn} <= {0, 1, 2}


def test_nodes_show_each_sampled_persons_state():
    model = HarmReductionModel(load_scenario(None, {"run.people": 600, "run.seed": 2}))
    model.run(5)
    view = NetworkView(model)
    nodes = view.nodes(model)
    assert len(nodes) == view.rows.size
    states = [STATE_NAMES[s] if s < Care.DEAD else "gone" for s in model.people.state[view.rows]]
    assert [n["state"] for n in nodes] == states
    assert [n["person"] for n in nodes] == model.people.pid[view.rows].tolist()


def test_the_caption_counts_living_people_not_rows():
    # Rows are 1.5 x the people drawn (spare rows for initiates): the caption counts the living.
    small = HarmReductionModel(load_scenario(None, {"run.people": 150, "run.seed": 3}))
    alive = small.people.alive
    assert small.people.n == 225 > alive.sum()  # every row is drawn, some are unused
    assert NetworkView(small).caption(small).startswith(f"All {alive.sum():,} people.")
    big = HarmReductionModel(load_scenario(None, {"run.people": 400, "run.seed": 3}))
    alive = big.people.alive
    assert (
        NetworkView(big)
        .caption(big)
        .startswith(
            f"A sample of {alive[:300].sum():,} of {alive.sum():,} people: 12 whole neighbourhoods"
        )
    )


def test_overdoses_and_deaths_are_marked_as_the_event_log_records_them():
    model = HarmReductionModel(load_scenario(None, {"run.people": 300, "run.seed": 8}))
    # Every row in the sample (the drawn 300 and the spare rows initiates move into), so every
    # overdose and death is checked.
    view = NetworkView(model, max_people=model.people.n)
    checked = 0
    for _ in range(40):
        model.step()
        view.observe(model)
        events = model.events_frame()
        week = events[events["week"] == model.week]
        expected = {}
        for pid, detail in week.loc[week["kind"] == "overdose", ["person", "detail"]].values:
            outcome = str(detail).split("_")[0]  # fatal, reversed or survived
            expected[pid] = {"fatal": "overdose_death", "reversed": "overdose_reversed"}.get(
                outcome, "overdose_survived"
            )
        for pid, detail in week.loc[week["kind"] == "death", ["person", "detail"]].values:
            expected[pid] = "overdose_death" if detail == "overdose" else "other_death"
        marked = {
            n["person"]: n["event"] for n in view.nodes(model) if n.get("when") == "this week"
        }
        assert marked == expected
        checked += len(expected)
    # About 22 overdoses a year among 300 people (and some deaths): 40 weeks check ~20.
    assert checked > 5


# -- figures -------------------------------------------------------------------------------
def test_figure_specs_stay_the_same_as_the_run_goes_on():
    # The browser embeds a spec once and then only swaps rows in: a spec that changed every
    # week would be re-embedded every week (slow, and it flickers).
    s = DashboardSession(Settings(people=400))
    first = {name: json.dumps(s.figures[name].spec, sort_keys=True) for name in FIGURES}
    s.step(30)
    later = {name: json.dumps(s.figures[name].spec, sort_keys=True) for name in FIGURES}
    assert first == later
    assert s.figures["care_states"].signals == {"years_shown": 1}
    s.step(30)
    assert s.figures["care_states"].signals == {"years_shown": 2}


@pytest.mark.parametrize("name", FIGURES)
def test_every_figure_is_valid_vega_lite_5(session, name):
    schema_file = resources.files("altair").joinpath("vegalite/v5/schema/vega-lite-schema.json")
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    figure: Figure = session.figures[name]
    jsonschema.validate(figure.full(), schema)
    # Every data source the spec names is sent, and nothing else.
    names = set()

    def collect(node):
        if isinstance(node, dict):
            if isinstance(node.get("data"), dict) and "name" in node["data"]:
                names.add(node["data"]["name"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(figure.spec)
    assert names == set(figure.data)


def test_care_state_rows_are_the_timeseries(session):
    rows = pd.DataFrame(session.figures["care_states"].data["weeks"])
    ts = session.run.model.timeseries_frame()
    # One row per week, and the last week's counts again at its end (a step has a width).
    assert len(rows) == session.run.week + 2 == len(ts) + 1
    for state in ("active", "methadone", "recovery", "prison", "jail"):
        assert rows[state].tolist() == [*ts[state], ts[state].iloc[-1]]
    assert np.allclose(rows["year"], [*(ts["week"] / 52), (session.run.week + 1) / 52], atol=1e-4)


def test_overdose_bars_add_up_to_the_weekly_counts(session):
    bars = pd.DataFrame(session.figures["overdoses"].data["bars"])
    ts = session.run.model.timeseries_frame().iloc[1:]
    by = bars.groupby("outcome")["count"].sum()
    assert by["Died"] == ts["overdoses_fatal"].sum()
    assert by["Reversed (naloxone or staff)"] == ts["overdoses_reversed"].sum()
    assert by.sum() == ts["overdoses_fatal"].sum() + ts["overdoses_nonfatal"].sum()
    # Stacked: each bar starts where the one below it ends.
    for _, group in bars.groupby("year"):
        group = group.sort_values("y0")
        assert np.allclose(group["y0"].iloc[1:], group["y1"].iloc[:-1])


def test_incidence_is_new_infections_over_time_at_risk(session):
    rows = pd.DataFrame(session.figures["incidence"].data["rates"])
    ts = session.run.model.timeseries_frame()
    week = session.run.week
    assert list(rows.columns) == ["year", "HIV|s", "HCV|s", "HIV|b", "HCV|b"]
    last = ts.iloc[week - 12 : week + 1]  # the 13 weeks up to now
    at_risk = (last["population"] * (1 - last["hiv_prevalence"])).sum() / 52
    expected = 100 * last["hiv_infections"].sum() / at_risk
    assert rows["HIV|s"].iloc[-1] == pytest.approx(expected, abs=0.01)


def test_so_far_totals_end_at_the_averted_counts(session):
    rows = pd.DataFrame(session.figures["so_far"].data["totals"])
    end = rows.iloc[-1]
    totals = session.figures["averted"]
    for code, key in enumerate(("deaths_all_causes", "fatal_overdoses", "new_hiv", "new_hcv")):
        assert end[f"{code}|s"] == totals.scenario[key]
        assert end[f"{code}|b"] == totals.baseline[key]


# -- the session ---------------------------------------------------------------------------
def test_long_runs_send_at_most_a_few_hundred_points_per_curve():
    run = DashboardSession(Settings(people=200)).run
    run.step(519)
    weeks = shown_weeks(run)
    assert weeks[0] == 0 and weeks[-1] == 519
    assert len(weeks) <= MAX_POINTS + 1
    assert set(np.diff(weeks[:-1])) == {2}


def test_clock_counts_weeks_within_years():
    assert Clock(0, 520).text() == "Week 0 of 520 · the start"
    assert Clock(1, 520).text() == "Week 1 of 520 · year 1, week 1"
    assert Clock(52, 520).text() == "Week 52 of 520 · year 1, week 52"
    assert Clock(53, 520).text() == "Week 53 of 520 · year 2, week 1"


def test_session_steps_to_the_horizon_and_no_further():
    s = DashboardSession(Settings(people=200).changes(scenario_file="baseline.toml"))
    s.run.model.weeks = s.run.baseline.weeks = 6  # a short horizon, for the test
    assert s.step(4) == 4 and not s.done
    assert s.step(4) == 2 and s.done
    assert s.step(1) == 0 and s.clock.week == 6


def test_results_csv_is_the_paired_results_table(session):
    back = pd.read_csv(pd.io.common.StringIO(session.results_csv()))
    pd.testing.assert_frame_equal(back, session.run.results_frame(), check_dtype=False)
    assert session.file_stem() == "full_package-1000people-seed3"


def test_every_tooltip_field_is_in_every_record_of_its_layer():
    # Vega-Lite shows a field that a record lacks as "undefined" (issue 17: "event undefined").
    s = DashboardSession(Settings.from_file("baseline.toml", people=300, seed=3))
    model = s.run.model
    for _ in range(200):  # until an overdose or a death is on the picture (a few weeks)
        s.step(1)
        figure = s.view.figure(model)
        if figure.data["overdoses"] or figure.data["deaths"]:
            break
    events = 0
    for layer in figure.spec["layer"]:
        rows = figure.data[layer["data"]["name"]]
        fields = [t["field"] for t in layer["encoding"].get("tooltip", [])]
        for row in rows:
            assert not [f for f in fields if f not in row], (layer["data"]["name"], row)
        events += len(rows) if layer["data"]["name"] in ("overdoses", "deaths") else 0
    assert events > 0  # the event layers' tooltips (event, when) were checked too
