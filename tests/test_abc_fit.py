"""Calibration to a place by ABC-SMC (``hrsim fit``): the place format, recovery, reproducibility.

- The place format refuses bad input in one line (closest key, missing uncertainty, a
  parameter without a prior).
- Recovery: series the model itself generated at known parameter values are fitted; the
  posterior 95% intervals cover the truth and are narrower than the prior's.
- Reproducibility: the same seed gives the identical posterior on one worker, two workers, a
  real Dask cluster, and after an interrupt mid-generation (Ctrl-C to the real command).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hrsim.analysis.abc_smc import AbcSettings
from hrsim.analysis.fit import check_posterior, fit_place, posterior_predictive
from hrsim.analysis.posterior import read_result, resample, weighted_quantiles
from hrsim.errors import ScenarioError
from hrsim.places import load_place, shipped_places, yearly
from hrsim.places.place import Series
from hrsim.runner import run_model
from hrsim.scenario import load_scenario

TRUTH = {"overdose.base_rate_per_year": 0.026, "population": 2300.0}


def place_text(
    deaths: list[float], visits: list[float], people_counts: list[float], **fit: object
) -> str:
    """A place file of 2,000 simulated people, 2020-2023, fitted to 2022."""
    settings = {"until": 2022, "particles": 24, "generations": 4, "seed": 1} | fit
    fit_lines = "\n".join(f"{k} = {json.dumps(v)}" for k, v in settings.items())
    return f"""
[place]
name = "synthetic"
first_year = 2020
simulated_people = 2000
[place.settings]
"run.burn_in_years" = 1.0

[population]
value = 2000.0
low = 1600.0
high = 2500.0
source = "test"

[fit]
parameters = ["overdose.base_rate_per_year", "population"]
{fit_lines}

[[series]]
name = "deaths"
quantity = "overdose_deaths"
years = [2020, 2021, 2022, 2023]
values = {json.dumps(deaths)}
source = "the model at known values"
noise = {{ poisson = true }}

[[series]]
name = "visits"
quantity = "nonfatal_overdose_ed_visits"
years = [2020, 2021, 2022, 2023]
values = {json.dumps(visits)}
source = "the model at known values"
noise = {{ poisson = true }}

