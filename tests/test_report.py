"""``hrsim report``: an offline HTML page, PNG figures and CSV tables with the right numbers."""

from __future__ import annotations

import base64
import html
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hrsim import load_experiment, run_experiment
from hrsim.cli import main
from hrsim.economics.decision import incremental_table

SMALL = {"people": 400, "years": 0.75, "replicates": 3, "seed": 2}


def sweep(tmp_path: Path, grid: dict | None = None, **extra) -> Path:
    spec = {"sweep": {**SMALL, **extra.pop("settings", {})}, **extra}
    if grid is not None:
        spec["grid"] = grid
    out = tmp_path / "store"
    run_experiment(spec, out, workers=1, progress=False)
    return out


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.external: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("src", "href") and value and not value.startswith("data:"):
                self.external.append(value)
            if tag == "img" and name == "src":
                self.images.append(value)


@pytest.fixture(scope="module")
def grid_report(tmp_path_factory):
    root = tmp_path_factory.mktemp("grid")
    store = sweep(
        root,
        {
            "care.moud_capacity_fraction": [0.1, 0.4],
            "interventions.naloxone_distribution.coverage_fraction": [0, 0.8],
        },
    )
    assert main(["report", str(store), "--out", str(root / "report" / "index.html")]) == 0
    return store, root / "report"


