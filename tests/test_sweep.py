"""Sweeps: spec validation, arms, common random numbers, identical results, the store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hrsim import load_experiment, run_experiment
from hrsim.analysis.compare import OUTCOMES, compare
from hrsim.batch.outcomes import run_outcomes
from hrsim.batch.store import Store, StoreError, digest_of
from hrsim.batch.sweep import RunFailures, SweepError, latin_hypercube, plan_sweep
from hrsim.cli import main
from hrsim.core.rng import replicate_seeds
from hrsim.interventions import Intervention, InterventionParams, register
from hrsim.scenario import Scenario, build_scenario, load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"

GRID = """
[sweep]
name = "grid"
replicates = 2
seed = 5
people = 400
years = 0.5

[grid]
interventions.syringe_services.coverage_fraction = [0, 0.8]
care.moud_capacity_fraction = [0.1, 0.3]
"""


def write(tmp_path: Path, text: str, name: str = "sweep.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# ---------------------------------------------------------------------------------------------
# Arms


def test_factorial_grid_builds_every_combination_and_adds_the_programme(tmp_path):
    plan = plan_sweep(write(tmp_path, GRID))
    assert len(plan.arms) == 4 and len(plan.seeds) == 2
    assert [a.id for a in plan.arms] == ["a0000", "a0001", "a0002", "a0003"]
    combos = [
        (
            a.parameters["interventions.syringe_services.coverage_fraction"],
            a.parameters["care.moud_capacity_fraction"],
        )
        for a in plan.arms
    ]
    assert combos == [(0, 0.1), (0, 0.3), (0.8, 0.1), (0.8, 0.3)]
    for arm, (coverage, capacity) in zip(plan.arms, combos, strict=True):
        (programme,) = arm.spec.interventions  # the default scenario had none: added
        assert programme.type == "syringe_services"
        assert programme.coverage_fraction == coverage
        assert arm.spec.care.moud_capacity_fraction == capacity
        assert (arm.spec.run.people, arm.spec.run.years) == (400, 0.5)
    assert plan.baseline == plan.arms[0].name  # default: the first arm
    # Every arm runs every replicate seed, and the seeds are SeedSequence.spawn children.
    assert plan.seeds == replicate_seeds(5, 2)
    # Run ids are made from arms x seeds, not listed in the manifest.
    assert "runs" not in plan.manifest
    assert plan.run_ids[:3] == ["a0000-r0000", "a0000-r0001", "a0001-r0000"]
    assert len(plan.run_ids) == 8 and plan.run_ids[-1] == "a0003-r0001"
    assert plan.run_ids.index("a0002-r0001") == 5 and "a0004-r0000" not in plan.run_ids


def test_one_at_a_time_and_scenario_files(tmp_path):
    text = f"""
[sweep]
scenarios = ["{SCENARIOS / "baseline.toml"}", "{SCENARIOS / "fentanyl_surge.toml"}"]
design = "one_at_a_time"
replicates = 1
[grid]
"care.moud_capacity_fraction" = [0.1, 0.3]
care.aftercare_fraction = [0.2, 0.4, 0.6]
"""
    plan = plan_sweep(write(tmp_path, text), people=300, years=0.5)
    # Per scenario: the scenario itself, then 2 + 3 one-at-a-time arms.
    assert len(plan.arms) == 2 * (1 + 2 + 3)
    names = [a.name for a in plan.arms]
    assert names[0] == "baseline" and names[6] == "fentanyl_surge"
    assert "fentanyl_surge | aftercare_fraction=0.4" in names
    surge = load_scenario(SCENARIOS / "fentanyl_surge.toml", {"run.people": 300, "run.years": 0.5})
    assert plan.arms[6].spec == surge
    one = next(a for a in plan.arms if a.name == "baseline | aftercare_fraction=0.6")
    assert one.parameters == {"care.aftercare_fraction": 0.6}
    assert one.spec.care.moud_capacity_fraction == Scenario.default().care.moud_capacity_fraction


def test_latin_hypercube_has_one_point_per_stratum():
    ranges = {"care.aftercare_fraction": [0.2, 0.6], "interventions.x.start_week": [0, 9]}
    points = latin_hypercube(ranges, 10, seed=3)
    strata = [int((p["care.aftercare_fraction"] - 0.2) / 0.4 * 10) for p in points]
    assert sorted(strata) == list(range(10))
    weeks = [p["interventions.x.start_week"] for p in points]
    assert all(isinstance(w, int) for w in weeks) and sorted(weeks) == list(range(10))
    assert latin_hypercube(ranges, 10, seed=3) == points  # reproducible
    assert latin_hypercube(ranges, 10, seed=4) != points


def test_sample_arms_start_with_the_scenario(tmp_path):
    text = """