[[series]]
name = "people"
quantity = "people_who_use_opioids"
years = [2020, 2021, 2022, 2023]
values = {json.dumps(people_counts)}
source = "the model at known values"
noise = {{ cv = 0.03 }}
"""


@pytest.fixture(scope="module")
def synthetic_place(tmp_path_factory) -> Path:
    """A place whose data are one model run at TRUTH (seed 424242), written to disk."""
    folder = tmp_path_factory.mktemp("place")
    draft = folder / "draft.toml"
    draft.write_text(place_text([1.0] * 4, [1.0] * 4, [1.0] * 4))
    place = load_place(draft)
    scenario = place.scenario.with_overrides(
        {"overdose.base_rate_per_year": TRUTH["overdose.base_rate_per_year"], "run.years": 4.0,
         "run.seed": 424242}
    )  # fmt: skip
    values = yearly(
        run_model(scenario).timeseries.to_frame(),
        place.series,
        place.first_year,
        place.scale(TRUTH["population"]),
    )
    deaths = [round(values[f"deaths:{y}"]) for y in range(2020, 2024)]
    visits = [round(values[f"visits:{y}"]) for y in range(2020, 2024)]
    people = [round(values[f"people:{y}"], 1) for y in range(2020, 2024)]
    path = folder / "synthetic.toml"
    path.write_text(place_text(deaths, visits, people))
    return path


# ---------------------------------------------------------------------------------------------
# The place format


def test_the_shipped_place_loads_with_sources_and_a_hold_out():
    assert "massachusetts" in shipped_places()
    place = load_place("massachusetts")
    data = place.data()
    assert set(data["role"]) == {"fit", "held out"}
    assert all(s.source and s.definition for s in place.series)
    assert (data["sd"] > np.sqrt(data["value"])).all()  # Poisson plus the revision noise
    assert set(place.priors) == set(place.parameters)
    assert place.scenario.run.people == place.simulated_people


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("quantity = \"overdose_deaths\"", "quantity = \"overdose_death\""),
         "unknown quantity 'overdose_death'; did you mean 'overdose_deaths'"),
        (("simulated_people = 2000", "simulated_people = 2000\npopulaton = 3"),
         "unknown key 'populaton'"),
        (("noise = { poisson = true }", ""), "give each point's uncertainty"),
        (("\"overdose.base_rate_per_year\", \"population\"",
          "\"overdose.injecting_rr\", \"population\""),
         "'overdose.injecting_rr' has no PSA distribution in the defaults"),
        (("\"overdose.base_rate_per_year\", \"population\"",
          "\"overdose.base_rat_per_year\", \"population\""),
         "base_rat_per_year"),
        (("values = [1.0, 1.0, 1.0, 1.0]", "values = [1.0, 1.0]"),
         "values must be a list as long as years (4)"),
    ],
)  # fmt: skip
def test_a_bad_place_file_is_one_line_naming_what(tmp_path, change, message):
    text = place_text([1.0] * 4, [1.0] * 4, [1.0] * 4)
    old, new = change
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ScenarioError) as info:
        load_place(path)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_an_unknown_place_name_suggests_the_shipped_one():
    with pytest.raises(ScenarioError, match="did you mean 'massachusetts'"):
        load_place("massachusets")


def test_yearly_sums_flows_and_averages_stocks_by_calendar_year_then_scales():
    weeks = np.arange(0, 105)
    frame = pd.DataFrame({"week": weeks, "overdoses_fatal": weeks % 3, "population": 100.0 + weeks})
    deaths = Series("d", "overdose_deaths", (2010, 2011), (0, 0), (1, 1), "", "", {})
    people = Series("p", "people_who_use_opioids", (2010, 2011), (0, 0), (1, 1), "", "", {})
    got = yearly(frame, (deaths, people), 2010, scale=2.0)
    first, second = weeks[1:53], weeks[53:105]
    assert got["d:2010"] == 2.0 * (first % 3).sum()
    assert got["d:2011"] == 2.0 * (second % 3).sum()
    assert got["p:2011"] == pytest.approx(2.0 * (100.0 + second).mean())


def test_resampling_follows_the_weights_exactly():
    posterior = pd.DataFrame({"a": [1.0, 2.0], "weight": [0.75, 0.25]})
    drawn = resample(posterior, 400, seed=3)
    assert (drawn["a"] == 1.0).sum() == 300  # systematic resampling: exact proportions
    assert list(drawn.columns) == ["particle", "a"]


def test_weighted_quantiles_of_equal_weights_match_the_plain_median():
    x = np.array([5.0, 1.0, 3.0])
    assert weighted_quantiles(x, np.ones(3), [0.5])[0] == 3.0


# ---------------------------------------------------------------------------------------------
# Recovery


def test_a_fit_recovers_known_values_from_data_the_model_generated(synthetic_place, tmp_path):
    place = load_place(synthetic_place)
    settings = AbcSettings(**place.fit_settings)
    result = fit_place(place, settings, tmp_path / "fit", workers=2)
    post = result.posterior
    w = post["weight"].to_numpy()
    for name, truth in TRUTH.items():
        lo, hi = weighted_quantiles(post[name].to_numpy(), w, [0.025, 0.975])
        assert lo <= truth <= hi, (name, lo, truth, hi)
        prior_lo, prior_hi = place.priors[name].frozen().ppf([0.025, 0.975])
        assert hi - lo < 0.8 * (prior_hi - prior_lo), (name, lo, hi, prior_lo, prior_hi)
    assert result.generations["epsilon"].is_monotonic_decreasing

    predictive = posterior_predictive(place, post, draws=12, seed=1, workers=2)
    checks = check_posterior(place, post, predictive)
    assert set(checks.coverage) == {"fit", "held out"}
    assert checks.coverage["fit"]["points"] == 9 and checks.coverage["held out"]["points"] == 3
    # The population is fixed by the people series alone: the data inform it, no warning.
    assert not any(w.startswith("population:") for w in checks.warnings)


# ---------------------------------------------------------------------------------------------
# Reproducibility


def small_place(tmp_path: Path) -> Path:
    text = place_text([12.0, 14.0, 13.0, 15.0], [20.0, 22.0, 21.0, 25.0], [2010.0] * 4)
    text = text.replace("simulated_people = 2000", "simulated_people = 300")
    text = text.replace("particles = 24", "particles = 6")
    text = text.replace("generations = 4", "generations = 2")
    path = tmp_path / "small.toml"
    path.write_text(text)
    return path


def test_the_same_seed_gives_the_same_posterior_on_one_and_two_workers(tmp_path):
    place = load_place(small_place(tmp_path))
    settings = AbcSettings(**place.fit_settings)
    one = fit_place(place, settings, tmp_path / "one", workers=1)
    two = fit_place(place, settings, tmp_path / "two", workers=2)
    pd.testing.assert_frame_equal(one.posterior, two.posterior, check_exact=True)
    pd.testing.assert_frame_equal(one.generations, two.generations, check_exact=True)
    other = fit_place(place, AbcSettings(**{**place.fit_settings, "seed": 2}), tmp_path / "x")
    assert not one.posterior.equals(other.posterior)  # the seed matters


def test_the_same_seed_gives_the_same_posterior_on_a_dask_cluster(cluster, tmp_path):
    address, _ = cluster
    place = load_place(small_place(tmp_path))
    settings = AbcSettings(**place.fit_settings)
    local = fit_place(place, settings, tmp_path / "local", workers=1)
    on_dask = fit_place(place, settings, tmp_path / "dask", scheduler=address)
    pd.testing.assert_frame_equal(local.posterior, on_dask.posterior, check_exact=True)


def hrsim_fit(*args: object) -> list[str]:
    return [sys.executable, "-m", "hrsim.cli", "fit", *map(str, args)]


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_fit_continues_to_the_identical_posterior(tmp_path, stop):
    path = small_place(tmp_path)
    common = ["--draws", "4", "--workers", "2", "--batch", "3"]
    reference = subprocess.run(
        hrsim_fit(path, "--out", tmp_path / "whole", *common),
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert reference.returncode == 0, reference.stderr

    out = tmp_path / "stopped"
    command = hrsim_fit(path, "--out", out, *common)
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As from a terminal: a test worker passes SIGINT on ignored, and Ctrl-C would not
        # reach the fit (as in tests/test_sweep_interrupt.py).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 600

    def batches_of_generation_2() -> list[Path]:
        folder = out / "candidates"
        return list(folder.glob("g002-*.pkl")) if folder.is_dir() else []

    while not batches_of_generation_2():  # stop it once a batch of generation 2 is on disk
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(stop)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "run the same command to continue" in err
    assert not (out / "posterior.csv").exists()

    again = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert again.returncode == 0, again.stderr
    assert "continuing the fit" in again.stderr
    pd.testing.assert_frame_equal(
        read_result(out).posterior, read_result(tmp_path / "whole").posterior, check_exact=True
    )
    whole = tmp_path / "whole"
    assert (out / "posterior.csv").read_bytes() == (whole / "posterior.csv").read_bytes()
    for name in ("fit.html", "predictive.png", "parameters.png", "scenario.toml", "fit.json"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "fit.json").read_text())
    assert summary["coverage"]["fit"]["points"] == 9

    # Another fit into the same folder is refused in one line; --force starts it there.
    other = subprocess.run([*command, "--seed", "5"], capture_output=True, text=True, timeout=900)
    assert other.returncode == 2 and "holds another fit" in other.stderr
    assert other.stderr.count("\n") == 1
    (out / "notes.txt").write_text("mine")
    forced = subprocess.run(
        [*command, "--seed", "5", "--generations", "1", "--force"],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert forced.returncode == 0, forced.stderr
    assert len(read_result(out).generations) == 1  # a new fit, not the old one continued
    assert (out / "notes.txt").read_text() == "mine"


@pytest.fixture(scope="module")
def small_fit(tmp_path_factory) -> tuple[Path, dict]:
    """A finished fit of the small place by the real command (``--json``), and its summary."""
    folder = tmp_path_factory.mktemp("small_fit")
    out = folder / "fit"
    done = subprocess.run(
        hrsim_fit(small_place(folder), "--out", out, "--draws", "3", "--workers", "1", "--json"),
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out, json.loads(done.stdout)


def test_the_scenario_at_the_posterior_median_runs(small_fit):
    out, summary = small_fit
    median = summary["posterior_median"]["overdose.base_rate_per_year"]
    scenario = load_scenario(out / "scenario.toml")
    assert scenario.overdose.base_rate_per_year == pytest.approx(median)
    assert scenario.run.years == 4.0 and scenario.run.people == 300
    assert scenario.run.name == "synthetic"


def test_a_psa_draws_the_fitted_parameters_from_the_posterior_and_scales_to_the_place(
    small_fit, tmp_path
):
    from hrsim.analysis.psa import load_psa, plan_psa, run_psa

    out, _ = small_fit
    base = load_scenario(out / "scenario.toml").with_overrides({"run.years": 1.0})
    arm = base.with_overrides({"run.name": "naloxone"})
    plan = plan_psa(base, [arm], names=["base", "naloxone"], samples=3, seed=4, posterior=out)
    draws = resample(read_result(out).posterior, 3, seed=4)
    name = "overdose.base_rate_per_year"
    assert plan.parameters[name].posterior == str(out)
    np.testing.assert_array_equal(plan.sample_values[name], draws[name])  # joint draws
    assert "population" not in plan.sample_values  # a scale, not a scenario setting
    np.testing.assert_allclose(plan.scale, draws["population"] / 300)
    assert "joint posterior draws" in plan.describe()
    # A fit by the real command names its place file: the priors recorded are the fit's.
    used = {p["parameter"]: p["prior"] for p in json.loads((out / "fit.json").read_text())[
        "parameters"]}  # fmt: skip
    record = plan.plan.manifest["psa"]
    (entry,) = [d for d in record["distributions"] if d["parameter"] == name]
    assert entry["prior"] == used[name] and entry["prior_known"] is True
    assert record["population"]["prior"] == used["population"]
    assert record["population"]["prior_known"] is True

    data, _ = run_psa(plan, tmp_path / "psa", workers=1, progress=False)
    raw = load_psa(tmp_path / "psa")  # read again: the scaling happens on every read
    from hrsim import load_experiment

    wide = load_experiment(tmp_path / "psa").outcomes_wide()
    assert len(wide) == len(raw.runs) == 6
    for sample in range(3):
        rows = raw.runs[raw.runs["sample"] == sample]
        unscaled = wide[wide["run_id"].isin(rows["run_id"])]["deaths_all_causes"].sum()
        assert rows["deaths_all_causes"].sum() == pytest.approx(unscaled * plan.scale[sample])


def test_compare_runs_each_replicate_at_its_posterior_draw_scaled_to_the_place(small_fit):
    from hrsim.analysis.compare import compare, format_comparison
    from hrsim.batch.outcomes import run_outcomes_sharing_burn_in
    from hrsim.core.rng import replicate_seeds

    out, _ = small_fit
    base = load_scenario(None, {"run.people": 300, "run.years": 1.0})  # not the place's file
    arm = base.with_overrides({"run.name": "naloxone"})
    result = compare(base, [arm], replicates=2, seed=6, workers=1, names=["base", "arm"],
                     posterior=out)  # fmt: skip
    draws = resample(read_result(out).posterior, 2, seed=6)
    np.testing.assert_allclose(result.scale, draws["population"] / 300)
    seed = replicate_seeds(6, 2)[1]
    setting = {"overdose.base_rate_per_year": float(draws.at[1, "overdose.base_rate_per_year"])}
    place = {"run.burn_in_years": 1.0}  # the place's [place.settings]: in every arm
    direct = run_outcomes_sharing_burn_in(
        [s.with_overrides({**place, **setting, "run.seed": seed}) for s in (base, arm)]
    )
    for name in ("deaths_all_causes", "qalys", "cost_discounted_usd"):
        assert result.runs["base"][1][name] == pytest.approx(direct[0][name] * result.scale[1])
    assert "posterior of" in format_comparison(result)


def test_a_fit_folder_with_only_its_posterior_csv_gives_the_same_draws(small_fit, tmp_path):
    import shutil

    from hrsim.analysis.fit import resolve_fit
    from hrsim.analysis.posterior import posterior_samples

    out, _ = small_fit
    kept = tmp_path / "shipped-like"
    kept.mkdir()
    for name in ("posterior.csv", "fit-settings.json"):
        shutil.copy(out / name, kept / name)
    pd.testing.assert_frame_equal(
        posterior_samples(kept, 5, seed=2), posterior_samples(out, 5, seed=2), check_exact=True
    )
    assert resolve_fit(kept) == kept
    with pytest.raises(ScenarioError, match="no such fit folder; fits shipped with hrsim"):
        resolve_fit("nowhere")


def test_a_posterior_against_its_priors_bound_is_flagged_not_reported_as_an_estimate():
    from hrsim.analysis.fit import _against_a_bound
    from hrsim.economics.distributions import Distribution

    prior = Distribution("supply.fentanyl_potency_ratio", "uniform", 2.0, 1.5, 4.0)
    (warning,) = _against_a_bound(prior.name, prior, 1.506, 2.08)  # within 2% of the range
    assert "piles against its prior's bound 1.5" in warning
    assert _against_a_bound(prior.name, prior, 1.6, 3.9) == []  # 0.1 from each end: 4%
    unbounded = Distribution("population", "lognormal", 1000.0, 800.0, 1250.0)
    assert _against_a_bound("population", unbounded, 1.0, 1e9) == []


def test_the_shipped_fit_is_of_the_shipped_place_and_its_numbers_hold():
    """The Massachusetts fit shipped with hrsim: its data and priors are the place file's, its
    coverage follows from its intervals, the scenario file carries its medians."""
    from hrsim.analysis.fit import resolve_fit
    from hrsim.analysis.posterior import posterior_samples

    place = load_place("massachusetts")
    folder = resolve_fit("massachusetts")
    summary = json.loads((folder / "fit.json").read_text())
    intervals = pd.read_csv(folder / "intervals.csv")
    data = place.data()
    pd.testing.assert_frame_equal(
        intervals[["series", "year", "value", "sd", "role"]], data, check_dtype=False
    )
    assert {p["parameter"]: p["prior"] for p in summary["parameters"]} == {
        n: d.describe() for n, d in place.priors.items()
    }
    assert summary["settings"] == {**place.fit_settings, "min_epsilon": 0.0}
    inside = intervals["value"].between(intervals["lo95"], intervals["hi95"])
    for role, c in summary["coverage"].items():
        assert c["inside_95"] == inside[intervals["role"] == role].mean()
    scenario = load_scenario("massachusetts")
    medians = summary["posterior_median"]
    assert scenario.overdose.base_rate_per_year == pytest.approx(
        medians["overdose.base_rate_per_year"], rel=0.005
    )
    assert scenario.supply.fentanyl_potency_ratio == pytest.approx(
        medians["supply.fentanyl_potency_ratio"], rel=0.005
    )
    assert scenario.supply.fentanyl_share_by_year == place.settings["supply.fentanyl_share_by_year"]
    draws = posterior_samples(folder, 4, seed=1)
    assert sorted(draws.columns) == sorted(place.parameters)


def test_a_shipped_fit_is_used_without_pyabc_and_fitting_without_it_is_one_line():
    code = (
        "import sys; sys.modules['pyabc'] = None\n"  # as if the research extra were missing
        "from hrsim.cli import main\n"
        "code = main(['compare', 'baseline', 'naloxone_distribution', '--posterior',"
        " 'massachusetts', '--replicates', '2', '--people', '300', '--years', '0.5',"
        " '--workers', '1', '--json'])\n"
        "assert code == 0, code\n"
        "sys.exit(main(['fit', 'massachusetts', '--out', 'nowhere']))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2, proc.stderr
    assert json.loads(proc.stdout)["posterior"] == "massachusetts"
    assert proc.stderr.strip().endswith("(compare and psa --posterior)")
    assert "research extra" in proc.stderr and proc.stderr.count("\n") == 1


def _psa_on(posterior: object):
    from hrsim.analysis.psa import plan_psa

    base = load_scenario(None, {"run.people": 300, "run.years": 0.5})
    arm = base.with_overrides({"run.name": "arm"})
    return plan_psa(base, [arm], names=["base", "arm"], samples=3, seed=2, posterior=posterior)


def test_a_psa_on_the_shipped_fit_records_the_fits_prior_of_each_posterior_parameter():
    """Each parameter drawn from the posterior says so in the manifest, with the prior the fit
    used (the fit's record in fit.json, the place file's distribution): not a point at the
    scenarios' value for the potency ratio, which has no PSA distribution of its own."""
    from hrsim.analysis.fit import resolve_fit

    place = load_place("massachusetts")
    summary = json.loads((resolve_fit("massachusetts") / "fit.json").read_text())
    used = {p["parameter"]: p["prior"] for p in summary["parameters"]}
    plan = _psa_on("massachusetts")
    record = plan.plan.manifest["psa"]  # what the store's manifest.json holds
    entries = {d["parameter"]: d for d in record["distributions"]}
    for name in ("overdose.base_rate_per_year", "supply.fentanyl_potency_ratio"):
        entry, prior = entries[name], place.priors[name]
        assert entry["drawn_from"] == "posterior of massachusetts"
        assert entry["prior"] == used[name] and entry["prior_known"] is True
        assert (entry["dist"], entry["low"], entry["high"]) == (prior.dist, prior.low, prior.high)
        assert entry["declared_in"].startswith("prior of the fit, from ")
        assert "/" not in entry["declared_in"]  # the place file's name, not this machine's path
        assert f"(the fit's prior {used[name]})" in plan.describe()
    ratio = entries["supply.fentanyl_potency_ratio"]
    assert (ratio["dist"], ratio["low"], ratio["high"]) == ("uniform", 1.5, 4.0)
    assert "massachusetts.toml [fit.priors]" in ratio["declared_in"]
    others = [d for n, d in entries.items() if n not in used]
    assert others and not any("drawn_from" in d or "prior" in d for d in others)
    # The population is drawn from the posterior too: the outcomes' scale, with its prior.
    population = record["population"]
    assert population["drawn_from"] == "posterior of massachusetts"
    assert population["prior"] == used["population"] and population["dist"] == "lognormal"
    assert (population["low"], population["high"]) == (220000.0, 345000.0)


