"""Plots for notebooks: ``model.plot()``, ``RunResult.plot()``, ``experiment.plot()`` and
``experiment.plot_comparison()`` draw what the runs hold, with the bands they say."""

from __future__ import annotations

import copy
import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # the tests' own figures (ax=) are files only
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import hrsim  # noqa: E402
from hrsim import HarmReductionModel, run_experiment  # noqa: E402
from hrsim.analysis.stats import t_interval  # noqa: E402
from hrsim.reporting import notebook_plots as nbp  # noqa: E402
from hrsim.scenario import build_scenario  # noqa: E402

PEOPLE, YEARS, REPLICATES = 300, 1.0, 3
BURN_IN = 0.5  # years before week 0 (default 5): enough for a plot, and quick


@pytest.fixture(scope="module")
def model() -> HarmReductionModel:
    return HarmReductionModel(people=PEOPLE, years=YEARS, seed=3, run__burn_in_years=BURN_IN).run()


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    """Two arms x three replicates on common seeds: more MOUD places against the baseline."""
    run = {"people": PEOPLE, "years": YEARS, "name": "baseline", "burn_in_years": BURN_IN}
    base = build_scenario({"run": run})
    arm = base.with_overrides({"run.name": "more_moud", "care.moud_capacity_fraction": 0.4})
    spec = {"sweep": {"scenarios": [base, arm], "replicates": REPLICATES, "seed": 9}}
    store = tmp_path_factory.mktemp("sweep") / "store"
    return run_experiment(spec, store, workers=1, progress=False)


def _panel(fig: Figure, title: str):
    found = [ax for ax in fig.axes if ax.get_title() == title]
    assert len(found) == 1, [ax.get_title() for ax in fig.axes]
    return found[0]


def _artist(ax, gid: str):
    found = [a for a in [*ax.lines, *ax.collections] if a.get_gid() == gid]
    assert len(found) == 1, gid
    return found[0]