[sweep]
replicates = 1
people = 300
years = 0.5
[sample]
points = 5
seed = 2
ranges = { "care.aftercare_fraction" = [0.2, 0.6] }
"""
    plan = plan_sweep(write(tmp_path, text))
    assert [a.name for a in plan.arms] == ["baseline", *(f"point {i}" for i in range(1, 6))]
    values = [a.spec.care.aftercare_fraction for a in plan.arms[1:]]
    assert all(0.2 <= v <= 0.6 for v in values) and len(set(values)) == 5
    assert plan.manifest["design"] == "sample"


# ---------------------------------------------------------------------------------------------
# Bad input: one line, exit 2, nothing written

BAD = [
    ("[sweep]\nreplicats = 3\n", "unknown key 'sweep.replicats'; did you mean 'sweep.replicates'?"),
    ("[grd]\ncare.aftercare_fraction = [0.1]\n", "unknown key 'grd'; did you mean 'grid'?"),
    (
        "[grid]\ncare.moud_capacity_fractio = [0.1, 0.2]\n",
        "did you mean 'care.moud_capacity_fraction'?",
    ),
    (
        "[grid]\ncare.moud_capacity_fraction = [0.1, 1.5]\n",
        "care.moud_capacity_fraction = 1.5 is out of range: allowed 0 to 1",
    ),
    ("[grid]\ncare.aftercare_fraction = []\n", "grid.care.aftercare_fraction is an empty list"),
    ("[grid]\n", "[grid] is empty"),
    ("[grid]\ncare.aftercare_fraction = 0.5\n", "expected a list of values"),
    ("[grid]\ncare.aftercare_fraction = [0.5, 0.5]\n", "repeats the value 0.5"),
    ("[sweep]\nreplicates = 0\n", "sweep.replicates = 0 is out of range: allowed at least 1"),
    ("[sweep]\npeople = 5\n", "sweep.people = 5 is out of range: allowed at least 10"),
    ("[sweep]\ndesign = 'random'\n", "sweep.design = 'random': allowed 'factorial'"),
    ('[sweep]\nscenarios = ["nowhere.toml"]\n', "scenario file not found"),
    (
        "[grid]\ninterventions.syringe_servics.coverage_fraction = [0.1]\n",
        "did you mean 'syringe_services'?",
    ),
    (
        "[grid]\ninterventions.syringe_services.coverage_fractio = [0.1]\n",
        "unknown key 'coverage_fractio'; did you mean 'coverage_fraction'?",
    ),
    ("[sweep]\nbaseline = 'nope'\n", "unknown baseline arm 'nope'"),
    ("[grid]\nrun.seed = [1, 2]\n", "run.seed cannot be swept"),
    ("[grid]\naftercare_fraction = [0.1]\n", "must be section.key"),
    ("[sweep\n", "malformed TOML"),
    (
        "[grid]\n" + "".join(f"care.{k} = {list(range(1, 11))}\n" for k in "abcdef"),
        "[grid] makes 1,000,000 arms; at most 100,000",  # checked before any scenario is built
    ),
    ("[grid]\ncare.aftercare_fraction = [0.1]\n[sample]\npoints = 3\nranges = {}\n", "not both"),
    ("[sample]\npoints = 4\nranges = { 'care.aftercare_fraction' = [0.6, 0.2] }\n", "low must"),
    ("[sample]\nranges = { 'care.aftercare_fraction' = [0.2, 0.6] }\n", "points is required"),
]


@pytest.mark.parametrize(("text", "expected"), BAD, ids=[b[1][:40] for b in BAD])
def test_bad_sweep_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys, text, expected):
    spec = write(tmp_path, text)
    out = tmp_path / "store"
    code = main(["sweep", str(spec), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("hrsim: error: "), err
    assert expected in err, err
    assert not out.exists()


def test_bad_command_line_values(tmp_path, capsys):
    spec = write(tmp_path, GRID)
    assert main(["sweep", str(spec), "--workers", "0", "--out", str(tmp_path / "s")]) == 2
    assert main(["sweep", str(tmp_path / "missing.toml")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "hrsim: error: --workers must be at least 1",
        f"hrsim: error: sweep file not found: {tmp_path / 'missing.toml'}",
    ]
    assert main(["report", str(tmp_path / "nothing-here")]) == 2
    assert "no sweep here" in capsys.readouterr().err


def test_dry_run_lists_arms_and_writes_nothing(tmp_path, capsys):
    spec = write(tmp_path, GRID)
    assert main(["sweep", str(spec), "--dry-run", "--out", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out
    assert "4 arms x 2 replicates = 8 runs" in out and "a0003" in out
    assert not (tmp_path / "s").exists()


# ---------------------------------------------------------------------------------------------
# Results


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """The grid sweep run in one process (the reference)."""
    root = tmp_path_factory.mktemp("serial")
    spec = write(root, GRID)
    return spec, run_experiment(spec, root / "store", workers=1, progress=False)


def test_frames_are_tidy_and_match_the_model(serial):
    spec, exp = serial
    outcomes = exp.outcomes
    assert list(outcomes.columns) == [
        "run_id",
        "arm_id",
        "arm",
        "scenario",
        "replicate",
        "seed",
        "interventions.syringe_services.coverage_fraction",
        "care.moud_capacity_fraction",
        "outcome",
        "value",
    ]
    assert len(outcomes) == 8 * len(OUTCOMES)
    assert set(outcomes["outcome"]) == set(OUTCOMES)
    # One run's outcomes, computed from the sweep's single model run, equal a separate run.
    plan = plan_sweep(spec)
    arm = plan.arms[3]
    again = run_outcomes(arm.spec.with_overrides({"run.seed": plan.seeds[1]}))
    stored = outcomes[outcomes["run_id"] == "a0003-r0001"].set_index("outcome")["value"]
    assert stored.to_dict() == again
    series = exp.series
    assert len(series) == 8 * (26 + 1)
    assert {"run_id", "arm", "replicate", "week", "overdoses_fatal", "cost_usd"} <= set(series)
    # The weekly series add up to the totals.
    fatal = series[series["week"] > 0].groupby("run_id")["overdoses_fatal"].sum()
    totals = outcomes[outcomes["outcome"] == "fatal_overdoses"].set_index("run_id")["value"]
    pd.testing.assert_series_equal(fatal.astype(float), totals, check_names=False)
    cost = series.groupby("run_id")["cost_usd"].sum()
    costs = outcomes[outcomes["outcome"] == "cost_usd"].set_index("run_id")["value"]
    np.testing.assert_allclose(cost.to_numpy(), costs.loc[cost.index].to_numpy(), rtol=1e-12)


def test_two_workers_give_identical_results_and_files(serial, tmp_path):
    spec, exp = serial
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parallel = run_experiment(spec, tmp_path / "store", workers=2, progress=False)
    # This process has threads (pyarrow's, pytest-xdist's): it must not fork.
    assert not [w for w in caught if "fork" in str(w.message)]
    pd.testing.assert_frame_equal(parallel.outcomes, exp.outcomes, check_exact=True)
    pd.testing.assert_frame_equal(parallel.series, exp.series, check_exact=True)
    # The same file names (run id and digest of the bytes) and the same bytes.
    assert sorted(p.name for p in (tmp_path / "store" / "runs").iterdir()) == sorted(
        p.name for p in (exp.path / "runs").iterdir()
    )
    for run_id in exp.done:
        assert parallel.files[run_id].read_bytes() == exp.files[run_id].read_bytes()
    part = parallel.read_series(["overdoses_fatal"], arms=[exp.baseline])
    expected = exp.series.loc[exp.series["arm"] == exp.baseline]
    expected = expected[["run_id", "arm_id", "arm", "replicate", "week", "overdoses_fatal"]]
    pd.testing.assert_frame_equal(part, expected.reset_index(drop=True), check_exact=True)
    reloaded = load_experiment(tmp_path / "store")
    pd.testing.assert_frame_equal(reloaded.outcomes, parallel.outcomes, check_exact=True)
    pd.testing.assert_frame_equal(reloaded.series, parallel.series, check_exact=True)


def test_local_workers_come_from_a_single_threaded_process(tmp_path):
    # Python 3.12+ warns when a process with threads forks; -W always shows the warning from
    # the coordinator and from the fork server (which inherits the interpreter's -W options).
    spec = write(tmp_path, GRID)
    command = [sys.executable, "-W", "always::DeprecationWarning", "-m", "hrsim.cli", "sweep"]
    proc = subprocess.run(
        [*command, str(spec), "--workers", "2", "--out", str(tmp_path / "s")],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "fork()" not in proc.stderr
    assert "multi-threaded" not in proc.stderr


NO_OVERDOSE = """
from hrsim.interventions import Intervention, InterventionParams, register