def test_a_fit_whose_place_file_changed_or_went_records_fit_json_s_prior_only(tmp_path):
    """A prior is taken from the place file only where fit.json says the fit used that one;
    otherwise the record is fit.json's description, marked as such, never the new prior."""
    import shutil

    from hrsim.analysis.fit import resolve_fit
    from hrsim.analysis.posterior import fit_priors

    shipped = resolve_fit("massachusetts")
    folder = tmp_path / "fit"
    shutil.copytree(shipped, folder)
    ratio = "supply.fentanyl_potency_ratio"
    used = {p["parameter"]: p["prior"] for p in json.loads((folder / "fit.json").read_text())[
        "parameters"]}  # fmt: skip
    text = (shipped.parent / "massachusetts.toml").read_text()
    changed = tmp_path / "massachusetts.toml"
    assert "low = 1.5, high = 4.0" in text
    changed.write_text(text.replace("low = 1.5, high = 4.0", "low = 1.2, high = 4.0"))
    settings = json.loads((folder / "fit-settings.json").read_text())
    settings["place_file"] = str(changed)
    (folder / "fit-settings.json").write_text(json.dumps(settings))

    plan = _psa_on(folder)
    entries = {d["parameter"]: d for d in plan.plan.manifest["psa"]["distributions"]}
    entry = entries[ratio]
    assert entry["drawn_from"] == f"posterior of {folder}"
    assert entry["prior"] == used[ratio] == "uniform(low 1.5, high 4), range 1.5-4"
    assert entry["prior_known"] is False
    assert "now gives uniform(low 1.2, high 4)" in entry["prior_note"]
    assert "not the fit's prior" in entry["declared_in"]
    assert f"the fit's prior {used[ratio]}; the fit's place file now gives" in plan.describe()
    # The other priors are unchanged in the place file: those are the fit's.
    assert entries["overdose.base_rate_per_year"]["prior_known"] is True

    settings["place_file"] = str(tmp_path / "gone.toml")
    (folder / "fit-settings.json").write_text(json.dumps(settings))
    gone = fit_priors(folder, [ratio, "population"])
    assert gone[ratio].distribution is None and gone[ratio].described == used[ratio]
    assert "gone.toml is not there" in gone[ratio].note
    assert _psa_on(folder).plan.manifest["psa"]["population"] == {
        "parameter": "population",
        "drawn_from": f"posterior of {folder}",
        "prior": used["population"],
        "prior_known": False,
        "prior_note": gone["population"].note,
    }

    # No fit.json to check against: the place file's prior, and a note that it is unchecked.
    settings.pop("place_file")
    (folder / "fit-settings.json").write_text(json.dumps(settings))
    (folder / "fit.json").unlink()
    unchecked = fit_priors(folder, [ratio])[ratio]
    assert unchecked.distribution is not None and unchecked.distribution.low == 1.5
    assert unchecked.described is None and "no fit.json" in unchecked.note