def test_report_is_self_contained_with_pngs_and_csvs(grid_report):
    store, folder = grid_report
    page = _Page()
    page.feed((folder / "index.html").read_text())
    assert page.external == []  # opens offline: nothing to fetch
    assert "script" not in page.tags and "link" not in page.tags
    pngs = sorted(folder.glob("*.png"))
    assert len(page.images) == len(pngs) == 6  # trajectories, 2 bars, plane, 2 heat maps
    embedded = {base64.b64decode(src.split(",", 1)[1]) for src in page.images}
    assert embedded == {p.read_bytes() for p in pngs}  # the same figures, also as files
    for name in (
        "trajectories",
        "deaths_averted",
        "qalys_gained",
        "cost_effectiveness_plane",
        "heat_map_deaths_baseline",
        "heat_map_qalys_baseline",
    ):
        assert (folder / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
    for name in (
        "outcomes_by_arm",
        "averted",
        "cost_effectiveness",
        "incremental_table",
        "cost_components",
        "sources",
        "trajectories",
        "runs",
        "parameters",
        "pairing",
    ):
        assert len(pd.read_csv(folder / f"{name}.csv")) > 0


def test_averted_and_costs_are_paired_differences(grid_report):
    store, folder = grid_report
    exp = load_experiment(store)
    wide = exp.outcomes_wide()
    averted = pd.read_csv(folder / "averted.csv")
    base = exp.baseline
    arm = exp.manifest["arms"][3]["name"]
    b = wide[wide["arm"] == base].sort_values("replicate")
    a = wide[wide["arm"] == arm].sort_values("replicate")
    diff = (b["deaths_all_causes"].to_numpy() - a["deaths_all_causes"].to_numpy()).astype(float)
    half = stats.t.ppf(0.975, 2) * diff.std(ddof=1) / np.sqrt(3)
    row = averted[(averted["arm"] == arm) & (averted["outcome"] == "deaths_all_causes")].iloc[0]
    assert row["value"] == pytest.approx(diff.mean())
    assert (row["ci95_low"], row["ci95_high"]) == pytest.approx(
        (diff.mean() - half, diff.mean() + half)
    )
    # HIV and HCV are averted separately; no row adds them up.
    assert "infections" not in set(averted["outcome"])
    for outcome in ("new_hiv", "new_hcv"):
        fewer = b[outcome].to_numpy() - a[outcome].to_numpy()
        row = averted[(averted["arm"] == arm) & (averted["outcome"] == outcome)].iloc[0]
        assert row["value"] == pytest.approx(fewer.mean())
    gained = a["qalys"].to_numpy() - b["qalys"].to_numpy()
    row = averted[(averted["arm"] == arm) & (averted["outcome"] == "qalys")].iloc[0]
    assert row["value"] == pytest.approx(gained.mean())
    cea = pd.read_csv(folder / "cost_effectiveness.csv").set_index("arm").loc[arm]
    extra = (a["cost_discounted_usd"].to_numpy() - b["cost_discounted_usd"].to_numpy()).mean()
    assert cea["incremental_cost_usd"] == pytest.approx(extra)
    assert cea["qalys_gained"] == pytest.approx(gained.mean())
    assert cea["icer_usd_per_qaly"] == pytest.approx(extra / gained.mean())
    pairs = pd.read_csv(folder / "pairing.csv").set_index(["arm", "outcome"])
    for outcome in ("deaths_all_causes", "qalys"):
        x, y = b[outcome].to_numpy(dtype=float), a[outcome].to_numpy(dtype=float)
        row = pairs.loc[(arm, outcome)]
        assert row["paired_sd"] == pytest.approx((y - x).std(ddof=1))
        assert row["unpaired_sd"] == pytest.approx(np.sqrt(x.var(ddof=1) + y.var(ddof=1)))
        if x.std() > 0 and y.std() > 0:
            assert row["correlation"] == pytest.approx(np.corrcoef(x, y)[0, 1])
    assert "What the pairing buys" in (folder / "index.html").read_text()
    wtp = 100_000
    nmb = wtp * gained - (a["cost_discounted_usd"].to_numpy() - b["cost_discounted_usd"].to_numpy())
    half_nmb = stats.t.ppf(0.975, 2) * nmb.std(ddof=1) / np.sqrt(3)
    assert cea[f"nmb_{wtp}"] == pytest.approx(nmb.mean())
    assert (cea[f"nmb_{wtp}_ci95_low"], cea[f"nmb_{wtp}_ci95_high"]) == pytest.approx(
        (nmb.mean() - half_nmb, nmb.mean() + half_nmb)
    )
    # The secondary ratio charges the whole (undiscounted) run cost to deaths alone.
    run_extra = (a["cost_usd"].to_numpy() - b["cost_usd"].to_numpy()).mean()
    assert cea["incremental_run_cost_usd"] == pytest.approx(run_extra)
    if diff.mean() > 0:
        assert cea["run_cost_per_death_averted_usd"] == pytest.approx(run_extra / diff.mean())
    else:
        assert np.isnan(cea["run_cost_per_death_averted_usd"])
    assert "cost_per_infection_averted_usd" not in cea.index
    assert base not in set(averted["arm"])


def test_trajectory_bands_are_mean_and_t_interval(grid_report):
    store, folder = grid_report
    exp = load_experiment(store)
    traj = pd.read_csv(folder / "trajectories.csv")
    series = exp.series
    arm = exp.baseline
    week = 20
    values = series[(series["arm"] == arm) & (series["week"] == week)]
    moud = (values["methadone"] + values["buprenorphine"]).to_numpy(dtype=float)
    row = traj[
        (traj["measure"] == "on_moud") & (traj["arm"] == arm) & np.isclose(traj["x"], week / 52)
    ].iloc[0]
    half = stats.t.ppf(0.975, 2) * moud.std(ddof=1) / np.sqrt(3)
    assert (row["mean"], row["low"], row["high"]) == pytest.approx(
        (moud.mean(), moud.mean() - half, moud.mean() + half)
    )
    quarter = traj[(traj["measure"] == "fatal_overdoses_per_quarter") & (traj["arm"] == arm)]
    first = series[(series["arm"] == arm) & series["week"].between(1, 13)]
    per_run = first.groupby("replicate")["overdoses_fatal"].sum()
    assert quarter.sort_values("x").iloc[0]["mean"] == pytest.approx(per_run.mean())
    assert len(quarter) == 3  # 39 weeks: three whole quarters


def test_one_at_a_time_sweep_gets_a_tornado(tmp_path):
    store = sweep(
        tmp_path,
        {
            "care.moud_capacity_fraction": [0.05, 0.4],
            "overdose.naloxone_reversal_probability": [0.5, 0.95],
        },
        settings={"design": "one_at_a_time"},
    )
    assert main(["report", str(store)]) == 0
    folder = store / "report"
    assert (folder / "tornado_deaths.png").exists() and (folder / "tornado_qalys.png").exists()
    params = pd.read_csv(folder / "parameters.csv")
    assert set(params["measure"]) == {"deaths averted", "QALYs gained"}


def _has_colour(png: Path, colour: str) -> bool:
    """Whether some pixel of ``png`` is exactly ``colour`` (``#RRGGBB``)."""
    import matplotlib.image

    pixels = matplotlib.image.imread(png)[:, :, :3]
    rgb = np.array([int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return bool((np.abs(pixels - rgb).max(axis=2) < 1 / 255).any())


def test_one_parameter_gets_an_effect_curve_and_sample_a_tornado(tmp_path):
    store = sweep(tmp_path / "one", {"care.moud_capacity_fraction": [0.05, 0.2, 0.4]})
    assert main(["report", str(store), "--no-pdf"]) == 0
    effect = store / "report" / "effect_deaths.png"
    assert effect.exists()
    # Each point of the curve is an arm, drawn in that arm's colour in every other figure.
    colours = pd.read_csv(store / "report" / "arms.csv").set_index("name in the sweep")["colour"]
    assert len(set(colours)) == 3
    for arm, colour in colours.items():
        assert _has_colour(effect, colour), (arm, colour)
        assert _has_colour(store / "report" / "trajectories.png", colour), (arm, colour)
    sampled = sweep(
        tmp_path / "lhs",
        sample={
            "points": 6,
            "seed": 1,
            "ranges": {
                "care.moud_capacity_fraction": [0.05, 0.4],
                "care.aftercare_fraction": [0.1, 0.6],
            },
        },
        settings={"replicates": 2},
    )
    assert main(["report", str(sampled), "--no-pdf"]) == 0
    assert (sampled / "report" / "tornado_deaths.png").exists()


def test_effect_curve_draws_arms_in_their_colours_and_scenarios_by_line_style():
    from matplotlib.colors import to_hex

    from hrsim.reporting import figures

    x = [0.1, 0.2, 0.4]
    series = [("Baseline", [0, 1, 2], [-1, 0, 1], [1, 2, 3]), ("Naloxone", [1, 2, 3], x, x)]
    points = [["#000000", "#0072B2", "#E69F00"], ["#009E73", "#D55E00", "#CC79A7"]]
    fig = figures.effect_with_interval(x, series, "MOUD capacity", "deaths", point_colours=points)
    ax = fig.axes[0]
    for (label, *_), colours in zip(series, points, strict=True):
        (scatter,) = [c for c in ax.collections if c.get_gid() == f"points:{label}"]
        assert [to_hex(c) for c in scatter.get_facecolors()] == [c.lower() for c in colours]
    lines = {ln.get_label(): ln for ln in ax.get_lines() if not ln.get_label().startswith("_")}
    assert {ln.get_color() for ln in lines.values()} == {figures.NEUTRAL}  # no arm's colour
    assert lines["Baseline"].get_linestyle() != lines["Naloxone"].get_linestyle()


def test_report_bad_input_and_unfinished_runs(grid_report, tmp_path, capsys):
    store, _ = grid_report
    assert main(["report", str(store), "--baseline", "nope", "--out", str(tmp_path / "r.html")])
    err = capsys.readouterr().err
    assert err.strip() == "hrsim: error: --baseline: no arm 'nope' in this sweep"
    assert not (tmp_path / "r.html").exists()
    # A sweep with a run missing still reports, and says what is missing.
    partial = tmp_path / "partial"
    import shutil

    shutil.copytree(store, partial)
    (run_file,) = (partial / "runs").glob("a0002-r0001.*.parquet")
    run_file.unlink()
    assert main(["report", str(partial), "--out", str(tmp_path / "p" / "r.html")]) == 0
    text = (tmp_path / "p" / "r.html").read_text()
    assert "1 runs are not finished yet" in text
    assert "Comparisons use the 2 replicates finished in every arm" in text


def test_report_has_the_incremental_table_the_plane_and_the_cheers_methods(grid_report):
    store, folder = grid_report
    exp = load_experiment(store)
    wide = exp.outcomes_wide()
    text = (folder / "index.html").read_text()
    # The incremental table over every arm's mean discounted cost and QALYs.
    table = pd.read_csv(folder / "incremental_table.csv")
    means = wide.groupby("arm")[["cost_discounted_usd", "qalys"]].mean()
    expected = incremental_table(
        list(means.index), means["cost_discounted_usd"], means["qalys"]
    ).set_index("strategy")
    got = table.set_index("strategy").loc[expected.index]
    assert list(got["status"]) == list(expected["status"])
    assert got["icer"].to_numpy() == pytest.approx(expected["icer"].to_numpy(), nan_ok=True)
    assert "Incremental cost-effectiveness table: the efficient frontier" in text
    assert (folder / "cost_effectiveness_plane.png").read_bytes()[:4] == b"\x89PNG"
    assert "Cost-effectiveness plane: each small point is one replicate" in text
    for part in (
        "Perspective: health sector",
        "Comparators (CHEERS item 7)",
        "Perspective (CHEERS item 8). Health sector",
        "Time horizon (CHEERS item 9). Lifetime. The model runs 0.75 years",
        "Discount rate (CHEERS item 10). Costs and QALYs are both discounted at 3% a year",
        "Outcomes and their valuation (CHEERS items 11-13)",
        "Wittenberg et al. 2016",
        "Costs (CHEERS item 14)",
        "Currency, price date and conversion (CHEERS item 15). All costs are in 2024 US dollars",
        "CPI-U Medical Care",
        "Model (CHEERS item 16). hrsim",
        "Uncertainty (CHEERS item 20). Each strategy was run on the same 3 random seeds",
        "hrsim psa",
        "Net monetary benefit",
        "at $50,000 per QALY",
        "Cost components and the lifetime tail",
        "QALYs after the run (share)",
        "Secondary: run cost per outcome averted",
        "Sources of utilities and unit costs",
    ):
        assert html.escape(part, quote=False) in text, part
    sources = pd.read_csv(folder / "sources.csv")
    assert "costs.methadone_usd_per_person_year" in set(sources["parameter"])
    components = pd.read_csv(folder / "cost_components.csv")
    assert set(components["component"]) == {
        "programmes",
        "treatment",
        "acute",
        "chronic",
        "criminal_justice",
        "productivity",
    }
    base = exp.baseline
    one = components[(components["arm"] == base) & (components["component"] == "treatment")]
    assert one["mean_usd"].iloc[0] == pytest.approx(
        wide.loc[wide["arm"] == base, "cost_treatment_usd"].mean()
    )


def test_arms_with_other_economics_get_no_cost_effectiveness_and_say_why(tmp_path):
    store = sweep(
        tmp_path,
        {"economics.discount_rate": [0.03, 0.0]},
        settings={"people": 200, "years": 0.25, "replicates": 2},
    )
    assert main(["report", str(store)]) == 0
    text = (store / "report" / "report.html").read_text()
    assert "Not shown: economics.discount_rate: the baseline" in text
    assert not (store / "report" / "cost_effectiveness_plane.png").exists()
    assert "QALYs gained" in text  # the paired differences are still shown


def test_grid_report_has_readable_names_marked_heat_maps_and_a_pdf(grid_report):
    """Grid arms get labels in words, heat maps mark cells beyond chance, a PDF is beside."""
    store, folder = grid_report
    page = (folder / "index.html").read_text()
    assert "moud_capacity_fraction=" not in page  # the machine's arm names stay in the CSVs
    for label in (
        "MOUD capacity 10%, naloxone coverage 0%",
        "MOUD capacity 40%, naloxone coverage 80%",
    ):
        assert label in page
    arms = pd.read_csv(folder / "arms.csv").set_index("arm")
    row = arms.loc["MOUD capacity 40%, naloxone coverage 80%"]
    assert row["programmes and key settings"] == "Naloxone distribution (coverage 80%)"
    assert row["other values set"] == "MOUD capacity 40%"
    assert row["name in the sweep"] == (
        "moud_capacity_fraction=0.4, naloxone_distribution.coverage_fraction=0.8"
    )
    params = pd.read_csv(folder / "parameters.csv")
    beyond = (params["ci95_low"] > 0) | (params["ci95_high"] < 0)
    assert (params["differs_from_baseline"] == beyond).all()
    rule = (
        "Outlined cells with a star differ from the baseline beyond chance: the paired 95%"
        " interval of the difference excludes zero"
    )
    for measure in ("deaths averted", "QALYs gained"):
        marked = int(params.loc[params["measure"] == measure, "differs_from_baseline"].sum())
        assert html.escape(f"{rule} ({marked} of 3 cells)", quote=False) in page
    assert (folder / "index.pdf").read_bytes()[:5] == b"%PDF-"