@register
class NoOverdose(Intervention):
    type = "{name}"
    Params = InterventionParams

    def step(self, model):
        model.people.overdose_multiplier[:] = 0.0
"""

LATE_PROGRAMMES = """
import json
from pathlib import Path

from hrsim.analysis.compare import compare
from hrsim.interventions.plugins import load_plugin
from hrsim.scenario import build_scenario


def scenario(name, programmes=()):
    run = {"name": name, "people": 500, "years": 0.5}
    return build_scenario({"run": run, "interventions": [{"type": p} for p in programmes]})


if __name__ == "__main__":
    base = scenario("base")
    compare(base, [base], replicates=2, workers=2, names=["a", "b"])  # the workers' server starts
    load_plugin(Path(__file__).with_name("loaded_later.py"))  # --plugin, after that
    import imported_later  # a programme from a module imported in the script's main block

    arms = [scenario("loaded", ["loaded_later"]), scenario("imported", ["imported_later"])]
    print(json.dumps(compare(base, arms, replicates=2, workers=2).runs))
"""


def test_programmes_registered_after_the_workers_server_started_reach_the_workers(tmp_path):
    # The fork server imports hrsim once, at the first pool; programmes registered in the
    # coordinator after that must still be known to every worker of a later pool.
    for name in ("loaded_later", "imported_later"):
        (tmp_path / f"{name}.py").write_text(NO_OVERDOSE.format(name=name))
    (tmp_path / "script.py").write_text(textwrap.dedent(LATE_PROGRAMMES))
    proc = subprocess.run(
        [sys.executable, "script.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    runs = json.loads(proc.stdout.strip().splitlines()[-1])
    assert sum(r["nonfatal_overdoses"] for r in runs["base"]) > 0
    for arm in ("loaded", "imported"):  # every replicate of an arm runs in a worker
        assert [r["nonfatal_overdoses"] + r["fatal_overdoses"] for r in runs[arm]] == [0, 0]


def test_sweep_comparison_equals_hrsim_compare(tmp_path):
    base = build_scenario({"run": {"people": 400, "years": 0.5, "name": "base"}})
    arm = base.with_overrides({"run.name": "more_moud", "care.moud_capacity_fraction": 0.4})
    spec = {"sweep": {"scenarios": [base, arm], "replicates": 3, "seed": 9}}
    exp = run_experiment(spec, tmp_path / "store", workers=1, progress=False)
    direct = compare(base, [arm], replicates=3, seed=9, workers=1)
    # Everything computed from the runs is the same; the store's comparison does not state the
    # arms' [economics] settings (the report reads them from the manifest).
    assert exp.comparison().as_dict() == {**direct.as_dict(), "economics": None}


def test_zero_coverage_arm_equals_the_baseline_replicate_by_replicate(serial):
    # Common random numbers: a programme at zero coverage changes nothing, run by run.
    _, exp = serial
    wide = exp.outcomes_wide().set_index(["arm_id", "replicate"])
    arms = {a["name"]: a["id"] for a in exp.manifest["arms"]}
    assert arms  # a0000: coverage 0, capacity 0.1; a0002: coverage 0.8, capacity 0.1
    zero, covered = wide.loc["a0000", list(OUTCOMES)], wide.loc["a0002", list(OUTCOMES)]
    assert (covered["cost_usd"] > zero["cost_usd"]).all()  # syringes cost money
    base = build_scenario(
        {
            "run": {"people": 400, "years": 0.5, "seed": exp.manifest["seeds"][0]},
            "care": {"moud_capacity_fraction": 0.1},
        }
    )
    assert run_outcomes(base) == zero.loc[0].to_dict()


# ---------------------------------------------------------------------------------------------
# The store


def test_rerun_does_nothing_and_another_spec_is_refused(serial, tmp_path, capsys):
    spec, exp = serial
    again = run_experiment(spec, exp.path, workers=1, progress=False)
    assert (again.summary.done_now, again.summary.done_before) == (0, 8)
    manifest = (exp.path / "manifest.json").read_bytes()
    code = main(["sweep", str(spec), "--out", str(exp.path), "--replicates", "3", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "holds the results of a different sweep (replicates: 2 there, 3 here)" in err
    code = main(["sweep", str(spec), "--out", str(exp.path), "--people", "500", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "run.people: 400 there, 500 here" in err, err
    assert (exp.path / "manifest.json").read_bytes() == manifest
    assert sorted(p.name for p in (exp.path / "runs").iterdir()) == sorted(
        p.name for p in exp.files.values()
    )
    # A directory that is not a store is refused too.
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="holds no sweep manifest"):
        run_experiment(spec, other, workers=1, progress=False)


def test_damaged_run_files_are_detected_and_redone(serial, tmp_path):
    spec, exp = serial
    store = tmp_path / "store"
    run_experiment(spec, store, workers=1, progress=False)
    runs = store / "runs"

    def file(run_id):
        (path,) = runs.glob(f"{run_id}.*.parquet")
        return path

    truncated = file("a0001-r0000")
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    file("a0002-r0001").write_bytes(b"")
    (runs / ".a0003-r0000.x.parquet.x1y2.tmp").write_bytes(b"partial")  # a crash mid-write
    # A complete file of another run under this run's name (with its right digest) is not
    # this run.
    copy = file("a0000-r0001").read_bytes()
    file("a0000-r0000").unlink()
    (runs / f"a0000-r0000.{digest_of(copy)}.parquet").write_bytes(copy)
    untouched = {p.name: p.stat().st_mtime_ns for p in runs.glob("a0003-*.parquet")}
    found = Store(store).scan(exp.manifest)
    assert len(found) == 5 and len(found.damaged) == 3
    with pytest.raises(StoreError, match="3 run files are damaged"):
        load_experiment(store)
    again = run_experiment(spec, store, workers=1, progress=False)
    assert (again.summary.done_now, again.summary.done_before) == (3, 5)
    assert again.summary.redone == 3 and "redone (damaged)     3" in again.summary.format()
    assert sorted(p.name for p in runs.iterdir()) == sorted(p.name for p in exp.files.values())
    assert {p.name: p.stat().st_mtime_ns for p in runs.glob("a0003-*.parquet")} == untouched
    pd.testing.assert_frame_equal(again.outcomes, exp.outcomes, check_exact=True)
    pd.testing.assert_frame_equal(again.series, exp.series, check_exact=True)


def test_a_store_in_use_is_refused(serial):
    _, exp = serial
    with Store(exp.path).lock(), pytest.raises(StoreError, match="another hrsim sweep"):
        run_experiment(exp.manifest["spec_file"], exp.path, workers=1, progress=False)


class _ExplodeParams(InterventionParams):
    type: str = "explode_on_seed"
    seed: int = 0


@register
class _Explode(Intervention):
    """A test programme that fails in one replicate's world."""

    type = "explode_on_seed"
    Params = _ExplodeParams

    def step(self, model):
        if model.scenario.run.seed == self.params.seed:
            raise FloatingPointError("the model blew up\nin week 1")


