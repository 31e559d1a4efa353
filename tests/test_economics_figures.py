"""The PSA figures: files are written, and what they plot is the data they were given."""

from __future__ import annotations

import numpy as np
import pytest

from hrsim.economics.decision import DecisionInputError
from hrsim.economics.uncertainty import ceac, evpi, wtp_grid
from hrsim.reporting.economics_figures import (
    ce_plane,
    ce_plane_plot,
    ceac_figure,
    ceac_plot,
    evpi_figure,
    evpi_plot,
)
from hrsim.reporting.figures import Page, plt

PNG = b"\x89PNG\r\n\x1a\n"
NAMES = ["baseline", "naloxone", "moud"]


@pytest.fixture(scope="module")
def psa():
    rng = np.random.default_rng(8)
    n = 40
    cost = rng.normal(20_000, 3_000, n)
    effect = rng.normal(12, 0.5, n)
    costs = np.column_stack(
        [cost, cost + rng.normal(3_000, 800, n), cost + rng.normal(9_000, 2_500, n)]
    )
    effects = np.column_stack(
        [effect, effect + rng.normal(0.05, 0.02, n), effect + rng.normal(0.08, 0.04, n)]
    )
    return costs, effects


def _artist(fig, gid):
    found = [a for a in fig.axes[0].get_children() if a.get_gid() == gid]
    assert len(found) == 1, gid
    return found[0]


def test_ce_plane_plots_each_arms_increments_and_its_mean(psa):
    costs, effects = psa
    fig = ce_plane_plot(costs, effects, NAMES, wtp=[50_000, 100_000])
    for k, arm in ((1, "naloxone"), (2, "moud")):
        d_effect = effects[:, k] - effects[:, 0]
        d_cost = costs[:, k] - costs[:, 0]
        points = _artist(fig, f"samples:{arm}").get_offsets()
        np.testing.assert_allclose(points, np.column_stack([d_effect, d_cost]))
        mean = _artist(fig, f"mean:{arm}").get_offsets()
        np.testing.assert_allclose(mean, [[d_effect.mean(), d_cost.mean()]])
    assert not [a for a in fig.axes[0].get_children() if a.get_gid() == "samples:baseline"]
    for wtp in (50_000, 100_000):
        x, y = _artist(fig, f"wtp:{wtp:g}").get_data()
        np.testing.assert_allclose(np.asarray(y), wtp * np.asarray(x))  # through the origin
        assert tuple(x) == fig.axes[0].get_xlim()  # across the whole plot
    plt.close(fig)


def test_ce_plane_against_another_baseline(psa):
    costs, effects = psa
    fig = ce_plane_plot(costs, effects, NAMES, baseline="moud", wtp=[])
    points = _artist(fig, "samples:baseline").get_offsets()
    np.testing.assert_allclose(points[:, 1], costs[:, 0] - costs[:, 2])
    assert "vs moud" in fig.axes[0].get_xlabel()
    plt.close(fig)


def test_ce_plane_refuses_an_unknown_baseline_and_a_single_strategy(psa):
    costs, effects = psa
    with pytest.raises(DecisionInputError, match="unknown baseline 'mou'; did you mean 'moud'"):
        ce_plane_plot(costs, effects, NAMES, baseline="mou")
    with pytest.raises(DecisionInputError, match="one strategy only"):
        ce_plane_plot(costs[:, :1], effects[:, :1], ["baseline"])


def test_ceac_figure_plots_each_curve_and_the_frontier(psa):
    costs, effects = psa
    grid = wtp_grid(300_000, 31)
    frame = ceac(costs, effects, grid[::-1], NAMES)  # given in descending order
    fig = ceac_plot(frame)
    for name in NAMES:
        x, y = _artist(fig, f"ceac:{name}").get_data()
        part = frame[frame["strategy"] == name].sort_values("wtp")
        np.testing.assert_allclose(x, grid)
        np.testing.assert_allclose(y, part["probability"])
    x, y = _artist(fig, "ceaf").get_data()
    best = frame[frame["optimal"]].sort_values("wtp")
    np.testing.assert_allclose(x, grid)
    np.testing.assert_allclose(y, best["probability"])
    assert len(set(best["strategy"])) > 1  # the frontier moves between strategies here
    plt.close(fig)


def test_evpi_figure_plots_the_evpi(psa):
    costs, effects = psa
    grid = wtp_grid(200_000, 21)
    frame = evpi(costs, effects, grid)
    fig = evpi_plot(frame, per="run")
    x, y = _artist(fig, "evpi").get_data()
    np.testing.assert_allclose(x, grid)
    np.testing.assert_allclose(y, frame["evpi"])
    assert fig.axes[0].get_ylabel() == "EVPI (USD per run)"
    plt.close(fig)


def test_writers_save_pngs_and_return_their_paths(psa, tmp_path):
    costs, effects = psa
    grid = wtp_grid(150_000, 16)
    open_before = set(plt.get_fignums())
    paths = [
        ce_plane(costs, effects, NAMES, tmp_path / "plane.png"),
        ceac_figure(ceac(costs, effects, grid, NAMES), tmp_path / "sub" / "ceac.png"),
        evpi_figure(evpi(costs, effects, grid), tmp_path / "evpi.png"),
    ]
    assert paths == [tmp_path / "plane.png", tmp_path / "sub" / "ceac.png", tmp_path / "evpi.png"]
    for path in paths:
        assert path.read_bytes()[:8] == PNG
    assert not list(tmp_path.rglob("*.tmp"))
    assert set(plt.get_fignums()) == open_before  # each closed after saving


def test_builders_embed_in_a_report_page(psa, tmp_path):
    costs, effects = psa
    page = Page("PSA", tmp_path)
    page.figure(ceac_plot(ceac(costs, effects, wtp_grid(1e5, 11), NAMES)), "ceac")
    assert "data:image/png;base64," in page.render()
    assert (tmp_path / "ceac.png").read_bytes()[:8] == PNG


def test_frames_without_the_columns_are_refused(psa):
    costs, effects = psa
    frame = ceac(costs, effects, [0, 1e5], NAMES)
    with pytest.raises(DecisionInputError, match="no column 'optimal'"):
        ceac_plot(frame.drop(columns="optimal"))
    with pytest.raises(DecisionInputError, match="no column 'evpi'"):
        evpi_plot(frame)
