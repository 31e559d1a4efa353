"""The ``hrsim`` command end to end, run as a real subprocess."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import hrsim
from hrsim.scenario import Scenario, load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
BASELINE = SCENARIOS / "baseline.toml"

STATES = ["active", "detox", "methadone", "buprenorphine", "recovery", "prison"]
TIMESERIES_COLUMNS = [
    "week",
    *STATES,
    "overdoses_fatal",
    "overdoses_nonfatal",
    "overdoses_reversed",
    "hiv_infections",
    "hcv_infections",
    "hiv_prevalence",
    "hcv_prevalence",
    "entries",
    "exits",
]
EVENT_COLUMNS = ["person", "week", "kind", "from_state", "to_state", "detail"]
RUN_FILES = {
    "timeseries.parquet",
    "events.parquet",
    "programmes.parquet",
    "scenario.toml",
    "metadata.json",
    ".hrsim-output",  # the marker: what kind of output this folder is (hrsim.outputs)
}


def hrsim_cli(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "hrsim.cli", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def small_run(out, seed, *extra, cwd):
    return hrsim_cli(
        "run", BASELINE, "--people", 300, "--years", 0.5, "--seed", seed, "--out", out, *extra,
        cwd=cwd,
    )  # fmt: skip


@pytest.fixture(scope="module")
def baseline_run(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("run")
    out = cwd / "out"
    proc = small_run(out, 3, cwd=cwd)
    return proc, out


# -- a successful run ----------------------------------------------------------------------


def test_run_exits_zero_and_writes_its_files(baseline_run):
    proc, out = baseline_run
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert {p.name for p in out.iterdir()} == RUN_FILES
    # The atomic write leaves no temporary sibling behind.
    assert [p.name for p in out.parent.iterdir()] == ["out"]


def test_timeseries_has_one_row_per_week_and_the_columns(baseline_run):
    _, out = baseline_run
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert ts["week"].tolist() == list(range(27))
    missing = [c for c in [*TIMESERIES_COLUMNS, "population"] if c not in ts.columns]
    assert missing == []
    assert (ts[STATES].sum(axis=1) == ts["population"]).all()
    assert ts.loc[0, "population"] == 300
    assert ts["hiv_prevalence"].between(0, 1).all()
    assert ts["hcv_prevalence"].between(0, 1).all()


def test_events_have_the_columns_and_one_initial_event_per_person(baseline_run):
    _, out = baseline_run
    events = pd.read_parquet(out / "events.parquet")
    assert list(events.columns) == EVENT_COLUMNS
    initial = events[events["kind"] == "initial"]
    assert len(initial) == 300
    assert initial["person"].nunique() == 300
    assert (initial["week"] == 0).all()
    week0_initial = events[(events["week"] == 0) & (events["kind"] == "initial")]
    assert len(week0_initial) == 300
    assert set(initial["to_state"].astype(str)) <= set(STATES)


def test_metadata_and_written_scenario_agree(baseline_run):
    _, out = baseline_run
    metadata = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    for key in ("hrsim_version", "seed", "scenario_hash", "wall_time_s"):
        assert key in metadata
    assert metadata["hrsim_version"] == hrsim.__version__
    assert metadata["seed"] == 3
    assert isinstance(metadata["wall_time_s"], int | float) and metadata["wall_time_s"] >= 0

    written = load_scenario(out / "scenario.toml")
    assert written.hash() == metadata["scenario_hash"]
    assert (written.run.people, written.run.years, written.run.seed) == (300, 0.5, 3)
    # The hash computed in this process matches the one the command computed.
    expected = load_scenario(BASELINE, {"run.people": 300, "run.years": 0.5, "run.seed": 3})
    assert expected.hash() == metadata["scenario_hash"]


def test_summary_table_is_printed_on_stdout(baseline_run):
    proc, out = baseline_run
    ts = pd.read_parquet(out / "timeseries.parquet")
    rows = {}
    for line in proc.stdout.splitlines():
        label, sep, value = line.rpartition("  ")
        if sep:
            rows[label.strip()] = value.strip()
    assert rows["weeks simulated"] == "26"
    assert rows["people at the end"] == f"{int(ts['population'].iloc[-1]):,}"
    assert rows["fatal overdoses"] == f"{int(ts['overdoses_fatal'].sum()):,}"
    assert rows["new HIV infections"] == f"{int(ts['hiv_infections'].sum()):,}"
    assert "results in" in proc.stdout and str(out) in proc.stdout


def test_same_seed_same_results_different_seed_different(baseline_run, tmp_path):
    _, first = baseline_run
    again = small_run(tmp_path / "again", 3, cwd=tmp_path)
    other = small_run(tmp_path / "other", 4, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert other.returncode == 0, other.stderr

    ts = pd.read_parquet(first / "timeseries.parquet")
    assert_frame_equal(ts, pd.read_parquet(tmp_path / "again" / "timeseries.parquet"))
    events = pd.read_parquet(first / "events.parquet")
    assert_frame_equal(events, pd.read_parquet(tmp_path / "again" / "events.parquet"))

    assert not ts.equals(pd.read_parquet(tmp_path / "other" / "timeseries.parquet"))


def test_set_is_reflected_in_the_written_scenario(tmp_path):
    out = tmp_path / "out"
    proc = small_run(out, 3, "--set", "care.aftercare_fraction=0.9", "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""  # --quiet
    written = load_scenario(out / "scenario.toml")
    assert written.care.aftercare_fraction == 0.9
    assert Scenario.default().care.aftercare_fraction != 0.9
    metadata = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    assert written.hash() == metadata["scenario_hash"]


def test_run_without_a_scenario_uses_the_default(tmp_path):
    proc = hrsim_cli("run", "--people", 200, "--years", 0.2, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "runs" / "baseline-seed1"  # the default output directory
    assert {p.name for p in out.iterdir()} == RUN_FILES
    metadata = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    expected = Scenario.default().with_overrides({"run.people": 200, "run.years": 0.2})
    assert metadata["scenario_hash"] == expected.hash()
    assert metadata["people"] == 200
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert ts["week"].tolist() == list(range(expected.weeks + 1))


# -- bad input -----------------------------------------------------------------------------

BAD_INPUT = {
    # id: (scenario file text or None for baseline.toml, extra args, expected in the message)
    "unknown-set-key": (
        None,
        ["--set", "care.relapse_firstweek_probability=0.5"],
        ["care.relapse_firstweek_probability", "'care.relapse_first_week_probability'"],
    ),
    "out-of-range-set": (
        None,
        ["--set", "care.aftercare_fraction=1.5"],
        ["care.aftercare_fraction", "1.5", "0 to 1"],
    ),
    "malformed-set": (None, ["--set", "care.aftercare_fraction"], ["care.aftercare_fraction"]),
    "malformed-toml": ("[care]\naftercare_fraction = \n", [], ["bad.toml", "line 2"]),
    "missing-file": ("", [], ["no_such.toml"]),
    "unknown-key-in-file": (
        "[care]\nafercare_fraction = 0.5\n",
        [],
        ["bad.toml", "care.afercare_fraction", "'care.aftercare_fraction'"],
    ),
    "unknown-option": (None, ["--bogus-option"], ["--bogus-option"]),
    "non-utf8-file": (b"[run]\nname = '\xff'\n", [], ["bad.toml"]),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, case):
    text, extra, expected = BAD_INPUT[case]
    if text is None:
        scenario = BASELINE
    elif case == "missing-file":
        scenario = tmp_path / "no_such.toml"
    else:
        scenario = tmp_path / "bad.toml"
        if isinstance(text, bytes):
            scenario.write_bytes(text)
        else:
            scenario.write_text(text, encoding="utf-8")
    before = set(tmp_path.iterdir())
    out = tmp_path / "out"

    proc = hrsim_cli(
        "run", scenario, "--people", 100, "--years", 0.1, "--out", out, *extra, cwd=tmp_path
    )

    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].strip()
    assert lines[0].startswith("hrsim")
    for fragment in expected:
        assert fragment in lines[0]
    assert proc.stdout == ""
    assert not out.exists()
    assert set(tmp_path.iterdir()) == before  # no temporary directory, no runs/


def test_output_directory_has_ordinary_permissions(tmp_path):
    out = tmp_path / "perm"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "hrsim.cli",
            "run",
            "--people",
            "100",
            "--years",
            "0.1",
            "--quiet",
            "--out",
            str(out),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    umask = os.umask(0)
    os.umask(umask)
    assert (out.stat().st_mode & 0o777) == (0o777 & ~umask)