def test_a_failing_run_is_reported_and_the_others_are_kept(tmp_path):
    seeds = replicate_seeds(4, 3)
    base = build_scenario({"run": {"people": 300, "years": 0.25}})
    data = base.model_dump()
    data["interventions"] = [{"type": "explode_on_seed", "seed": seeds[1]}]
    spec = {"sweep": {"scenarios": [build_scenario(data)], "replicates": 3, "seed": 4}}
    with pytest.raises(RunFailures) as info:
        run_experiment(spec, tmp_path / "store", workers=1, progress=False)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("1 of 3 runs failed (first: a0000-r0001: FloatingPointError")
    assert info.value.experiment.done == ["a0000-r0000", "a0000-r0002"]
    assert info.value.experiment.missing == ["a0000-r0001"]


def test_manifest_records_what_made_the_results(serial):
    _, exp = serial
    manifest = json.loads((exp.path / "manifest.json").read_text())
    from hrsim import __version__

    assert manifest["hrsim_version"] == __version__
    assert manifest["seeds"] == replicate_seeds(5, 2)
    default = Scenario.default().with_overrides({"run.people": 400, "run.years": 0.5})
    assert manifest["scenarios"]["baseline"]["hash"] == default.hash()
    plan = plan_sweep(exp.manifest["spec_file"])
    assert [a["hash"] for a in manifest["arms"]] == [a.spec.hash() for a in plan.arms]
    assert "runs" not in manifest and manifest["format"] == "hrsim-sweep/2"
    assert oct(os.stat(exp.files["a0000-r0000"]).st_mode)[-3:] == "644"
    with pytest.raises(SweepError):
        plan_sweep({"sweep": {"replicates": -1}})


def test_a_single_threaded_coordinator_forks_its_workers_and_one_with_threads_does_not():
    # A fresh interpreter as `hrsim sweep` is: hrsim imported first, no thread of its own.
    code = (
        "import threading, hrsim, hrsim.cli, hrsim.batch.sweep\n"
        "from hrsim.batch.executors import _can_fork_here\n"
        "print(_can_fork_here())\n"
        "stop = threading.Event(); threading.Thread(target=stop.wait).start()\n"
        "print(_can_fork_here()); stop.set()\n"
        # A thread started without threading (as execnet's in a pytest-xdist worker): the
        # fork would warn all the same, so the fork server is used.
        "import _thread, time; raw = threading.Event()\n"
        "_thread.start_new_thread(raw.wait, ()); time.sleep(0.1)\n"
        "print(_can_fork_here()); raw.set()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "False", "False"]
    # pyarrow loaded before hrsim keeps its allocator thread: the fork server is used then.
    code = (
        "import pyarrow, hrsim\n"
        "from hrsim.batch.executors import _can_fork_here\n"
        "print(_can_fork_here())\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.stdout.split() == ["False"], proc.stderr