def _band_edges(band) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The x values of a ``fill_between`` polygon and its lower and upper edge at each."""
    vertices = np.concatenate([p.vertices for p in band.get_paths()])
    frame = pd.DataFrame(vertices, columns=["x", "y"]).round(12)
    edges = frame.groupby("x")["y"].agg(["min", "max"])
    return edges.index.to_numpy(), edges["min"].to_numpy(), edges["max"].to_numpy()


def _by_replicate(series: pd.DataFrame, arm: str, value: pd.Series) -> pd.DataFrame:
    rows = series["arm"] == arm
    frame = series.loc[rows, ["replicate", "week"]].assign(value=value[rows])
    return frame.pivot(index="replicate", columns="week", values="value")


# ---------------------------------------------------------------------------------------------
# One run


def test_model_plot_draws_the_main_weekly_series(model):
    fig = model.plot()
    assert isinstance(fig, Figure)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == list(nbp.RUN_PANELS)
    assert fig.get_suptitle() == model.scenario.run.name
    ts = model.timeseries_frame()
    states = _panel(fig, "People by care state")
    assert states.get_ylabel() == "people"
    assert [line.get_label() for line in states.lines] == [
        "Active use",
        "Detox",
        "Methadone",
        "Buprenorphine",
        "Recovery",
        "Prison",
        "Jail",
    ]
    methadone = _artist(states, "line:methadone")
    np.testing.assert_array_equal(methadone.get_xdata(), ts["week"] / 52)
    np.testing.assert_array_equal(methadone.get_ydata(), ts["methadone"])
    # Events are per week from week 1: week 0 is the starting population.
    overdoses = _panel(fig, "Overdoses")
    assert overdoses.get_ylabel() == "per week"
    fatal = _artist(overdoses, "line:overdoses_fatal")
    np.testing.assert_array_equal(fatal.get_xdata(), ts["week"].iloc[1:] / 52)
    np.testing.assert_array_equal(fatal.get_ydata(), ts["overdoses_fatal"].iloc[1:])
    assert {t.get_text() for t in overdoses.get_legend().get_texts()} >= {"Fatal overdoses"}
    prevalence = _artist(_panel(fig, "Prevalence"), "line:hcv_prevalence")
    np.testing.assert_allclose(prevalence.get_ydata(), 100 * ts["hcv_prevalence"])
    assert _panel(fig, "Prevalence").get_ylabel() == "% of people alive"


def test_model_plot_options_columns_cumulative_bins_figsize(model):
    ts = model.timeseries_frame()
    fig = model.plot(["on_moud", "fatal_overdoses"], cumulative=True, figsize=(8, 3), ncols=2)
    assert tuple(fig.get_size_inches()) == (8, 3)
    assert [ax.get_title() for ax in fig.axes] == ["People on MOUD", "Fatal overdoses"]
    on_moud = _artist(fig.axes[0], "line:on_moud")
    np.testing.assert_array_equal(on_moud.get_ydata(), ts["methadone"] + ts["buprenorphine"])
    cumulative = _artist(fig.axes[1], "line:fatal_overdoses").get_ydata()
    assert cumulative[0] == 0 and cumulative[-1] == ts["overdoses_fatal"].iloc[1:].sum() > 0
    assert fig.axes[1].get_ylabel() == "cumulative since week 0"
    # Per quarter: four whole quarters of 13 weeks, each the sum of its weeks.
    quarters = model.plot("overdoses_nonfatal", bin_weeks=13)
    line = _artist(quarters.axes[0], "line:overdoses_nonfatal")
    weekly = ts["overdoses_nonfatal"].to_numpy()[1:]
    np.testing.assert_array_equal(line.get_ydata(), weekly.reshape(4, 13).sum(axis=1))
    np.testing.assert_array_equal(line.get_xdata(), np.array([13, 26, 39, 52]) / 52)
    assert quarters.axes[0].get_ylabel() == "per 13 weeks"
    # A mapping puts several series in one panel, under its title.
    grouped = model.plot({"HIV and HCV": ["new_hiv", "new_hcv"]})
    assert [ax.get_title() for ax in grouped.axes] == ["HIV and HCV"]
    assert len(grouped.axes[0].lines) == 2


def test_model_plot_draws_on_the_callers_axes(model):
    mine = Figure()
    axes = mine.subplots(1, 2)
    assert model.plot(["population", "deaths_all_causes"], ax=axes) is mine
    assert [ax.get_title() for ax in axes] == ["People in the population", "Deaths, all causes"]
    assert mine.get_suptitle() == ""  # the caller's figure: no title put on it
    with pytest.raises(nbp.PlotError, match=r"ax must be one matplotlib Axes per panel; 6 panels"):
        model.plot(ax=axes)


def test_plotting_before_the_model_has_run_says_so():
    fresh = HarmReductionModel(people=100, years=0.1, seed=1, run__burn_in_years=0)
    with pytest.raises(nbp.PlotError, match=r"^model.plot\(\): the model has not run yet"):
        fresh.plot()
    fresh.step()
    assert len(fresh.plot("population").axes[0].lines[0].get_xdata()) == 2  # weeks 0 and 1


def test_run_result_plot_is_the_same_plot():
    settings = {"run.people": PEOPLE, "run.years": 0.5, "run.seed": 4, "run.burn_in_years": 0}
    scenario = hrsim.load_scenario(None, settings)
    result = hrsim.run(scenario, record_events=False)
    fig = result.plot(["hiv_infections"], cumulative=True, title="one run")
    assert fig.get_suptitle() == "one run"
    line = _artist(fig.axes[0], "line:hiv_infections")
    assert line.get_ydata()[-1] == result.summary()["hiv_infections"]


def test_bad_names_get_one_line_with_the_closest_name(model, experiment):
    cases = [
        (lambda: model.plot(["overdoses_fatl"]), "model.plot(): unknown column 'overdoses_fatl';"
         " did you mean 'overdoses_fatal'?"),
        (lambda: experiment.plot("new_hvi"), "experiment.plot(): unknown column 'new_hvi';"
         " did you mean 'new_hiv'?"),
        (lambda: experiment.plot(arms=["more_mod"]), "experiment.plot(): unknown arm"
         " 'more_mod'; did you mean 'more_moud'?"),
        (lambda: experiment.plot_comparison(baseline="baselin"), "experiment.plot_comparison():"
         " unknown baseline arm 'baselin'; did you mean 'baseline'?"),
        (lambda: experiment.plot(band="ci"), "experiment.plot(): unknown band 'ci'; did you"
         " mean 'ci95'?"),
        (lambda: model.plot("zzz"), "model.plot(): unknown column 'zzz'; every name is in"
         " hrsim.reporting.notebook_plots.MEASURES"),
        (lambda: model.plot("population", bin_weeks=0), "model.plot(): bin_weeks = 0 must be a"
         " whole number of weeks, 1 or more"),
        (lambda: experiment.plot(band="quantiles", quantiles=(0.9, 0.1)), "experiment.plot():"
         " quantiles = (0.9, 0.1) must be two numbers 0 <= low < high <= 1"),
    ]  # fmt: skip
    for call, message in cases:
        with pytest.raises(nbp.PlotError) as caught:
            call()
        assert str(caught.value) == message
        assert "\n" not in str(caught.value)


# ---------------------------------------------------------------------------------------------
# A sweep


def test_experiment_plot_band_is_the_95_percent_interval_of_the_replicates(experiment):
    fig = experiment.plot(["on_moud", "fatal_overdoses"], cumulative=True)
    series = experiment.series
    for title, value in (
        ("People on MOUD", series["methadone"] + series["buprenorphine"]),
        ("Fatal overdoses", series["overdoses_fatal"].where(series["week"] > 0, 0)),
    ):
        ax = _panel(fig, title)
        for arm in ("baseline", "more_moud"):
            values = _by_replicate(series, arm, value)
            if title == "Fatal overdoses":
                values = values.cumsum(axis=1)
            assert values.shape == (REPLICATES, 53)
            expected = np.array([t_interval(values[w].to_numpy()) for w in values.columns])
            mean = _artist(ax, f"mean:{arm}")
            np.testing.assert_allclose(mean.get_xdata(), values.columns / 52)
            np.testing.assert_allclose(mean.get_ydata(), expected[:, 0])
            x, low, high = _band_edges(_artist(ax, f"band:{arm}"))
            np.testing.assert_allclose(x, values.columns / 52)
            np.testing.assert_allclose(low, expected[:, 1], atol=1e-9)
            np.testing.assert_allclose(high, expected[:, 2], atol=1e-9)
    # The legend names arms as the report does (hrsim.reporting.arms), not by file stems.
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["Baseline", "More MOUD", "band: 95% CI of the mean over 3 replicates"]
    # More MOUD places: more people on MOUD at the end, beyond the replicates' interval.
    on_moud = _panel(fig, "People on MOUD")
    _, low, _ = _band_edges(_artist(on_moud, "band:more_moud"))
    _, _, high = _band_edges(_artist(on_moud, "band:baseline"))
    assert low[-1] > high[-1]


def test_experiment_plot_quantile_band_spans_the_replicates(experiment):
    fig = experiment.plot(
        "nonfatal_overdoses", band="quantiles", quantiles=(0.1, 0.9), arms="more_moud"
    )
    series = experiment.series
    values = _by_replicate(series, "more_moud", series["overdoses_nonfatal"]).loc[:, 1:]
    x, low, high = _band_edges(_artist(fig.axes[0], "band:more_moud"))
    np.testing.assert_allclose(x, values.columns / 52)
    np.testing.assert_allclose(low, values.quantile(0.1).to_numpy(), atol=1e-9)
    np.testing.assert_allclose(high, values.quantile(0.9).to_numpy(), atol=1e-9)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["More MOUD", "band: 10%-90% quantiles of 3 replicates"]
    assert [a.get_gid() for a in fig.axes[0].lines] == ["mean:more_moud"]  # only the arm asked
    none = experiment.plot("new_hcv", band="none")
    assert not none.axes[0].collections
    assert [t.get_text() for t in none.legends[0].get_texts()][-1] == "mean over 3 replicates"


def test_comparison_band_is_the_paired_interval_and_ends_at_the_comparisons_numbers(experiment):
    fig = experiment.plot_comparison(["deaths_all_causes", "new_hcv"])
    assert [ax.get_title() for ax in fig.axes] == [
        "Deaths, all causes averted",
        "New HCV infections averted",
    ]
    comparison = experiment.comparison()
    (arm,) = comparison.arms
    series = experiment.series
    assert set(series.groupby("replicate")["run_id"].nunique()) == {2}
    # The seeds pair the replicates: replicate r of each arm ran on the same seed.
    seeds = experiment.outcomes_wide().pivot(index="replicate", columns="arm", values="seed")
    assert (seeds["baseline"] == seeds["more_moud"]).all()
    for title, outcome, columns in (
        ("Deaths, all causes averted", "deaths_all_causes", ["deaths_overdose", "deaths_other"]),
        ("New HCV infections averted", "new_hcv", ["hcv_infections"]),
    ):
        value = series[columns].sum(axis=1).where(series["week"] > 0, 0)
        base = _by_replicate(series, "baseline", value).cumsum(axis=1)
        other = _by_replicate(series, "more_moud", value).cumsum(axis=1)
        averted = base - other  # replicate by replicate: paired
        expected = np.array([t_interval(averted[w].to_numpy()) for w in averted.columns])
        ax = _panel(fig, title)
        np.testing.assert_allclose(_artist(ax, "mean:more_moud").get_ydata(), expected[:, 0])
        _, low, high = _band_edges(_artist(ax, "band:more_moud"))
        finite = np.isfinite(expected[:, 1])  # weeks when every pair differs by the same
        np.testing.assert_allclose(low[finite], expected[finite, 1], atol=1e-9)
        np.testing.assert_allclose(high[finite], expected[finite, 2], atol=1e-9)
        # The last week is the run's total: the comparison's mean and 95% interval (averted
        # is baseline minus arm, the comparison's difference arm minus baseline).
        total = arm.outcomes[outcome]
        assert _artist(ax, "mean:more_moud").get_ydata()[-1] == pytest.approx(
            -total.difference_mean
        )
        assert (low[-1], high[-1]) == pytest.approx(
            (-total.difference_ci95[1], -total.difference_ci95[0])
        )
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["More MOUD", "band: 95% CI of the mean over 3 paired replicates"]
    assert fig.get_suptitle() == "Compared with Baseline: mean paired difference per arm"
    table = nbp.averted_bands(experiment, "new_hcv", averted=False)
    np.testing.assert_allclose(table["mean"].iloc[-1], arm.outcomes["new_hcv"].difference_mean)


def test_a_comparison_refuses_arms_that_did_not_share_the_baselines_seeds(experiment):
    # As in a probabilistic sensitivity analysis, where each arm may run on seeds of its own.
    manifest = copy.deepcopy(experiment.manifest)
    manifest["arms"][1]["seeds"] = [s + 1 for s in manifest["seeds"]]
    unpaired = dataclasses.replace(experiment, manifest=manifest)
    with pytest.raises(nbp.PlotError) as caught:
        unpaired.plot_comparison("new_hiv")
    assert str(caught.value) == (
        "experiment.plot_comparison(): arm 'more_moud' replicate 0 ran on another seed than the"
        " baseline 'baseline', so the two cannot be paired; compare arms that share the"
        " baseline's seeds"
    )
    assert unpaired.plot("new_hiv").axes  # the arms on their own still plot


def test_each_arm_keeps_its_colour_and_the_baseline_is_black(experiment):
    from hrsim.reporting.figures import PALETTE

    # The report's palette without its black (the baseline's), in the same order.
    assert nbp.ARM_PALETTE[:7] == tuple(c for c in PALETTE if c != "#000000")
    trajectories = experiment.plot("new_hiv")
    compared = experiment.plot_comparison("new_hiv")
    ax = trajectories.axes[0]
    assert _artist(ax, "mean:baseline").get_color() == nbp.BASELINE_COLOUR
    colour = _artist(ax, "mean:more_moud").get_color()
    assert colour == nbp.ARM_PALETTE[0]
    assert _artist(compared.axes[0], "mean:more_moud").get_color() == colour
    styles = nbp.arm_colours([f"arm{i}" for i in range(18)], baseline="arm0")
    assert styles["arm0"] == ("#000000", "-") and styles["arm1"] == (nbp.ARM_PALETTE[0], "-")
    assert styles["arm17"] == (nbp.ARM_PALETTE[0], "--")  # the palette again, dashed


# ---------------------------------------------------------------------------------------------
# Files and notebooks


def test_figures_save_as_real_png_files(model, experiment, tmp_path):
    for name, fig in (
        ("model", model.plot()),
        ("experiment", experiment.plot()),
        ("comparison", experiment.plot_comparison()),
    ):
        path = tmp_path / f"{name}.png"
        fig.savefig(path, dpi=60)
        image = matplotlib.image.imread(path)
        width, height = fig.get_size_inches() * 60
        assert image.shape[:2] == (round(height), round(width))
        assert image[..., :3].std() > 0.05  # something is drawn, not a blank page
    assert fig._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"  # what a notebook shows


def test_import_hrsim_loads_no_matplotlib_and_plotting_keeps_the_users_backend(tmp_path):
    code = (
        "import sys, hrsim, hrsim.batch.store\n"
        "assert 'matplotlib' not in sys.modules\n"
        "m = hrsim.HarmReductionModel(people=100, years=0.1, seed=1, run__burn_in_years=0).run()\n"
        "m.plot()\n"
        "import matplotlib\n"
        "print(matplotlib.get_backend(), 'matplotlib.pyplot' in sys.modules)\n"
    )
    env = {**os.environ, "MPLBACKEND": "svg"}
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["svg", "False"]


def test_a_notebook_shows_each_plot_once(experiment):
    pytest.importorskip("ipykernel")
    manager = pytest.importorskip("jupyter_client.manager")
    kernel, client = manager.start_new_kernel(kernel_name="python3")

    def images(code: str) -> int:
        msg_id = client.execute(code)
        shown = 0
        while True:
            msg = client.get_iopub_msg(timeout=120)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "error":
                raise AssertionError(f"{content['ename']}: {content['evalue']}")
            if kind in ("display_data", "execute_result"):
                shown += "image/png" in content["data"]
            if kind == "status" and content["execution_state"] == "idle":
                return shown

    try:
        assert images(f"import sys; assert sys.executable == {sys.executable!r}") == 0
        model = "import hrsim\nm = hrsim.HarmReductionModel(people=100, years=0.2, seed=1,"
        model += " run__burn_in_years=0).run()"
        assert images(f"{model}\nm.plot()") == 1  # before pyplot is imported
        store = repr(str(Path(experiment.path)))
        assert images(f"e = hrsim.load_experiment({store})\ne.plot_comparison()") == 1
        assert images("import matplotlib.pyplot as plt\nplt.plot([1, 2]);") == 1
        assert images("e.plot('new_hiv')") == 1  # with the inline backend active: once too
        assert images("fig = m.plot()") == 0  # not returned: not shown
    finally:
        client.stop_channels()
        kernel.shutdown_kernel(now=True)
